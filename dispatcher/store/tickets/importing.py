"""Import of tickets from an interchange file (`docs/interchange.md`): the whole import,
its passes and its dedupe keys.

The file is read twice. The first pass (`import_names`) validates every record and
collects the names they refer to (clients, contacts, categories, queues, users, SLA plans,
contracts), which are then resolved in one go: an unknown name, a broken record or a ref
that appears twice stops the import before anything is written, with one error naming
the ticket and its position in the file (`create_missing` creates missing clients and
contacts instead). The second pass writes in batches, each its own transaction: the
tickets (`import_rows`) with their ratings and escalations, then the links and merge
targets between them and the NPS answers without a ticket (`import_relations`). A crash
loses at most the current batch, and a re-run skips what is already there and completes
the rest.

What counts as "already there" (the dedupe keys):

* a ticket any of whose messages' Message-IDs already exist in the database (a message
  without a Message-ID in the file gets a stable one derived from the ticket's ref and
  creation time and the message's position, time and text, so it dedupes too);
* a ticket whose original ref and creation time match a previous import: every imported
  ticket's `created` event carries `imported_from` (the original ref), and its `at` is the
  original creation time;
* a ticket that is the very same ticket of this database (same number, creation time and
  subject), so importing a database's own export back is harmless.

Imported tickets keep their original number when it is free in this database (so a fresh
database gets the same refs, and clients' "[#1042]" subjects still thread); the numbering
then continues above the highest number in the file. A ticket whose number is taken, or
every ticket with `renumber=True`, gets a new number; the report lists those. They keep their
subject byte for byte, their status, priority, channel, timestamps and reopen count, their
messages (with their Message-IDs and attachments) and their history; events that name a
user unknown here keep the login in their data (`imported_actor`). Ids inside copied event
data (message ids, user ids, ticket ids) are the source database's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from dispatcher.domain.clock import utcnow
from dispatcher.domain.enums import EventKind
from dispatcher.domain.errors import ValidationError
from dispatcher.store.db.engine import Store
from dispatcher.store.models import Message, Ticket, TicketEvent
from dispatcher.store.reports.facts import refresh_facts
from dispatcher.store.tickets.export import in_chunks
from dispatcher.store.tickets.import_names import (
    ImportItem,
    ImportReport,
    Resolver,
    Wanted,
    parse_item,
    resolve,
    scan,
)
from dispatcher.store.tickets.import_relations import (
    PendingRelations,
    insert_escalations,
    insert_nps_answers,
    insert_ratings,
    insert_relations,
)
from dispatcher.store.tickets.import_rows import insert_ticket
from dispatcher.store.tickets.related_records import NpsAnswerRecord

__all__ = ["ImportReport", "Resolver", "Wanted", "import_batch", "import_tickets", "scan"]

IMPORT_BATCH = 500

# The writer of one ticket's rows; a module attribute, so a test can make it fail midway.
_insert = insert_ticket


def import_tickets(
    store: Store,
    *,
    source: Callable[[], Iterable[dict[str, Any]]],
    actor_id: int | None,
    create_missing: bool = False,
    renumber: bool = False,
    batch_size: int = IMPORT_BATCH,
    now: datetime | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import tickets from `source()` (called twice: validate, then write in batches)."""
    now = now or utcnow()
    report = ImportReport()
    wanted = scan(source())
    report.total = wanted.total
    with store.write() as session:
        resolver = resolve(session, wanted=wanted, create_missing=create_missing, report=report)
        if not renumber and wanted.max_number:
            _reserve_numbers(session, up_to=wanted.max_number)
    with store.read() as session:
        imported_keys = _imported_keys(session)
    done = 0
    batch: list[ImportItem] = []
    answers: list[NpsAnswerRecord] = []
    pending: list[PendingRelations] = []
    placed: dict[str, int] = {}  # original ref -> its ticket id here

    def flush_batch() -> None:
        nonlocal done
        with store.write() as session:
            import_batch(
                session,
                records=batch,
                resolver=resolver,
                imported_keys=imported_keys,
                actor_id=actor_id,
                renumber=renumber,
                now=now,
                report=report,
                placed=placed,
                pending=pending,
            )
        done += len(batch)
        batch.clear()
        if on_progress is not None:
            on_progress(done, report.total)

    for position, raw in enumerate(source(), start=1):
        item = parse_item(raw, position=position)
        if isinstance(item, NpsAnswerRecord):
            answers.append(item)
            continue
        batch.append(item)
        if len(batch) >= batch_size:
            flush_batch()
    if batch:
        flush_batch()
    for start in range(0, len(pending), batch_size):
        with store.write() as session:
            insert_relations(
                session,
                pending=pending[start : start + batch_size],
                placed=placed,
                resolver=resolver,
                report=report,
            )
    for start in range(0, len(answers), batch_size):
        with store.write() as session:
            insert_nps_answers(
                session, answers=answers[start : start + batch_size], resolver=resolver,
                report=report,
            )  # fmt: skip
    return report


