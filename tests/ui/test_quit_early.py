"""Quitting before the queue's first window has arrived: the console leaves cleanly.

The first read is held until the quit has begun (`App.exit` called, the screens not yet
closed), then let go: its answer (the sections, the tabs, the first window) comes to a
screen that is on its way out, and must not be drawn into it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from dispatcher.app import DispatcherApp
from dispatcher.config import Settings, load_settings
from dispatcher.config_defaults import DEFAULT_REFRESH_SECONDS, DEFAULT_THEME
from dispatcher.identity import sign_in
from dispatcher.screens.context import Backend, ConsoleClosingError, FirstLook, Intervals
from dispatcher.screens.queue import QueueScreen
from dispatcher.store.db.engine import Store
from dispatcher.store.tickets.queue import queue_window
from tests.factories import new_ticket, world


class QuitsWhileReading(DispatcherApp):
    """Ctrl+Q calls `exit`, then lets the held first read answer, and returns once that
    answer is on its way to the queue screen: the screen has it before it is closed."""

    def __init__(self, gate: threading.Event, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.gate = gate
        self.answered = False

    async def action_quit(self) -> None:
        screen = self.screen
        assert isinstance(screen, QueueScreen)
        (setup,) = [w for w in self.workers if w.group == "queue-setup"]
        assert screen.window is None  # the first window has not arrived
        self.exit()
        self.gate.set()
        await setup.wait()
        self.answered = True


async def test_quitting_before_the_first_window_leaves_cleanly(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    new_ticket(store, world(store), now=datetime.now(UTC), subject="Printer offline")
    gate = threading.Event()

    def held(*args: Any, **kwargs: Any) -> Any:
        gate.wait(60)  # a guard against hanging the run; the quit sets it at once
        return queue_window(*args, **kwargs)

    monkeypatch.setattr("dispatcher.store.tickets.queue.queue_window", held)
    app = QuitsWhileReading(
        gate,
        settings=load_settings(),
        store=store,
        operator=sign_in(store, "olga"),
        run_scheduler=False,
        intervals=Intervals.manual(),
    )
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("ctrl+q")
    assert app.answered  # the answer really came during the quit
    assert app._exception is None
    assert app.return_code == 0


async def test_quitting_before_the_store_is_opened_lets_every_waiting_read_end(
    store: Store,
) -> None:
    """The quick start's backend, its imports never done: the queue's first read waits for
    the store; Ctrl+Q ends that wait (the process would otherwise never exit: the event
    loop joins its worker threads), and the store is never opened."""
    world(store)
    opened: list[bool] = []
    importing = True

    def steps() -> Iterator[None]:
        while importing:
            yield  # one step per frame, for as long as the test runs

    def opener() -> tuple[Settings, Store]:
        opened.append(True)
        return load_settings(), store

    backend = Backend(opener=opener, imports=steps)
    ended: list[BaseException] = []

    def read() -> None:  # as the queue's first read does, in a worker thread
        try:
            backend.store  # noqa: B018 - asking is the point: it waits
        except ConsoleClosingError as error:
            ended.append(error)

    waiting = threading.Thread(target=read, daemon=True)
    first = FirstLook(DEFAULT_THEME, {}, DEFAULT_REFRESH_SECONDS)
    app = DispatcherApp(operator=sign_in(store, "olga"), backend=backend, first=first)
    async with app.run_test(size=(120, 30)) as pilot:
        waiting.start()
        assert not backend.is_open
        await pilot.press("ctrl+q")
    importing = False
    waiting.join(60)  # a guard against hanging the run: it ends as the console closes
    assert not waiting.is_alive()
    assert len(ended) == 1
    assert opened == []
    assert app._exception is None
