"""Export and import of tickets: JSON (with messages and history) and CSV (scalar fields).

Export streams: tickets are read in keyset pages by id, each page with its messages and
events, one short read session per page, so a million tickets never sit in memory.

Import reads the file twice. The first pass validates every ticket and collects the names
it refers to (clients, contacts, categories, queues, users), which are then resolved in one
go: an unknown name stops the import before anything is written, with an error naming the
ticket and the value (`--create-missing` creates missing clients and contacts instead;
unknown categories, queues and assignees are always an error). The second pass writes in
batches, each its own transaction: a crash loses at most the current batch, and a re-run
skips what is already there.

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
messages (with their Message-IDs) and their history; events that name a user unknown here
keep the login in their data (`imported_actor`). Active tickets get a fresh SLA clock from
their original creation time under the client's current contract; the source's own clock
events are then left out so the two clocks never mix. Ids inside copied event data (message
ids, user ids) are the source database's. Ratings (`ratings`: CSAT of the ticket, and the
NPS answers to questions asked after it) become rating rows again, with their contact
(by name, at the ticket's client) and original time. Not exported yet: attachments,
links, escalations (as rows: their events are in the history), merge targets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import text
from sqlmodel import Session, SQLModel, col, select

from dispatcher.domain.clock import utcnow
from dispatcher.domain.enums import (
    ACTIVE_STATUSES,
    EventKind,
    MessageKind,
    RatingKind,
    TicketStatus,
)
from dispatcher.domain.errors import DispatcherError, ValidationError
from dispatcher.store.clients.clients import add_client
from dispatcher.store.clients.contacts import add_contact
from dispatcher.store.db.engine import Store
from dispatcher.store.models import (
    Category,
    Client,
    Contact,
    Message,
    NpsPulse,
    Queue,
    Rating,
    Ticket,
    TicketEvent,
    User,
)
from dispatcher.store.reports.facts import refresh_facts
from dispatcher.store.sla import clock as sla_clock
from dispatcher.store.tickets.export import in_chunks, iso
from dispatcher.store.tickets.history import record
from dispatcher.store.tickets.records import CLOCK_KINDS, TicketRecord, parse_record

IMPORT_BATCH = 500


M = TypeVar("M", bound=SQLModel)


@dataclass
class ImportReport:
    total: int = 0
    imported: int = 0
    duplicates: int = 0
    renumbered: dict[str, str] = field(default_factory=dict)  # original ref -> new ref
    created_clients: list[str] = field(default_factory=list)
    created_contacts: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "imported": self.imported,
            "duplicates": self.duplicates,
            "renumbered": self.renumbered,
            "created_clients": self.created_clients,
            "created_contacts": self.created_contacts,
        }


@dataclass
class _Wanted:
    """Pass one: every name the file refers to, with the first ticket that does."""

    total: int = 0
    max_number: int = 0
    clients: dict[str, str] = field(default_factory=dict)
    contacts: dict[tuple[str | None, str], str] = field(default_factory=dict)
    categories: dict[str, str] = field(default_factory=dict)
    queues: dict[str, str] = field(default_factory=dict)
    assignees: dict[str, str] = field(default_factory=dict)
    actors: set[str] = field(default_factory=set)

    def add(self, ticket: TicketRecord) -> None:
        self.total += 1
        self.max_number = max(self.max_number, ticket.number)
        if ticket.client:
            self.clients.setdefault(ticket.client, ticket.ref)
        if ticket.contact:
            self.contacts.setdefault((ticket.client, ticket.contact), ticket.ref)
        if ticket.category:
            self.categories.setdefault(ticket.category, ticket.ref)
        if ticket.queue:
            self.queues.setdefault(ticket.queue, ticket.ref)
        if ticket.assignee:
            self.assignees.setdefault(ticket.assignee, ticket.ref)
        self.actors.update(e.actor for e in ticket.events if e.actor)
        self.actors.update(m.author for m in ticket.messages if m.author)


@dataclass
class Resolver:
    """Names of the file mapped to ids of this database."""

    clients: dict[str, int] = field(default_factory=dict)
    contacts: dict[tuple[str | None, str], int] = field(default_factory=dict)
    categories: dict[str, tuple[int, int | None]] = field(default_factory=dict)  # id, queue
    queues: dict[str, int] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    contracts: dict[tuple[int, date], int | None] = field(default_factory=dict)  # on a day


def scan(records: Iterable[dict[str, Any]]) -> _Wanted:
    """Pass one: validate every ticket and collect the names they use."""
    wanted = _Wanted()
    for position, raw in enumerate(records, start=1):
        wanted.add(parse_record(raw, position=position))
    return wanted


def resolve(
    session: Session, *, wanted: _Wanted, create_missing: bool, report: ImportReport
) -> Resolver:
    """Map every name to an id; unknown ones are an error (or created, for clients/contacts)."""
    found = Resolver()
    found.clients = _ids_by(session, Client, Client.name, wanted.clients)
    found.queues = _ids_by(session, Queue, Queue.name, wanted.queues)
    found.users = _ids_by(session, User, User.login, set(wanted.assignees) | wanted.actors)
    for chunk in in_chunks(sorted(wanted.categories)):
        for row in session.exec(select(Category).where(col(Category.name).in_(chunk))).all():
            found.categories[row.name] = (row.id or 0, row.queue_id)
    for names, mapping, what in (
        (wanted.categories, found.categories, "category"),
        (wanted.queues, found.queues, "queue"),
        (wanted.assignees, found.users, "user"),
    ):
        for name, ref in names.items():
            if name not in mapping:
                raise ValidationError(
                    f"ticket {ref}: no {what} {name!r} in this database (add it first)"
                )
    for name, ref in wanted.clients.items():
        if name in found.clients:
            continue
        if not create_missing:
            raise ValidationError(
                f"ticket {ref}: no client {name!r} in this database "
                "(add it first, or import with --create-missing)"
            )
        try:
            client = add_client(session, name=name)
        except DispatcherError as exc:
            raise ValidationError(f"ticket {ref}: {exc}") from None
        found.clients[name] = client.id or 0
        report.created_clients.append(name)
    for (client_name, name), ref in wanted.contacts.items():
        client_id = found.clients.get(client_name) if client_name else None
        query = select(Contact.id, Contact.client_id).where(Contact.name == name)
        if client_id is not None:
            query = query.where(Contact.client_id == client_id)
        matches = session.exec(query.order_by(col(Contact.id)).limit(2)).all()
        if len(matches) > 1 and client_id is None:
            raise ValidationError(
                f"ticket {ref}: more than one contact is called {name!r}; give the client"
            )
        if matches:
            found.contacts[(client_name, name)] = matches[0][0] or 0
            continue
        if not create_missing or client_id is None:
            hint = "add it first, or import with --create-missing" if client_id else "add it first"
            raise ValidationError(
                f"ticket {ref}: no contact {name!r}"
                + (f" at client {client_name!r}" if client_name else "")
                + f" in this database ({hint})"
            )
        try:
            contact = add_contact(session, client_id=client_id, name=name)
        except DispatcherError as exc:
            raise ValidationError(f"ticket {ref}: {exc}") from None
        found.contacts[(client_name, name)] = contact.id or 0
        report.created_contacts.append(f"{name} ({client_name})")
    return found


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
    batch: list[TicketRecord] = []
    batch_ratings: list[list[RatingRecord]] = []

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
                ratings=batch_ratings,
            )
        done += len(batch)
        batch.clear()
        batch_ratings.clear()
        if on_progress is not None:
            on_progress(done, report.total)

    for position, raw in enumerate(source(), start=1):
        batch.append(parse_record(raw, position=position))
        batch_ratings.append(parse_ratings(raw, ref=batch[-1].ref))
        if len(batch) >= batch_size:
            flush_batch()
    if batch:
        flush_batch()
    return report


def import_batch(
    session: Session,
    *,
    records: Sequence[TicketRecord],
    resolver: Resolver,
    imported_keys: set[tuple[str, datetime]],
    actor_id: int | None,
    renumber: bool,
    now: datetime,
    report: ImportReport,
    ratings: Sequence[Sequence[RatingRecord]] = (),
) -> None:
    """Write one batch of tickets, skipping duplicates; `imported_keys` is kept up to date.
    `ratings[i]` are the ratings of `records[i]`."""
    message_ids = [m.message_id for r in records for m in r.messages]
    known_messages: set[str] = set()
    for chunk in in_chunks(message_ids):
        known_messages.update(
            session.exec(select(Message.message_id).where(col(Message.message_id).in_(chunk))).all()
        )
    numbers = sorted({r.number for r in records})
    taken: dict[int, tuple[datetime, str]] = {}
    for id_chunk in in_chunks(numbers):
        for ticket_id, created_at, subject in session.exec(
            select(Ticket.id, Ticket.created_at, Ticket.subject).where(col(Ticket.id).in_(id_chunk))
        ).all():
            taken[ticket_id or 0] = (created_at, subject)

    for index, item in enumerate(records):
        if any(m.message_id in known_messages for m in item.messages):
            report.duplicates += 1
            continue
        if (item.ref, item.created_at) in imported_keys:
            report.duplicates += 1
            continue
        same = taken.get(item.number)
        if same is not None and same == (item.created_at, item.subject):
            report.duplicates += 1
            continue
        keep = not renumber and item.number not in taken
        ticket = _insert(
            session,
            item=item,
            ticket_id=item.number if keep else None,
            resolver=resolver,
            actor_id=actor_id,
            now=now,
        )
        if index < len(ratings):
            _insert_ratings(session, ticket=ticket, ref=item.ref, ratings=ratings[index])
        taken[ticket.id or 0] = (ticket.created_at, ticket.subject)
        known_messages.update(m.message_id for m in item.messages)
        imported_keys.add((item.ref, item.created_at))
        report.imported += 1
        if ticket.ref != item.ref:
            report.renumbered[item.ref] = ticket.ref


def _insert(
    session: Session,
    *,
    item: TicketRecord,
    ticket_id: int | None,
    resolver: Resolver,
    actor_id: int | None,
    now: datetime,
) -> Ticket:
    category_id, category_queue = (
        resolver.categories[item.category] if item.category else (None, None)
    )
    queue_id = resolver.queues[item.queue] if item.queue else category_queue
    client_id = resolver.clients[item.client] if item.client else None
    contact_id = resolver.contacts[(item.client, item.contact)] if item.contact else None
    if client_id is None and contact_id is not None:
        contact = session.get(Contact, contact_id)
        client_id = contact.client_id if contact else None
    contract_id = None
    if client_id is not None:
        key = (client_id, item.created_at.date())
        if key not in resolver.contracts:
            contract = sla_clock.contract_for(session, client_id=client_id, on=item.created_at)
            resolver.contracts[key] = contract.id if contract else None
        contract_id = resolver.contracts[key]
    created = next((e for e in item.events if e.kind == EventKind.created), None)
    creator = resolver.users.get(created.actor) if created and created.actor else None
    ticket = Ticket(
        id=ticket_id,
        subject=item.subject,
        status=item.status,
        priority=item.priority,
        channel=item.channel,
        queue_id=queue_id,
        category_id=category_id,
        client_id=client_id,
        contact_id=contact_id,
        contract_id=contract_id,
        assignee_id=resolver.users[item.assignee] if item.assignee else None,
        created_by_id=creator or actor_id,
        created_at=item.created_at,
        updated_at=item.created_at,
        resolved_at=item.resolved_at,
        closed_at=item.closed_at,
        reopen_count=item.reopen_count,
    )
    session.add(ticket)
    session.flush()
    data: dict[str, Any] = dict(created.data) if created else {}
    data.update(
        {
            "channel": item.channel.value,
            "subject": item.subject,
            "priority": item.priority.value,
            "imported_from": item.ref,
            "imported_at": iso(now),
        }
    )
    if created and created.actor:
        data["original_actor"] = created.actor
    record(
        session,
        ticket=ticket,
        kind=EventKind.created,
        actor_id=actor_id,
        now=item.created_at,
        data=data,
        reason=created.reason if created else "",
        bump=False,
    )
    for message in item.messages:
        session.add(
            Message(
                ticket_id=ticket.id or 0,
                kind=message.kind,
                channel=message.channel,
                author_id=resolver.users.get(message.author) if message.author else None,
                contact_id=contact_id if message.kind == MessageKind.inbound else None,
                from_address=message.from_address,
                to_addresses=message.to_addresses,
                cc_addresses=message.cc_addresses,
                subject=message.subject or item.subject,
                body=message.body,
                created_at=message.created_at,
                message_id=message.message_id,
                in_reply_to=message.in_reply_to,
                references=message.references,
            )
        )
    active = item.status in ACTIVE_STATUSES
    for event in item.events:
        if event.kind == EventKind.created or (active and event.kind in CLOCK_KINDS):
            continue
        event_data = dict(event.data)
        actor = resolver.users.get(event.actor) if event.actor else None
        if event.actor and actor is None:
            event_data["imported_actor"] = event.actor
        record(
            session,
            ticket=ticket,
            kind=event.kind,
            actor_id=actor,
            now=event.at,
            data=event_data,
            reason=event.reason,
            bump=not event.kind.startswith("sla_"),
        )
    session.flush()
    replies = [m.created_at for m in item.messages if m.kind == MessageKind.reply]
    first_reply = min(replies) if replies else None
    if active:
        sla_clock.start(session, ticket=ticket, actor_id=actor_id, now=now)
        if first_reply is not None:
            sla_clock.on_public_reply(session, ticket=ticket, actor_id=actor_id, now=first_reply)
        if item.status in sla_clock.PAUSED_STATUSES:
            sla_clock.on_status_change(
                session, ticket=ticket, old=TicketStatus.open, actor_id=actor_id, now=now
            )
        elif first_reply is not None:
            sla_clock.refresh_due(session, ticket=ticket, now=now)
    else:
        ticket.first_responded_at = first_reply
    ticket.updated_at = item.updated_at
    session.add(ticket)
    session.flush()
    refresh_facts(session, ticket)
    return ticket


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


def _imported_keys(session: Session) -> set[tuple[str, datetime]]:
    """(original ref, original creation time) of every ticket imported before."""
    imported_from = TicketEvent.data["imported_from"].as_string()
    rows = session.exec(
        select(imported_from, TicketEvent.at).where(
            TicketEvent.kind == EventKind.created, imported_from.is_not(None)
        )
    ).all()
    return {(ref, at) for ref, at in rows}


def _ids_by(session: Session, model: type[M], column: Any, names: Iterable[str]) -> dict[str, int]:
    result: dict[str, int] = {}
    pk = model.id  # type: ignore[attr-defined]
    for chunk in in_chunks(sorted(set(names))):
        for row_id, name in session.exec(select(pk, column).where(col(column).in_(chunk))).all():
            result[name] = row_id
    return result


@dataclass(frozen=True, slots=True)
class RatingRecord:
    kind: RatingKind
    score: int
    at: datetime
    contact: str | None
    comment: str


def parse_ratings(raw: dict[str, Any], *, ref: str) -> list[RatingRecord]:
    """A ticket's `ratings` of an import file: CSAT 1-5, NPS 0-10, each with its time."""
    items = raw.get("ratings") or []
    if not isinstance(items, list):
        raise ValidationError(f"ticket {ref}: ratings must be a list")
    found = []
    for number, item in enumerate(items, start=1):
        where = f"ticket {ref}: rating {number}"
        if not isinstance(item, dict):
            raise ValidationError(f"{where}: not an object")
        try:
            kind = RatingKind(str(item.get("kind")))
        except ValueError:
            raise ValidationError(f"{where}: kind must be csat or nps") from None
        score = item.get("score")
        top = 5 if kind == RatingKind.csat else 10
        low = 1 if kind == RatingKind.csat else 0
        if not isinstance(score, int) or isinstance(score, bool) or not low <= score <= top:
            raise ValidationError(f"{where}: a {kind.value} score is {low} to {top}")
        try:
            at = datetime.fromisoformat(str(item.get("at")))
        except ValueError:
            raise ValidationError(f"{where}: at must be an ISO 8601 time") from None
        if at.tzinfo is None:
            raise ValidationError(f"{where}: at needs an offset (e.g. Z or +03:00)")
        contact = item.get("contact")
        comment = item.get("comment") or ""
        found.append(
            RatingRecord(
                kind,
                score,
                at,
                contact if isinstance(contact, str) and contact else None,
                str(comment)[:2000],
            )
        )
    return found


