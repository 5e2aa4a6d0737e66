"""Helpers for the queue's Pilot and snapshot tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

from dispatcher.app import DispatcherApp
from dispatcher.config import Settings, load_settings
from dispatcher.identity import sign_in
from dispatcher.screens.queue import QueueScreen
from dispatcher.store.db.engine import Store
from dispatcher.widgets.queue_table import QueueTable


def console(
    store: Store,
    login: str = "olga",
    *,
    clock: Callable[[], datetime] | None = None,
    settings: Settings | None = None,
    watch: bool = True,
) -> DispatcherApp:
    kwargs = {} if clock is None else {"clock": clock}
    return DispatcherApp(
        settings=settings or load_settings(),
        store=store,
        operator=sign_in(store, login),
        run_scheduler=False,
        watch_changes=watch,
        **kwargs,
    )


async def until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    """Poll a condition the app's workers will make true."""
    async with asyncio.timeout(seconds):
        while True:
            if condition():
                return
            await asyncio.sleep(0.02)


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
