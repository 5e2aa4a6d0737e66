"""Suggesting an assignee from what the store holds: shifts, leave, load, history."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from dispatcher.domain.enums import TicketStatus
from dispatcher.store.db.engine import Store
from dispatcher.store.people import schedules, users
from dispatcher.store.tickets import writes
from dispatcher.store.tickets.routing import suggest_assignee
from tests.factories import World, new_ticket, world

ALWAYS = ["mon-sun 00:00-24:00"]


@pytest.fixture
def w(store: Store) -> World:
    w = world(store)
    with store.write() as session:
        for user in (w.engineer, w.engineer2, w.lead):
            schedules.set_shifts(session, user_id=user.id or 0, specs=ALWAYS)
    return w


def _assign(store: Store, ticket_id: int, user_id: int, now: datetime) -> None:
    with store.write() as session:
        writes.assign(
            session,
            ticket_id=ticket_id,
            expected_version=None,
            actor_id=None,
            assignee_id=user_id,
            now=now,
        )


def test_fewest_sla_active_tickets_gets_it(store: Store, w: World, now: datetime) -> None:
    busy = new_ticket(store, w, now=now)
    _assign(store, busy.id or 0, w.engineer.id or 0, now)
    ticket = new_ticket(store, w, now=now)
    with store.read() as session:
        s = suggest_assignee(session, ticket_id=ticket.id or 0, now=now)
    assert s.chosen is not None
    assert s.chosen.login == "petr"
    assert "has the network competence" in s.reason
    excluded = {e.login: e.reason for e in s.excluded}
    assert excluded == {"lena": "lacks the network competence"}
    counts = {c.login: c.sla_active_tickets for c in s.eligible}
    assert counts == {"petr": 0, "ivan": 1}


def test_a_paused_ticket_does_not_count_as_load(store: Store, w: World, now: datetime) -> None:
    for _ in range(2):
        waiting = new_ticket(store, w, now=now)
        _assign(store, waiting.id or 0, w.engineer.id or 0, now)
        with store.write() as session:
            writes.change_status(
                session,
                ticket_id=waiting.id or 0,
                expected_version=None,
                actor_id=None,
                status=TicketStatus.waiting_client,
                now=now,
            )
    busy = new_ticket(store, w, now=now)
    _assign(store, busy.id or 0, w.engineer2.id or 0, now)
    ticket = new_ticket(store, w, now=now)
    with store.read() as session:
        s = suggest_assignee(session, ticket_id=ticket.id or 0, now=now)
    assert s.chosen is not None
    assert s.chosen.login == "ivan"


def test_leave_shift_and_deactivation_exclude(store: Store, w: World, now: datetime) -> None:
    with store.write() as session:
        schedules.add_leave(
            session, user_id=w.engineer.id or 0, starts_on=now.date(), ends_on=now.date()
        )
        schedules.clear_shifts(session, user_id=w.engineer2.id or 0)
    ticket = new_ticket(store, w, now=now)
    with store.read() as session:
        s = suggest_assignee(session, ticket_id=ticket.id or 0, now=now)
    assert s.chosen is None
    excluded = {e.login: e.reason for e in s.excluded}
    assert excluded["ivan"] == "on leave"
    assert excluded["petr"] == "off shift now"
    with store.write() as session:
        schedules.remove_leave(session, leave_id=schedules.list_leave(session)[0].id or 0)
        users.deactivate_user(session, user_id=w.engineer.id or 0)
    with store.read() as session:
        s = suggest_assignee(session, ticket_id=ticket.id or 0, now=now)
    assert {e.login: e.reason for e in s.excluded}["ivan"] == "deactivated"


def test_ties_round_robin_by_last_assignment_in_history(
    store: Store, w: World, now: datetime
) -> None:
    # Both get one ticket of the category, ivan more recently; both then close it.
    for user, at in ((w.engineer2, now - timedelta(hours=2)), (w.engineer, now)):
        t = new_ticket(store, w, now=at)
        _assign(store, t.id or 0, user.id or 0, at)
        with store.write() as session:
            writes.change_status(
                session,
                ticket_id=t.id or 0,
                expected_version=None,
                actor_id=None,
                status=TicketStatus.resolved,
                now=at,
            )
    ticket = new_ticket(store, w, now=now)
    with store.read() as session:
        s = suggest_assignee(session, ticket_id=ticket.id or 0, now=now)
    assert s.chosen is not None
    assert s.chosen.login == "petr"
    assert "round-robin" in s.reason
    assert "2 h ago" in s.reason
    last = {c.login: c.last_assigned_at for c in s.eligible}
    assert last["ivan"] == now


def test_missing_ticket_is_not_found(store: Store, w: World, now: datetime) -> None:
    from dispatcher.domain.errors import NotFoundError

    with store.read() as session, pytest.raises(NotFoundError):
        suggest_assignee(session, ticket_id=999, now=now)


def test_at_night_nobody_is_chosen_but_the_next_on_shift_is_named(store: Store) -> None:
    w = world(store)
    with store.write() as session:
        schedules.set_shifts(session, user_id=w.engineer.id or 0, specs=["mon-fri 08:00-17:00"])
        schedules.set_shifts(session, user_id=w.engineer2.id or 0, specs=["mon-fri 10:00-19:00"])
        schedules.set_shifts(session, user_id=w.lead.id or 0, specs=ALWAYS)
    thursday_night = datetime.fromisoformat("2026-12-03T23:30:00+00:00")
    ticket = new_ticket(store, w, now=thursday_night)
    with store.read() as session:
        s = suggest_assignee(session, ticket_id=ticket.id or 0, now=thursday_night)
    assert s.chosen is None
    assert s.next_up is not None
    assert s.next_up.login == w.engineer.login
    assert s.reason.endswith(f"next on shift: {w.engineer.login}, on shift from 08:00 tomorrow")
    # The lead is on shift but lacks the competence: after both engineers.
    assert [c.login for c in s.ranked] == [w.engineer.login, w.engineer2.login, w.lead.login]


def test_leave_pushes_the_next_shift_past_it(store: Store) -> None:
    w = world(store)
    with store.write() as session:
        for user in (w.engineer, w.engineer2):
            schedules.set_shifts(session, user_id=user.id or 0, specs=["mon-fri 08:00-17:00"])
        schedules.add_leave(
            session,
            user_id=w.engineer.id or 0,
            starts_on=datetime.fromisoformat("2026-12-04").date(),
            ends_on=datetime.fromisoformat("2026-12-07").date(),
        )
    thursday_night = datetime.fromisoformat("2026-12-03T23:30:00+00:00")
    ticket = new_ticket(store, w, now=thursday_night)
    with store.read() as session:
        s = suggest_assignee(session, ticket_id=ticket.id or 0, now=thursday_night)
        on_leave = next(c for c in s.ranked if c.login == w.engineer.login)
    assert s.next_up is not None
    assert s.next_up.login == w.engineer2.login
    assert on_leave.next_on_shift == datetime.fromisoformat("2026-12-08T08:00:00+00:00")


def test_fits_for_several_tickets(store: Store, w: World, now: datetime) -> None:
    from dispatcher.store.tickets.routing import fits_for_tickets

    tickets = [new_ticket(store, w, now=now) for _ in range(2)]
    with store.read() as session:
        fits = fits_for_tickets(session, ticket_ids=[t.id or 0 for t in tickets], now=now)
    lacking = {f.candidate.login: f.lacking for f in fits}
    assert lacking == {w.engineer.login: 0, w.engineer2.login: 0, w.lead.login: 2}
    assert fits[-1].candidate.login == w.lead.login
