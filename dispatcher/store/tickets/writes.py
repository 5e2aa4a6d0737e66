"""Ticket repository: every write the console and the CLI make to a ticket.

Each write takes the `expected_version` the caller read, refuses a stale one with a
`StaleVersionError` that says what changed meanwhile, bumps the version and appends its
event to the history in the same transaction. Call them inside `Store.write()`.
`expected_version=None` is for the system's own writers (the SLA sweep, intake), which
act on the ticket as it is now rather than on a copy a person read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from dispatcher.domain.clock import utcnow
from dispatcher.domain.enums import (
    ACTIVE_STATUSES,
    Channel,
    EventKind,
    MessageKind,
    Priority,
    TicketStatus,
    can_transition,
)
from dispatcher.domain.errors import (
    ConflictError,
    NotFoundError,
    StaleVersionError,
    ValidationError,
)
from dispatcher.store.db.engine import READ_ENGINE, WHILE_WAITING
from dispatcher.store.lookup import id_or_none
from dispatcher.store.mail import notifications
from dispatcher.store.mail.outbox import new_message_id
from dispatcher.store.models import (
    Category,
    Client,
    Contact,
    Contract,
    Equipment,
    Message,
    Queue,
    Ticket,
    User,
    table_of,
)
from dispatcher.store.reports.facts import refresh_facts
from dispatcher.store.sla import clock as sla_clock
from dispatcher.store.tickets.history import changes_since, record

MAX_SUBJECT = 500


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


def get_ticket(session: Session, *, ticket_id: int) -> Ticket:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFoundError("ticket", f"#{ticket_id}")
    return ticket


def parse_ref(ref: str) -> int:
    """`#1042`, `1042` or `[#1042]` → 1042; anything else, or a number no ticket can have,
    is a ValidationError."""
    cleaned = ref.strip().strip("[]").lstrip("#")
    number = id_or_none(cleaned)
    if number is None:
        raise ValidationError(f"not a ticket reference: {ref!r} (expected something like #1042)")
    return number


def require_active(session: Session, *, actor_id: int | None) -> None:
    """A person's change to a ticket needs the person still active: the open console of an
    account deactivated meanwhile can no longer write. System writers (`None`) pass."""
    if actor_id is None:
        return
    # A plain read of the two columns (no ORM object): it runs under the write lock.
    user = session.connection().execute(_ACTIVE_OF, {"id": actor_id}).first()
    if user is not None and not user.active:
        raise ConflictError(
            f"your account was deactivated: {user.login} can no longer change tickets"
        )


_USER = table_of(User)
_ACTIVE_OF = sa_select(_USER.c.login, _USER.c.active).where(_USER.c.id == bindparam("id"))


def lock_for_write(session: Session, *, ticket_id: int, expected_version: int | None) -> Ticket:
    """Load a ticket for change, refusing if it moved past `expected_version`.

    On PostgreSQL the row is locked (`FOR UPDATE`); on SQLite the write transaction already
    holds the database's write lock (`BEGIN IMMEDIATE`), so nobody changes it under us.
    `expected_version=None` is for system writers that append without a prior read (intake).

    When this is the write's first statement, a plain read comes first: a version that is
    already stale is refused at once, without waiting for the write lock (or, on PostgreSQL,
    the row lock) someone else holds. While it waits for SQLite's write lock, the version is
    read again between the waits (`WHILE_WAITING`): a ticket changed meanwhile is refused
    then, not once the lock is won. Under the lock the version is checked once more; a
    write refused there ends its transaction (the lock goes to the next writer) before it
    reads what changed for the message.
    """
    check = _version_check(session, ticket_id=ticket_id, expected_version=expected_version)
    if check is not None and session.get_bind().dialect.name != "sqlite":
        check(None)  # PostgreSQL: on a connection of its own, before the row lock
    waiting = WHILE_WAITING.set(check)  # SQLite: the store runs it, before its lock and while
    try:
        ticket = session.exec(_FOR_WRITE, params={"id": ticket_id}).one_or_none()
    finally:
        WHILE_WAITING.reset(waiting)
    if ticket is None:
        raise NotFoundError("ticket", f"#{ticket_id}")
    if expected_version is not None and ticket.version != expected_version:
        engine = session.info.get(READ_ENGINE)
        if engine is None:
            raise _stale(session, ticket=ticket, expected_version=expected_version)
        session.rollback()  # the write is refused whatever comes next: free the lock now
        with Session(engine) as peek:
            current = peek.get(Ticket, ticket_id)
            if current is None:
                raise NotFoundError("ticket", f"#{ticket_id}")
            raise _stale(peek, ticket=current, expected_version=expected_version)
    return ticket


def _version_check(
    session: Session, *, ticket_id: int, expected_version: int | None
) -> Callable[[Connection | None], None] | None:
    """A plain read of the version, refusing a stale one; None when there is nothing to check
    or the write transaction has begun already (then the check under the lock does it all).

    It reads on the connection it is given (on SQLite the write's own, before `BEGIN
    IMMEDIATE`: no other connection, and its cache is warm for the write), or on one of its
    own from the store's read engine. Only a stale version costs more: the message says what
    changed, read in a session of its own.
    """
    engine = session.info.get(READ_ENGINE)
    if expected_version is None or engine is None or session.in_transaction():
        return None

    def check(conn: Connection | None) -> None:
        if conn is not None:
            version = conn.execute(_VERSION_OF, {"id": ticket_id}).scalar()
        else:
            with engine.connect() as own:
                version = own.execute(_VERSION_OF, {"id": ticket_id}).scalar()
        if version is not None and version != expected_version:
            with Session(engine) as peek:
                ticket = peek.get(Ticket, ticket_id)
                if ticket is not None and ticket.version != expected_version:
                    raise _stale(peek, ticket=ticket, expected_version=expected_version)

    return check


# Built once: it runs under the write lock. populate_existing: the row as the database has
# it now, even if this session holds an older copy of the ticket.
_FOR_WRITE = (
    select(Ticket)
    .where(Ticket.id == bindparam("id"))
    .with_for_update()
    .execution_options(populate_existing=True)
)
_VERSION_OF = sa_select(table_of(Ticket).c.version).where(table_of(Ticket).c.id == bindparam("id"))


def _stale(session: Session, *, ticket: Ticket, expected_version: int) -> StaleVersionError:
    assert ticket.id is not None
    return StaleVersionError(
        ticket.ref,
        expected_version,
        ticket.version,
        changes_since(session, ticket_id=ticket.id, version=expected_version),
    )


@dataclass(frozen=True, slots=True)
class NewTicket:
    subject: str
    body: str = ""
    client_id: int | None = None
    contact_id: int | None = None
    priority: Priority = Priority.normal
    channel: Channel = Channel.phone
    queue_id: int | None = None
    category_id: int | None = None
    equipment_id: int | None = None
    from_address: str = ""
    message_id: str | None = None  # the inbound mail's Message-ID, when there is one
    in_reply_to: str | None = None
    references: str = ""


def create_ticket(
    session: Session, *, data: NewTicket, actor_id: int | None, now: datetime | None = None
) -> Ticket:
    """Register a request: the ticket, its first message, its SLA clock and its history."""
    now = now or utcnow()
    require_active(session, actor_id=actor_id)
    subject = " ".join(data.subject.split())
    if not subject:
        raise ValidationError("a ticket needs a subject")
    if len(subject) > MAX_SUBJECT:
        subject = subject[: MAX_SUBJECT - 1] + "…"
    _check_refs(
        session,
        client_id=data.client_id,
        contact_id=data.contact_id,
        queue_id=data.queue_id,
        category_id=data.category_id,
        equipment_id=data.equipment_id,
    )
    queue_id = data.queue_id
    if queue_id is None and data.category_id is not None:
        category = session.get(Category, data.category_id)
        queue_id = category.queue_id if category else None
    client_id = data.client_id
    if client_id is None and data.contact_id is not None:
        contact = session.get(Contact, data.contact_id)
        client_id = contact.client_id if contact else None
    contract = sla_clock.contract_for(session, client_id=client_id, on=now)
    ticket = Ticket(
        subject=subject,
        status=TicketStatus.new,
        priority=data.priority,
        channel=data.channel,
        queue_id=queue_id,
        category_id=data.category_id,
        client_id=client_id,
        contact_id=data.contact_id,
        contract_id=contract.id if contract else None,
        equipment_id=data.equipment_id,
        created_by_id=actor_id,
        created_at=now,
        updated_at=now,
    )
    session.add(ticket)
    session.flush()
    record(
        session,
        ticket=ticket,
        kind=EventKind.created,
        actor_id=actor_id,
        now=now,
        data={"channel": data.channel.value, "subject": subject, "priority": data.priority.value},
        bump=False,
    )
    if data.body or data.message_id:
        session.add(
            Message(
                ticket_id=ticket.id or 0,
                kind=MessageKind.inbound,
                channel=data.channel,
                author_id=actor_id if data.channel != Channel.email else None,
                contact_id=data.contact_id,
                from_address=data.from_address,
                subject=subject,
                body=data.body,
                created_at=now,
                message_id=data.message_id or new_message_id(),
                in_reply_to=data.in_reply_to,
                references=data.references,
            )
        )
    sla_clock.start(session, ticket=ticket, actor_id=actor_id, now=now)
    notifications.on_created(session, ticket=ticket, now=now)
    session.flush()
    refresh_facts(session, ticket)
    return ticket


def classify(
    session: Session,
    *,
    ticket_id: int,
    expected_version: int | None,
    actor_id: int | None,
    category_id: int | None = UNSET,
    priority: Priority = UNSET,
    client_id: int | None = UNSET,
    contact_id: int | None = UNSET,
    contract_id: int | None = UNSET,
    equipment_id: int | None = UNSET,
    queue_id: int | None = UNSET,
    subject: str = UNSET,
    reason: str = "",
    replan_sla: bool = True,
    now: datetime | None = None,
) -> Ticket:
    """Set what the ticket is about. Only the fields given change; each is in the event.

    A new priority, client or contract replans the SLA clock, unless `replan_sla` is off:
    the breach escalation raises the priority for attention but keeps the deadlines the
    contract set (replanning would shorten them and breach the other target at once).
    """
    now = now or utcnow()
    ticket = lock_for_write(session, ticket_id=ticket_id, expected_version=expected_version)
    require_active(session, actor_id=actor_id)  # after the lock: its stale check comes first
    wanted: dict[str, Any] = {
        "category_id": category_id,
        "priority": priority,
        "client_id": client_id,
        "contact_id": contact_id,
        "contract_id": contract_id,
        "equipment_id": equipment_id,
        "queue_id": queue_id,
        "subject": subject,
    }
    wanted = {k: v for k, v in wanted.items() if v is not UNSET}
    if "priority" in wanted:
        wanted["priority"] = Priority(wanted["priority"])
    if "subject" in wanted:
        wanted["subject"] = " ".join(str(wanted["subject"]).split())[:MAX_SUBJECT]
        if not wanted["subject"]:
            raise ValidationError("a ticket needs a subject")
    if wanted.get("contact_id") is not None and "client_id" not in wanted and not ticket.client_id:
        caller = session.get(Contact, wanted["contact_id"])
        if caller is not None:  # the caller names the client
            wanted["client_id"] = caller.client_id
    _check_refs(
        session,
        client_id=wanted.get("client_id", ticket.client_id if "contact_id" in wanted else None),
        contact_id=wanted.get("contact_id"),
        queue_id=wanted.get("queue_id"),
        category_id=wanted.get("category_id"),
        equipment_id=wanted.get("equipment_id"),
        contract_id=wanted.get("contract_id"),
    )
    if "category_id" in wanted and "queue_id" not in wanted and wanted["category_id"]:
        category = session.get(Category, wanted["category_id"])
        if category is not None and category.queue_id is not None:
            wanted["queue_id"] = category.queue_id
    if "client_id" in wanted and "contract_id" not in wanted:
        contract = sla_clock.contract_for(session, client_id=wanted["client_id"], on=now)
        wanted["contract_id"] = contract.id if contract else None
    changes = {
        k: [_plain(getattr(ticket, k)), _plain(v)]
        for k, v in wanted.items()
        if getattr(ticket, k) != v
    }
    if not changes:
        return ticket
    for key, value in wanted.items():
        setattr(ticket, key, value)
    if ticket.status == TicketStatus.new:
        ticket.status = TicketStatus.open
        changes["status"] = [TicketStatus.new.value, TicketStatus.open.value]
    record(
        session,
        ticket=ticket,
        kind=EventKind.classified,
        actor_id=actor_id,
        now=now,
        data={"changes": changes},
        reason=reason,
    )
    if replan_sla and {"priority", "contract_id", "client_id"} & changes.keys():
        sla_clock.replan(session, ticket=ticket, actor_id=actor_id, now=now)
    session.flush()
    refresh_facts(session, ticket)
    return ticket


def assign(
    session: Session,
    *,
    ticket_id: int,
    expected_version: int | None,
    actor_id: int | None,
    assignee_id: int | None,
    suggested_id: int | None = None,
    reason: str = "",
    now: datetime | None = None,
) -> Ticket:
    """Give the ticket to an engineer (or take it back with `assignee_id=None`).

    The event keeps who was suggested and why, so an override is visible in the history.
    """
    now = now or utcnow()
    ticket = lock_for_write(session, ticket_id=ticket_id, expected_version=expected_version)
    require_active(session, actor_id=actor_id)  # after the lock: its stale check comes first
    if ticket.status not in ACTIVE_STATUSES:
        raise ConflictError(f"{ticket.ref} is {ticket.status}; reopen it before assigning")
    assignee = None
    if assignee_id is not None:
        assignee = session.get(User, assignee_id)
        if assignee is None:
            raise NotFoundError("user", assignee_id)
        if not assignee.active:
            raise ConflictError(f"{assignee.login} is not an active user")
    if ticket.assignee_id == assignee_id:
        return ticket
    previous = (
        session.connection().execute(_ACTIVE_OF, {"id": ticket.assignee_id}).first()
        if ticket.assignee_id
        else None
    )
    old_status = ticket.status
    ticket.assignee_id = assignee_id
    if assignee_id is not None and ticket.status in (TicketStatus.new, TicketStatus.open):
        ticket.status = TicketStatus.assigned
    elif assignee_id is None and ticket.status in (TicketStatus.assigned, TicketStatus.in_progress):
        ticket.status = TicketStatus.open
    data: dict[str, Any] = {
        "assignee_id": assignee_id,
        "assignee": assignee.login if assignee else None,
        "previous": previous.login if previous else None,
    }
    if suggested_id is not None:
        data["suggested_id"] = suggested_id
        data["override"] = suggested_id != assignee_id
    if ticket.status != old_status:
        data["status"] = [old_status.value, ticket.status.value]
    record(
        session,
        ticket=ticket,
        kind=EventKind.assigned,
        actor_id=actor_id,
        now=now,
        data=data,
        reason=reason,
    )
    notifications.on_assigned(session, ticket=ticket, actor_id=actor_id, now=now)
    session.flush()
    refresh_facts(session, ticket)
    return ticket


def change_status(
    session: Session,
    *,
    ticket_id: int,
    expected_version: int | None,
    actor_id: int | None,
    status: TicketStatus,
    reason: str = "",
    now: datetime | None = None,
) -> Ticket:
    now = now or utcnow()
    status = TicketStatus(status)
    ticket = lock_for_write(session, ticket_id=ticket_id, expected_version=expected_version)
    require_active(session, actor_id=actor_id)  # after the lock: its stale check comes first
    old = ticket.status
    if old == status:
        return ticket
    if not can_transition(old, status):
        raise ConflictError(f"{ticket.ref} cannot go from {old} to {status}")
    if status == TicketStatus.merged:
        raise ConflictError("use merge to merge a ticket")
    reopening = old in (TicketStatus.resolved, TicketStatus.closed) and status in ACTIVE_STATUSES
    ticket.status = status
    if status == TicketStatus.resolved:
        ticket.resolved_at = now
    elif status == TicketStatus.closed:
        ticket.closed_at = now
    if reopening:
        ticket.reopen_count += 1
        ticket.resolved_at = None
        ticket.closed_at = None
    record(
        session,
        ticket=ticket,
        kind=EventKind.reopened if reopening else EventKind.status_changed,
        actor_id=actor_id,
        now=now,
        data={"from": old.value, "to": status.value},
        reason=reason,
    )
    sla_clock.on_status_change(session, ticket=ticket, old=old, actor_id=actor_id, now=now)
    notifications.on_status_changed(session, ticket=ticket, old=old, actor_id=actor_id, now=now)
    session.flush()
    refresh_facts(session, ticket)
    return ticket


def add_message(
    session: Session,
    *,
    ticket_id: int,
    kind: MessageKind,
    body: str,
    actor_id: int | None,
    expected_version: int | None = None,
    channel: Channel = Channel.email,
    contact_id: int | None = None,
    from_address: str = "",
    to_addresses: str = "",
    cc_addresses: str = "",
    subject: str = "",
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: str = "",
    is_auto_reply: bool = False,
    is_bounce: bool = False,
    now: datetime | None = None,
) -> Message:
    """Add an inbound message, a public reply or an internal note.

    A public reply, or a logged call, meets the first-response target; a note never does.
    """
    now = now or utcnow()
    kind = MessageKind(kind)
    if not body.strip() and kind != MessageKind.inbound:
        raise ValidationError(f"an empty {kind} cannot be saved")
    ticket = lock_for_write(session, ticket_id=ticket_id, expected_version=expected_version)
    require_active(session, actor_id=actor_id)  # after the lock: its stale check comes first
    message = Message(
        ticket_id=ticket_id,
        kind=kind,
        channel=channel,
        author_id=actor_id if kind != MessageKind.inbound else None,
        contact_id=contact_id,
        from_address=from_address,
        to_addresses=to_addresses,
        cc_addresses=cc_addresses,
        subject=subject or ticket.subject,
        body=body,
        created_at=now,
        message_id=message_id or new_message_id(),
        in_reply_to=in_reply_to,
        references=references,
        is_auto_reply=is_auto_reply,
        is_bounce=is_bounce,
    )
    session.add(message)
    session.flush()
    record(
        session,
        ticket=ticket,
        kind=EventKind.message_added,
        actor_id=actor_id if kind != MessageKind.inbound else None,
        now=now,
        data={"kind": kind.value, "message": message.id},
    )
    if kind in (MessageKind.reply, MessageKind.call):
        sla_clock.on_public_reply(session, ticket=ticket, actor_id=actor_id, now=now)
    session.flush()
    refresh_facts(session, ticket)
    return message


def messages(session: Session, *, ticket_id: int) -> list[Message]:
    return list(
        session.exec(
            select(Message)
            .where(Message.ticket_id == ticket_id)
            .order_by(col(Message.created_at), col(Message.id))
        ).all()
    )


def _plain(value: Any) -> Any:
    return value.value if hasattr(value, "value") else value


def _check_refs(
    session: Session,
    *,
    client_id: int | None = None,
    contact_id: int | None = None,
    queue_id: int | None = None,
    category_id: int | None = None,
    equipment_id: int | None = None,
    contract_id: int | None = None,
) -> None:
    for model, key, what in (
        (Client, client_id, "client"),
        (Contact, contact_id, "contact"),
        (Queue, queue_id, "queue"),
        (Category, category_id, "category"),
        (Equipment, equipment_id, "equipment item"),
        (Contract, contract_id, "contract"),
    ):
        if key is not None and session.get(model, key) is None:
            raise NotFoundError(what, key)
    if contact_id is not None and client_id is not None:
        contact = session.get(Contact, contact_id)
        if contact is not None and contact.client_id != client_id:
            raise ValidationError(f"contact {contact_id} does not belong to client {client_id}")
