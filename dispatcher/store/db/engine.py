"""The engine and session factory: SQLite in WAL mode by default, PostgreSQL by URL.

Built in a function, never at import time. Reads use plain (deferred) transactions; writes
that read first use `Store.write()`, which on SQLite begins with `BEGIN IMMEDIATE` so two
writers never both read a stale row and then deadlock on the upgrade to a write lock.

Taking SQLite's write lock (`_WriteLock`): SQLite's own busy handler polls a held lock 1, 2,
5, 10 ms apart and then every 100 ms, so a writer that has waited a while sleeps through the
moments the lock is free and newcomers overtake it; with 8 writer processes that gave
accepted writes a p95 of 86-101 ms and a max of 5.7-6.8 s, and at 16 some waited out the
whole timeout (`bench/bench_writers.py`). The store therefore waits in short slices
(`BUSY_SLICE_MS`) and retries, so every waiting writer keeps polling every few ms, up to
`SQLITE_BUSY_TIMEOUT_MS` in all; only a write that waited all of that fails, with
"database is locked", through SQLAlchemy's error handling like any other database error.
Before the first wait and between two, a write may give up (`WHILE_WAITING`):
`lock_for_write` reads the ticket's version there, on the write's own connection, so a
write that is stale, or goes stale while it waits, is refused without waiting any longer.

WAL checkpoints (`_Checkpointer`): SQLite's automatic checkpoint runs inside the COMMIT of
whichever write crosses 1,000 pages of WAL, copying them into the database file and
syncing it; on a busy disk that one write took 3.5 s (`bench/bench_writers.py`, 8 writers).
The store's connections therefore leave the automatic checkpoint to a far larger WAL
(`WAL_FALLBACK_PAGES`, so a WAL can never grow without bound) and a thread of the store's
own runs a PASSIVE checkpoint, at most every `CHECKPOINT_EVERY_S`, after writes: it waits
for no reader or writer and no writer waits for it.

A process's first write (`before_first_write`): what a write builds once per process and
keeps (the business calendars and their holidays: importing the `holidays` package alone
is ~120 ms) would be built under the write lock by the first write that needs it, and a
room of consoles started together then queued behind each other's first writes (the
slowest writes of `bench/bench_writers.py`, 0.75-1.2 s, were each writer's first ones).
Modules of the store register such work here; a `Store` runs it on its read engine, before
its first write transaction begins, or earlier when asked (`Store.warm_up`).
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, event, make_url
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine

from dispatcher.domain.errors import DatabaseUnavailableError, ValidationError

_IMMEDIATE = "dispatcher_immediate"
# `Session.info` key of the engine a write may read from before it takes the write lock.
READ_ENGINE = "dispatcher_read_engine"
# What a write runs on its own connection before it asks for SQLite's write lock, and again
# between two waits for it; it may raise (a `StaleVersionError`: what the write is about has
# changed) to give up. Set by `lock_for_write` around its first statement.
WHILE_WAITING: ContextVar[Callable[[Connection], None] | None] = ContextVar(
    "dispatcher_while_waiting", default=None
)
SQLITE_BUSY_TIMEOUT_MS = 10_000  # the longest any statement, or a write, waits for a lock
BUSY_SLICE_MS = 50  # one wait for the write lock before the store tries again
_BUSY_PAUSE_S = 0.001  # at most this long between two waits (random, so waiters spread out)
CHECKPOINT_EVERY_S = 1.0  # at most this often the store's own thread checkpoints the WAL
WAL_FALLBACK_PAGES = 10_000  # past this, SQLite checkpoints in a COMMIT after all (40 MB)

_BEFORE_FIRST_WRITE: list[Callable[[Engine], None]] = []


def before_first_write(warm: Callable[[Engine], None]) -> Callable[[Engine], None]:
    """Register work a `Store` does once, outside any transaction, before its first write.

    `warm` reads on the engine it is given and fills a cache of its own; whatever it
    raises only means the first write builds that cache itself.
    """
    if warm not in _BEFORE_FIRST_WRITE:
        _BEFORE_FIRST_WRITE.append(warm)
    return warm


def database_url(value: str) -> URL:
    """A URL from what an admin typed: a SQLAlchemy URL, a `postgresql://` URL, or a path."""
    value = value.strip()
    if not value:
        raise ValidationError("the database URL is empty")
    if "\x00" in value:
        raise ValidationError("the database URL contains a NUL character")
    if "://" not in value:
        path = Path(value).expanduser()
        return make_url(f"sqlite:///{path.resolve()}")
    try:
        url = make_url(value)
    except ArgumentError as exc:
        raise ValidationError(f"not a database URL: {value!r}") from exc
    if url.drivername in {"postgresql", "postgres"}:
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() not in {"sqlite", "postgresql"}:
        raise ValidationError(
            f"unsupported database {url.get_backend_name()!r}: use sqlite or postgresql"
        )
    return url


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def is_memory(url: URL) -> bool:
    return is_sqlite(url) and url.database in (None, "", ":memory:")


def make_engine(url: URL | str, *, echo: bool = False) -> Engine:
    url = database_url(url) if isinstance(url, str) else url
    if not is_sqlite(url):
        return create_engine(url, echo=echo, pool_pre_ping=True)

    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
    if is_memory(url):
        # One shared connection, or every thread would see its own empty database.
        kwargs["poolclass"] = StaticPool
    else:
        folder = Path(url.database or "").parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseUnavailableError(
                f"cannot make the folder {folder} for the database: {exc.strerror or exc}"
            ) from None
    engine = create_engine(url, echo=echo, **kwargs)
    _configure_sqlite(engine, wal=not is_memory(url))
    return engine


def _configure_sqlite(engine: Engine, *, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event, not the driver, open transactions.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        if wal:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_FALLBACK_PAGES}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        lock = conn.get_execution_options().get(_IMMEDIATE)
        if isinstance(lock, _WriteLock):
            lock.begin(conn)
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if lock else "BEGIN")


class _WriteLock:
    """`BEGIN IMMEDIATE` for `Store.write()` on SQLite, retried while the lock is busy.

    The first waits are made on the driver's connection, unseen by SQLAlchemy; the last,
    with whatever is left of `SQLITE_BUSY_TIMEOUT_MS`, goes through it, so a write that
    waited all that time fails as a DBAPIError (and `handle_error` listeners hear of it once).
    Before the first wait and between two waits it runs `WHILE_WAITING`, which may end the
    wait by raising.
    """

    def __init__(self) -> None:
        self.total_ms = SQLITE_BUSY_TIMEOUT_MS
        self.slice_ms = BUSY_SLICE_MS
        self.retries = 0  # waits that ended with the lock still held by someone else

    def begin(self, conn: Connection) -> None:
        dbapi_conn = conn.connection.dbapi_connection
        assert dbapi_conn is not None
        still_wanted = WHILE_WAITING.get()
        if still_wanted is not None:
            still_wanted(conn)  # a plain read before the lock: outside any transaction yet
        cursor = dbapi_conn.cursor()
        deadline = time.monotonic() + self.total_ms / 1000
        try:
            while (left_ms := (deadline - time.monotonic()) * 1000) > 2 * self.slice_ms:
                cursor.execute(f"PRAGMA busy_timeout={self.slice_ms}")
                try:
                    cursor.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as exc:
                    if not _is_busy(exc):
                        break  # SQLAlchemy reports it, below
                self.retries += 1
                if still_wanted is not None:
                    still_wanted(conn)
                time.sleep(random.uniform(0, _BUSY_PAUSE_S))
            cursor.execute(f"PRAGMA busy_timeout={max(1, round(left_ms))}")
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        finally:
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.close()


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return (code & 0xFF) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(exc)


class _Checkpointer:
    """PASSIVE WAL checkpoints on a daemon thread of their own, asked for after writes.

    A PASSIVE checkpoint copies what no reader still needs and never waits (SQLite calls
    no busy handler for it), so a failure is only a checkpoint put off to the next one.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._wanted = threading.Event()
        self._stopping = False
        self._last = -CHECKPOINT_EVERY_S
        self._thread: threading.Thread | None = None
        self._starting = threading.Lock()
        self.runs = 0  # checkpoints made (a metric)

    def after_write(self) -> None:
        now = time.monotonic()
        if now - self._last < CHECKPOINT_EVERY_S or self._stopping:
            return
        self._last = now
        with self._starting:  # `stop` never sees a thread made but not started yet
            if self._thread is None and not self._stopping:
                thread = threading.Thread(
                    target=self._run, name="dispatcher-wal-checkpoint", daemon=True
                )
                thread.start()
                self._thread = thread
        self._wanted.set()

    def _run(self) -> None:
        while True:
            self._wanted.wait()
            self._wanted.clear()
            if self._stopping:
                return
            try:
                raw = self._engine.raw_connection()
                try:
                    cursor = raw.cursor()
                    cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
                    cursor.fetchall()
                    cursor.close()
                    self.runs += 1
                finally:
                    raw.close()
            except sqlite3.Error:
                pass  # put off: the next write asks again

    def stop(self) -> None:
        with self._starting:
            self._stopping = True
            thread = self._thread
        self._wanted.set()
        if thread is not None:
            thread.join(timeout=5)


