"""Migrations from empty to head on both backends, and the engine's SQLite settings."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from dispatcher.domain.errors import ValidationError
from dispatcher.store.db import backup, migrate
from dispatcher.store.db.engine import Store, database_url, make_engine
from dispatcher.store.models import Queue
from dispatcher.store.models.knowledge import is_model_table


def _migrate_empty_to_head_and_back(url: str) -> None:
    engine = make_engine(url)
    try:
        assert migrate.current_revision(engine) is None
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == migrate.head_revision()
        assert migrate.is_up_to_date(engine)
        tables = set(inspect(engine).get_table_names())
        assert set(SQLModel.metadata.tables) <= tables
        with engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(
                    conn, opts={"compare_type": True, "include_name": is_model_table}
                ),
                SQLModel.metadata,
            )
        assert diff == [], "the models and the migrations disagree"
        migrate.downgrade(engine, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        migrate.upgrade(engine)  # and up again: downgrade left nothing behind
        assert migrate.is_up_to_date(engine)
    finally:
        engine.dispose()


def test_sqlite_migrates_from_empty_to_head(tmp_path: Path) -> None:
    _migrate_empty_to_head_and_back(str(tmp_path / "new.db"))


@pytest.mark.postgres
def test_postgres_migrates_from_empty_to_head(pg_empty_url: str) -> None:
    _migrate_empty_to_head_and_back(pg_empty_url)


def test_sqlite_runs_in_wal_with_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    store = Store.open(str(tmp_path / "x.db"))
    try:
        with store.read() as session:
            conn = session.connection()
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert (conn.exec_driver_sql("PRAGMA busy_timeout").scalar() or 0) >= 5000
    finally:
        store.dispose()


def test_a_write_session_holds_the_write_lock_from_its_start(sqlite_url: str) -> None:
    """BEGIN IMMEDIATE: a second writer cannot start while the first is open."""
    store = Store.open(sqlite_url)
    path = database_url(sqlite_url).database
    assert path is not None
    entered, release = threading.Event(), threading.Event()

    def hold() -> None:
        with store.write() as session:
            session.connection()  # begins the transaction
            entered.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert entered.wait(5)
        other = sqlite3.connect(path, timeout=0.2, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        # Readers are not blocked by the writer (WAL).
        assert other.execute("SELECT count(*) FROM queue").fetchone() == (0,)
        other.close()
    finally:
        release.set()
        holder.join()
        store.dispose()


def test_write_rolls_back_on_error(store: Store) -> None:
    def crash_mid_transaction() -> None:
        with store.write() as session:
            session.add(Queue(name="Half-made"))
            session.flush()
            raise RuntimeError("crash mid-transaction")

    with pytest.raises(RuntimeError):
        crash_mid_transaction()
    with store.read() as session:
        assert session.connection().execute(text("SELECT count(*) FROM queue")).scalar() == 0


def test_backup_copies_a_live_database(sqlite_url: str, tmp_path: Path) -> None:
    store = Store.open(sqlite_url)
    with store.write() as session:
        session.add(Queue(name="Support"))
    source = Path(database_url(sqlite_url).database or "")
    target = tmp_path / "backup" / "copy.db"
    seen: list[tuple[int, int]] = []
    backup.backup_sqlite(source, target, progress=lambda done, total: seen.append((done, total)))
    store.dispose()
    copy = sqlite3.connect(target)
    assert copy.execute("SELECT name FROM queue").fetchall() == [("Support",)]
    assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    copy.close()
    assert seen
    assert seen[-1][0] == seen[-1][1]


@pytest.mark.parametrize(
    ("given", "backend"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg"),
        ("sqlite:///x.db", "sqlite"),
        ("./rel/path.db", "sqlite"),
    ],
)
def test_database_urls(given: str, backend: str) -> None:
    assert database_url(given).drivername == backend


@pytest.mark.parametrize("bad", ["", "  ", "mysql://u@h/db", "://"])
def test_bad_database_urls_are_clear_errors(bad: str) -> None:
    with pytest.raises(ValidationError):
        database_url(bad)


def test_the_light_schema_check_knows_the_newest_migration(sqlite_url: str) -> None:
    from dispatcher.store.db import schema_version

    assert schema_version.HEAD == migrate.head_revision()
    engine = make_engine(sqlite_url)
    try:
        assert schema_version.current_revision(engine) == migrate.current_revision(engine)
    finally:
        engine.dispose()
