"""The in-app parts of `bench_console.py`, each run in a fresh interpreter so its memory
and its imports are the console's own (headless, 160x45, the console's App and store):

    python bench/console_inner.py refresh DB RUNS    queue refresh p50/p95 (one row changed,
                                                     nothing changed), lines drawn, RSS
    python bench/console_inner.py keys DB PRESSES    key to frame while the SLA sweep and
                                                     the mail sender run in their threads

Each prints one JSON line. The console's environment is set first (`console_environment`:
its frame rate), as `dispatcher` sets it. `DISPATCHER_BENCH_CACHE_KIB=N` sets SQLite's
page cache to N KiB per connection of the app's store (after the store's own setting), to
weigh its memory.

A refresh is timed from `load()` to the frame with the new rows composed: the query in its
worker, the message back, the table redrawn, the screen painted (see `refresh`).
A key is timed from the key event handed to the app (as the driver's input thread hands it)
to the first frame that shows the cursor moved (`App._display`); not `pilot.press`, whose
wait for an idle process (CPU time against wall time) waits out the sweep's thread too.
CPU time beside it is the whole process's, the sweep's thread included.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))


def rss_mb() -> float:
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]


def demo_clock() -> Any:
    """The demo database's "now" (`bench_store.NOW`), moving on at the wall clock's pace."""
    from datetime import timedelta

    from bench_store import NOW

    started = time.monotonic()
    return lambda: NOW + timedelta(seconds=time.monotonic() - started)


def make_app(path: str) -> Any:
    from dispatcher.app import DispatcherApp
    from dispatcher.config import load_settings
    from dispatcher.identity import sign_in
    from dispatcher.store.db.engine import Store

    store = Store.open(path)
    cache_kib = os.environ.get("DISPATCHER_BENCH_CACHE_KIB")
    if cache_kib:  # try another SQLite page cache per connection than the store's own
        from sqlalchemy import event

        @event.listens_for(store.engine, "connect")
        def _cache(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.execute(f"PRAGMA cache_size=-{int(cache_kib)}")

    return DispatcherApp(
        settings=load_settings(),
        store=store,
        operator=sign_in(store, "olga"),
        run_scheduler=False,
        watch_changes=False,
    )


async def first_rows(app: Any) -> Any:
    from dispatcher.screens.queue import QueueScreen

    screen = app.screen
    assert isinstance(screen, QueueScreen)
    while not screen.table.rows:  # noqa: ASYNC110 - polling is the measurement
        await asyncio.sleep(0.01)
    return screen


def refresh(path: str, runs: int) -> dict[str, Any]:
    """`runs` refreshes of each kind, alternating: `one` after another connection changed a
    ticket of the window (its subject and version), `none` with nothing changed.

    A refresh is timed from `load()` to the frame that shows it (the compositor's update
    handed to the driver: `App._display`, called headless too). A refresh that changes
    nothing on screen draws nothing and makes no frame: it ends when the table has taken
    the window. Beside the time: the lines the table drew for it (`lines_drawn`).
    """
    import sqlite3

    app = make_app(path)
    frames: list[float] = []
    framed = asyncio.Event()
    display = app._display

    def timed_display(screen: Any, renderable: Any) -> None:
        display(screen, renderable)
        if renderable is not None:
            frames.append(time.perf_counter())
            framed.set()

    app._display = timed_display
    samples: dict[str, list[float]] = {"one": [], "none": []}
    drawn: dict[str, list[int]] = {"one": [], "none": []}
    cpu: dict[str, list[float]] = {"one": [], "none": []}
    memory: dict[str, float] = {}
    memory_trace: list[float] = []  # every 100 refreshes
    writer = sqlite3.connect(path, isolation_level=None)

    def touch(ticket_id: int, flip: bool) -> None:
        suffix = " (again)"
        update = (
            "UPDATE ticket SET subject = subject || ?, version = version + 1 WHERE id = ?"
            if flip
            else "UPDATE ticket SET subject = substr(subject, 1, length(subject) - length(?)),"
            " version = version + 1 WHERE id = ?"
        )
        writer.execute(update, (suffix, ticket_id))

    async def drive() -> None:
        async with app.run_test(size=(160, 45)) as pilot:
            screen = await first_rows(app)
            table = screen.table
            await pilot.pause()
            memory["rows"] = rss_mb()  # the first rows are on screen
            while not screen.counts:  # noqa: ASYNC110 - and the tabs' counts came in
                await asyncio.sleep(0.01)
            await pilot.pause()
            memory["first"] = rss_mb()
            shown: list[float] = []
            showed = asyncio.Event()
            show = table.show

            def timed_show(*args: Any, **kwargs: Any) -> None:
                show(*args, **kwargs)
                shown.append(time.perf_counter())
                showed.set()

            table.show = timed_show
            target = table.rows[min(5, len(table.rows) - 1)].id
            for i in range(2 * runs):
                kind = "one" if i % 2 == 0 else "none"
                if kind == "one":
                    touch(target, flip=(i // 2) % 2 == 0)
                await pilot.pause()
                shown.clear()
                showed.clear()
                lines = table.lines_drawn
                cpu_started = time.process_time()
                started = time.perf_counter()
                screen.load()
                await showed.wait()
                if kind == "one":  # the frame after the table took the window
                    framed.clear()
                    await framed.wait()
                    ended = frames[-1]
                else:
                    ended = shown[0]
                cpu[kind].append((time.process_time() - cpu_started) * 1000)
                samples[kind].append((ended - started) * 1000)
                await pilot.pause()  # a frame of a refresh that should have drawn none
                drawn[kind].append(table.lines_drawn - lines)
                if i % 100 == 99:
                    memory_trace.append(rss_mb())
            memory["after"] = rss_mb()

    asyncio.run(drive())
    writer.close()
    app.context.store.dispose()
    return {
        "ms": samples["one"],
        "ms_none": samples["none"],
        "cpu_ms": cpu["one"],
        "cpu_ms_none": cpu["none"],
        "lines": drawn["one"],
        "lines_none": drawn["none"],
        "rss_rows": memory["rows"],
        "rss_first": memory["first"],
        "rss_after": memory["after"],
        "rss_trace": memory_trace,
    }


class Jobs(threading.Thread):
    """The console's background work, back to back: an SLA sweep, then the outbox sent to
    a local SMTP server, then `pause` seconds, until stopped. Each pass is timed."""

    def __init__(self, path: str, smtp_port: int, pause: float) -> None:
        super().__init__(daemon=True)
        from dispatcher.notify.sender import SmtpAccount
        from dispatcher.scheduling import MailJobs, SlaJobs
        from dispatcher.store.db.engine import Store

        self.store = Store.open(path)
        clock = demo_clock()
        self.sla = SlaJobs(store=self.store, clock=clock)
        self.mail = MailJobs(
            store=self.store, smtp=SmtpAccount("127.0.0.1", smtp_port), clock=clock
        )
        self.pause = pause
        self.stopped = threading.Event()
        self.sweeps: list[float] = []
        self.sends: list[float] = []

    def catch_up(self) -> None:
        """What was due before the console started (alerts missed, mail queued): handled
        once, untimed, so the timed passes are the steady ticks of a running console."""
        self.sla.sweep()
        self.mail.send_outbox()

    def run(self) -> None:
        while not self.stopped.is_set():
            started = time.perf_counter()
            self.sla.sweep()
            swept = time.perf_counter()
            self.mail.send_outbox()
            self.sweeps.append((swept - started) * 1000)
            self.sends.append((time.perf_counter() - swept) * 1000)
            self.stopped.wait(self.pause)


def keys(path: str, presses: int) -> dict[str, Any]:
    from aiosmtpd.controller import Controller

    class Sink:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    from textual import events

    app = make_app(path)
    jobs = Jobs(path, port, pause=0.05)
    samples: list[float] = []
    cpu: list[float] = []
    moved = asyncio.Event()
    display = app._display
    table: Any = None
    before: Any = None

    def timed_display(screen: Any, renderable: Any) -> None:
        display(screen, renderable)
        if renderable is not None and before is not None and table.cursor != before:
            moved.set()  # the first frame that shows the cursor where the key moved it

    app._display = timed_display

    async def drive() -> None:
        nonlocal table, before
        async with app.run_test(size=(160, 45)) as pilot:
            screen = await first_rows(app)
            table = screen.table
            await pilot.pause()
            jobs.catch_up()
            jobs.start()
            for i in range(presses):
                key = "j" if (i // 20) % 2 == 0 else "k"
                await asyncio.sleep(0.02)  # a person's pace: the previous frame is out
                moved.clear()
                before = table.cursor
                cpu_started, started = time.process_time(), time.perf_counter()
                app._driver.send_message(events.Key(key, key))  # as the terminal's reader does
                await moved.wait()
                samples.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - cpu_started) * 1000)
                before = None
            jobs.stopped.set()

    asyncio.run(drive())
    jobs.join()
    controller.stop()
    app.context.store.dispose()
    jobs.store.dispose()
    return {"ms": samples, "cpu_ms": cpu, "sweeps": jobs.sweeps, "sends": jobs.sends}


def main() -> None:
    from dispatcher.terminal import console_environment

    console_environment()  # as `dispatcher` sets it before Textual is imported
    what, path, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    result = refresh(path, count) if what == "refresh" else keys(path, count)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
