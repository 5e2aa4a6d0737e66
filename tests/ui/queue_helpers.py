"""Helpers for the queue's Pilot and snapshot tests."""

from __future__ import annotations

from dispatcher.app import DispatcherApp
from dispatcher.config import Settings, load_settings
from dispatcher.domain.clock import Clock, utcnow
from dispatcher.identity import sign_in
from dispatcher.screens.context import Intervals
from dispatcher.screens.queue import QueueScreen
from dispatcher.store.db.engine import Store
from dispatcher.widgets.queue_table import QueueTable


def console(
    store: Store,
    login: str = "olga",
    *,
    clock: Clock | None = None,
    settings: Settings | None = None,
) -> DispatcherApp:
    """The console without its scheduler, and with nothing running by itself: a test
    drives each poll (`poll_changes()`, `poll_alerts()`) and then `settle`s."""
    return DispatcherApp(
        settings=settings or load_settings(),
        store=store,
        operator=sign_in(store, login),
        run_scheduler=False,
        clock=clock or utcnow,
        intervals=Intervals.manual(),
    )


def queue(app: DispatcherApp) -> QueueScreen:
    screen = app.screen
    assert isinstance(screen, QueueScreen), screen
    return screen


def table(app: DispatcherApp) -> QueueTable:
    return queue(app).table


def ids(app: DispatcherApp) -> list[int]:
    return [r.id for r in table(app).rows]


def line(app: DispatcherApp, index: int) -> str:
    t = table(app)
    return "".join(s.text for s in t.render_line(index - t.scroll_offset.y))
