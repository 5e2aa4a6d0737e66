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
ids, user ids) are the source database's. Not exported: attachments, links, escalations,
ratings, merge targets.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, TextIO, TypeVar

from sqlalchemy import func, text
from sqlmodel import Session, SQLModel, col, select

from dispatcher.domain.enums import (
    ACTIVE_STATUSES,
    Channel,
    EventKind,
    MessageKind,
    Priority,
    TicketStatus,
)
from dispatcher.domain.errors import NotFoundError, ValidationError
from dispatcher.store import sla_clock
from dispatcher.store.engine import Store
from dispatcher.store.history import record
from dispatcher.store.models import (
    Category,
    Client,
    Contact,
    ContactPoint,
    Message,
    Queue,
    Ticket,
    TicketEvent,
    User,
)
from dispatcher.store.models._base import utcnow
from dispatcher.store.tickets import MAX_SUBJECT, parse_ref

EXPORT_PAGE = 500
IMPORT_BATCH = 500
_IN_CHUNK = 900  # parameters per IN (...) list

SCALAR_FIELDS = (
    "ref",
    "subject",
    "status",
    "priority",
    "channel",
    "client",
    "contact",
    "category",
    "queue",
    "assignee",
    "created_at",
    "updated_at",
    "resolved_at",
    "closed_at",
    "reopen_count",
)
CSV_REQUIRED = ("ref", "subject", "created_at")
_CLOCK_KINDS = frozenset(sla_clock.CLOCK_EVENTS)

K = TypeVar("K")
M = TypeVar("M", bound=SQLModel)


# --- look-ups by name or id ----------------------------------------------------------------


def find_client(session: Session, *, key: str) -> Client:
    """A client by exact name, or by id when `key` is all digits and no client has that name."""
    return _by_name_or_id(session, Client, Client.name, key, "client")


def find_category(session: Session, *, key: str) -> Category:
    return _by_name_or_id(session, Category, Category.name, key, "category")


def find_queue(session: Session, *, key: str) -> Queue:
    return _by_name_or_id(session, Queue, Queue.name, key, "queue")


def find_user(session: Session, *, login: str) -> User:
    user = session.exec(select(User).where(User.login == login.strip())).one_or_none()
    if user is None:
        raise NotFoundError("user", login)
    return user


def find_contact(session: Session, *, key: str, client_id: int | None = None) -> Contact:
    """A contact by email address, by id, or by name (within the client when one is given)."""
    key = key.strip()
    contact: Contact | None = None
    if "@" in key:
        contact = session.exec(
            select(Contact)
            .join(ContactPoint, col(ContactPoint.contact_id) == col(Contact.id))
            .where(ContactPoint.kind == "email", ContactPoint.value == key.lower())
        ).first()
    else:
        query = select(Contact).where(Contact.name == key)
        if client_id is not None:
            query = query.where(Contact.client_id == client_id)
        matches = session.exec(query.order_by(col(Contact.id)).limit(2)).all()
        if len(matches) > 1 and client_id is None:
            raise ValidationError(f"more than one contact is called {key!r}: give the client")
        contact = matches[0] if matches else None
        if contact is None and key.isdigit():
            contact = session.get(Contact, int(key))
    if contact is None:
        raise NotFoundError("contact", repr(key))
    if client_id is not None and contact.client_id != client_id:
        raise ValidationError(f"contact {key!r} does not belong to client {client_id}")
    return contact


def _by_name_or_id(session: Session, model: type[M], column: Any, key: str, what: str) -> M:
    key = key.strip()
    row = session.exec(select(model).where(column == key)).one_or_none()
    if row is None and key.isdigit():
        row = session.get(model, int(key))
    if row is None:
        raise NotFoundError(what, repr(key))
    return row


# --- export --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExportFilter:
    statuses: tuple[TicketStatus, ...] = ()
    since: datetime | None = None  # created at or after
    client_id: int | None = None


