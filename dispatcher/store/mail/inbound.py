"""The store side of mail intake: dedupe, threading, the client, noise, feedback, quarantine.

`receive` takes one parsed message and does everything it implies inside the caller's
transaction (one short transaction per message, so one bad message never blocks the rest):

* the same message twice is one message (its Message-ID, or a content hash without one);
* a reply joins its ticket by In-Reply-To/References (our own outgoing Message-IDs count),
  or by `[#1042]` in the subject (`dispatcher.domain.ticket_ref`); anything else opens a
  ticket for the sender's client (contact by address, then the address's domain), with the
  contract's SLA;
* auto-replies and bounces never open or reopen a ticket: they are recorded on the ticket
  they refer to, and a bounce flags the address it names;
* a client's reply resumes a `waiting_client` ticket and reopens a resolved one, unless it
  confirms ("confirm", "yes", "подтверждаю") or rates (1-5), as `dispatcher.domain.feedback`
  reads it: then the ticket closes and the rating is stored.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy import insert as core_insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from dispatcher.domain.enums import (
    Channel,
    EventKind,
    LinkKind,
    MessageKind,
    RatingKind,
    TicketStatus,
)
from dispatcher.domain.feedback import read_feedback
from dispatcher.domain.ticket_ref import refs_in_subject
from dispatcher.store.clients import clients, contacts
from dispatcher.store.mail import notifications, quarantine
from dispatcher.store.models import (
    Attachment,
    Blob,
    ContactPoint,
    Message,
    OutboxItem,
    Rating,
    Ticket,
    table_of,
)
from dispatcher.store.tickets.history import record
from dispatcher.store.tickets.writes import (
    NewTicket,
    add_message,
    change_status,
    create_ticket,
    link,
)

MAX_MERGE_HOPS = 10


class Outcome(StrEnum):
    new_ticket = "new_tickets"
    threaded = "threaded"
    auto_reply = "auto_replies"
    bounce = "bounces"
    duplicate = "duplicates"
    quarantined = "quarantined"


@dataclass(frozen=True, slots=True)
class InboundAttachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class InboundMail:
    """One parsed inbound message (built by `dispatcher.intake.parse`)."""

    message_id: str  # the real Message-ID, or a content-hash one when it had none
    from_address: str
    subject: str = ""
    body: str = ""
    has_message_id: bool = True
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    from_name: str = ""
    to_addresses: str = ""
    cc_addresses: str = ""
    date: datetime | None = None
    attachments: tuple[InboundAttachment, ...] = ()
    auto_reply: bool = False
    bounce: bool = False
    bounced_recipients: tuple[str, ...] = ()
    original_message_ids: tuple[str, ...] = ()

    def thread_ids(self) -> list[str]:
        ids = [self.in_reply_to] if self.in_reply_to else []
        return list(dict.fromkeys([*ids, *reversed(self.references), *self.original_message_ids]))


@dataclass
class InboundResult:
    outcome: Outcome
    ticket_id: int | None = None
    message_row_id: int | None = None
    notes: list[str] = field(default_factory=list)  # "reopened", "closed", "rated 5", ...


# --- finding the ticket ---------------------------------------------------------------


def is_duplicate(session: Session, *, message_id: str) -> bool:
    return (
        session.exec(select(Message.id).where(Message.message_id == message_id)).first() is not None
    )


def _follow_merges(session: Session, ticket: Ticket | None) -> Ticket | None:
    hops = 0
    while ticket is not None and ticket.merged_into_id is not None and hops < MAX_MERGE_HOPS:
        ticket = session.get(Ticket, ticket.merged_into_id)
        hops += 1
    return ticket


def find_ticket(session: Session, *, mail: InboundMail) -> Ticket | None:
    """The ticket a message refers to: by its thread headers, then by `[#N]` in the subject."""
    ids = mail.thread_ids()
    if ids:
        ticket_id = session.exec(
            select(Message.ticket_id).where(col(Message.message_id).in_(ids))
        ).first()
        if ticket_id is None:
            ticket_id = session.exec(
                select(OutboxItem.ticket_id).where(
                    col(OutboxItem.message_id).in_(ids), col(OutboxItem.ticket_id).is_not(None)
                )
            ).first()
        if ticket_id is not None:
            return _follow_merges(session, session.get(Ticket, ticket_id))
    for ref in refs_in_subject(mail.subject):
        ticket = session.get(Ticket, ref)
        if ticket is not None:
            return _follow_merges(session, ticket)
    return None


# --- storing --------------------------------------------------------------------------


def _insert_ignore(session: Session, model: type[Blob], values: dict[str, object]) -> None:
    table = table_of(model)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(postgresql.insert(table).values(**values).on_conflict_do_nothing())
    elif dialect == "sqlite":
        session.execute(sqlite.insert(table).values(**values).on_conflict_do_nothing())
    else:  # pragma: no cover - only the two backends are supported
        session.execute(core_insert(table).values(**values))


def store_attachments(
    session: Session, *, message_row_id: int, attachments: tuple[InboundAttachment, ...]
) -> None:
    """Each attachment listed on its message; content stored once by its SHA-256."""
    for item in attachments:
        digest = hashlib.sha256(item.data).hexdigest()
        _insert_ignore(session, Blob, {"sha256": digest, "size": len(item.data), "data": item.data})
        session.add(
            Attachment(
                message_id=message_row_id,
                filename=item.filename or "attachment",
                content_type=item.content_type,
                size=len(item.data),
                sha256=digest,
            )
        )
    session.flush()


def _message_row(session: Session, message_id: str) -> Message:
    row = session.exec(select(Message).where(Message.message_id == message_id)).one()
    return row


def _flag_bounced(session: Session, recipients: tuple[str, ...]) -> list[str]:
    flagged = []
    for address in recipients:
        points = session.exec(
            select(ContactPoint).where(ContactPoint.value == address.strip().lower())
        ).all()
        for point in points:
            if not point.bouncing:
                point.bouncing = True
                session.add(point)
                flagged.append(point.value)
    return flagged


def receive(
    session: Session,
    *,
    mail: InboundMail,
    raw: bytes,
    source: str,
    now: datetime,
    queue_id: int | None = None,
) -> InboundResult:
    """Record one inbound message; see the module's docstring for the rules."""
    if is_duplicate(session, message_id=mail.message_id):
        return InboundResult(Outcome.duplicate)
    ticket = find_ticket(session, mail=mail)
    if mail.auto_reply or mail.bounce:
        return _noise(session, mail=mail, raw=raw, source=source, ticket=ticket, now=now)
    if ticket is not None and ticket.status not in (TicketStatus.closed, TicketStatus.spam):
        return _threaded(session, mail=mail, ticket=ticket, now=now)
    return _new_ticket(session, mail=mail, now=now, queue_id=queue_id, closed=ticket)


