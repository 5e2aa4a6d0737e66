"""The ticket detail's "Next due" names the target it is about, and says "overdue"."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from dispatcher.domain.enums import MessageKind, TicketStatus
from dispatcher.store.db.engine import Store
from dispatcher.store.tickets import reading, writes
from dispatcher.widgets.ticket_fields import field_rows
from tests.factories import World, new_ticket, world


@pytest.fixture
def w(store: Store) -> World:
    return world(store)


def _next_due(store: Store, ticket_id: int, now: datetime) -> str:
    with store.read() as session:
        detail = reading.ticket_detail(session, ticket_id=ticket_id)
    return dict(field_rows(detail, now))["Next due"]


def test_next_due_names_first_response_then_resolution(
    store: Store, w: World, now: datetime
) -> None:
    ticket = new_ticket(store, w, now=now)
    tid = ticket.id or 0
    assert _next_due(store, tid, now).startswith("first response in ")
    with store.write() as session:
        writes.add_message(
            session,
            ticket_id=tid,
            kind=MessageKind.reply,
            body="On it",
            actor_id=w.engineer.id,
            now=now + timedelta(minutes=5),
        )
    later = now + timedelta(minutes=6)
    assert _next_due(store, tid, later).split(" in ")[0] in ("resolution", "update")
    long_after = now + timedelta(days=30)
    assert _next_due(store, tid, long_after).endswith(" overdue")
    assert "-" not in _next_due(store, tid, long_after)


def test_a_paused_or_finished_clock_is_not_named(store: Store, w: World, now: datetime) -> None:
    ticket = new_ticket(store, w, now=now)
    with store.write() as session:
        writes.add_message(
            session,
            ticket_id=ticket.id or 0,
            kind=MessageKind.reply,
            body="Could you send a screenshot?",
            actor_id=w.engineer.id,
            now=now + timedelta(minutes=5),
        )
        writes.change_status(
            session,
            ticket_id=ticket.id or 0,
            expected_version=None,
            actor_id=w.engineer.id,
            status=TicketStatus.waiting_client,
            now=now + timedelta(minutes=6),
        )
    assert _next_due(store, ticket.id or 0, now + timedelta(minutes=7)) == "paused"
