"""Snapshots of the queue: empty, loaded, and with breached, warning and paused SLAs.

Fixed terminal size, a frozen clock handed to the app (every "time left" is computed
from it), Textual pinned in pyproject.toml. Update with `pytest --snapshot-update`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from textual.pilot import Pilot

from dispatcher.app import DispatcherApp
from dispatcher.domain.enums import Priority, TicketStatus
from dispatcher.store.db.engine import Store
from dispatcher.store.tickets import writes as repo
from tests.conftest import NOW
from tests.factories import World, new_ticket, world
from tests.ui.harness import settle
from tests.ui.queue_helpers import console, queue

SIZE = (150, 24)
SnapCompare = Callable[..., bool]


def _frozen() -> Any:
    return NOW


async def _settled(pilot: Pilot[Any], rows: int) -> None:
    app = pilot.app
    assert isinstance(app, DispatcherApp)
    await settle(pilot)
    assert queue(app).window is not None
    assert len(queue(app).table.rows) == rows
    assert len(queue(app).counts) == 2
    await pilot.pause()


@pytest.fixture
def w(store: Store) -> World:
    return world(store)


def test_queue_empty(snap_compare: SnapCompare, store: Store, w: World) -> None:
    app = console(store, clock=_frozen)

    async def ready(pilot: Pilot[Any]) -> None:
        await _settled(pilot, 0)

    assert snap_compare(app, terminal_size=SIZE, run_before=ready)


def test_queue_loaded(snap_compare: SnapCompare, store: Store, w: World) -> None:
    for i, priority in enumerate([Priority.normal, Priority.low, Priority.normal]):
        new_ticket(
            store,
            w,
            now=NOW - timedelta(minutes=i),
            subject=f"Printer {i} offline",
            priority=priority,
        )
    new_ticket(
        store, w, now=NOW, subject="[bold]Not bold[/bold] \x1b[31mnot red", priority=Priority.low
    )
    app = console(store, clock=_frozen)

    async def ready(pilot: Pilot[Any]) -> None:
        await _settled(pilot, 4)

    assert snap_compare(app, terminal_size=SIZE, run_before=ready)


def test_queue_with_breached_warning_and_paused_slas(
    snap_compare: SnapCompare, store: Store, w: World
) -> None:
    new_ticket(store, w, now=NOW, subject="On time", priority=Priority.normal)
    new_ticket(
        store, w, now=NOW - timedelta(minutes=40), subject="Due soon", priority=Priority.high
    )
    new_ticket(store, w, now=NOW - timedelta(hours=3), subject="Breached", priority=Priority.urgent)
    paused = new_ticket(store, w, now=NOW, subject="Waiting on the client", priority=Priority.high)
    with store.write() as session:
        repo.change_status(
            session,
            ticket_id=paused.id or 0,
            expected_version=paused.version,
            actor_id=w.dispatcher.id,
            status=TicketStatus.waiting_client,
            now=NOW,
        )
    app = console(store, clock=_frozen)

    async def ready(pilot: Pilot[Any]) -> None:
        await _settled(pilot, 4)
        await pilot.press("space")  # one row selected

    assert snap_compare(app, terminal_size=SIZE, run_before=ready)