class Store:
    """Owns the engine; hands out one short session per unit of work."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._write_lock = _WriteLock()
        self._write_bind = engine.execution_options(**{_IMMEDIATE: self._write_lock})
        wal = is_sqlite(engine.url) and not is_memory(engine.url)
        self._checkpointer = _Checkpointer(engine) if wal else None
        self._warmed: set[Callable[[Engine], None]] = set()

    @classmethod
    def open(cls, url: URL | str) -> Store:
        return cls(make_engine(url))

    @property
    def url(self) -> URL:
        return self.engine.url

    @property
    def is_sqlite(self) -> bool:
        return is_sqlite(self.engine.url)

    @property
    def busy_retries(self) -> int:
        """How often a write found SQLite's write lock held and waited again (a metric)."""
        return self._write_lock.retries

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; nothing it does is committed."""
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session whose work is committed on success and rolled back on any error.

        The write transaction (on SQLite, the database's write lock) begins with the first
        statement, so what comes before it costs no lock: `lock_for_write` first reads the
        ticket on `READ_ENGINE` and refuses a stale version at once. A busy write lock is
        waited for and retried (see `_WriteLock`), not reported.
        """
        self.warm_up()
        info = {READ_ENGINE: self.engine}
        with Session(self._write_bind, expire_on_commit=False, info=info) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
        if self._checkpointer is not None:
            self._checkpointer.after_write()

    def warm_up(self) -> None:
        """Do now what was registered for before the first write (`before_first_write`);
        a console calls it in the background once its first screen is drawn."""
        for warm in _BEFORE_FIRST_WRITE:
            if warm in self._warmed:
                continue
            self._warmed.add(warm)
            try:
                warm(self.engine)
            except Exception:  # noqa: BLE001 - a cache left cold: the write builds it
                pass

    def dispose(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
        self.engine.dispose()
