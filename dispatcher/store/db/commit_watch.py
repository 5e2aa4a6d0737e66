"""Change detection for the live queue: has any process committed since the last look?

* SQLite: `PRAGMA data_version` on a dedicated connection. Its value changes whenever
  another connection (any process, or our own pool) commits to the database file; asking
  costs microseconds and reads no table.
* PostgreSQL: a listening connection. Migration 0004 makes every statement that writes
  `ticket` or `saved_view` send `NOTIFY dispatcher_changes`; `changed()` drains what
  arrived without waiting.

A watcher is owned by one thread (the console's watcher worker): open it, call `changed()`
every few hundred milliseconds, close it.
"""

from __future__ import annotations

import sqlite3
from typing import Any, Protocol

from sqlalchemy.engine import URL

from dispatcher.store.db.engine import Store, is_memory, is_sqlite

CHANNEL = "dispatcher_changes"


class ChangeWatcher(Protocol):
    def changed(self) -> bool:
        """True when something was committed since the previous call (or since opening)."""

    def close(self) -> None: ...


class SqliteWatcher:
    def __init__(self, path: str) -> None:
        # A connection of its own: data_version ignores commits made on the asking one.
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._version = self._read()

    def _read(self) -> int:
        return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    def changed(self) -> bool:
        version = self._read()
        if version == self._version:
            return False
        self._version = version
        return True

    def close(self) -> None:
        self._conn.close()


class PostgresWatcher:
    def __init__(self, url: URL) -> None:
        import psycopg

        conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._conn: Any = psycopg.connect(conninfo, autocommit=True)
        self._conn.execute(f"LISTEN {CHANNEL}")

    def changed(self) -> bool:
        found = False
        for _ in self._conn.notifies(timeout=0.0):
            found = True
        return found

    def close(self) -> None:
        self._conn.close()


class NeverWatcher:
    """An in-memory database has no other writer to notice."""

    def changed(self) -> bool:
        return False

    def close(self) -> None:
        pass


def open_watcher(store: Store) -> ChangeWatcher:
    url = store.url
    if is_memory(url):
        return NeverWatcher()
    if is_sqlite(url):
        return SqliteWatcher(url.database or "")
    return PostgresWatcher(url)
