"""The store side of mail intake: dedupe, threading, who may write, noise, answers.

`receive` takes one parsed message and does everything it implies inside the caller's
transaction (one short transaction per message, so one bad message never blocks the rest):

* the same message twice is one message (its Message-ID, or a content hash without one),
  whether it went onto a ticket or is held for review;
* a reply joins its ticket by In-Reply-To/References (our own outgoing Message-IDs count),
  or by `[#1042]` in the subject (`dispatcher.domain.ticket_ref`), but only when its sender
  may write to that ticket (`dispatcher.store.mail.senders`); anybody else's mail never
  touches the ticket: it is held for a dispatcher's review (`HeldMail`,
  `dispatcher.store.mail.review`). Anything else opens a ticket for the sender's client
  (contact by address, then the address's domain: a new person there becomes a contact,
  flagged as new), with the contract's SLA, in the queue given (the configured default),
  else the queue of the ticket it follows up or of the client's latest ticket;
* auto-replies and bounces never open or reopen a ticket: they are kept on the ticket they
  refer to, labelled ("auto-reply", "bounce: address rejected"), and a permanent bounce
  flags the address it names as failing;
* a reply resumes a `waiting_client` ticket; a reply to a resolved one confirms, reopens,
  asks something new (a ticket of its own) or asks a dispatcher, as
  `dispatcher.domain.feedback` reads the client's own words (`dispatcher.store.mail.answers`).
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlmodel import Session, col, select

from dispatcher.domain.bounce import AUTO_REPLY_LABEL, read_bounce
from dispatcher.domain.enums import Channel, LinkKind, MessageKind, TicketStatus
from dispatcher.domain.feedback import Verdict, read_answer
from dispatcher.domain.ticket_ref import refs_in_subject
from dispatcher.store.clients import clients, contacts
from dispatcher.store.mail import answers, blobs, held, mail_contacts, quarantine, senders
from dispatcher.store.models import (
    Contact,
    ContactPoint,
    HeldMail,
    Message,
    OutboxItem,
    Queue,
    Ticket,
)
from dispatcher.store.tickets.relations import link
from dispatcher.store.tickets.writes import NewTicket, add_message, change_status, create_ticket

MAX_MERGE_HOPS = 10
BOUNCE_TEXT_BYTES = 200_000  # how much of a bounce is read for its delivery status


class Outcome(StrEnum):
    new_ticket = "new_tickets"
    threaded = "threaded"
    auto_reply = "auto_replies"
    bounce = "bounces"
    duplicate = "duplicates"
    quarantined = "quarantined"
    held = "held"


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
    # What the intake left out, for the message to say: "attachment x.iso (80 MB) not
    # kept: over 25 MB". Not the client's words: kept out of what answers are read from.
    notes: tuple[str, ...] = ()

    def thread_ids(self) -> list[str]:
        ids = [self.in_reply_to] if self.in_reply_to else []
        return list(dict.fromkeys([*ids, *reversed(self.references), *self.original_message_ids]))

    def stored_body(self) -> str:
        """The body as the ticket keeps it: the text, then the intake's notes in brackets."""
        notes = "\n".join(f"[{note}]" for note in self.notes)
        return f"{self.body}\n\n{notes}".strip() if notes else self.body

    def to_json(self) -> dict[str, Any]:
        """The message as JSON; attachments by the SHA-256 their content is stored under."""
        data = asdict(self)
        data["date"] = self.date.isoformat() if self.date else None
        data["attachments"] = [
            {
                "filename": a.filename,
                "content_type": a.content_type,
                "sha256": hashlib.sha256(a.data).hexdigest(),
            }
            for a in self.attachments
        ]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any], *, blobs: dict[str, bytes]) -> InboundMail:
        values = dict(data)
        values["date"] = datetime.fromisoformat(data["date"]) if data.get("date") else None
        for name in ("references", "bounced_recipients", "original_message_ids", "notes"):
            values[name] = tuple(data.get(name) or ())
        values["attachments"] = tuple(
            InboundAttachment(a["filename"], a["content_type"], blobs.get(a["sha256"], b""))
            for a in data.get("attachments") or ()
        )
        return cls(**values)


@dataclass
class InboundResult:
    outcome: Outcome
    ticket_id: int | None = None
    message_row_id: int | None = None
    notes: list[str] = field(default_factory=list)  # "reopened", "closed", "rated 5", ...
    held_id: int | None = None


# --- finding the ticket ---------------------------------------------------------------


