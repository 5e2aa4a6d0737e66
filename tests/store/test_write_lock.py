"""SQLite's write lock held by someone else: a stale write is refused at once, a busy write
waits and is retried inside the store, and only a write that waited the whole bound fails.

The lock is held by a plain sqlite3 connection; timeouts are injected, and the tests follow
what the store did (refused, retried, written), never the clock.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, event, make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from dispatcher.domain.enums import MessageKind
from dispatcher.domain.errors import StaleVersionError
from dispatcher.store.db import engine
from dispatcher.store.db.engine import Store
from dispatcher.store.models import Message, Queue, Ticket
from dispatcher.store.tickets import writes
from tests.factories import World, new_ticket, world


@pytest.fixture
def ticket(sqlite_url: str, now: datetime) -> tuple[World, Ticket]:
    store = Store.open(sqlite_url)
    w = world(store)
    made = new_ticket(store, w, now=now)
    store.dispose()
    return w, made


@contextmanager
def held_write_lock(url: str) -> Iterator[sqlite3.Connection]:
    """Another connection in a write transaction (`BEGIN IMMEDIATE`) until the block ends."""
    conn = sqlite3.connect(make_url(url).database or "", isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        conn.close()


@contextmanager
def locked_errors() -> Iterator[list[str]]:
    """The "database is locked" errors SQLAlchemy sees while the block runs."""
    seen: list[str] = []

    def listen(context: object) -> None:
        error = str(getattr(context, "original_exception", ""))
        if "locked" in error:
            seen.append(error)

    event.listen(Engine, "handle_error", listen)
    try:
        yield seen
    finally:
        event.remove(Engine, "handle_error", listen)


def _note(store: Store, ticket: Ticket, w: World, version: int) -> None:
    with store.write() as session:
        writes.add_message(
            session,
            ticket_id=ticket.id or 0,
            kind=MessageKind.note,
            body="checked the cable",
            actor_id=w.engineer.id,
            expected_version=version,
        )


def _bump_version(url: str, ticket_id: int) -> None:
    """Somebody else's committed change to the ticket."""
    conn = sqlite3.connect(make_url(url).database or "", isolation_level=None)
    conn.execute("UPDATE ticket SET version = version + 1 WHERE id = ?", (ticket_id,))
    conn.close()


def test_a_stale_write_is_refused_without_waiting_for_the_lock(
    sqlite_url: str, ticket: tuple[World, Ticket], monkeypatch: pytest.MonkeyPatch
) -> None:
    w, t = ticket
    monkeypatch.setattr(engine, "SQLITE_BUSY_TIMEOUT_MS", 50)  # where a console waits 10 s
    store = Store.open(sqlite_url)
    read_version = t.version
    _bump_version(sqlite_url, t.id or 0)
    try:
        with held_write_lock(sqlite_url), locked_errors() as waited:
            with pytest.raises(StaleVersionError, match="changed by someone else"):
                _note(store, t, w, read_version)
        assert waited == []  # refused before it asked for the lock
        assert store.busy_retries == 0
    finally:
        store.dispose()


