"""Logging a phone call with the client: what was said, with whom, which way, how long.

A call is a message of kind `call` on the ticket's thread. It is a public response: the
first call (or reply) meets the first-response target and later ones restart the
regular-update target, as `writes.add_message` does for both kinds. Call inside
`Store.write()`, with the version the operator saw.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlmodel import Session, col, select

from dispatcher.domain.clock import utcnow
from dispatcher.domain.enums import Channel, MessageKind
from dispatcher.domain.errors import ValidationError
from dispatcher.store.models import Contact, Message
from dispatcher.store.tickets.writes import add_message, lock_for_write

MAX_PARTY = 200  # who was on the line, as typed
MAX_CALL_MINUTES = 24 * 60


class CallDirection(StrEnum):
    outgoing = "outgoing"  # we called the client
    incoming = "incoming"  # the client called us


@dataclass(frozen=True, slots=True)
class LoggedCall:
    message_id: int
    ticket_id: int
    direction: CallDirection
    party: str
    contact_id: int | None
    minutes: int | None
    summary: str
    version: int  # the ticket's version after the call was logged


def describe_call(direction: CallDirection, party: str, minutes: int | None) -> str:
    """`Call to Anna Client · 5 min`: the line the thread shows above the summary."""
    line = f"Call to {party}" if direction == CallDirection.outgoing else f"Call from {party}"
    if minutes is not None:
        line += f" · {minutes} min"
    return line


def parse_direction(value: CallDirection | str) -> CallDirection:
    try:
        return CallDirection(str(value).strip().lower())
    except ValueError:
        allowed = ", ".join(d.value for d in CallDirection)
        raise ValidationError(f"a call's direction is one of {allowed}, not {value!r}") from None


def log_call(
    session: Session,
    *,
    ticket_id: int,
    expected_version: int | None,
    actor_id: int | None,
    summary: str,
    contact_id: int | None = None,
    party: str = "",
    direction: CallDirection | str = CallDirection.outgoing,
    minutes: int | None = None,
    now: datetime | None = None,
) -> LoggedCall:
    """Record a call on the ticket. `contact_id` is the client's contact on the line (it
    must be one of the ticket's client's); `party` names whoever it was in words when
    they are no contact, or adds to the contact's name (a phone number, a department).
    One of the two is needed."""
    now = now or utcnow()
    direction = parse_direction(direction)
    summary = summary.strip()
    if not summary:
        raise ValidationError("a call needs a summary: what was said")
    if minutes is not None and not 0 <= minutes <= MAX_CALL_MINUTES:
        raise ValidationError(f"a call lasts 0 to {MAX_CALL_MINUTES} minutes, not {minutes}")
    party = " ".join(party.split())
    if len(party) > MAX_PARTY:
        raise ValidationError(f"who was on the line: at most {MAX_PARTY} characters")
    ticket = lock_for_write(session, ticket_id=ticket_id, expected_version=expected_version)
    contact = None
    if contact_id is not None:
        contact = session.get(Contact, contact_id)
        if contact is None:
            raise ValidationError(f"no contact with id {contact_id}")
        if ticket.client_id is not None and contact.client_id != ticket.client_id:
            raise ValidationError(f"{contact.name!r} is not a contact of this ticket's client")
    if contact is None and not party:
        raise ValidationError("a call needs whom it was with: a contact or a name")
    who = contact.name if contact is not None else party
    if contact is not None and party and party != contact.name:
        who = f"{contact.name} ({party})"
    message = add_message(
        session,
        ticket_id=ticket_id,
        kind=MessageKind.call,
        body=summary,
        actor_id=actor_id,
        expected_version=None,  # checked above, under the same lock
        channel=Channel.phone,
        contact_id=contact.id if contact is not None else None,
        from_address=who[:320] if direction == CallDirection.incoming else "",
        to_addresses=who if direction == CallDirection.outgoing else "",
        subject=describe_call(direction, who, minutes)[:500],
        now=now,
    )
    assert message.id is not None
    return LoggedCall(
        message_id=message.id,
        ticket_id=ticket_id,
        direction=direction,
        party=who,
        contact_id=contact.id if contact is not None else None,
        minutes=minutes,
        summary=summary,
        version=ticket.version,
    )


def calls(session: Session, *, ticket_id: int) -> list[Message]:
    """The ticket's logged calls, oldest first."""
    return list(
        session.exec(
            select(Message)
            .where(Message.ticket_id == ticket_id, Message.kind == MessageKind.call)
            .order_by(col(Message.created_at), col(Message.id))
        ).all()
    )
