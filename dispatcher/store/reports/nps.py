"""NPS: a client contact's 0-10 "would you recommend us", kept as `rating` rows of kind
`nps` (client-wide: `report kpi` counts them by the client, not by a ticket).

The pulse (`pulse_due`, run by the scheduler) mails the question to the contact of a
ticket closed in the last `PULSE_WITHIN`, at most once per contact every `every_days`, and
once per ticket; each question is an `nps_pulse` row. The reply threads back by its
headers, and `dispatcher.store.mail.answers` records the answer read from it; answers
taken by phone go straight to `record_nps_answer`."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from dispatcher.domain.enums import RatingKind, TicketStatus
from dispatcher.domain.errors import NotFoundError, ValidationError
from dispatcher.store.mail import notifications, outbox
from dispatcher.store.models import Client, Contact, NpsPulse, Rating, Ticket, TicketFact
from dispatcher.store.reports.digest_text import guess_language

PULSE_KIND = "nps_pulse"
PULSE_WITHIN = timedelta(days=14)  # how recently the ticket must have closed
PULSE_BATCH = 200
QUESTION = {
    "en": (
        "How likely are you to recommend us? (0-10)",
        "Hello{contact},\n\n"
        "thank you for working with us on ticket {ref} ({subject}).\n\n"
        "On a scale from 0 (not at all) to 10 (certainly), how likely are you to recommend "
        "our support to a colleague? Just reply with a number.\n\n"
        "-- \nSupport\n",
    ),
    "ru": (
        "Порекомендуете ли вы нас? (0-10)",
        "Здравствуйте{contact}!\n\n"
        "Спасибо, что работали с нами над обращением {ref} ({subject}).\n\n"
        "Насколько вероятно, что вы порекомендуете нашу поддержку коллегам, по шкале от 0 "
        "(точно нет) до 10 (обязательно)? Просто ответьте числом.\n\n"
        "-- \nСлужба поддержки\n",
    ),
}


def record_nps_answer(
    session: Session,
    *,
    client_id: int,
    score: int,
    now: datetime,
    contact_id: int | None = None,
    comment: str = "",
) -> Rating:
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 10:
        raise ValidationError(f"an NPS answer is a whole number from 0 to 10, not {score!r}")
    if session.get(Client, client_id) is None:
        raise NotFoundError("client", client_id)
    if contact_id is not None:
        contact = session.get(Contact, contact_id)
        if contact is None:
            raise NotFoundError("contact", contact_id)
        if contact.client_id != client_id:
            raise ValidationError(f"contact {contact_id} does not belong to client {client_id}")
    answer = Rating(
        client_id=client_id,
        contact_id=contact_id,
        kind=RatingKind.nps,
        score=score,
        comment=comment[:2000],
        at=now,
    )
    session.add(answer)
    session.flush()
    return answer


def _asked_since(session: Session, *, contact_id: int, since: datetime) -> bool:
    return (
        session.exec(
            select(NpsPulse.id).where(
                NpsPulse.contact_id == contact_id, col(NpsPulse.asked_at) > since
            )
        ).first()
        is not None
    )


def pulse_due(session: Session, *, now: datetime, every_days: int) -> list[int]:
    """Mail the question for tickets closed lately (by the index of first resolutions),
    one contact at a time, none asked within `every_days`; the ids of the pulses queued."""
    if every_days <= 0:
        return []
    since = now - PULSE_WITHIN
    rows = session.exec(
        select(Ticket)
        .join(TicketFact, col(TicketFact.ticket_id) == col(Ticket.id))
        .where(
            col(TicketFact.first_resolved_at) >= since - PULSE_WITHIN,
            col(TicketFact.first_resolved_at) <= now,
            Ticket.status == TicketStatus.closed,
            col(Ticket.closed_at) >= since,
            col(Ticket.closed_at) <= now,
            col(Ticket.contact_id).is_not(None),
            col(Ticket.client_id).is_not(None),
            ~col(Ticket.id).in_(
                select(NpsPulse.ticket_id).where(col(NpsPulse.ticket_id).is_not(None))
            ),
        )
        .order_by(col(Ticket.closed_at), col(Ticket.id))
        .limit(PULSE_BATCH)
    ).all()
    queued: list[int] = []
    asked: set[int] = set()
    for ticket in rows:
        assert ticket.contact_id is not None
        if ticket.contact_id in asked or _asked_since(
            session, contact_id=ticket.contact_id, since=now - timedelta(days=every_days)
        ):
            continue
        pulse = _ask(session, ticket=ticket, now=now)
        asked.add(ticket.contact_id)
        if pulse is not None and pulse.id is not None:
            queued.append(pulse.id)
    return queued


def _ask(session: Session, *, ticket: Ticket, now: datetime) -> NpsPulse | None:
    assert ticket.contact_id is not None
    address = notifications.client_address(session, ticket=ticket)
    if address is None:
        return None
    contact = session.get(Contact, ticket.contact_id)
    client = session.get(Client, ticket.client_id) if ticket.client_id else None
    name = contact.name if contact else ""
    language = guess_language([name, client.name if client else "", ticket.subject])
    subject, body = QUESTION[language]
    item = outbox.enqueue(
        session,
        kind=PULSE_KIND,
        to_addresses=address,
        subject=subject,
        body=body.format(
            contact=f" {name}" if name else "", ref=ticket.ref, subject=ticket.subject
        ),
        now=now,
        ticket=ticket,
        headers={"Auto-Submitted": "auto-generated", "X-Dispatcher-Ticket": str(ticket.id)},
    )
    pulse = NpsPulse(
        contact_id=ticket.contact_id, ticket_id=ticket.id, message_id=item.message_id, asked_at=now
    )
    session.add(pulse)
    session.flush()
    return pulse
