"""The NPS pulse: the question mailed after a closed ticket, at most every N days per
contact; the answer read from the reply, stored, reported and shown in the history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from dispatcher.domain.enums import RatingKind, TicketStatus
from dispatcher.intake.parse import parse_message
from dispatcher.store.db.engine import Store
from dispatcher.store.mail import inbound
from dispatcher.store.mail.answers import rate
from dispatcher.store.models import NpsPulse, OutboxItem, Rating, TicketEvent
from dispatcher.store.reports import nps
from dispatcher.store.reports.kpi import Period, kpi_report
from dispatcher.store.tickets import writes as repo
from dispatcher.store.tickets.history import describe
from tests.factories import World, world
from tests.intake.helpers import feed

T0 = datetime(2026, 11, 16, 7, 0, tzinfo=UTC)
NOVEMBER = Period(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))


@pytest.fixture
def w(store: Store) -> World:
    return world(store)


def _closed_mail_ticket(store: Store, w: World, at: datetime, name: str = "plain_utf8.eml") -> int:
    """A ticket from anna@acme.example's mail, resolved and closed."""
    ticket_id = feed(store, name, now=at).ticket_id
    assert ticket_id is not None
    for status, later in ((TicketStatus.resolved, 60), (TicketStatus.closed, 120)):
        with store.write() as session:
            repo.change_status(
                session,
                ticket_id=ticket_id,
                expected_version=None,
                actor_id=w.engineer.id,
                status=status,
                now=at + timedelta(minutes=later),
            )
    return ticket_id


def _pulse(store: Store, at: datetime, days: int = 90) -> list[int]:
    with store.write() as session:
        return nps.pulse_due(session, now=at, every_days=days)


def _questions(store: Store) -> list[OutboxItem]:
    with store.read() as session:
        query = select(OutboxItem).where(OutboxItem.kind == nps.PULSE_KIND)
        return list(session.exec(query).all())


def _reply(store: Store, *, sender: str, in_reply_to: str, body: str, n: int, at: datetime):  # type: ignore[no-untyped-def]
    raw = (
        f"From: {sender}\r\nSubject: Re: How likely are you to recommend us?\r\n"
        f"Message-ID: <nps-{n}@reply.example>\r\nIn-Reply-To: {in_reply_to}\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()
    with store.write() as session:
        return inbound.receive(session, mail=parse_message(raw), raw=raw, source="t", now=at)


def _nps_ratings(store: Store) -> list[Rating]:
    with store.read() as session:
        return list(session.exec(select(Rating).where(Rating.kind == RatingKind.nps)).all())


def test_the_question_goes_once_per_contact_every_n_days(store: Store, w: World) -> None:
    first = _closed_mail_ticket(store, w, T0)
    assert _pulse(store, T0 + timedelta(minutes=30)) == []  # not closed yet at that moment
    [pulse_id] = _pulse(store, T0 + timedelta(hours=3))
    [question] = _questions(store)
    assert question.to_addresses == "anna@acme.example"
    assert question.ticket_id == first
    assert "from 0 (not at all) to 10" in question.body
    assert _pulse(store, T0 + timedelta(hours=4)) == []  # that ticket was asked about
    # Anna's next ticket, closed a week later: within 90 days of the last question.
    _closed_mail_ticket(store, w, T0 + timedelta(days=7), "reply_subject_ref.eml")
    assert _pulse(store, T0 + timedelta(days=7, hours=3)) == []
    # With a 5-day pulse she is asked again.
    assert len(_pulse(store, T0 + timedelta(days=7, hours=3), days=5)) == 1
    with store.read() as session:
        pulse = session.get(NpsPulse, pulse_id)
        assert pulse is not None
        assert pulse.message_id == question.message_id
    assert _pulse(store, T0 + timedelta(days=60), days=0) == []  # 0: never


def test_the_answer_is_stored_reported_and_in_the_history(store: Store, w: World) -> None:
    ticket_id = _closed_mail_ticket(store, w, T0)
    _pulse(store, T0 + timedelta(hours=3))
    [question] = _questions(store)
    answered = T0 + timedelta(hours=5)
    result = _reply(
        store,
        sender="anna@acme.example",
        in_reply_to=question.message_id,
        body="I'd say 9 out of 10, thanks!\n\n> " + question.body.replace("\n", "\n> "),
        n=1,
        at=answered,
    )
    assert result.notes == ["NPS 9"]
    assert result.ticket_id == ticket_id  # on the ticket, not a new one
    [answer] = _nps_ratings(store)
    assert (answer.score, answer.client_id, answer.contact_id) == (9, w.client.id, w.contact.id)
    assert answer.at == answered
    with store.read() as session:
        ticket = repo.get_ticket(session, ticket_id=ticket_id)
        assert ticket.status == TicketStatus.closed  # left alone
        [(_, figures)] = kpi_report(session, period=NOVEMBER, zone=UTC)
        events = session.exec(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id)).all()
    assert figures["nps"] == {
        "answers": 1, "promoters": 1, "passives": 0, "detractors": 0, "score": 100.0
    }  # fmt: skip
    lines = [describe(e.kind, e.data) for e in events]
    assert "NPS 9" in lines
    # The client changes their mind: the same question's answer is replaced, not doubled.
    _reply(store, sender="anna@acme.example", in_reply_to=question.message_id, body="6",
           n=2, at=answered + timedelta(hours=1))  # fmt: skip
    [answer] = _nps_ratings(store)
    assert answer.score == 6


def test_a_strangers_reply_never_records_a_score(store: Store, w: World) -> None:
    _closed_mail_ticket(store, w, T0)
    _pulse(store, T0 + timedelta(hours=3))
    [question] = _questions(store)
    result = _reply(
        store, sender="eve@evil.example", in_reply_to=question.message_id, body="0", n=3,
        at=T0 + timedelta(hours=5),
    )  # fmt: skip
    assert result.outcome == inbound.Outcome.held
    assert _nps_ratings(store) == []


def test_a_reply_without_a_number_is_no_answer(store: Store, w: World) -> None:
    _closed_mail_ticket(store, w, T0)
    _pulse(store, T0 + timedelta(hours=3))
    [question] = _questions(store)
    result = _reply(
        store, sender="anna@acme.example", in_reply_to=question.message_id,
        body="The printer on floor 2 is broken now", n=4, at=T0 + timedelta(hours=5),
    )  # fmt: skip
    assert result.outcome == inbound.Outcome.new_ticket  # a new request, as any other mail
    assert _nps_ratings(store) == []


def test_the_history_shows_each_ratings_score(store: Store, w: World) -> None:
    ticket_id = _closed_mail_ticket(store, w, T0)
    with store.write() as session:
        rate(session, ticket=repo.get_ticket(session, ticket_id=ticket_id), score=4,
             comment="", now=T0 + timedelta(hours=2))  # fmt: skip
    with store.read() as session:
        events = session.exec(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id)).all()
    assert "rated 4/5" in [describe(e.kind, e.data) for e in events]
