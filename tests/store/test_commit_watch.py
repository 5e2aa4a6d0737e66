"""Change detection for the live queue: a commit by another connection is noticed."""

from __future__ import annotations

import time
from datetime import datetime

from dispatcher.store.db.commit_watch import open_watcher
from dispatcher.store.db.engine import Store
from dispatcher.store.models import Ticket
from tests.factories import new_ticket, world


def _within(watcher_changed: object, seconds: float = 2.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if watcher_changed():  # type: ignore[operator]
            return True
        time.sleep(0.02)
    return False


def test_a_commit_elsewhere_is_noticed_once(db_url: str, now: datetime) -> None:
    watched = Store.open(db_url)
    other = Store.open(db_url)  # another process's engine: its own connections
    watcher = open_watcher(watched)
    try:
        assert not watcher.changed()
        w = world(other)
        _within(watcher.changed, 0.3)  # SQLite notices any commit; PostgreSQL only tickets
        ticket = new_ticket(other, w, now=now)
        assert _within(watcher.changed)
        assert not watcher.changed()  # reported once, then quiet
        with other.read() as session:  # a read changes nothing
            assert session.get(Ticket, ticket.id) is not None
        time.sleep(0.1)
        assert not watcher.changed()
        with watched.write() as session:  # the watching process's own writes count too
            session.add(ticket)
            ticket.subject = "changed here"
        assert _within(watcher.changed)
    finally:
        watcher.close()
        watched.dispose()
        other.dispose()