def import_batch(
    session: Session,
    *,
    records: Sequence[ImportItem],
    resolver: Resolver,
    imported_keys: dict[tuple[str, datetime], int],
    actor_id: int | None,
    renumber: bool,
    now: datetime,
    report: ImportReport,
    placed: dict[str, int],
    pending: list[PendingRelations],
) -> None:
    """Write one batch of tickets, skipping duplicates; `imported_keys` and `placed` are
    kept up to date, and `pending` gets each ticket's links and merge target."""
    message_ids = [m.message_id for r in records for m in r.ticket.messages]
    known_messages: dict[str, int] = {}
    for chunk in in_chunks(message_ids):
        known_messages.update(
            session.exec(
                select(Message.message_id, Message.ticket_id).where(
                    col(Message.message_id).in_(chunk)
                )
            ).all()
        )
    numbers = sorted({r.ticket.number for r in records})
    taken: dict[int, tuple[datetime, str]] = {}
    for id_chunk in in_chunks(numbers):
        for ticket_id, created_at, subject in session.exec(
            select(Ticket.id, Ticket.created_at, Ticket.subject).where(col(Ticket.id).in_(id_chunk))
        ).all():
            taken[ticket_id or 0] = (created_at, subject)

    imported: list[Ticket] = []
    for item in records:
        ticket_record = item.ticket
        here = _already_here(item, known_messages, imported_keys, taken)
        if here is not None:
            report.duplicates += 1
            placed[ticket_record.ref] = here
            _keep_pending(pending, item, here)
            continue
        keep = not renumber and ticket_record.number not in taken
        try:
            ticket = _insert(
                session,
                item=item,
                ticket_id=ticket_record.number if keep else None,
                resolver=resolver,
                actor_id=actor_id,
                now=now,
                report=report,
            )
            insert_ratings(session, ticket=ticket, ratings=item.extras.ratings)
            insert_escalations(
                session, ticket=ticket, escalations=item.extras.escalations, resolver=resolver
            )
        except SQLAlchemyError as exc:
            cause = type(getattr(exc, "orig", None) or exc).__name__
            raise ValidationError(
                f"ticket {ticket_record.ref}: the database refused it ({cause}); this batch "
                "was rolled back, the earlier ones are in: fix the file and import it again "
                f"to go on (record {item.extras.position})"
            ) from None
        imported.append(ticket)
        ticket_id = ticket.id or 0
        taken[ticket_id] = (ticket.created_at, ticket.subject)
        known_messages.update((m.message_id, ticket_id) for m in ticket_record.messages)
        imported_keys[(ticket_record.ref, ticket_record.created_at)] = ticket_id
        placed[ticket_record.ref] = ticket_id
        _keep_pending(pending, item, ticket_id)
        report.imported += 1
        if ticket.ref != ticket_record.ref:
            report.renumbered[ticket_record.ref] = ticket.ref
    if imported:
        refresh_facts(session, *imported)


def _already_here(
    item: ImportItem,
    known_messages: dict[str, int],
    imported_keys: dict[tuple[str, datetime], int],
    taken: dict[int, tuple[datetime, str]],
) -> int | None:
    """The id of this ticket in the database if it is there already (see the dedupe keys)."""
    ticket = item.ticket
    for message in ticket.messages:
        if message.message_id in known_messages:
            return known_messages[message.message_id]
    key = (ticket.ref, ticket.created_at)
    if key in imported_keys:
        return imported_keys[key]
    same = taken.get(ticket.number)
    if same is not None and same == (ticket.created_at, ticket.subject):
        return ticket.number
    return None


def _keep_pending(pending: list[PendingRelations], item: ImportItem, ticket_id: int) -> None:
    extras = item.extras
    if extras.merged_into is None and not extras.links:
        return
    pending.append(
        PendingRelations(
            ticket_id=ticket_id,
            ref=item.ticket.ref,
            merged_into=extras.merged_into,
            links=extras.links,
        )
    )


def _reserve_numbers(session: Session, *, up_to: int) -> None:
    """Make the ticket numbering continue above `up_to`.

    Run before an import keeps original numbers: the numbers new tickets get (renumbered
    imports, and tickets created meanwhile) then never collide with a number kept later.
    """
    if session.get_bind().dialect.name == "postgresql":
        sequence = session.execute(
            text("SELECT pg_get_serial_sequence('ticket', 'id')")
        ).scalar_one()
        session.execute(
            text(
                "SELECT setval(CAST(:seq AS regclass), "
                "GREATEST(:n, nextval(CAST(:seq AS regclass))))"
            ),
            {"seq": sequence, "n": up_to},
        )
        return
    # SQLite: an AUTOINCREMENT table numbers on from its row in sqlite_sequence.
    params = {"n": up_to}
    session.execute(
        text("UPDATE sqlite_sequence SET seq = :n WHERE name = 'ticket' AND seq < :n"), params
    )
    session.execute(
        text(
            "INSERT INTO sqlite_sequence (name, seq) SELECT 'ticket', :n "
            "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'ticket')"
        ),
        params,
    )


def _imported_keys(session: Session) -> dict[tuple[str, datetime], int]:
    """(original ref, original creation time) of every ticket imported before: its id."""
    imported_from = TicketEvent.data["imported_from"].as_string()
    rows = session.exec(
        select(imported_from, TicketEvent.at, TicketEvent.ticket_id).where(
            TicketEvent.kind == EventKind.created, imported_from.is_not(None)
        )
    ).all()
    return {(ref, at): ticket_id for ref, at, ticket_id in rows}
