"""The knowledge base over a bare DB-API connection, for a search from the shell.

`dispatcher kb search` is one short process: loading SQLAlchemy and the models takes most
of a second on our machines, the search itself a few milliseconds. So the command opens the
database with the driver alone (`sqlite3`, or `psycopg` for PostgreSQL) and ranks through
`ranking.rank`, the same statements the console runs through a session.

`open_plain` answers None for whatever it does not handle the way the store would (an
in-memory or unusual URL, a file that is not there, a schema other than the one this
version needs; the SQLite side and the schema check are `dispatcher.store.db.plain`'s,
shared with `admin users list`): the command then takes the ordinary path, which says what
is wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dispatcher.store.db.plain import connect_sqlite, schema_is_current, sqlite_file
from dispatcher.store.db.plain import head_revision as head_revision
from dispatcher.store.knowledge.ranking import driver_sql


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


def open_plain(url: str) -> PlainSql | None:
    """A read connection for the database the CLI was given, or None (see the module)."""
    value = url.strip()
    path = sqlite_file(value)
    if path is not None:
        connection = connect_sqlite(path)
        return None if connection is None else _checked(PlainSql(connection, "sqlite"))
    scheme, found, rest = value.partition("://")
    if found and scheme in {"postgresql", "postgres", "postgresql+psycopg"}:
        return _postgres(f"postgresql://{rest}")
    return None


def _postgres(conninfo: str) -> PlainSql | None:
    try:
        import psycopg
    except ImportError:
        return None
    try:
        connection = psycopg.connect(conninfo, autocommit=True, connect_timeout=10)
    except (psycopg.Error, ValueError):
        return None
    return _checked(PlainSql(connection, "postgresql"))


def _checked(db: PlainSql) -> PlainSql | None:
    """The connection when its schema is the one this version needs, else None (closed)."""
    if not schema_is_current(db.connection):
        db.close()
        return None
    return db
