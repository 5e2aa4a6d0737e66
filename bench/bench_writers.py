"""Concurrent writers on one database: what people at several consoles see when they all
change the same few tickets at once.

    python bench/bench_writers.py [--writers 8,16] [--writes 300] [--rate 10]
                                  [--backends sqlite,postgres] [--facts on,off]

For each backend and writer count it builds a fresh database (a SQLite file in a temporary
directory, or a throwaway PostgreSQL database next to `--pg`'s), with a team, the example
SLA plans and `--tickets` shared tickets, then starts that many writer processes at once.
Each makes `--writes` console-like writes, as the ticket screen does: read the ticket's
version, think a little (0 to `--think-ms`), then one `Store.write()` with that version as
`expected_version` — an internal note, a (re)assignment or a priority change (which
replans the SLA clock). Writes arrive at `--rate` a second per writer (on average, 10 by
default: 80 a second from 8 writers, above what 8 people at consoles make), so a faster
refusal does not simply make room for more writes; `--rate 0` writes flat out. It prints:

* accepted writes per second (all processes together, over the run's wall time);
* accepted write latency p50 / p95 / max (the `Store.write()` block, lock wait included);
* stale refusals (someone changed the ticket after it was read) and their latency: those
  refused at once, those refused while they waited for SQLite's write lock (the ticket
  changed meanwhile) and those refused under the lock;
* how long the write transaction held the lock (BEGIN done to commit done);
* errors that reached the caller (anything but an accepted write, a stale refusal or a
  refusal the ticket's state explains), with the first few messages.

`--facts on,off` runs each case twice: with the KPI facts kept in every write, as the
product does, and with their upkeep switched off in the writer processes, to show what it
adds under contention. The machine's load average is printed before and after.

Targets (issue #14, point 9): no errors; at 8 writers on SQLite, p95 <= 50 ms and max <= 1 s.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SLA_FILE = ROOT / "config" / "sla.example.toml"
TARGET_P95_MS = 50.0
TARGET_MAX_MS = 1000.0


def percentile(samples: list[float], share: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


# --- the database ---------------------------------------------------------------------


def build(url: str, *, engineers: int, tickets: int) -> list[int]:
    """Migrate, load the example SLA plans, add a team and the shared tickets."""
    from dispatcher.domain.enums import Role
    from dispatcher.domain.sla_config import parse_sla_config
    from dispatcher.store.clients.clients import add_client
    from dispatcher.store.db import migrate
    from dispatcher.store.db.engine import Store
    from dispatcher.store.people.users import add_user
    from dispatcher.store.sla.plans import load_sla_config
    from dispatcher.store.tickets.writes import NewTicket, create_ticket

    store = Store.open(url)
    migrate.upgrade(store.engine)
    now = datetime.now(UTC)
    with store.write() as session:
        load_sla_config(session, config=parse_sla_config(SLA_FILE.read_text()), now=now)
        add_user(session, login="olga", name="Olga", role=Role.dispatcher)
        for n in range(engineers):
            add_user(session, login=f"eng{n}", name=f"Engineer {n}", role=Role.engineer)
        client = add_client(session, name="Acme")
        ids = [
            create_ticket(
                session,
                data=NewTicket(subject=f"shared ticket {n}", body="help", client_id=client.id),
                actor_id=None,
                now=now,
            ).id
            or 0
            for n in range(tickets)
        ]
    store.dispose()
    return ids


def pg_database(admin_url: str) -> tuple[str, Any]:
    from sqlalchemy import create_engine, text

    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"dsp_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return admin_url.rsplit("/", 1)[0] + f"/{name}", (admin, name)


def drop_pg(handle: Any) -> None:
    from sqlalchemy import text

    admin, name = handle
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# --- one writer process ---------------------------------------------------------------


@dataclass
class Outcome:
    accepted: list[float] = field(default_factory=list)  # ms
    stale: list[float] = field(default_factory=list)  # refused under the write lock
    stale_at_once: list[float] = field(default_factory=list)  # refused before asking for it
    stale_waiting: list[float] = field(default_factory=list)  # refused between two waits
    refused: list[float] = field(default_factory=list)  # the ticket's state says no
    errors: list[str] = field(default_factory=list)
    held: list[float] = field(default_factory=list)  # ms from BEGIN done to the commit done
    slowest: list[tuple[float, float, int]] = field(default_factory=list)  # (ms, held, nth)
    commit: list[float] = field(default_factory=list)  # ms the COMMIT took (checkpoint included)


def writer(
    url: str,
    number: int,
    tickets: list[int],
    engineers: list[int],
    writes: int,
    think_ms: float,
    rate: float,
    facts: bool,
    gate: Any,
    results: Any,
) -> None:
    from sqlalchemy import event
    from sqlmodel import select

    from dispatcher.domain.enums import MessageKind, Priority
    from dispatcher.domain.errors import DispatcherError, StaleVersionError
    from dispatcher.store.db.engine import Store
    from dispatcher.store.models import Ticket
    from dispatcher.store.tickets import writes as repo

    if not facts:  # the facts upkeep switched off where the writes call it
        setattr(repo, "refresh_facts", _no_facts)  # noqa: B010
    rng = random.Random(number)
    store = Store.open(url)
    began: list[float] = []

    def write_begun(conn: Any) -> None:
        # After the store's own "begin" listener: the write lock is held from here. (The
        # store's plain read before the lock begins a transaction too: not counted.)
        if conn.get_execution_options().get("dispatcher_immediate"):
            began.append(time.perf_counter())

    committing: list[float] = []

    def commit_begun(conn: Any) -> None:
        if conn.get_execution_options().get("dispatcher_immediate"):
            committing.append(time.perf_counter())

    event.listen(store.engine, "begin", write_begun)
    event.listen(store.engine, "commit", commit_begun)
    me = engineers[number % len(engineers)]
    outcome = Outcome()
    with store.read() as session:  # connect and warm up before the start
        session.exec(select(Ticket.id).limit(1)).all()
    store.warm_up()  # as a console does once its first screen is drawn
    gate.wait()
    due = time.monotonic()
    for n in range(writes):
        # Writes arrive at `rate` a second on average, whatever the last one cost (a person
        # does not type faster because the database was slow); 0 is as fast as it goes.
        if rate > 0:
            due += rng.uniform(0.5, 1.5) / rate
            time.sleep(max(0.0, due - time.monotonic()))
        ticket_id = rng.choice(tickets)
        with store.read() as session:
            version, priority = session.exec(
                select(Ticket.version, Ticket.priority).where(Ticket.id == ticket_id)
            ).one()
        time.sleep(rng.uniform(0, think_ms) / 1000)
        action = rng.random()
        began.clear()
        committing.clear()
        retries = getattr(store, "busy_retries", 0)  # (a store without retries: 0)
        started = time.perf_counter()
        try:
            with store.write() as session:
                if action < 0.4:
                    repo.add_message(
                        session,
                        ticket_id=ticket_id,
                        kind=MessageKind.note,
                        body=f"note {n} from writer {number}",
                        actor_id=me,
                        expected_version=version,
                    )
                elif action < 0.7:
                    repo.assign(
                        session,
                        ticket_id=ticket_id,
                        expected_version=version,
                        actor_id=me,
                        assignee_id=rng.choice(engineers),
                    )
                else:
                    repo.classify(
                        session,
                        ticket_id=ticket_id,
                        expected_version=version,
                        actor_id=me,
                        priority=Priority.high if priority != Priority.high else Priority.normal,
                    )
            done = time.perf_counter()
            outcome.accepted.append((done - started) * 1000)
            outcome.held.append((done - began[-1]) * 1000)
            outcome.slowest.append((outcome.accepted[-1], outcome.held[-1], n))
            if committing:
                outcome.commit.append((done - committing[-1]) * 1000)
        except StaleVersionError:
            if began:
                refused = outcome.stale
            elif store.busy_retries > retries:
                refused = outcome.stale_waiting
            else:
                refused = outcome.stale_at_once
            refused.append((time.perf_counter() - started) * 1000)
        except DispatcherError:
            outcome.refused.append((time.perf_counter() - started) * 1000)
        except Exception as exc:  # what the bench is looking for: errors reaching the caller
            outcome.errors.append(f"{type(exc).__name__}: {exc}".splitlines()[0][:200])
    store.dispose()
    outcome.slowest = sorted(outcome.slowest, reverse=True)[:5]
    results.put(outcome)


def _no_facts(*_args: Any, **_kwargs: Any) -> None:
    return None


# --- one run --------------------------------------------------------------------------


def run(
    url: str,
    *,
    writers: int,
    writes: int,
    tickets: int,
    think_ms: float,
    rate: float,
    facts: bool = True,
) -> Outcome:
    from sqlmodel import select

    from dispatcher.domain.enums import Role
    from dispatcher.store.db.engine import Store
    from dispatcher.store.models import User

    ids = build(url, engineers=max(writers, 3), tickets=tickets)
    store = Store.open(url)
    with store.read() as session:
        engineers = [
            u.id or 0 for u in session.exec(select(User).where(User.role == Role.engineer)).all()
        ]
    store.dispose()
    ctx = mp.get_context("spawn")
    gate = ctx.Barrier(writers + 1)
    results = ctx.Queue()
    procs = [
        ctx.Process(
            target=writer,
            args=(url, n, ids, engineers, writes, think_ms, rate, facts, gate, results),
        )
        for n in range(writers)
    ]
    for proc in procs:
        proc.start()
    gate.wait()
    started = time.perf_counter()
    total = Outcome()
    for _ in procs:
        part = results.get()
        total.accepted += part.accepted
        total.stale += part.stale
        total.stale_at_once += part.stale_at_once
        total.stale_waiting += part.stale_waiting
        total.refused += part.refused
        total.errors += part.errors
        total.held += part.held
        total.commit += part.commit
        total.slowest += part.slowest
    wall = time.perf_counter() - started
    for proc in procs:
        proc.join()
    report(total, wall)
    return total


def report(total: Outcome, wall: float) -> None:
    acc = total.accepted
    print(f"  accepted {len(acc)} in {wall:.1f} s: {len(acc) / wall:.1f} writes/s")
    if acc:
        p95, worst = percentile(acc, 0.95), max(acc)
        verdict = "meets" if p95 <= TARGET_P95_MS and worst <= TARGET_MAX_MS else "MISSES"
        print(
            f"  accepted latency p50 {statistics.median(acc):.1f} ms, p95 {p95:.1f} ms, "
            f"max {worst:.0f} ms ({verdict} p95 <= {TARGET_P95_MS:g} ms, max <= "
            f"{TARGET_MAX_MS:g} ms)"
        )
        print(
            f"  p99 {percentile(acc, 0.99):.0f} ms, p99.9 {percentile(acc, 0.999):.0f} ms; "
            f"over 250 ms: {sum(1 for ms in acc if ms > 250)}, over 1 s: "
            f"{sum(1 for ms in acc if ms > 1000)}"
        )
        slowest = sorted(total.slowest, reverse=True)[:5]
        print(
            "  slowest (ms, of which the lock was held, the writer's nth write): "
            + ", ".join(f"{ms:.0f}/{held:.0f}/#{nth}" for ms, held, nth in slowest)
        )
    if total.held:
        print(
            f"  write transaction held p50 {statistics.median(total.held):.1f} ms, "
            f"p95 {percentile(total.held, 0.95):.1f} ms, max {max(total.held):.0f} ms"
        )
    if total.commit:
        print(
            f"  of which the COMMIT (a WAL checkpoint included) p50 "
            f"{statistics.median(total.commit):.1f} ms, p95 {percentile(total.commit, 0.95):.1f}"
            f" ms, max {max(total.commit):.0f} ms"
        )
    for label, samples in (
        ("stale refusals at once (stale when the write began)", total.stale_at_once),
        ("stale refusals while waiting for the lock", total.stale_waiting),
        ("stale refusals under the lock", total.stale),
    ):
        if samples:
            print(
                f"  {label}: {len(samples)}, p50 {statistics.median(samples):.1f} ms, "
                f"p95 {percentile(samples, 0.95):.1f} ms, max {max(samples):.0f} ms"
            )
    if total.refused:
        print(f"  refused by the ticket's state: {len(total.refused)}")
    print(f"  errors reaching the caller: {len(total.errors)}")
    for message, count in Counter(total.errors).most_common(3):
        print(f"    {count} x {message}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writers", default="8,16", help="comma-separated process counts")
    parser.add_argument("--writes", type=int, default=300, help="writes per process")
    parser.add_argument("--tickets", type=int, default=20, help="shared tickets")
    parser.add_argument("--think-ms", type=float, default=10.0, help="read to write, at most")
    parser.add_argument(
        "--rate", type=float, default=10.0, help="writes a second per writer (0: flat out)"
    )
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument(
        "--facts", default="on", help="on, off or on,off: keep the KPI facts in each write"
    )
    parser.add_argument(
        "--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres", help="admin URL"
    )
    args = parser.parse_args()
    counts = [int(n) for n in args.writers.split(",") if n.strip()]
    modes = [m.strip() == "on" for m in args.facts.split(",") if m.strip()]
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    failed = False
    cases = [
        (backend, count, facts)
        for backend in [b.strip() for b in args.backends.split(",") if b.strip()]
        for count in counts
        for facts in modes
    ]
    for backend, count, facts in cases:
        pace = f"{args.rate:g}/s each" if args.rate > 0 else "flat out"
        print(
            f"{backend}, {count} writers x {args.writes} writes ({pace}) "
            f"on {args.tickets} tickets, facts {'on' if facts else 'off'}"
        )
        if backend == "sqlite":
            workdir = Path(tempfile.mkdtemp(prefix="dispatcher-bench-writers-"))
            url = f"sqlite:///{workdir / 'writers.db'}"
            total = run(
                url,
                writers=count,
                writes=args.writes,
                tickets=args.tickets,
                think_ms=args.think_ms,
                rate=args.rate,
                facts=facts,
            )
            for path in workdir.iterdir():
                path.unlink()
            workdir.rmdir()
        else:
            url, handle = pg_database(args.pg)
            try:
                total = run(
                    url,
                    writers=count,
                    writes=args.writes,
                    tickets=args.tickets,
                    think_ms=args.think_ms,
                    rate=args.rate,
                    facts=facts,
                )
            finally:
                drop_pg(handle)
        failed |= bool(total.errors)
    print(f"load average {os.getloadavg()[0]:.1f}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
