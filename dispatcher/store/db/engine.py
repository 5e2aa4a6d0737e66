"""The engine and session factory: SQLite in WAL mode by default, PostgreSQL by URL.

Built in a function, never at import time. Reads use plain (deferred) transactions; writes
that read first use `Store.write()`, which on SQLite begins with `BEGIN IMMEDIATE` so two
writers never both read a stale row and then deadlock on the upgrade to a write lock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, make_url
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine

from dispatcher.domain.errors import ValidationError

_IMMEDIATE = "dispatcher_immediate"
SQLITE_BUSY_TIMEOUT_MS = 10_000


def database_url(value: str) -> URL:
    """A URL from what an admin typed: a SQLAlchemy URL, a `postgresql://` URL, or a path."""
    value = value.strip()
    if not value:
        raise ValidationError("the database URL is empty")
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
        Path(url.database or "").parent.mkdir(parents=True, exist_ok=True)
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
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get(_IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Store:
    """Owns the engine; hands out one short session per unit of work."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._write_bind = engine.execution_options(**{_IMMEDIATE: True})

    @classmethod
    def open(cls, url: URL | str) -> Store:
        return cls(make_engine(url))

    @property
    def url(self) -> URL:
        return self.engine.url

    @property
    def is_sqlite(self) -> bool:
        return is_sqlite(self.engine.url)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; nothing it does is committed."""
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session whose work is committed on success and rolled back on any error."""
        with Session(self._write_bind, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()