def is_duplicate(session: Session, *, message_id: str, include_held: bool = True) -> bool:
    """Whether the message is in already: on a ticket, or (`include_held`) held for review."""
    if session.exec(select(Message.id).where(Message.message_id == message_id)).first():
        return True
    return include_held and (
        session.exec(select(HeldMail.id).where(HeldMail.message_id == message_id)).first()
        is not None
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


def _message_row(session: Session, message_id: str) -> Message:
    row = session.exec(select(Message).where(Message.message_id == message_id)).one()
    return row


def _flag_bounced(
    session: Session, recipients: tuple[str, ...], *, reason: str, now: datetime
) -> list[str]:
    flagged = []
    for address in recipients:
        points = session.exec(
            select(ContactPoint).where(ContactPoint.value == address.strip().lower())
        ).all()
        for point in points:
            if not point.bouncing:
                point.bouncing, point.bouncing_since = True, now
                point.bounce_reason = reason[:200]
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
    accepted: bool = False,
) -> InboundResult:
    """Record one inbound message; see the module's docstring for the rules.

    `accepted`: a dispatcher let this held message in. It joins the ticket it refers to
    whoever sent it, but changes the ticket's status only if its sender may now write to
    it (for instance because the dispatcher made them a contact of the client).
    """
    if is_duplicate(session, message_id=mail.message_id, include_held=not accepted):
        return InboundResult(Outcome.duplicate)
    ticket = find_ticket(session, mail=mail)
    trusted = True
    if ticket is not None:
        noise = mail.auto_reply or mail.bounce
        who = senders.standing(
            session,
            ticket=ticket,
            address=mail.from_address,
            machine_reply_to=mail.thread_ids() if noise else None,
        )
        if not who.allowed and not accepted:
            row = held.hold(
                session, mail=mail, raw=raw, source=source, ticket=ticket, why=who.why, now=now
            )
            return InboundResult(
                Outcome.held, notes=[f"held for review: claims {ticket.ref}"], held_id=row.id
            )
        trusted = who.allowed
    if mail.auto_reply or mail.bounce:
        return _noise(session, mail=mail, raw=raw, source=source, ticket=ticket, now=now)
    pulse = answers.pulse_for(session, thread_ids=mail.thread_ids()) if ticket else None
    score = answers.nps_score(session, pulse=pulse, body=mail.body) if pulse and trusted else None
    if ticket is not None and pulse is not None and score is not None:
        # The answer to the NPS question: kept on the ticket, its status left alone.
        message = _add_inbound(session, mail=mail, ticket=ticket, contact=None, now=now)
        notes = answers.record_pulse_answer(
            session, pulse=pulse, ticket=ticket, body=mail.body, score=score, now=now
        )
        return InboundResult(Outcome.threaded, ticket.id, message.id, notes)
    if ticket is not None and ticket.status not in (TicketStatus.closed, TicketStatus.spam):
        return _threaded(
            session, mail=mail, ticket=ticket, now=now, queue_id=queue_id, trusted=trusted
        )
    return _new_ticket(session, mail=mail, now=now, queue_id=queue_id, follows=ticket)


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
    label = AUTO_REPLY_LABEL
    if mail.bounce:
        text = mail.body + "\n" + raw[:BOUNCE_TEXT_BYTES].decode("utf-8", "replace")
        bounce = read_bounce(text)
        label = bounce.label
        result.notes.append(label)
        if bounce.permanent:
            result.notes += [
                f"flagged {a}"
                for a in _flag_bounced(
                    session, mail.bounced_recipients, reason=bounce.reason, now=now
                )
            ]
    if ticket is None or ticket.id is None:
        # Nothing to hang it on: kept with its bytes for a look, never a ticket.
        what = "bounce" if mail.bounce else "auto-reply"
        _, created = quarantine.quarantine(
            session, raw=raw, source=source, reason=f"{what} that refers to no ticket", now=now
        )
        if not created:
            result.outcome = Outcome.duplicate
        return result
    message = _add_inbound(session, mail=mail, ticket=ticket, contact=None, now=now, label=label)
    result.ticket_id, result.message_row_id = ticket.id, message.id
    return result


