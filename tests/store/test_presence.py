"""Presence: who else has a ticket open, by heartbeat; stale rows stop counting."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from dispatcher.store.db.engine import Store
from dispatcher.store.tickets import presence
from tests.factories import World, new_ticket, world


@pytest.fixture
def w(store: Store) -> World:
    return world(store)


def test_heartbeats_show_other_viewers_until_they_go_stale(
    store: Store, w: World, now: datetime
) -> None:
    t = new_ticket(store, w, now=now)
    tid = t.id or 0
    with store.write() as session:
        presence.heartbeat(session, user_id=w.dispatcher.id or 0, ticket_id=tid, now=now)
        presence.heartbeat(session, user_id=w.engineer.id or 0, ticket_id=tid, now=now)
    with store.read() as session:
        seen = presence.viewers(session, ticket_id=tid, now=now, exclude_user_id=w.dispatcher.id)
    assert [v.login for v in seen] == ["ivan"]
    assert seen[0].name == "Ivan Engineer"
    # A beat refreshes the row (upsert, no duplicate key); a missed ~2 beats makes it stale.
    later = now + presence.STALE_AFTER - timedelta(seconds=1)
    with store.write() as session:
        presence.heartbeat(session, user_id=w.dispatcher.id or 0, ticket_id=tid, now=later)
    much_later = now + presence.STALE_AFTER + timedelta(seconds=1)
    with store.read() as session:
        everyone = presence.viewers(session, ticket_id=tid, now=much_later)
    assert [v.login for v in everyone] == ["olga"]  # ivan's console stopped beating


def test_leaving_removes_the_viewer_and_prune_clears_stale_rows(
    store: Store, w: World, now: datetime
) -> None:
    t = new_ticket(store, w, now=now)
    tid = t.id or 0
    with store.write() as session:
        presence.heartbeat(session, user_id=w.engineer.id or 0, ticket_id=tid, now=now)
        presence.heartbeat(session, user_id=w.engineer2.id or 0, ticket_id=tid, now=now)
    with store.write() as session:
        presence.leave(session, user_id=w.engineer.id or 0, ticket_id=tid)
    with store.read() as session:
        assert [v.login for v in presence.viewers(session, ticket_id=tid, now=now)] == ["petr"]
    with store.write() as session:
        gone = presence.prune(session, now=now + presence.STALE_AFTER * 2)
    assert gone == 1
    with store.read() as session:
        assert presence.viewers(session, ticket_id=tid, now=now) == []


def test_stale_after_is_about_two_heartbeats() -> None:
    beats = presence.STALE_AFTER.total_seconds() / presence.HEARTBEAT_SECONDS
    assert 2 <= beats < 3
