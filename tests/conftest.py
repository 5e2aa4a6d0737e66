"""Shared fixtures: isolation from the developer's own config, databases on both backends.

Store and CLI tests get their database from `db_url`: a fresh, migrated SQLite file per
test by default, or a fresh PostgreSQL database per test when DISPATCHER_TEST_BACKEND is
`postgres` (CI runs those suites a second time that way). Tests marked `postgres` always
use PostgreSQL; without a server they are skipped on a laptop but fail under CI=true.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError

from dispatcher.store.db import migrate
from dispatcher.store.db.engine import Store, make_engine
from tests.hypothesis_profiles import load_hypothesis_profile

PG_ADMIN_URL = os.environ.get(
    "DISPATCHER_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
load_hypothesis_profile(ci=IN_CI)
BACKEND = os.environ.get("DISPATCHER_TEST_BACKEND", "sqlite")

# A fixed instant for tests that need "now": a Wednesday, mid-morning in Moscow.
NOW = datetime(2026, 11, 18, 7, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never read the developer's config or data: point every path into the test's tmp dir."""
    for name in list(os.environ):
        if name.startswith("DISPATCHER_") and name not in {
            "DISPATCHER_TEST_BACKEND",
            "DISPATCHER_TEST_PG_URL",
        }:
            monkeypatch.delenv(name)
    monkeypatch.setenv("DISPATCHER_CONFIG_FILE", os.devnull)  # an empty config
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    # The zone conflict messages are written in is the signed-in operator's: a console
    # test signs someone in, the next test starts from UTC again.
    monkeypatch.setattr("dispatcher.store.tickets.history._shown_zone", UTC)


@pytest.fixture
def now() -> datetime:
    return NOW


# --- SQLite ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated database per test process; each test gets a copy of the file."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(str(path))
    migrate.upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture
def sqlite_url(_sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "dispatcher.db"
    shutil.copyfile(_sqlite_template, path)
    return f"sqlite:///{path}"


# --- PostgreSQL -----------------------------------------------------------------------


def _pg_admin() -> Engine | None:
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError:
        engine.dispose()
        return None
    return engine


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[Engine]:
    engine = _pg_admin()
    if engine is None:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required under CI=true and {PG_ADMIN_URL} is not reachable")
        pytest.skip(f"no PostgreSQL at {PG_ADMIN_URL}")
    yield engine
    engine.dispose()


def _pg_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(scope="session")
def _pg_template(pg_admin: Engine) -> Iterator[str]:
    """A migrated template database per test process; tests get clones of it."""
    name = f"dsp_tpl_{uuid.uuid4().hex[:10]}"
    with pg_admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(_pg_url(name))
    migrate.upgrade(engine)
    engine.dispose()
    yield name
    with pg_admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def pg_empty_url(pg_admin: Engine) -> Iterator[str]:
    """A throwaway, empty PostgreSQL database."""
    name = f"dsp_t_{uuid.uuid4().hex[:12]}"
    with pg_admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield _pg_url(name)
    with pg_admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def pg_url(pg_admin: Engine, _pg_template: str) -> Iterator[str]:
    """A throwaway PostgreSQL database at the current schema."""
    name = f"dsp_t_{uuid.uuid4().hex[:12]}"
    with pg_admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{_pg_template}"'))
    yield _pg_url(name)
    with pg_admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


# --- The database a store or CLI test runs against -----------------------------------


@pytest.fixture
def db_url(request: pytest.FixtureRequest) -> str:
    """A fresh database at the current schema, on the backend this run tests."""
    if BACKEND == "postgres":
        return str(request.getfixturevalue("pg_url"))
    return str(request.getfixturevalue("sqlite_url"))


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    store = Store.open(db_url)
    yield store
    store.dispose()
