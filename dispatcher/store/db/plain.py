"""The database over the driver alone, for the commands answered before the CLI loads.

`dispatcher kb search` and `dispatcher admin users list` are short processes whose time is
nearly all start-up: SQLAlchemy and the models cost most of a second, their queries a few
milliseconds. Their quick paths (`dispatcher.kb_search_quick`, `dispatcher.admin_quick`)
read with the driver instead, and only a database they can vouch for the way the store
would: a file that is there, at the schema this version needs (`schema_is_current`).
Whatever else (a missing file, an in-memory or unusual URL, another schema) gets None
here, and the ordinary command, which says what is wrong.

Paths are strings here, not `pathlib`: this module is imported before anything else of
ours, and every import counts against the admin path's target (issue 13).
"""

from __future__ import annotations

import os
import re
import sqlite3

TYPE_CHECKING = False  # `typing` is not imported at run time (see above)
if TYPE_CHECKING:
    from typing import Any, Protocol

    class _Cursor(Protocol):
        def fetchall(self) -> list[Any]: ...

    class _Connection(Protocol):
        def execute(self, sql: str, /) -> _Cursor: ...


VERSIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "migrations", "versions")
_REVISION = re.compile(r"^(\d{4})_\w+\.py$")
BUSY_TIMEOUT_S = 10.0  # as the store's `SQLITE_BUSY_TIMEOUT_MS`
VERSION_SQL = "SELECT version_num FROM alembic_version"


def head_revision() -> str | None:
    """The newest migration shipped with this version (the schema it needs)."""
    found = [m.group(1) for name in os.listdir(VERSIONS) if (m := _REVISION.match(name))]
    return max(found, default=None)


def schema_is_current(connection: _Connection) -> bool:
    """Whether a DB-API connection's database is at `head_revision`, as the store checks it
    (`alembic_version` holds one row, that revision); False for no such table, not a
    database, no permission: the store then says which."""
    try:
        rows = connection.execute(VERSION_SQL).fetchall()
    except Exception:  # the driver's own errors, whichever driver it is
        return False
    return len(rows) == 1 and rows[0][0] == head_revision()


def sqlite_file(url: str) -> str | None:
    """The SQLite file `url` names, as the store reads it: a path (`~` expanded) or a
    `sqlite:///` URL (percent-escapes decoded); None for anything else (another backend, an
    in-memory database, a URL with options, a `~` the store would not expand)."""
    value = url.strip()
    if not value or "\x00" in value:
        return None
    if "://" not in value:
        path = os.path.expanduser(value)
    else:
        scheme, rest = value.split("://", 1)
        if scheme != "sqlite" or not rest.startswith("/") or "?" in rest:
            return None
        from urllib.parse import unquote  # only here: most commands give a path

        path = unquote(rest[1:])
        if path.startswith("~"):
            return None  # the store would open a folder named `~`, not the home folder
    if path.startswith("~") or not os.path.basename(path):
        return None  # `~nobody/x.db`, or a folder's name
    return path


def connect_sqlite(path: str) -> sqlite3.Connection | None:
    """A read-only connection to the file at `path`, or None when no such file is there."""
    try:
        if not os.path.isfile(path):
            return None
        return sqlite3.connect(_read_only_uri(path), uri=True, timeout=BUSY_TIMEOUT_S)
    except (OSError, ValueError, sqlite3.Error):
        return None


def _read_only_uri(path: str) -> str:
    """SQLite's URI for reading the file at `path`: the three characters that mean something
    in its path escaped (`%`, `?`, `#`; https://sqlite.org/uri.html), the rest as it is."""
    escaped = os.path.realpath(path).replace("%", "%25").replace("?", "%3F").replace("#", "%23")
    return f"file:{escaped}?mode=ro"


def open_sqlite(url: str) -> sqlite3.Connection | None:
    """A read-only connection to the SQLite database `url` names when it is one at this
    version's schema; else None (see the module)."""
    path = sqlite_file(url)
    connection = None if path is None else connect_sqlite(path)
    if connection is None:
        return None
    if not schema_is_current(connection):
        connection.close()
        return None
    return connection