def test_a_write_that_goes_stale_while_it_waits_is_refused_under_the_lock(
    sqlite_url: str, ticket: tuple[World, Ticket], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The read before the lock found the version current; the holder then changed it."""
    w, t = ticket
    monkeypatch.setattr(engine, "BUSY_SLICE_MS", 5)
    store = Store.open(sqlite_url)
    outcome: list[BaseException | None] = []
    try:
        with held_write_lock(sqlite_url) as holder:
            holder.execute("UPDATE ticket SET version = version + 1 WHERE id = ?", (t.id,))
            writer = threading.Thread(target=_capture, args=(outcome, _note, store, t, w, 1))
            writer.start()
            _wait_for_retries(store, writer, 2)
            holder.execute("COMMIT")
        writer.join()
        (error,) = outcome
        assert isinstance(error, StaleVersionError)
    finally:
        store.dispose()


def test_a_busy_write_is_retried_and_succeeds_once_the_lock_is_released(
    sqlite_url: str, ticket: tuple[World, Ticket], monkeypatch: pytest.MonkeyPatch
) -> None:
    w, t = ticket
    monkeypatch.setattr(engine, "BUSY_SLICE_MS", 5)  # one wait for the lock
    store = Store.open(sqlite_url)
    outcome: list[BaseException | None] = []
    try:
        with held_write_lock(sqlite_url), locked_errors() as surfaced:
            writer = threading.Thread(target=_capture, args=(outcome, _note, store, t, w, 1))
            writer.start()
            _wait_for_retries(store, writer, 3)  # several waits timed out meanwhile
        writer.join()
        assert outcome == [None]
        assert surfaced == []  # not one of those waits reached SQLAlchemy as an error
        with store.read() as session:
            notes = session.exec(select(Message).where(Message.kind == MessageKind.note)).all()
        assert [n.body for n in notes] == ["checked the cable"]
    finally:
        store.dispose()


def test_a_write_that_waited_the_whole_bound_fails_once(
    sqlite_url: str, ticket: tuple[World, Ticket], monkeypatch: pytest.MonkeyPatch
) -> None:
    w, t = ticket
    monkeypatch.setattr(engine, "SQLITE_BUSY_TIMEOUT_MS", 60)
    monkeypatch.setattr(engine, "BUSY_SLICE_MS", 5)
    store = Store.open(sqlite_url)
    try:
        with held_write_lock(sqlite_url), locked_errors() as surfaced:
            with pytest.raises(OperationalError, match="database is locked"):
                _note(store, t, w, 1)
        assert len(surfaced) == 1
        assert store.busy_retries >= 1
    finally:
        store.dispose()


def _add_queue(store: Store) -> None:
    """A write of its own (no ticket, so no version check of `lock_for_write`)."""
    with store.write() as session:
        session.add(Queue(name="Never written"))
        session.flush()


def _capture(outcome: list[BaseException | None], fn: object, *args: object) -> None:
    try:
        fn(*args)  # type: ignore[operator]
    except BaseException as exc:
        outcome.append(exc)
    else:
        outcome.append(None)


def _wait_for_retries(store: Store, writer: threading.Thread, count: int) -> None:
    """Until the store has retried `count` times (or the writer gave up: the test fails)."""
    while store.busy_retries < count:
        if not writer.is_alive():
            raise AssertionError("the write ended while the lock was still held")
        writer.join(0.005)


def test_the_store_keeps_the_timeouts_it_was_opened_with(tmp_path: Path) -> None:
    store = Store.open(str(tmp_path / "x.db"))
    try:
        with store.read() as session:
            timeout = session.connection().exec_driver_sql("PRAGMA busy_timeout").scalar()
        assert timeout == engine.SQLITE_BUSY_TIMEOUT_MS
        with store.write() as session:  # the write's own short waits are undone after it
            session.connection()
        with store.read() as session:
            timeout = session.connection().exec_driver_sql("PRAGMA busy_timeout").scalar()
        assert timeout == engine.SQLITE_BUSY_TIMEOUT_MS
    finally:
        store.dispose()


def test_a_write_waiting_for_the_lock_gives_up_when_its_check_says_so(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before the first wait and between two, the store runs `WHILE_WAITING` (what
    `lock_for_write` sets: read the version); when it raises, the write stops waiting and
    fails with it."""
    monkeypatch.setattr(engine, "BUSY_SLICE_MS", 5)
    store = Store.open(sqlite_url)
    calls: list[int] = []

    def changed_after_two_waits(_conn: Connection) -> None:
        calls.append(store.busy_retries)
        if len(calls) == 3:  # before the first wait, after it, after the second
            raise StaleVersionError("#1", 1, 2, ["changed by somebody while we waited"])

    try:
        with held_write_lock(sqlite_url):  # held to the end: only the check can end the wait
            token = engine.WHILE_WAITING.set(changed_after_two_waits)
            try:
                with pytest.raises(StaleVersionError, match="while we waited"):
                    _add_queue(store)
            finally:
                engine.WHILE_WAITING.reset(token)
        assert calls == [0, 1, 2]
    finally:
        store.dispose()


def _lock_is_free(url: str) -> bool:
    """Whether another connection can take SQLite's write lock at once (no wait at all)."""
    conn = sqlite3.connect(make_url(url).database or "", timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc):
            raise
        return False
    else:
        conn.execute("ROLLBACK")
        return True
    finally:
        conn.close()


def test_a_write_refused_under_the_lock_lets_it_go_before_it_reads_what_changed(
    sqlite_url: str, ticket: tuple[World, Ticket], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write whose transaction has begun has no read before the lock: it finds the
    ticket stale holding SQLite's write lock. Reading what the others changed, for the
    refusal's message, is done after its transaction ended, so another writer can take
    the lock meanwhile instead of waiting for a write that is refused anyway."""
    w, t = ticket
    store = Store.open(sqlite_url)
    try:
        with store.write() as session:  # a colleague's note: version 1 -> 2
            writes.add_message(
                session,
                ticket_id=t.id or 0,
                kind=MessageKind.note,
                body="rebooted the router",
                actor_id=w.engineer2.id,
                expected_version=t.version,
            )
        free_while_building: list[bool] = []
        build_refusal = writes._stale

        def watched(
            session: Session, *, ticket: Ticket, expected_version: int
        ) -> StaleVersionError:
            free_while_building.append(_lock_is_free(sqlite_url))
            return build_refusal(session, ticket=ticket, expected_version=expected_version)

        monkeypatch.setattr(writes, "_stale", watched)
        with pytest.raises(StaleVersionError) as refused:
            _note_in_a_begun_write(store, t, w, sqlite_url)
        assert free_while_building == [True]
        assert _lock_is_free(sqlite_url)
        # The message still names the change, read after the lock was let go.
        (change,) = refused.value.changes
        assert w.engineer2.login in change
        with store.read() as session:
            notes = session.exec(select(Message).where(Message.kind == MessageKind.note)).all()
        assert [n.body for n in notes] == ["rebooted the router"]
    finally:
        store.dispose()


def _note_in_a_begun_write(store: Store, ticket: Ticket, w: World, url: str) -> None:
    """A note from the ticket's first version, written once the transaction has begun."""
    with store.write() as session:
        session.connection()  # the write transaction, and SQLite's lock, have begun
        assert not _lock_is_free(url)
        writes.add_message(
            session,
            ticket_id=ticket.id or 0,
            kind=MessageKind.note,
            body="checked the cable",
            actor_id=w.engineer.id,
            expected_version=ticket.version,
        )
