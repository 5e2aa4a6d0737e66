"""Run in a fresh interpreter by `test_console_quick`: the quick start's console on the
SQLite file given as the argument, headless; `n` is pressed as soon as the first window is
drawn, before the store is open. Prints, as JSON, every module imported by a thread other
than the UI's (name, thread) up to the moment the store is open, the new-ticket form is
shown and the background work has started, and whether those three happened.

A module imported by two threads at the same time can come out half-initialised (the
console once died on `cannot import name 'and_' from 'sqlalchemy'`), so none of what
opening the store imports may be imported by its thread while the UI's imports it.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec
from types import ModuleType

IMPORTED: list[tuple[str, str]] = []


class _Watch(MetaPathFinder):
    def find_spec(
        self, name: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        IMPORTED.append((name, threading.current_thread().name))
        return None  # found by the finders after this one


sys.meta_path.insert(0, _Watch())

import asyncio  # noqa: E402
import json  # noqa: E402

STEPS = 6000  # pauses of 10 ms at most: a guard against a hang, nothing is timed


async def main(path: str) -> dict[str, object]:
    from dispatcher.app import DispatcherApp
    from dispatcher.config_defaults import DEFAULT_REFRESH_SECONDS, DEFAULT_THEME
    from dispatcher.console_quick import Request, import_steps, open_backend, read_first_look
    from dispatcher.screens.context import Backend, FirstLook
    from dispatcher.store.db.plain import open_sqlite

    connection = open_sqlite(path)
    assert connection is not None
    try:
        seen = read_first_look(connection, "olga")
    finally:
        connection.close()
    assert seen is not None
    operator, window = seen
    request = Request(path, db=path, login="olga")
    backend = Backend(opener=lambda: open_backend(request), imports=import_steps)
    first = FirstLook(DEFAULT_THEME, {}, DEFAULT_REFRESH_SECONDS, window)
    app = DispatcherApp(operator=operator, backend=backend, first=first)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("n")
        form = False
        for _ in range(STEPS):
            form = type(app.screen).__name__ == "NewTicketScreen"
            warming = any(w.group == "warm-up" and w.is_running for w in app.workers)
            if form and backend.is_open and app.scheduler is not None and not warming:
                break
            await pilot.pause(0.01)
        at_open = len(IMPORTED)
        await pilot.press("escape")
        await pilot.pause()
    return {
        "form": form,
        "open": backend.is_open,
        "scheduler": app.scheduler is not None,
        "elsewhere": [(n, t) for n, t in IMPORTED[:at_open] if t != "MainThread"],
    }


if __name__ == "__main__":
    sys.stdout.write(json.dumps(asyncio.run(main(sys.argv[1]))) + "\n")
