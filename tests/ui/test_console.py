"""The console under Pilot: the queue loads off the UI thread, hostile text stays inert,
SLA alerts arrive as a toast with the bell and a count, and the alerts panel works."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from textual.widgets import DataTable

from dispatcher.app import DispatcherApp
from dispatcher.config import load_settings
from dispatcher.domain.enums import Priority
from dispatcher.identity import sign_in
from dispatcher.screens.alerts import AlertsScreen
from dispatcher.store.db.engine import Store
from dispatcher.widgets.queue_table import QueueTable
from tests.factories import World, new_ticket, world

HOSTILE = "[@click=app.quit]Click me[/] [bold red]loud[/] \x1b]0;pwned\x07\x1b[31mred"


class ConsoleUnderTest(DispatcherApp):
    """The console, counting the terminal bells it rings."""

    bells = 0

    def bell(self) -> None:
        self.bells += 1


def _app(store: Store, login: str, *, scheduler: bool = False) -> ConsoleUnderTest:
    return ConsoleUnderTest(
        settings=load_settings(),
        store=store,
        operator=sign_in(store, login),
        run_scheduler=scheduler,
    )


async def _until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    """Poll a condition the app's workers will make true (they post no event we could await)."""
    async with asyncio.timeout(seconds):
        while True:
            if condition():
                return
            await asyncio.sleep(0.05)


@pytest.fixture
def w(store: Store) -> World:
    return world(store)


async def test_queue_lists_active_tickets_most_urgent_first(store: Store, w: World) -> None:
    now = datetime.now(UTC)
    new_ticket(store, w, now=now, subject="Printer offline", priority=Priority.low)
    new_ticket(store, w, now=now, subject="Server down", priority=Priority.urgent)
    app = _app(store, "olga")
    async with app.run_test(size=(120, 30)) as pilot:
        table = app.screen.query_one(QueueTable)
        await _until(lambda: len(table.rows) == 2)
        assert table.rows[0].subject == "Server down"
        await pilot.press("j")
        assert table.cursor == 1


async def test_hostile_subjects_show_as_text_and_never_act(store: Store, w: World) -> None:
    new_ticket(store, w, now=datetime.now(UTC), subject=HOSTILE)
    app = _app(store, "olga")
    async with app.run_test(size=(160, 30)) as pilot:
        table = app.screen.query_one(QueueTable)
        await _until(lambda: len(table.rows) == 1)
        line = "".join(s.text for s in table.render_line(0))
        assert "[@click=app.quit]Click me[/]" in line  # the markup is shown, literally
        assert "\x1b" not in line  # escapes removed
        assert "\x07" not in line
        await pilot.click(QueueTable, offset=(60, 0))
        await pilot.pause()
        assert app.is_running  # clicking the "link" did not quit


async def test_alerts_arrive_as_toast_bell_and_count(store: Store, w: World) -> None:
    # Registered long ago: its first-response deadline is already past.
    new_ticket(store, w, now=datetime.now(UTC) - timedelta(hours=2), priority=Priority.high)
    app = _app(store, "lena", scheduler=True)  # the lead hears of breaches
    async with app.run_test(size=(120, 30)) as pilot:
        await _until(lambda: app.open_alerts > 0, seconds=15)
        assert "alerts" in app.sub_title
        # The first poll only counts what was already open; fresh alerts toast and ring.
        await pilot.press("exclamation_mark")
        await _until(lambda: isinstance(app.screen, AlertsScreen))
        table = app.screen.query_one(DataTable)
        await _until(lambda: table.row_count > 0)
        before = table.row_count
        await pilot.press("a")
        await _until(lambda: table.row_count == before - 1)


async def test_new_alerts_toast_and_ring(store: Store, w: World) -> None:
    app = _app(store, "lena")
    async with app.run_test(size=(120, 30)):
        await _until(lambda: app._seen_alerts is not None)
        new_ticket(store, w, now=datetime.now(UTC) - timedelta(hours=2), priority=Priority.high)
        from dispatcher.scheduling import SlaJobs

        await asyncio.to_thread(SlaJobs(store=store).sweep)  # as a watcher elsewhere would
        app.poll_alerts()
        await _until(lambda: app.bells > 0)
        assert app.open_alerts >= 1
        assert any("breached" in n.message for n in app._notifications)


def test_an_unknown_login_says_how_to_add_it(store: Store) -> None:
    from dispatcher.domain.errors import NotFoundError

    with pytest.raises(NotFoundError, match="dispatcher admin users add nobody"):
        sign_in(store, "nobody")