def _noise(
    session: Session,
    *,
    mail: InboundMail,
    raw: bytes,
    source: str,
    ticket: Ticket | None,
    now: datetime,
) -> InboundResult:
    outcome = Outcome.bounce if mail.bounce else Outcome.auto_reply
    result = InboundResult(outcome)
    if mail.bounce:
        result.notes += [f"flagged {a}" for a in _flag_bounced(session, mail.bounced_recipients)]
    if ticket is None or ticket.id is None:
        # Nothing to hang it on: kept with its bytes for a look, never a ticket.
        what = "bounce" if mail.bounce else "auto-reply"
        _, created = quarantine.quarantine(
            session, raw=raw, source=source, reason=f"{what} that refers to no ticket", now=now
        )
        if not created:
            result.outcome = Outcome.duplicate
        return result
    message = add_message(
        session,
        ticket_id=ticket.id,
        kind=MessageKind.inbound,
        body=mail.body,
        actor_id=None,
        from_address=mail.from_address,
        to_addresses=mail.to_addresses,
        cc_addresses=mail.cc_addresses,
        subject=mail.subject[:500],
        message_id=mail.message_id,
        in_reply_to=mail.in_reply_to,
        references=" ".join(mail.references),
        is_auto_reply=mail.auto_reply,
        is_bounce=mail.bounce,
        now=now,
    )
    assert message.id is not None
    store_attachments(session, message_row_id=message.id, attachments=mail.attachments)
    result.ticket_id, result.message_row_id = ticket.id, message.id
    return result


