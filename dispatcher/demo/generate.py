"""The demo generator, as `dispatcher admin demo` calls it: a realistic team and ~90 days of
helpdesk history in an empty, migrated database.

`dispatcher.demo.setup` enters the team, the clients, the plans and the texts through the
store's own functions; `dispatcher.demo.tickets` simulates each ticket's life
(`dispatcher.demo.life`, with the store's SLA clock in `dispatcher.demo.clock`);
`dispatcher.demo.bulk` writes the tickets and their history in batches.

Deterministic: the same seed and `now` give the same database, row for row.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime

from sqlmodel import Session, func, select

from dispatcher.demo.bulk import Writer, bump_sequences
from dispatcher.demo.setup import build_setup
from dispatcher.demo.summary import DemoSummary
from dispatcher.demo.tickets import Progress, TicketGenerator
from dispatcher.domain.errors import ConflictError
from dispatcher.store.db.engine import Store
from dispatcher.store.models import Client, Ticket, User
from dispatcher.store.reports.facts import rebuild_facts

BATCH_TICKETS = 2_000
# The `now` a demo can pretend (the years every command takes): its setup reaches 400 days
# back and its deadlines weeks ahead, so a year near the ends of `datetime` would overflow.
EARLIEST_NOW = datetime(1900, 1, 1, tzinfo=UTC)
LATEST_NOW = datetime(2999, 12, 31, 23, 59, 59, tzinfo=UTC)


def default_now() -> datetime:
    """The current time to the minute: a demo a person opens should look current."""
    return datetime.now(UTC).replace(second=0, microsecond=0)


def check_now(now: datetime) -> None:
    """Refuse a `now` the demo cannot pretend (ValueError)."""
    if not EARLIEST_NOW <= now <= LATEST_NOW:
        raise ValueError(
            f"a demo can pretend a time from {EARLIEST_NOW.year} to {LATEST_NOW.year}, "
            f"not {now.isoformat()}"
        )


def has_data(session: Session) -> dict[str, int]:
    """How many users, clients and tickets the database has (the demo wants none)."""
    counts = {}
    for name, model in (("users", User), ("clients", Client), ("tickets", Ticket)):
        counts[name] = int(session.exec(select(func.count()).select_from(model)).one())
    return counts


def generate(
    store: Store,
    *,
    tickets: int,
    seed: int,
    now: datetime | None = None,
    on_progress: Progress | None = None,
    batch: int = BATCH_TICKETS,
    fast: bool = True,
) -> DemoSummary:
    """Fill an empty, migrated database with the demo. Refuses one that has data.

    The setup is one transaction, and so is each batch of `batch` tickets; `on_progress`
    hears how many tickets are written after each. `fast` (SQLite only): the bulk rows go
    to the driver's executemany, converted up front; `fast=False` is the plain Core insert,
    the reference the tests compare the fast path against.
    """
    if tickets < 0:
        raise ValueError("the number of tickets cannot be negative")
    now = (now or default_now()).astimezone(UTC)
    check_now(now)
    started = time.perf_counter()
    summary = DemoSummary(seed=seed, now=now)
    with store.write() as session:
        counts = has_data(session)
        if any(counts.values()):
            held = ", ".join(f"{n} {what}" for what, n in counts.items() if n)
            raise ConflictError(f"the database already has data ({held})")
        world = build_setup(session, rng=random.Random(f"{seed}:setup"), now=now, summary=summary)
    ticket_started = time.perf_counter()
    writer = Writer(fast=fast and store.is_sqlite)
    generator = TicketGenerator(world, seed=seed, now=now, summary=summary, writer=writer)
    generator.run(store, tickets, batch=batch, on_progress=on_progress)
    if not store.is_sqlite:
        bump_sequences(store)
    # The bulk path writes history without the per-write hooks: the KPI facts are computed
    # from that history once, as `admin report rebuild-facts` would.
    rebuild_facts(store)
    done = time.perf_counter()
    summary.ticket_seconds = done - ticket_started
    summary.seconds = done - started
    return summary
