"""What a client's reply to a resolved ticket does, as `dispatcher.domain.feedback` reads it.

Confirmed: the ticket closes (the client's confirmation: no auto-close notice). Not fixed:
it reopens (reopens are counted). A rating is stored whichever it is. Unclear: the ticket
keeps its status and the message; its history says a dispatcher must read it, and the
dispatchers get an `attention` alert. A new question becomes a ticket of its own (the
intake opens it), and the resolved one closes if the same reply confirms the fix.

A reply to the NPS pulse (`pulse_for`: it names the question's Message-ID) that gives a
0-10 answer is stored as the client's NPS answer and shown in the ticket's history
("NPS 9"); the intake lets only a sender who may write to the ticket get this far, and
records the reply on the ticket without touching its status. A later answer to the same
question replaces the earlier one.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from dispatcher.domain.enums import EventKind, RatingKind, TicketStatus
from dispatcher.domain.feedback import Answer, Verdict, read_nps
from dispatcher.domain.notification_templates import RESOLUTION
from dispatcher.domain.quoting import client_words
from dispatcher.store.mail import attention, notifications
from dispatcher.store.models import NpsPulse, OutboxItem, Rating, Ticket
from dispatcher.store.reports.facts import refresh_facts
from dispatcher.store.tickets.history import record
from dispatcher.store.tickets.writes import change_status


def answered_text(session: Session, *, ticket_id: int, thread_ids: list[str]) -> str:
    """The text of the mail the reply answers: ours it names, else the latest resolution."""
    query = select(OutboxItem.body).where(OutboxItem.ticket_id == ticket_id)
    if thread_ids:
        named = session.exec(query.where(col(OutboxItem.message_id).in_(thread_ids))).first()
        if named is not None:
            return named
    latest = session.exec(
        query.where(OutboxItem.kind == RESOLUTION).order_by(col(OutboxItem.id).desc())
    ).first()
    return latest or ""


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
        data={"score": score, "kind": RatingKind.csat.value, "of": 5},
        reason=comment[:200],
    )
    session.flush()
    refresh_facts(session, ticket)
    return rating


def _close(session: Session, *, ticket: Ticket, why: str, now: datetime) -> None:
    assert ticket.id is not None
    with notifications.closed_by_client(session):
        change_status(
            session,
            ticket_id=ticket.id,
            expected_version=None,
            actor_id=None,
            status=TicketStatus.closed,
            reason=f"confirmed by the client ({why})"[:500],
            now=now,
        )


def _rating_comment(answer: Answer) -> str:
    """The client's words without a bare rating in front ("5 - спасибо" → "спасибо")."""
    words = answer.words.strip()
    if answer.score is not None and words[:1] == str(answer.score):
        words = words[1:].lstrip(" -–—:,.!)")
    return words


def apply(
    session: Session,
    *,
    ticket: Ticket,
    answer: Answer,
    message_row_id: int,
    resume_to: TicketStatus,
    now: datetime,
) -> list[str]:
    """Act on the answer, which is on the ticket as message `message_row_id`; the notes."""
    assert ticket.id is not None
    notes: list[str] = []
    if answer.verdict == Verdict.confirmed:
        _close(session, ticket=ticket, why=answer.why, now=now)
        notes.append("closed")
    elif answer.verdict == Verdict.not_fixed:
        change_status(
            session,
            ticket_id=ticket.id,
            expected_version=None,
            actor_id=None,
            status=resume_to,
            reason=f"the client says it is not fixed ({answer.why})"[:500],
            now=now,
        )
        notes.append("reopened")
    else:
        record(
            session,
            ticket=ticket,
            kind=EventKind.answer_unclear,
            actor_id=None,
            now=now,
            data={"message": message_row_id, "verdict": answer.verdict.value},
            reason=answer.why,
            bump=False,
        )
        attention.ask_dispatcher(
            session,
            ticket_id=ticket.id,
            key=f"answer:{message_row_id}",
            message=f"{ticket.ref}: read the client's answer, it neither closes nor "
            f"reopens the ticket ({answer.why})",
            now=now,
        )
        notes.append("needs a dispatcher")
    if answer.score is not None:
        rate(session, ticket=ticket, score=answer.score, comment=_rating_comment(answer), now=now)
        notes.append(f"rated {answer.score}")
    return notes


def on_question(
    session: Session, *, ticket: Ticket, answer: Answer, question_ticket: int, now: datetime
) -> list[str]:
    """The reply asked something new (now ticket `question_ticket`): close the resolved
    ticket when the reply also confirms it, and keep its rating there."""
    notes: list[str] = []
    if answer.confirms:
        _close(
            session, ticket=ticket, why=f"{answer.why}; asked more in #{question_ticket}", now=now
        )
        notes.append(f"closed {ticket.ref}")
    if answer.score is not None:
        rate(session, ticket=ticket, score=answer.score, comment=_rating_comment(answer), now=now)
        notes.append(f"rated {ticket.ref} {answer.score}")
    return notes


def pulse_for(session: Session, *, thread_ids: list[str]) -> NpsPulse | None:
    """The NPS question a reply answers, by its thread headers."""
    if not thread_ids:
        return None
    return session.exec(select(NpsPulse).where(col(NpsPulse.message_id).in_(thread_ids))).first()


def nps_score(session: Session, *, pulse: NpsPulse, body: str) -> int | None:
    """The 0-10 answer in the client's own words (the question quoted back is cut off)."""
    asked = session.exec(
        select(OutboxItem.body).where(OutboxItem.message_id == pulse.message_id)
    ).first()
    return read_nps(body, answered=asked or "")


def record_pulse_answer(
    session: Session, *, pulse: NpsPulse, ticket: Ticket, body: str, score: int, now: datetime
) -> list[str]:
    """Store the answer (or replace this question's earlier one) and note it on the ticket."""
    from dispatcher.store.reports.nps import record_nps_answer

    assert ticket.id is not None
    comment = client_words(body)[:2000]
    rating = session.get(Rating, pulse.rating_id) if pulse.rating_id else None
    if rating is None:
        if ticket.client_id is None:
            return []
        rating = record_nps_answer(
            session,
            client_id=ticket.client_id,
            contact_id=pulse.contact_id,
            score=score,
            now=now,
            comment=comment,
        )
        pulse.rating_id = rating.id
        session.add(pulse)
    else:
        rating.score, rating.comment, rating.at = score, comment, now
        session.add(rating)
    record(
        session,
        ticket=ticket,
        kind=EventKind.rated,
        actor_id=None,
        now=now,
        data={"score": score, "kind": RatingKind.nps.value, "of": 10, "rating": rating.id},
        reason=comment[:200],
        bump=False,
    )
    session.flush()
    return [f"NPS {score}"]
