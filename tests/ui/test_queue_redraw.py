"""The queue's refresh draws what changed: nothing when nothing did, the one line of a
ticket edited elsewhere, the lines between when a ticket moves; never the page for one row.

The table counts the lines it draws (`QueueTable.lines_drawn`, its `render_line` calls);
`pilot.pause()` makes the screen compose its frame, so the count is what reached it.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from dispatcher.store.db.engine import Store
from dispatcher.store.models import Ticket
from dispatcher.store.tickets import writes as repo
from dispatcher.widgets.queue_table import MARK_CHANGED
from tests.factories import World, new_ticket, world
from tests.ui.harness import settle
from tests.ui.queue_helpers import console, ids, line, queue, table

ROWS = 12


@pytest.fixture
def w(store: Store) -> World:
    return world(store)


def _change(store: Store, ticket_id: int, **kw: object) -> None:
    with store.write() as session:
        current = repo.get_ticket(session, ticket_id=ticket_id)
        repo.classify(
            session,
            ticket_id=ticket_id,
            expected_version=current.version,
            actor_id=None,
            **kw,  # type: ignore[arg-type]
        )


def _move(store: Store, ticket_id: int, due: datetime) -> None:
    with store.write() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        ticket.next_due_at = due
        ticket.version += 1
        session.add(ticket)


def _tickets(store: Store, w: World, now: datetime) -> list[Ticket]:
    return [
        new_ticket(store, w, now=now + timedelta(minutes=i), subject=f"ticket {i}")
        for i in range(ROWS)
    ]


async def test_a_refresh_draws_only_the_lines_that_changed(
    db_url: str, store: Store, w: World
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    made = _tickets(store, w, now)
    other = Store.open(db_url)  # another console's process
    app = console(store, clock=lambda: now + timedelta(minutes=ROWS))  # the Due cells hold
    try:
        async with app.run_test(size=(140, 30)) as pilot:
            await settle(pilot)
            await pilot.pause()
            t = table(app)
            assert len(t.rows) == ROWS
            assert t.size.height > ROWS  # the whole window is on screen

            drawn = t.lines_drawn
            queue(app).load()  # read again, nothing changed
            await settle(pilot)
            await pilot.pause()
            assert t.lines_drawn == drawn

            # Somebody elsewhere edits the subject of the fourth ticket: one line.
            edited = made[3].id or 0
            await asyncio.to_thread(_change, other, edited, subject="ticket 3 (edited)")
            queue(app).poll_changes()
            await settle(pilot)
            await pilot.pause()
            assert ids(app).index(edited) == 3
            assert t.lines_drawn - drawn == 1
            assert "(edited)" in line(app, 3)
            assert t.marks[edited] == MARK_CHANGED

            # The tenth's deadline is moved before the third's (its plan changed): it moves
            # up, and the lines it passed are drawn, not the page.
            before = ids(app)
            drawn = t.lines_drawn
            moved = made[9].id or 0
            due = t.rows[2].next_due_at - timedelta(seconds=1)
            await asyncio.to_thread(_move, other, moved, due)
            queue(app).poll_changes()
            await settle(pilot)
            await pilot.pause()
            after = ids(app)
            assert after.index(moved) <= 2 < before.index(moved)
            shifted = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
            assert t.lines_drawn - drawn == len(shifted)
            assert len(shifted) < ROWS
    finally:
        other.dispose()
