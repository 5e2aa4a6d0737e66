"""The console under Pilot: the queue loads off the UI thread, hostile text stays inert,
SLA alerts arrive as a toast with the bell and a count, and the alerts panel works."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from textual.widgets import DataTable

from dispatcher.app import DispatcherApp
from dispatcher.config import load_settings
from dispatcher.domain.enums import Priority
from dispatcher.identity import sign_in
from dispatcher.screens.alerts import AlertsScreen
from dispatcher.screens.context import Intervals
from dispatcher.screens.queue import QueueScreen
from dispatcher.store.db.engine import Store
from dispatcher.widgets.queue_table import QueueTable
from tests.factories import World, new_ticket, world
from tests.ui.harness import settle

# Only a safety net for a console that never sweeps (a hung test is worse than a failed
# one): the test waits for the sweep's own message, not for a time it should take.
SWEEP_NEVER_CAME = 120.0

HOSTILE = "[@click=app.quit]Click me[/] [bold red]loud[/] \x1b]0;pwned\x07\x1b[31mred"


class ConsoleUnderTest(DispatcherApp):
    """The console, counting the terminal bells it rings and noting its SLA sweeps."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.bells = 0
        self.swept = asyncio.Event()

    def bell(self) -> None:
        self.bells += 1

    def on_dispatcher_app_swept(self, event: DispatcherApp.Swept) -> None:
        self.swept.set()  # DispatcherApp's own handler then polls the alerts


def _app(store: Store, login: str, *, scheduler: bool = False) -> ConsoleUnderTest:
    return ConsoleUnderTest(
        settings=load_settings(),
        store=store,
        operator=sign_in(store, login),
        run_scheduler=scheduler,
        intervals=Intervals.manual(),
    )


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
        await settle(pilot)
        assert len(table.rows) == 2
        assert table.rows[0].subject == "Server down"
        await pilot.press("j")
        assert table.cursor == 1


async def test_hostile_subjects_show_as_text_and_never_act(store: Store, w: World) -> None:
    new_ticket(store, w, now=datetime.now(UTC), subject=HOSTILE)
    app = _app(store, "olga")
    async with app.run_test(size=(160, 30)) as pilot:
        table = app.screen.query_one(QueueTable)
        await settle(pilot)
        assert len(table.rows) == 1
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
        # The console's scheduler sweeps once as it starts, in its own thread.
        async with asyncio.timeout(SWEEP_NEVER_CAME):
            await app.swept.wait()
        await settle(pilot)  # the poll of the alerts the sweep raised
        assert app.open_alerts > 0
        assert " alert" in app.sub_title
        # The first poll only counts what was already open; fresh alerts toast and ring.
        await pilot.press("exclamation_mark")
        await settle(pilot)
        assert isinstance(app.screen, AlertsScreen)
        table = app.screen.query_one(DataTable)
        await settle(pilot)
        assert table.row_count > 0
        before = table.row_count
        await pilot.press("a")
        await settle(pilot)
        assert table.row_count == before - 1


async def test_new_alerts_toast_and_ring(store: Store, w: World) -> None:
    app = _app(store, "lena")
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        assert app._seen_alerts is not None
        new_ticket(store, w, now=datetime.now(UTC) - timedelta(hours=2), priority=Priority.high)
        from dispatcher.scheduling import SlaJobs

        await asyncio.to_thread(SlaJobs(store=store).sweep)  # as a watcher elsewhere would
        app.poll_alerts()
        await settle(pilot)
        assert app.bells > 0
        assert app.open_alerts >= 1
        assert any("breached" in n.message for n in app._notifications)


async def test_many_new_alerts_are_one_toast(store: Store, w: World) -> None:
    app = _app(store, "lena")
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        for n in range(5):
            new_ticket(store, w, now=datetime.now(UTC) - timedelta(hours=2 + n),
                       priority=Priority.high, subject=f"Outage {n}")  # fmt: skip
        from dispatcher.scheduling import SlaJobs

        await asyncio.to_thread(SlaJobs(store=store).sweep)
        app.poll_alerts()
        await settle(pilot)
        toasts = [n for n in app._notifications if n.title in ("SLA alerts", "SLA breach")]
        assert len(toasts) == 1
        assert toasts[0].message.startswith(f"{app.open_alerts} new SLA alerts (")
        assert "press ! to see them" in toasts[0].message
        assert app.bells == 1


def test_an_unknown_login_says_how_to_add_it(store: Store) -> None:
    from dispatcher.domain.errors import NotFoundError

    with pytest.raises(NotFoundError, match="dispatcher admin users add nobody"):
        sign_in(store, "nobody")


def test_refresh_seconds_is_how_often_the_queue_looks_for_changes(store: Store, w: World) -> None:
    settings = load_settings(refresh_seconds=0.5)
    operator = sign_in(store, "olga")
    app = DispatcherApp(settings=settings, store=store, operator=operator, run_scheduler=False)
    assert app.context.intervals.changes == 0.5
    assert app.context.intervals == Intervals(changes=0.5)  # the rest: the console's own
    assert load_settings().refresh_seconds == Intervals().changes  # the default is unchanged
    off = DispatcherApp(
        settings=settings, store=store, operator=operator, run_scheduler=False, watch_changes=False
    )
    assert off.context.intervals.changes is None


async def test_the_queue_polls_for_changes_every_refresh_seconds(store: Store, w: World) -> None:
    settings = load_settings(refresh_seconds=30)  # no tick comes during the test
    app = DispatcherApp(
        settings=settings, store=store, operator=sign_in(store, "olga"), run_scheduler=False
    )
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        assert screen.change_poll is not None
        assert screen.change_poll._interval == 30


async def test_the_ticket_screen_gets_the_consoles_clock_wherever_it_is_opened(
    store: Store, w: World
) -> None:
    from dispatcher.commands import TicketCommands
    from dispatcher.scheduling import SlaJobs
    from dispatcher.screens.my_work import MyWorkScreen
    from dispatcher.screens.ticket import TicketScreen
    from dispatcher.store.tickets import writes
    from tests.ui.queue_helpers import console

    at = datetime.now(UTC)

    def clock() -> datetime:
        return at

    late = new_ticket(store, w, now=at - timedelta(hours=2), priority=Priority.high)
    with store.write() as session:
        writes.assign(
            session,
            ticket_id=late.id or 0,
            expected_version=None,
            actor_id=None,
            assignee_id=w.lead.id,
        )
    SlaJobs(store=store, clock=clock).sweep()  # its deadline has passed: an alert
    app = console(store, "lena", clock=clock)

    async def opened(where: str) -> None:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TicketScreen), where
        assert screen.ticket_id == late.id, where
        assert screen.context is app.context, where  # the same store, operator and clock
        assert screen.context.clock is clock, where
        await pilot.press("escape")
        await settle(pilot)

    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f2")  # the lead starts on the dashboard
        await settle(pilot)
        await pilot.press("enter")  # the queue
        await opened("queue")
        hits = [hit async for hit in TicketCommands(app.screen).search(f"#{late.id}")]
        hits[0].command()  # the palette
        await opened("palette")
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, MyWorkScreen)
        await pilot.press("enter")  # my work
        await opened("my work")
        await pilot.press("f5")
        await settle(pilot)
        assert isinstance(app.screen, AlertsScreen)
        await pilot.press("enter")  # the alerts panel
        await opened("alerts")
