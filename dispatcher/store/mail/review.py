"""Mail held for a dispatcher's review: listed, shown, accepted onto its ticket, rejected.

A message is held when it refers to a ticket (by its thread headers or `[#N]`) whose sender
may not write to it (`dispatcher.store.mail.senders`). Accepting lets it in as the intake
would have, the sender optionally becoming a contact of the ticket's client first (then,
as one of the client's people, their message may also close or reopen the ticket);
rejecting keeps it, decided, so the same message arriving again stays out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, select

from dispatcher.domain.enums import ReviewDecision
from dispatcher.domain.errors import ConflictError, NotFoundError, ValidationError
from dispatcher.store.mail import attention, blobs, held, inbound, mail_contacts
from dispatcher.store.mail.inbound import InboundMail, InboundResult
from dispatcher.store.models import HeldMail, Ticket


@dataclass(frozen=True, slots=True)
class HeldView:
    """A held message as plain data (for the CLI and, later, the console)."""

    id: int
    ticket_id: int
    from_address: str
    from_name: str
    subject: str
    reason: str
    received_at: datetime
    source: str
    size: int
    attachments: int
    decision: ReviewDecision | None
    decided_at: datetime | None
    accepted_ticket_id: int | None
    body: str

    @classmethod
    def of(cls, row: HeldMail) -> HeldView:
        return cls(
            id=row.id or 0,
            ticket_id=row.ticket_id,
            from_address=row.from_address,
            from_name=str(row.mail.get("from_name") or ""),
            subject=row.subject,
            reason=row.reason,
            received_at=row.received_at,
            source=row.source,
            size=len(row.raw),
            attachments=len(row.mail.get("attachments") or ()),
            decision=row.decision,
            decided_at=row.decided_at,
            accepted_ticket_id=row.accepted_ticket_id,
            body=str(row.mail.get("body") or ""),
        )


def held_mail(
    session: Session, *, include_decided: bool = False, ticket_id: int | None = None
) -> list[HeldView]:
    """Held messages, oldest first: those still waiting, or (`include_decided`) all."""
    query = select(HeldMail).order_by(col(HeldMail.id))
    if not include_decided:
        query = query.where(col(HeldMail.decided_at).is_(None))
    if ticket_id is not None:
        query = query.where(HeldMail.ticket_id == ticket_id)
    return [HeldView.of(row) for row in session.exec(query).all()]


def waiting(session: Session) -> tuple[int, int]:
    """How many held messages wait for a decision, and the newest one's id (0 without
    any): one indexed read, cheap enough for the console to poll."""
    count, newest = session.exec(
        select(func.count(), func.max(HeldMail.id)).where(col(HeldMail.decided_at).is_(None))
    ).one()
    return int(count), int(newest or 0)


def get_held(session: Session, *, held_id: int) -> HeldMail:
    row = session.get(HeldMail, held_id)
    if row is None:
        raise NotFoundError("held message", held_id)
    return row


def _undecided(session: Session, held_id: int) -> HeldMail:
    row = session.exec(
        select(HeldMail)
        .where(HeldMail.id == held_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if row is None:
        raise NotFoundError("held message", held_id)
    if row.decision is not None:
        raise ConflictError(f"held message {held_id} was already {row.decision.value}")
    return row


def _decide(
    session: Session,
    *,
    row: HeldMail,
    decision: ReviewDecision,
    actor_id: int | None,
    now: datetime,
) -> None:
    row.decision, row.decided_at, row.decided_by_id = decision, now, actor_id
    session.add(row)
    session.flush()
    waiting = session.exec(
        select(HeldMail.id).where(
            HeldMail.ticket_id == row.ticket_id,
            HeldMail.from_address == row.from_address,
            col(HeldMail.decided_at).is_(None),
        )
    ).first()
    if waiting is None:  # nothing more from this sender for this ticket: the alert is done
        attention.settle(
            session, key=held.alert_key(row.ticket_id, row.from_address), user_id=actor_id, now=now
        )


def _digests(row: HeldMail) -> list[str]:
    return [str(a["sha256"]) for a in row.mail.get("attachments") or () if "sha256" in a]


def accept(
    session: Session,
    *,
    held_id: int,
    actor_id: int | None,
    now: datetime,
    add_contact: bool = False,
    queue_id: int | None = None,
) -> InboundResult:
    """Let the message in onto the ticket it claims (or, that one closed, a follow-up).

    `add_contact`: first make the sender a contact of the ticket's client.
    """
    row = _undecided(session, held_id)
    mail = InboundMail.from_json(row.mail, blobs=blobs.contents(session, digests=_digests(row)))
    if add_contact:
        ticket = session.get(Ticket, row.ticket_id)
        assert ticket is not None
        if ticket.client_id is None:
            raise ValidationError(
                f"{ticket.ref} has no client, so {row.from_address} cannot become a "
                "client's contact: accept it without --add-contact"
            )
        mail_contacts.add_from_mail(
            session,
            client_id=ticket.client_id,
            address=row.from_address,
            display_name=mail.from_name,
            note=f"Made a contact when their mail to {ticket.ref} was let in.",
            is_new=False,
        )
    result = inbound.receive(
        session,
        mail=mail,
        raw=row.raw,
        source=row.source,
        now=now,
        queue_id=queue_id,
        accepted=True,
    )
    row.accepted_ticket_id = result.ticket_id
    _decide(session, row=row, decision=ReviewDecision.accepted, actor_id=actor_id, now=now)
    return result


def reject(session: Session, *, held_id: int, actor_id: int | None, now: datetime) -> HeldMail:
    """Keep it out for good; its attachments' content goes unless something else lists it."""
    row = _undecided(session, held_id)
    _decide(session, row=row, decision=ReviewDecision.rejected, actor_id=actor_id, now=now)
    keep = {
        digest
        for other in session.exec(
            select(HeldMail).where(col(HeldMail.decided_at).is_(None), HeldMail.id != held_id)
        ).all()
        for digest in _digests(other)
    }
    blobs.drop_unlisted(session, digests=_digests(row), keep=keep)
    return row