def _threaded(
    session: Session, *, mail: InboundMail, ticket: Ticket, now: datetime
) -> InboundResult:
    assert ticket.id is not None
    contact = contacts.contact_by_point(session, value=mail.from_address)
    message = add_message(
        session,
        ticket_id=ticket.id,
        kind=MessageKind.inbound,
        body=mail.body,
        actor_id=None,
        contact_id=contact.id if contact else None,
        from_address=mail.from_address,
        to_addresses=mail.to_addresses,
        cc_addresses=mail.cc_addresses,
        subject=mail.subject[:500],
        message_id=mail.message_id,
        in_reply_to=mail.in_reply_to,
        references=" ".join(mail.references),
        now=now,
    )
    assert message.id is not None
    store_attachments(session, message_row_id=message.id, attachments=mail.attachments)
    result = InboundResult(Outcome.threaded, ticket.id, message.id)
    status = ticket.status
    resume_to = TicketStatus.in_progress if ticket.assignee_id else TicketStatus.open
    if status == TicketStatus.waiting_client:
        change_status(
            session,
            ticket_id=ticket.id,
            expected_version=None,
            actor_id=None,
            status=resume_to,
            reason="the client answered",
            now=now,
        )
        result.notes.append("resumed")
    elif status == TicketStatus.resolved:
        feedback = read_feedback(mail.body)
        if feedback.confirmed:
            with notifications.closed_by_client(session):
                change_status(
                    session,
                    ticket_id=ticket.id,
                    expected_version=None,
                    actor_id=None,
                    status=TicketStatus.closed,
                    reason="confirmed by the client",
                    now=now,
                )
            result.notes.append("closed")
            if feedback.score is not None:
                rate(
                    session, ticket=ticket, score=feedback.score, comment=feedback.comment, now=now
                )
                result.notes.append(f"rated {feedback.score}")
        else:
            change_status(
                session,
                ticket_id=ticket.id,
                expected_version=None,
                actor_id=None,
                status=resume_to,
                reason="the client says it is not fixed",
                now=now,
            )
            result.notes.append("reopened")
    return result


def rate(session: Session, *, ticket: Ticket, score: int, comment: str, now: datetime) -> Rating:
    """Store a CSAT rating (1-5) for the ticket and note it in the history."""
    assert ticket.id is not None
    rating = Rating(
        ticket_id=ticket.id,
        client_id=ticket.client_id,
        contact_id=ticket.contact_id,
        kind=RatingKind.csat,
        score=score,
        comment=comment[:2000],
        at=now,
    )
    session.add(rating)
    record(
        session,
        ticket=ticket,
        kind=EventKind.rated,
        actor_id=None,
        now=now,
        data={"score": score, "kind": RatingKind.csat.value},
        reason=comment[:200],
    )
    session.flush()
    return rating


def _new_ticket(
    session: Session,
    *,
    mail: InboundMail,
    now: datetime,
    queue_id: int | None,
    closed: Ticket | None,
) -> InboundResult:
    contact = contacts.contact_by_point(session, value=mail.from_address)
    client_id = contact.client_id if contact else None
    if client_id is None and "@" in mail.from_address:
        client = clients.client_for_domain(session, domain=mail.from_address.rsplit("@", 1)[1])
        client_id = client.id if client else None
    subject = mail.subject.strip() or (mail.body.strip().splitlines() or ["(no subject)"])[0]
    ticket = create_ticket(
        session,
        data=NewTicket(
            subject=subject[:500] or "(no subject)",
            body=mail.body,
            client_id=client_id,
            contact_id=contact.id if contact else None,
            channel=Channel.email,
            queue_id=queue_id,
            from_address=mail.from_address,
            message_id=mail.message_id,
            in_reply_to=mail.in_reply_to,
            references=" ".join(mail.references),
        ),
        actor_id=None,
        now=now,
    )
    assert ticket.id is not None
    message = _message_row(session, mail.message_id)
    assert message.id is not None
    if mail.to_addresses or mail.cc_addresses:
        message.to_addresses, message.cc_addresses = mail.to_addresses, mail.cc_addresses
        session.add(message)
    store_attachments(session, message_row_id=message.id, attachments=mail.attachments)
    result = InboundResult(Outcome.new_ticket, ticket.id, message.id)
    if closed is not None and closed.id is not None:
        link(
            session,
            ticket_id=ticket.id,
            other_id=closed.id,
            kind=LinkKind.related,
            actor_id=None,
            now=now,
        )
        result.notes.append(f"follows up {closed.ref}")
    return result


# --- quarantine -----------------------------------------------------------------------
