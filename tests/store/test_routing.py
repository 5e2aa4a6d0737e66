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
