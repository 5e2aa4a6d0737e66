"""What every Pilot test shares: the screens' context with nothing running by itself, and
`settle`, which waits for the work itself instead of for time.

The screens get `Intervals.manual()`: no poll, heartbeat or debounced search starts on a
timer, so once the workers a key started are done and their messages handled, nothing
changes until the test acts again (it calls `poll()`, `poll_changes()` or a debounce's
`flush()` where the console would wait for a timer). Nothing here measures time: on a
slow or loaded machine a test simply waits longer, and asserts the same.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from textual.app import App
from textual.message_pump import MessagePump
from textual.pilot import Pilot
from textual.worker import Worker, WorkerError

from dispatcher.config import Settings, load_settings
from dispatcher.domain.clock import Clock, utcnow
from dispatcher.identity import sign_in
from dispatcher.screens.context import Intervals, ScreenContext
from dispatcher.store.db.engine import Store

MAX_ROUNDS = 1_000  # a screen that keeps starting work forever is a bug, not slowness


def screen_context(
    store: Store,
    login: str,
    *,
    clock: Clock | None = None,
    settings: Settings | None = None,
) -> ScreenContext:
    """What the App would hand a screen, with `Intervals.manual()`."""
    return ScreenContext.of(
        store=store,
        operator=sign_in(store, login),
        settings=settings or load_settings(),
        clock=clock or utcnow,
        intervals=Intervals.manual(),
    )


async def settle(pilot: Pilot[Any]) -> None:
    """Until the app is quiet: every worker finished, every message handled, twice over
    (a handler may start more work)."""
    app = pilot.app
    for _ in range(MAX_ROUNDS):
        busy = _busy(app)
        if busy:
            await _finished(app, busy)
            continue
        waiting = _waiting(app)
        await _drain(app)
        if not (waiting or _waiting(app) or _busy(app)):
            return
    raise AssertionError(f"the app never settled in {MAX_ROUNDS} rounds")


def _busy(app: App[Any]) -> list[Worker[Any]]:
    return [w for w in app.workers if not w.is_finished]


def _nodes(app: App[Any]) -> list[MessagePump]:
    nodes: list[MessagePump] = [app]
    for screen in app.screen_stack:
        nodes.extend(screen.walk_children(with_self=True))
    return nodes


def _waiting(app: App[Any]) -> bool:
    """Is a message, or a callback posted with `call_next`, waiting anywhere?"""
    return any(n.message_queue_size or n._next_callbacks for n in _nodes(app))


async def _until_done_or_crashed(app: App[Any], *waits: Any) -> None:
    """Await `waits`; an app that crashed meanwhile will never finish them (the test then
    fails on the app's own exception, as `Pilot.pause` does)."""
    work: asyncio.Future[Any] = asyncio.ensure_future(asyncio.gather(*waits))
    crash: asyncio.Future[Any] = asyncio.ensure_future(app._exception_event.wait())
    await asyncio.wait([work, crash], return_when=asyncio.FIRST_COMPLETED)
    for task in (work, crash):
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _finished(app: App[Any], workers: list[Worker[Any]]) -> None:
    async def one(worker: Worker[Any]) -> None:
        with contextlib.suppress(WorkerError):  # a failure is the screen's to show
            await worker.wait()

    await _until_done_or_crashed(app, *(one(w) for w in workers))


async def _drain(app: App[Any]) -> None:
    """Every message already queued in the app and its screens is handled: a callback
    queued behind them runs last."""
    marks: list[asyncio.Event] = []
    for node in _nodes(app):
        mark = asyncio.Event()
        if node.call_later(mark.set):
            marks.append(mark)
    await _until_done_or_crashed(app, *(mark.wait() for mark in marks))