def _add_inbound(
    session: Session,
    *,
    mail: InboundMail,
    ticket: Ticket,
    contact: Contact | None,
    now: datetime,
    label: str = "",
) -> Message:
    assert ticket.id is not None
    message = add_message(
        session,
        ticket_id=ticket.id,
        kind=MessageKind.inbound,
        body=mail.stored_body(),
        actor_id=None,
        contact_id=contact.id if contact else None,
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
    if label:
        message.label = label[:200]
        session.add(message)
        session.flush()
    blobs.store_attachments(session, message_row_id=message.id, attachments=mail.attachments)
    return message


def _sender_contact(
    session: Session, *, mail: InboundMail, client_id: int | None, why: str
) -> Contact | None:
    """The sender as a contact: known, or new when they write from a domain of the client
    (`client_id`, or the client the domain names when None)."""
    contact = contacts.contact_by_point(session, value=mail.from_address)
    if contact is not None or "@" not in mail.from_address:
        return contact
    domain = mail.from_address.rsplit("@", 1)[1]
    client = clients.client_for_domain(session, domain=domain)
    if client is None or client.id is None or (client_id is not None and client.id != client_id):
        return None
    return mail_contacts.add_from_mail(
        session,
        client_id=client.id,
        address=mail.from_address,
        display_name=mail.from_name,
        note=f"Added by the mail intake: {why}.",
    )


def _threaded(
    session: Session,
    *,
    mail: InboundMail,
    ticket: Ticket,
    now: datetime,
    queue_id: int | None,
    trusted: bool,
) -> InboundResult:
    assert ticket.id is not None
    result = InboundResult(Outcome.threaded, ticket.id)
    if not trusted:
        # Let in by a dispatcher, from somebody who still may not change the ticket.
        message = _add_inbound(session, mail=mail, ticket=ticket, contact=None, now=now)
        result.message_row_id = message.id
        result.notes.append("let in by a dispatcher; the ticket's status is left alone")
        return result
    contact = _sender_contact(
        session, mail=mail, client_id=ticket.client_id, why=f"wrote to {ticket.ref}"
    )
    status = ticket.status
    resume_to = TicketStatus.in_progress if ticket.assignee_id else TicketStatus.open
    if status == TicketStatus.resolved:
        answered = answers.answered_text(session, ticket_id=ticket.id, thread_ids=mail.thread_ids())
        answer = read_answer(mail.body, answered=answered)
        if answer.verdict == Verdict.question:
            asked = _new_ticket(session, mail=mail, now=now, queue_id=queue_id, follows=ticket)
            assert asked.ticket_id is not None
            asked.notes += answers.on_question(
                session, ticket=ticket, answer=answer, question_ticket=asked.ticket_id, now=now
            )
            return asked
    message = _add_inbound(session, mail=mail, ticket=ticket, contact=contact, now=now)
    assert message.id is not None
    result.message_row_id = message.id
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
        result.notes += answers.apply(
            session,
            ticket=ticket,
            answer=answer,
            message_row_id=message.id,
            resume_to=resume_to,
            now=now,
        )
    return result


def _queue_for(
    session: Session, *, queue_id: int | None, follows: Ticket | None, client_id: int | None
) -> int | None:
    """The queue of a new mail ticket: the one given (the configured default), else the
    queue of the ticket it follows up, else of the client's latest ticket with one, else
    (a client's first mail) the team's first queue. A stranger's ticket gets none: it waits
    for a dispatcher to see who wrote before any engineer's view shows it."""
    if queue_id is not None:
        return queue_id
    if follows is not None and follows.queue_id is not None:
        return follows.queue_id
    if client_id is None:
        return None
    latest = session.exec(
        select(Ticket.queue_id)
        .where(Ticket.client_id == client_id, col(Ticket.queue_id).is_not(None))
        .order_by(col(Ticket.id).desc())
    ).first()
    if latest is not None:
        return latest
    return session.exec(select(Queue.id).order_by(col(Queue.id))).first()


def _new_ticket(
    session: Session,
    *,
    mail: InboundMail,
    now: datetime,
    queue_id: int | None,
    follows: Ticket | None,
) -> InboundResult:
    contact = _sender_contact(session, mail=mail, client_id=None, why="opened a ticket")
    client_id = contact.client_id if contact else None
    if client_id is None and "@" in mail.from_address:
        client = clients.client_for_domain(session, domain=mail.from_address.rsplit("@", 1)[1])
        client_id = client.id if client else None
    subject = mail.subject.strip() or (mail.body.strip().splitlines() or ["(no subject)"])[0]
    ticket = create_ticket(
        session,
        data=NewTicket(
            subject=subject[:500] or "(no subject)",
            body=mail.stored_body(),
            client_id=client_id,
            contact_id=contact.id if contact else None,
            channel=Channel.email,
            queue_id=_queue_for(session, queue_id=queue_id, follows=follows, client_id=client_id),
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
    blobs.store_attachments(session, message_row_id=message.id, attachments=mail.attachments)
    result = InboundResult(Outcome.new_ticket, ticket.id, message.id)
    if contact is not None and contact.is_new:
        result.notes.append(f"new contact {mail.from_address}")
    if follows is not None and follows.id is not None:
        link(
            session,
            ticket_id=ticket.id,
            other_id=follows.id,
            kind=LinkKind.related,
            actor_id=None,
            now=now,
        )
        result.notes.append(f"follows up {follows.ref}")
    return result