def _filtered(query: Any, filters: ExportFilter) -> Any:
    if filters.statuses:
        query = query.where(col(Ticket.status).in_([s.value for s in filters.statuses]))
    if filters.since is not None:
        query = query.where(col(Ticket.created_at) >= filters.since)
    if filters.client_id is not None:
        query = query.where(Ticket.client_id == filters.client_id)
    return query


def count_tickets(session: Session, *, filters: ExportFilter = ExportFilter()) -> int:
    query = _filtered(select(func.count()).select_from(Ticket), filters)
    return int(session.exec(query).one())


def export_page(
    session: Session,
    *,
    filters: ExportFilter = ExportFilter(),
    after_id: int = 0,
    limit: int = EXPORT_PAGE,
    with_history: bool = True,
) -> list[dict[str, Any]]:
    """The next page of tickets (ids above `after_id`) as plain dicts, in id order."""
    query = select(Ticket).where(col(Ticket.id) > after_id).order_by(col(Ticket.id)).limit(limit)
    tickets: list[Ticket] = list(session.exec(_filtered(query, filters)).all())
    return _as_dicts(session, tickets, with_history=with_history)


def list_tickets(
    session: Session, *, filters: ExportFilter = ExportFilter(), limit: int = 50
) -> list[dict[str, Any]]:
    """The newest matching tickets, newest first, as plain dicts without messages."""
    query = select(Ticket).order_by(col(Ticket.created_at).desc(), col(Ticket.id).desc())
    tickets: list[Ticket] = list(session.exec(_filtered(query, filters).limit(limit)).all())
    return _as_dicts(session, tickets, with_history=False)