def _insert_ratings(
    session: Session, *, ticket: Ticket, ref: str, ratings: Sequence[RatingRecord]
) -> None:
    """The ticket's ratings as rows: CSAT on the ticket, NPS as the client's answer to a
    question asked after the ticket (so a later export carries it again)."""
    for number, item in enumerate(ratings, start=1):
        contact_id = ticket.contact_id
        if item.contact and ticket.client_id is not None:
            contact_id = (
                session.exec(
                    select(Contact.id).where(
                        Contact.client_id == ticket.client_id, Contact.name == item.contact
                    )
                ).first()
                or contact_id
            )
        if item.kind == RatingKind.csat:
            session.add(
                Rating(
                    ticket_id=ticket.id,
                    client_id=ticket.client_id,
                    contact_id=contact_id,
                    kind=item.kind,
                    score=item.score,
                    comment=item.comment,
                    at=item.at,
                )
            )
            continue
        if ticket.client_id is None:
            continue  # an NPS answer is a client's: nothing to count it for
        rating = Rating(
            client_id=ticket.client_id,
            contact_id=contact_id,
            kind=item.kind,
            score=item.score,
            comment=item.comment,
            at=item.at,
        )
        session.add(rating)
        session.flush()
        if contact_id is not None:
            session.add(
                NpsPulse(
                    contact_id=contact_id,
                    ticket_id=ticket.id,
                    message_id=f"<imported-nps-{ticket.id}-{number}-{iso(item.at)}@dispatcher.local>",
                    asked_at=item.at,
                    rating_id=rating.id,
                )
            )
    session.flush()
