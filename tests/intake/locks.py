"""A write lock another connection holds a little longer than the store's busy timeout.

The busy timeout is injected (50 ms, where a console waits 10 s), and the lock is let go
the moment a write has failed on it with "database is locked": what the store does next
(quarantine the message? mark it read?) then succeeds, as it would have after a real lock
of 10.5 s. No test waits on a timer for it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Engine, event, make_url

from dispatcher.store.db import engine
from dispatcher.store.db.engine import Store

BUSY_TIMEOUT_MS = 50


def impatient_store(url: str, monkeypatch: pytest.MonkeyPatch) -> Store:
    """A store on `url` whose connections wait BUSY_TIMEOUT_MS for a lock."""
    monkeypatch.setattr(engine, "SQLITE_BUSY_TIMEOUT_MS", BUSY_TIMEOUT_MS)
    return Store.open(url)


@contextmanager
def lock_past_one_timeout(url: str) -> Iterator[list[str]]:
    """Hold the write lock of the SQLite file at `url` until one write times out on it.

    Yields the errors the lock caused (one, once it has been let go).
    """
    conn = sqlite3.connect(make_url(url).database or "", isolation_level=None)
    seen: list[str] = []

    def let_go(context: Any) -> None:
        error = str(context.original_exception)
        if "database is locked" in error and conn.in_transaction:
            seen.append(error)
            conn.execute("ROLLBACK")

    try:
        conn.execute("BEGIN IMMEDIATE")
        event.listen(Engine, "handle_error", let_go)
        try:
            yield seen
        finally:
            event.remove(Engine, "handle_error", let_go)
    finally:
        conn.close()