def ticket_dict(session: Session, *, ticket_id: int) -> dict[str, Any]:
    """One ticket with its messages and history, as in an export, plus its SLA times."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFoundError("ticket", f"#{ticket_id}")
    item = _as_dicts(session, [ticket], with_history=True)[0]
    item["first_response_due"] = _iso(ticket.first_response_due)
    item["first_responded_at"] = _iso(ticket.first_responded_at)
    item["resolution_due"] = _iso(ticket.resolution_due)
    return item


def _as_dicts(
    session: Session, tickets: Sequence[Ticket], *, with_history: bool
) -> list[dict[str, Any]]:
    if not tickets:
        return []
    ids = [t.id or 0 for t in tickets]
    clients = _names(session, Client, Client.name, {t.client_id for t in tickets})
    contacts = _names(session, Contact, Contact.name, {t.contact_id for t in tickets})
    categories = _names(session, Category, Category.name, {t.category_id for t in tickets})
    queues = _names(session, Queue, Queue.name, {t.queue_id for t in tickets})
    user_ids: set[int | None] = {t.assignee_id for t in tickets}
    messages: dict[int, list[Message]] = {}
    events: dict[int, list[TicketEvent]] = {}
    if with_history:
        for chunk in _chunks(ids):
            for message in session.exec(
                select(Message)
                .where(col(Message.ticket_id).in_(chunk))
                .order_by(col(Message.ticket_id), col(Message.created_at), col(Message.id))
            ).all():
                messages.setdefault(message.ticket_id, []).append(message)
                user_ids.add(message.author_id)
            for event in session.exec(
                select(TicketEvent)
                .where(col(TicketEvent.ticket_id).in_(chunk))
                .order_by(col(TicketEvent.ticket_id), col(TicketEvent.id))
            ).all():
                events.setdefault(event.ticket_id, []).append(event)
                user_ids.add(event.actor_id)
    logins = _names(session, User, User.login, user_ids)
    page = []
    for ticket in tickets:
        item: dict[str, Any] = {
            "ref": ticket.ref,
            "subject": ticket.subject,
            "status": ticket.status.value,
            "priority": ticket.priority.value,
            "channel": ticket.channel.value,
            "client": clients.get(ticket.client_id),
            "contact": contacts.get(ticket.contact_id),
            "category": categories.get(ticket.category_id),
            "queue": queues.get(ticket.queue_id),
            "assignee": logins.get(ticket.assignee_id),
            "created_at": _iso(ticket.created_at),
            "updated_at": _iso(ticket.updated_at),
            "resolved_at": _iso(ticket.resolved_at),
            "closed_at": _iso(ticket.closed_at),
            "reopen_count": ticket.reopen_count,
        }
        if with_history:
            item["messages"] = [
                {
                    "message_id": m.message_id,
                    "kind": m.kind.value,
                    "channel": m.channel.value,
                    "author": logins.get(m.author_id),
                    "from": m.from_address,
                    "to": m.to_addresses,
                    "cc": m.cc_addresses,
                    "subject": m.subject,
                    "body": m.body,
                    "created_at": _iso(m.created_at),
                    "in_reply_to": m.in_reply_to,
                    "references": m.references,
                }
                for m in messages.get(ticket.id or 0, [])
            ]
            item["events"] = [
                {
                    "kind": e.kind.value,
                    "at": _iso(e.at),
                    "actor": logins.get(e.actor_id),
                    "data": e.data,
                    "reason": e.reason,
                }
                for e in events.get(ticket.id or 0, [])
            ]
        page.append(item)
    return page


def iter_export(
    store: Store,
    *,
    filters: ExportFilter = ExportFilter(),
    page_size: int = EXPORT_PAGE,
    with_history: bool = True,
) -> Iterator[dict[str, Any]]:
    """Every matching ticket, page by page, one short read session per page."""
    after = 0
    while True:
        with store.read() as session:
            page = export_page(
                session,
                filters=filters,
                after_id=after,
                limit=page_size,
                with_history=with_history,
            )
        if not page:
            return
        yield from page
        after = parse_ref(page[-1]["ref"])
        if len(page) < page_size:
            return


def write_json(records: Iterable[dict[str, Any]], out: TextIO) -> int:
    """A JSON array, one ticket per line (so it streams both ways); returns the count."""
    count = 0
    out.write("[")
    for item in records:
        out.write(",\n" if count else "\n")
        out.write(json.dumps(item, ensure_ascii=False, separators=(",", ":")))
        count += 1
    out.write("\n]\n")
    return count


def write_csv(records: Iterable[dict[str, Any]], out: TextIO) -> int:
    """One row per ticket with the scalar fields; empty cells for nulls."""
    writer = csv.DictWriter(
        out, fieldnames=SCALAR_FIELDS, extrasaction="ignore", lineterminator="\n"
    )
    writer.writeheader()
    count = 0
    for item in records:
        writer.writerow({k: "" if item.get(k) is None else item[k] for k in SCALAR_FIELDS})
        count += 1
    return count


# --- reading files -------------------------------------------------------------------------


def read_json(stream: TextIO, *, chunk_size: int = 1 << 16) -> Iterator[dict[str, Any]]:
    """The objects of a top-level JSON array, parsed one at a time as the file is read."""
    decoder = json.JSONDecoder()
    buf = ""
    pos = 0
    line_base = 1  # the line number where `buf` starts
    eof = False

    def fill(at_least: int) -> bool:
        nonlocal buf, pos, line_base, eof
        if eof:
            return False
        line_base += buf.count("\n", 0, pos)
        buf = buf[pos:]
        pos = 0
        data = stream.read(max(chunk_size, at_least))
        if not data:
            eof = True
            return False
        buf += data
        return True

    def skip_space() -> str:
        nonlocal pos
        while True:
            while pos < len(buf) and buf[pos] in " \t\r\n":
                pos += 1
            if pos < len(buf):
                return buf[pos]
            if not fill(0):
                return ""

    def where() -> str:
        line = line_base + buf.count("\n", 0, pos)
        return f"line {line}"

    if skip_space() != "[":
        raise ValidationError(f"malformed JSON: expected a list of tickets '[' at {where()}")
    pos += 1
    if skip_space() == "]":
        pos += 1
    else:
        number = 0
        while True:
            skip_space()
            try:
                item, end = decoder.raw_decode(buf, pos)
            except json.JSONDecodeError as exc:
                if fill(len(buf)):
                    continue
                line = line_base + exc.lineno - 1
                raise ValidationError(
                    f"malformed JSON at line {line} column {exc.colno}: {exc.msg}"
                ) from None
            number += 1
            if not isinstance(item, dict):
                raise ValidationError(
                    f"malformed JSON: item {number} of the list is not an object ({where()})"
                )
            pos = end
            yield item
            following = skip_space()
            if following == ",":
                pos += 1
                continue
            if following == "]":
                pos += 1
                break
            raise ValidationError(f"malformed JSON: expected ',' or ']' at {where()}")
    if skip_space() != "":
        raise ValidationError(f"malformed JSON: unexpected data after the list at {where()}")


def read_csv(stream: TextIO) -> Iterator[dict[str, Any]]:
    """Rows as dicts of the scalar columns; empty cells are null."""
    reader = csv.DictReader(stream)
    header = reader.fieldnames
    if not header:
        raise ValidationError("the CSV file is empty (no header row)")
    missing = [name for name in CSV_REQUIRED if name not in header]
    if missing:
        raise ValidationError(
            f"the CSV file lacks the column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)} (it has: {', '.join(header)})"
        )
    for row in reader:
        if None in row:
            raise ValidationError(
                f"CSV line {reader.line_num}: more cells than the header has columns"
            )
        yield {k: (v if v != "" else None) for k, v in row.items() if k in SCALAR_FIELDS}


# --- validated records ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MessageRecord:
    message_id: str
    kind: MessageKind
    channel: Channel
    author: str | None
    from_address: str
    to_addresses: str
    cc_addresses: str
    subject: str
    body: str
    created_at: datetime
    in_reply_to: str | None
    references: str


@dataclass(frozen=True, slots=True)
class EventRecord:
    kind: EventKind
    at: datetime
    actor: str | None
    data: dict[str, Any]
    reason: str


@dataclass(frozen=True, slots=True)
class TicketRecord:
    ref: str
    number: int
    subject: str
    status: TicketStatus
    priority: Priority
    channel: Channel
    client: str | None
    contact: str | None
    category: str | None
    queue: str | None
    assignee: str | None
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    reopen_count: int
    messages: tuple[MessageRecord, ...] = ()
    events: tuple[EventRecord, ...] = ()


def parse_record(raw: dict[str, Any], *, position: int) -> TicketRecord:
    """Validate one ticket of an import file; errors name the ticket (or its position)."""
    raw_ref = raw.get("ref")
    label = f"ticket {raw_ref}" if isinstance(raw_ref, str) and raw_ref else f"ticket {position}"

    def bad(message: str) -> ValidationError:
        return ValidationError(f"{label}: {message}")

    if not isinstance(raw_ref, str) or not raw_ref.strip():
        raise bad("no ref (the ticket's original reference, like #1042)")
    try:
        number = parse_ref(raw_ref)
    except ValidationError:
        raise bad(f"not a ticket reference: {raw_ref!r}") from None
    ref = f"#{number}"

    subject = raw.get("subject")
    if not isinstance(subject, str) or not subject.strip():
        raise bad("no subject")
    if len(subject) > MAX_SUBJECT:
        raise bad(f"the subject is longer than {MAX_SUBJECT} characters")

    created_at = _when(raw.get("created_at"), "created_at", bad, required=True)
    assert created_at is not None
    updated_at = _when(raw.get("updated_at"), "updated_at", bad) or created_at
    reopen_count = raw.get("reopen_count") or 0
    if isinstance(reopen_count, str) and reopen_count.isdigit():
        reopen_count = int(reopen_count)
    if not isinstance(reopen_count, int) or isinstance(reopen_count, bool) or reopen_count < 0:
        raise bad(f"reopen_count must be a whole number, not {reopen_count!r}")

    raw_messages = raw.get("messages") or []
    raw_events = raw.get("events") or []
    if not isinstance(raw_messages, list) or not isinstance(raw_events, list):
        raise bad("messages and events must be lists")
    messages = tuple(
        _message(m, i, ref=ref, ticket_created=created_at, bad=bad)
        for i, m in enumerate(raw_messages, start=1)
    )
    events = tuple(_event(e, i, bad=bad) for i, e in enumerate(raw_events, start=1))

    return TicketRecord(
        ref=ref,
        number=number,
        subject=subject,
        status=_choice(TicketStatus, raw.get("status"), "status", TicketStatus.new, bad),
        priority=_choice(Priority, raw.get("priority"), "priority", Priority.normal, bad),
        channel=_choice(Channel, raw.get("channel"), "channel", Channel.email, bad),
        client=_name(raw.get("client"), "client", bad),
        contact=_name(raw.get("contact"), "contact", bad),
        category=_name(raw.get("category"), "category", bad),
        queue=_name(raw.get("queue"), "queue", bad),
        assignee=_name(raw.get("assignee"), "assignee", bad),
        created_at=created_at,
        updated_at=updated_at,
        resolved_at=_when(raw.get("resolved_at"), "resolved_at", bad),
        closed_at=_when(raw.get("closed_at"), "closed_at", bad),
        reopen_count=reopen_count,
        messages=messages,
        events=events,
    )


def _message(
    raw: Any,
    index: int,
    *,
    ref: str,
    ticket_created: datetime,
    bad: Callable[[str], ValidationError],
) -> MessageRecord:
    if not isinstance(raw, dict):
        raise bad(f"message {index} is not an object")

    def text_of(key: str, *, max_length: int | None = None) -> str:
        value = raw.get(key)
        if value is None:
            return ""
        if not isinstance(value, str):
            raise bad(f"message {index}: {key} must be text")
        if max_length is not None and len(value) > max_length:
            raise bad(f"message {index}: {key} is longer than {max_length} characters")
        return value

    created_at = _when(raw.get("created_at"), f"message {index} created_at", bad) or ticket_created
    body = text_of("body")
    message_id = text_of("message_id", max_length=998).strip()
    if not message_id:
        digest = hashlib.sha256(
            f"{ref}\0{_iso(ticket_created)}\0{index}\0{_iso(created_at)}\0{body}".encode()
        ).hexdigest()[:32]
        message_id = f"<import-{digest}@dispatcher.local>"
    in_reply_to = text_of("in_reply_to", max_length=998) or None
    return MessageRecord(
        message_id=message_id,
        kind=_choice(
            MessageKind, raw.get("kind"), f"message {index} kind", MessageKind.inbound, bad
        ),
        channel=_choice(
            Channel, raw.get("channel"), f"message {index} channel", Channel.email, bad
        ),
        author=_name(raw.get("author"), f"message {index} author", bad),
        from_address=text_of("from", max_length=320),
        to_addresses=text_of("to"),
        cc_addresses=text_of("cc"),
        subject=text_of("subject", max_length=MAX_SUBJECT),
        body=body,
        created_at=created_at,
        in_reply_to=in_reply_to,
        references=text_of("references"),
    )


def _event(raw: Any, index: int, *, bad: Callable[[str], ValidationError]) -> EventRecord:
    if not isinstance(raw, dict):
        raise bad(f"event {index} is not an object")
    kind = _choice(EventKind, raw.get("kind"), f"event {index} kind", None, bad)
    at = _when(raw.get("at"), f"event {index} at", bad, required=True)
    assert at is not None
    data = raw.get("data") or {}
    if not isinstance(data, dict):
        raise bad(f"event {index}: data must be an object")
    reason = raw.get("reason") or ""
    if not isinstance(reason, str):
        raise bad(f"event {index}: reason must be text")
    return EventRecord(
        kind=kind,
        at=at,
        actor=_name(raw.get("actor"), f"event {index} actor", bad),
        data=data,
        reason=reason,
    )


def _when(
    value: Any, what: str, bad: Callable[[str], ValidationError], *, required: bool = False
) -> datetime | None:
    if value is None or value == "":
        if required:
            raise bad(f"no {what}")
        return None
    if not isinstance(value, str):
        raise bad(f"{what} must be an ISO 8601 time, not {value!r}")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise bad(f"{what} is not an ISO 8601 time: {value!r}") from None
    if parsed.tzinfo is None:
        raise bad(f"{what} needs a UTC offset (like +00:00): {value!r}")
    return parsed.astimezone(UTC)


def _choice(
    enum: Any, value: Any, what: str, default: Any, bad: Callable[[str], ValidationError]
) -> Any:
    if value is None or value == "":
        if default is None:
            raise bad(f"no {what}")
        return default
    try:
        return enum(str(value).strip().lower())
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise bad(f"{what} must be one of {allowed}, not {value!r}") from None


def _name(value: Any, what: str, bad: Callable[[str], ValidationError]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise bad(f"{what} must be a name, not {value!r}")
    return value.strip() or None


# --- import --------------------------------------------------------------------------------


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
    for chunk in _chunks(sorted(wanted.categories)):
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
        client = Client(name=name)
        session.add(client)
        session.flush()
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
        contact = Contact(client_id=client_id, name=name)
        session.add(contact)
        session.flush()
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
            )
        done += len(batch)
        batch.clear()
        if on_progress is not None:
            on_progress(done, report.total)

    for position, raw in enumerate(source(), start=1):
        batch.append(parse_record(raw, position=position))
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
) -> None:
    """Write one batch of tickets, skipping duplicates; `imported_keys` is kept up to date."""
    message_ids = [m.message_id for r in records for m in r.messages]
    known_messages: set[str] = set()
    for chunk in _chunks(message_ids):
        known_messages.update(
            session.exec(select(Message.message_id).where(col(Message.message_id).in_(chunk))).all()
        )
    numbers = sorted({r.number for r in records})
    taken: dict[int, tuple[datetime, str]] = {}
    for id_chunk in _chunks(numbers):
        for ticket_id, created_at, subject in session.exec(
            select(Ticket.id, Ticket.created_at, Ticket.subject).where(col(Ticket.id).in_(id_chunk))
        ).all():
            taken[ticket_id or 0] = (created_at, subject)

    for item in records:
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
            "imported_at": _iso(now),
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
        if event.kind == EventKind.created or (active and event.kind in _CLOCK_KINDS):
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


# --- helpers -------------------------------------------------------------------------------


def _chunks(values: Sequence[K] | set[K]) -> Iterator[list[K]]:
    items = list(values)
    for start in range(0, len(items), _IN_CHUNK):
        yield items[start : start + _IN_CHUNK]


def _names(session: Session, model: type[M], column: Any, ids: set[int | None]) -> dict[Any, str]:
    wanted = [i for i in ids if i is not None]
    result: dict[Any, str] = {}
    pk = model.id  # type: ignore[attr-defined]
    for chunk in _chunks(wanted):
        for row_id, name in session.exec(select(pk, column).where(col(pk).in_(chunk))).all():
            result[row_id] = name
    return result


def _ids_by(session: Session, model: type[M], column: Any, names: Iterable[str]) -> dict[str, int]:
    result: dict[str, int] = {}
    pk = model.id  # type: ignore[attr-defined]
    for chunk in _chunks(sorted(set(names))):
        for row_id, name in session.exec(select(pk, column).where(col(column).in_(chunk))).all():
            result[name] = row_id
    return result


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None
