"""SQLite's WAL is checkpointed by a thread of the store's own, after writes, not in them.

The writes' connections leave the automatic checkpoint to a far larger WAL, so no COMMIT
copies pages into the database file; the store's thread does it (PASSIVE) after writes,
and ends when the store is disposed. A row is in the database file itself (read with
`immutable=1`, which ignores the WAL) only once a checkpoint has copied it there.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import make_url

from dispatcher.store.db import engine
from dispatcher.store.db.engine import Store
from dispatcher.store.models import Queue

WAIT_S = 10.0  # a bound for a thread that should be done at once: reaching it fails


def _in_database_file(path: Path, name: str) -> bool:
    """Whether the queue `name` is in the database file, the WAL left aside."""
    conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    try:
        rows = conn.execute("SELECT 1 FROM queue WHERE name = ?", (name,)).fetchall()
    finally:
        conn.close()
    return bool(rows)


def _add_queue(store: Store, name: str) -> None:
    with store.write() as session:
        session.add(Queue(name=name))


def _checkpointer_thread(store: Store) -> threading.Thread:
    checkpointer = store._checkpointer
    assert checkpointer is not None, "a SQLite file in WAL mode has a checkpointer"
    thread = checkpointer._thread
    assert thread is not None, "the first write starts the checkpointer's thread"
    return thread


def _wait_for_runs(store: Store, count: int) -> None:
    """Until the store's checkpointer has run `count` times (the test fails past WAIT_S)."""
    checkpointer = store._checkpointer
    assert checkpointer is not None
    thread = _checkpointer_thread(store)
    waited = 0.0
    while checkpointer.runs < count:
        assert thread.is_alive(), "the checkpointer's thread ended"
        assert waited < WAIT_S, f"no checkpoint after {WAIT_S} s"
        thread.join(0.005)
        waited += 0.005


@pytest.fixture
def path(sqlite_url: str) -> Path:
    return Path(make_url(sqlite_url).database or "")


def test_a_write_is_checkpointed_by_the_stores_thread_not_in_its_commit(
    sqlite_url: str, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "CHECKPOINT_EVERY_S", 0.0)  # every write asks for one
    store = Store.open(sqlite_url)
    try:
        with store.read() as session:
            pages = session.connection().exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
        assert pages == engine.WAL_FALLBACK_PAGES
        assert store._checkpointer is not None
        assert store._checkpointer._thread is None  # reads ask for no checkpoint
        _add_queue(store, "First line")
        _wait_for_runs(store, 1)
        assert _in_database_file(path, "First line")
        runs = store._checkpointer.runs
        _add_queue(store, "Second line")
        _wait_for_runs(store, runs + 1)
        assert _in_database_file(path, "Second line")
    finally:
        store.dispose()


def test_a_commit_leaves_its_pages_to_the_checkpointer(
    sqlite_url: str, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write of more pages than SQLite's default automatic checkpoint (1,000) is still
    only in the WAL when its commit returns; the store's thread copies it later."""
    monkeypatch.setattr(engine, "CHECKPOINT_EVERY_S", 3600.0)  # none asked for in this test
    store = Store.open(sqlite_url)
    try:
        assert store._checkpointer is not None
        store._checkpointer._last = time.monotonic()  # as if it had just run
        with store.write() as session:
            session.add_all(Queue(name=f"Queue {n} " + "x" * 3000) for n in range(1500))
        assert not _in_database_file(path, "Queue 1499 " + "x" * 3000)
        monkeypatch.setattr(engine, "CHECKPOINT_EVERY_S", 0.0)
        _add_queue(store, "Next")
        _wait_for_runs(store, 1)
        assert _in_database_file(path, "Queue 1499 " + "x" * 3000)
    finally:
        store.dispose()


def test_dispose_ends_the_checkpointers_thread(sqlite_url: str) -> None:
    store = Store.open(sqlite_url)
    _add_queue(store, "Before dispose")
    thread = _checkpointer_thread(store)
    store.dispose()
    assert not thread.is_alive()
    checkpointer = store._checkpointer
    assert checkpointer is not None
    checkpointer.after_write()  # a write finishing during the shutdown starts nothing
    assert checkpointer._thread is thread
    assert not thread.is_alive()


def test_an_in_memory_database_has_no_checkpointer() -> None:
    store = Store.open("sqlite://")
    try:
        assert store._checkpointer is None
    finally:
        store.dispose()


def test_a_store_disposed_while_its_checkpointer_starts_stops_cleanly(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Quitting the console just after its first write: `dispose` came between the
    checkpointer's thread being made and being started, and joining it raised
    "cannot join thread before it is started". The start is held here until the dispose
    has run (or, as it must now, waits for the start: then the hold gives up)."""
    store = Store.open(sqlite_url)
    disposed = threading.Event()
    errors: list[BaseException] = []
    real_start = threading.Thread.start

    def dispose() -> None:
        try:
            store.dispose()
        except BaseException as exc:  # noqa: BLE001 - what the test looks for
            errors.append(exc)
        finally:
            disposed.set()

    def held_start(thread: threading.Thread) -> None:
        if thread.name == "dispatcher-wal-checkpoint" and not disposed.is_set():
            threading.Thread(target=dispose, name="quitting").start()
            disposed.wait(1.0)  # the old code disposes at once, mid-start; the new one waits
        real_start(thread)

    monkeypatch.setattr(threading.Thread, "start", held_start)
    _add_queue(store, "First line")  # the first write starts the checkpointer
    assert disposed.wait(WAIT_S)
    assert errors == []
    checkpointer = store._checkpointer
    assert checkpointer is not None
    if checkpointer._thread is not None:
        checkpointer._thread.join(WAIT_S)
        assert not checkpointer._thread.is_alive()
