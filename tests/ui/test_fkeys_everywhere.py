"""F3 (knowledge base), F4 (my work) and F5 (alerts) work from every screen, the ticket
detail included, and F2 comes back to the queue."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dispatcher.screens.alerts import AlertsScreen
from dispatcher.screens.kb import KbScreen
from dispatcher.screens.my_work import MyWorkScreen
from dispatcher.screens.ticket import TicketScreen
from dispatcher.store.db.engine import Store
from tests.factories import new_ticket, world
from tests.ui.harness import settle
from tests.ui.queue_helpers import console

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


async def _open_ticket(pilot: object) -> None:
    from textual.pilot import Pilot

    assert isinstance(pilot, Pilot)
    await settle(pilot)
    await pilot.press("f2")  # the queue (the lead starts on the dashboard)
    await settle(pilot)
    await pilot.press("enter")
    for _ in range(10):
        await settle(pilot)
        if isinstance(pilot.app.screen, TicketScreen) and pilot.app.screen.view is not None:
            return
    raise AssertionError(f"the ticket did not open: {pilot.app.screen}")


async def test_fkeys_from_the_ticket_screen_for_the_lead(store: Store) -> None:
    login = "lena"
    w = world(store)
    new_ticket(store, w, now=NOW)
    app = console(store, login, clock=lambda: NOW)
    async with app.run_test(size=(120, 30)) as pilot:
        await _open_ticket(pilot)
        await pilot.press("f4")
        await settle(pilot)
        assert app.current_mode == "my_work"
        await pilot.press("f2")
        await settle(pilot)
        assert app.current_mode == "queue"
        assert isinstance(app.screen, TicketScreen)  # the queue's stack is kept
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, KbScreen)
        await pilot.press("f5")
        await settle(pilot)
        assert app.current_mode == "alerts"
        await pilot.press("f2")
        await settle(pilot)
        assert app.current_mode == "queue"


@pytest.mark.parametrize("login", ["olga", "ivan"])  # a dispatcher, an engineer
async def test_fkeys_from_the_ticket_screen_for_everybody_else(store: Store, login: str) -> None:
    w = world(store)
    new_ticket(store, w, now=NOW)
    app = console(store, login, clock=lambda: NOW)
    async with app.run_test(size=(120, 30)) as pilot:
        await _open_ticket(pilot)
        await pilot.press("f5")  # their own alerts, over the ticket
        await settle(pilot)
        assert isinstance(app.screen, AlertsScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        await pilot.press("f4")
        await settle(pilot)
        assert app.current_mode == "my_work"
        assert isinstance(app.screen, MyWorkScreen)
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, KbScreen)
