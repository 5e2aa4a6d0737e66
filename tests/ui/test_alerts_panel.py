"""The alerts panel under Pilot: one row per alert naming target, owner, deadline (in the
operator's zone, with the date) and lateness; Enter opens the ticket; an acknowledge moves
the header count; a resolved ticket's alerts leave. Plus a snapshot at 100x30."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable

from dispatcher.app import DispatcherApp
from dispatcher.domain.enums import Priority, TicketStatus
from dispatcher.scheduling import SlaJobs
from dispatcher.screens.alerts import AlertsScreen
from dispatcher.screens.ticket import TicketScreen
from dispatcher.store.db.engine import Store
from dispatcher.store.models import Ticket, User
from dispatcher.store.tickets import writes
from tests.conftest import NOW
from tests.factories import World, new_ticket, world
from tests.ui.harness import settle
from tests.ui.queue_helpers import console

SnapCompare = Callable[..., bool]
AT = NOW + timedelta(minutes=62)  # the first response (60 min) breached two minutes ago


def _clock() -> datetime:
    return AT


@pytest.fixture
def w(store: Store) -> World:
    w = world(store)
    with store.write() as session:
        lena = session.get(User, w.lead.id)
        assert lena is not None
        lena.timezone = "Europe/Moscow"
        session.add(lena)
    return w


def _breached(store: Store, w: World, subject: str = "VPN is down") -> Ticket:
    """Assigned to ivan; the 15-minute warning and the breach fired."""
    ticket = new_ticket(store, w, now=NOW, priority=Priority.high, subject=subject)
    with store.write() as session:
        ticket = writes.assign(
            session,
            ticket_id=ticket.id or 0,
            expected_version=None,
            actor_id=w.dispatcher.id,
            assignee_id=w.engineer.id,
            now=NOW + timedelta(minutes=1),
        )
    for minutes in (45, 61):
        SlaJobs(store=store, clock=_at(NOW + timedelta(minutes=minutes))).sweep()
    return ticket


def _at(instant: datetime) -> Callable[[], datetime]:
    return lambda: instant


def _panel(app: DispatcherApp) -> AlertsScreen:
    screen = app.screen
    assert isinstance(screen, AlertsScreen), screen
    return screen


def _cells(app: DispatcherApp) -> list[list[str]]:
    table = _panel(app).query_one(DataTable)
    return [[str(cell) for cell in table.get_row_at(n)] for n in range(table.row_count)]


async def _open_panel(pilot: Pilot[Any]) -> DispatcherApp:
    app = pilot.app
    assert isinstance(app, DispatcherApp)
    await settle(pilot)
    await pilot.press("exclamation_mark")
    await settle(pilot)
    _panel(app)
    return app


async def test_one_row_naming_target_owner_and_local_due_time(store: Store, w: World) -> None:
    ticket = _breached(store, w)
    app = console(store, "lena", clock=_clock)
    async with app.run_test(size=(140, 30)) as pilot:
        await _open_panel(pilot)
        rows = _cells(app)
        assert len(rows) == 1  # the breach, standing for its warning and every copy
        ref, kind, target, owner, subject, due, left = rows[0]
        assert (ref, kind, target, owner) == (
            f"#{ticket.id}",
            "breach",
            "first response",
            "Ivan Engineer",
        )
        assert subject == "VPN is down"
        # NOW is 07:30 UTC: the deadline at 08:30 UTC is 11:30 in Moscow, with the date.
        assert due == "18 Nov 11:30 MSK"
        assert left == "2m late"
        assert app.open_alerts == 1


async def test_enter_opens_the_ticket_and_acknowledge_moves_the_count(
    store: Store, w: World
) -> None:
    ticket = _breached(store, w)
    _breached(store, w, subject="Mail is slow")
    app = console(store, "lena", clock=_clock)
    async with app.run_test(size=(140, 30)) as pilot:
        await _open_panel(pilot)
        assert app.open_alerts == 2
        assert "· 2 alerts" in app.sub_title
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        assert app.screen.ticket_id == ticket.id
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert len(_cells(app)) == 1
        assert app.open_alerts == 1  # the header's count followed at once
        assert "· 1 alert" in app.sub_title
        assert "1 alerts" not in app.sub_title


async def test_a_resolved_tickets_alerts_leave_the_panel(store: Store, w: World) -> None:
    ticket = _breached(store, w)
    app = console(store, "lena", clock=_clock)
    async with app.run_test(size=(140, 30)) as pilot:
        await _open_panel(pilot)
        assert len(_cells(app)) == 1
        with store.write() as session:  # ivan, in his console
            writes.change_status(
                session,
                ticket_id=ticket.id or 0,
                expected_version=None,
                actor_id=w.engineer.id,
                status=TicketStatus.resolved,
                now=AT,
            )
        _panel(app).load()  # what every `Intervals.alerts` seconds does
        await settle(pilot)
        assert _cells(app) == []


def test_alerts_panel_snapshot(snap_compare: SnapCompare, store: Store, w: World) -> None:
    _breached(store, w, subject="[bold]Not bold[/bold] \x1b[31mnot red")
    late = new_ticket(store, w, now=NOW, priority=Priority.normal, subject="Printer offline")
    SlaJobs(store=store, clock=lambda: NOW + timedelta(minutes=226)).sweep()  # 15 min left
    assert late.id is not None
    app = console(store, "lena", clock=lambda: NOW + timedelta(minutes=226))

    async def ready(pilot: Pilot[Any]) -> None:
        await _open_panel(pilot)
        assert len(_cells(pilot.app)) == 2  # type: ignore[arg-type]
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 30), run_before=ready)
