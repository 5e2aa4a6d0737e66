"""The knowledge base over a bare DB-API connection, for a search from the shell.

`dispatcher kb search` is one short process: loading SQLAlchemy and the models takes most
of a second on our machines, the search itself a few milliseconds. So the command opens the
database with the driver alone (`sqlite3`, or `psycopg` for PostgreSQL) and ranks through
`ranking.rank`, the same statements the console runs through a session.

`open_plain` answers None for whatever it does not handle the way the store would (an
in-memory or unusual URL, a file that is not there, a schema other than the one this
version needs): the command then takes the ordinary path, which says what is wrong.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from dispatcher.store.knowledge.ranking import driver_sql

VERSIONS = Path(__file__).resolve().parent.parent / "db" / "migrations" / "versions"
_REVISION = re.compile(r"^(\d{4})_\w+\.py$")
BUSY_TIMEOUT_S = 10.0  # as the store's `SQLITE_BUSY_TIMEOUT_MS`


class PlainSql:
    """`ranking.Sql` over a DB-API connection (`:name` placeholders rewritten if needed)."""

    def __init__(self, connection: Any, dialect: str) -> None:
        self.connection = connection
        self.dialect = dialect

    def rows(self, sql: str, params: dict[str, Any]) -> Sequence[Sequence[Any]]:
        cursor = self.connection.execute(driver_sql(sql, self.dialect), params)
        return list(cursor.fetchall())

    def close(self) -> None:
        self.connection.close()


def head_revision() -> str | None:
    """The newest migration shipped with this version (the schema it needs)."""
    found = [m.group(1) for p in VERSIONS.iterdir() if (m := _REVISION.match(p.name))]
    return max(found, default=None)


def open_plain(url: str) -> PlainSql | None:
    """A read connection for the database the CLI was given, or None (see the module)."""
    value = url.strip()
    try:
        if "://" not in value:
            return _sqlite(Path(value).expanduser())
        scheme, rest = value.split("://", 1)
        if scheme == "sqlite" and rest.startswith("/") and "?" not in rest:
            return _sqlite(Path(unquote(rest[1:])).expanduser())
        if scheme in {"postgresql", "postgres", "postgresql+psycopg"}:
            return _postgres(f"postgresql://{rest}")
    except (OSError, ValueError, RuntimeError):
        return None
    return None


def _sqlite(path: Path) -> PlainSql | None:
    if not path.name or not path.is_file():
        return None
    connection = sqlite3.connect(
        f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S
    )
    return _checked(PlainSql(connection, "sqlite"))


def _postgres(conninfo: str) -> PlainSql | None:
    try:
        import psycopg
    except ImportError:
        return None
    try:
        connection = psycopg.connect(conninfo, autocommit=True, connect_timeout=10)
    except psycopg.Error:
        return None
    return _checked(PlainSql(connection, "postgresql"))


def _checked(db: PlainSql) -> PlainSql | None:
    """The connection when its schema is the one this version needs, else None (closed)."""
    try:
        rows = db.rows("SELECT version_num FROM alembic_version", {})
    except Exception:  # no such table, not a database, no permission: the store will say
        db.close()
        return None
    if len(rows) != 1 or rows[0][0] != head_revision():
        db.close()
        return None
    return db
