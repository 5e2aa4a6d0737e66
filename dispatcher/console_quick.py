"""The console opened before the rest of the command line loads: the quick start.

`dispatcher [--db URL] [--as LOGIN]` opens the console. Most of its first second was
imports the first screen does not need: Typer with every admin command, the settings'
validation (pydantic), SQLAlchemy and the models (issue 13). `answer` takes that plain
form of the command when the settings are the defaults but for the database (no config
file, or a blank one, and no other `DISPATCHER_` setting: `admin_quick.settings_are_defaults`)
and the database is a SQLite file at this version's schema. It then

1. signs the user in and, for a console that starts in the queue (a dispatcher, an
   admin), reads the queue's first window with sqlite3 alone (`store.tickets.plain_queue`),
2. draws the console with that window, and
3. once the first frame is painted, imports what the rest needs on the UI's thread, a
   module between two frames, then loads the settings and opens the store in a thread
   (`screens.context.Backend`); every read after the first waits for it in its worker.

Anything else goes to the ordinary command, which loads everything and says what is
wrong: help, a mistake, a PostgreSQL URL, a database that is missing or at another
schema, a login that is unknown or deactivated, a config file with something in it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite3

    from dispatcher.config import Settings
    from dispatcher.identity import Operator
    from dispatcher.screens.context import FirstWindow
    from dispatcher.store.db.engine import Store

_VALUED = ("--db", "--as")
_USER_BY_LOGIN = 'SELECT id, login, name, role, timezone, active FROM "user" WHERE login = ?'


class Request:
    """The console as asked for: `db` as typed (None: the settings' own), the database it
    names, and the login (None: the OS login)."""

    __slots__ = ("database", "db", "login")

    def __init__(self, database: str, *, db: str | None = None, login: str | None = None):
        self.database = database
        self.db = db
        self.login = login

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Request) and (self.database, self.db, self.login) == (
            other.database,
            other.db,
            other.login,
        )

    def __repr__(self) -> str:
        return f"Request({self.database!r}, db={self.db!r}, login={self.login!r})"


def parse(args: Sequence[str], environ: Mapping[str, str] | None = None) -> Request | None:
    """The request, when the arguments are `[--db URL] [--as LOGIN]` (each at most once,
    `--db=URL` as well) and the settings are the defaults but for the database; else None."""
    values: dict[str, str] = {}
    i = 0
    while i < len(args):
        name, eq, value = args[i].partition("=")
        if name not in _VALUED or name in values:
            return None  # a subcommand, --help, --version, twice: the ordinary command
        if not eq:
            if i + 1 >= len(args):
                return None
            i += 1
            value = args[i]
        if value.startswith("-") or not value.strip():
            return None  # a value that looks like an option, or none: let it judge
        values[name] = value
        i += 1
    from dispatcher.admin_quick import APP_NAME, DATABASE_ENV, settings_are_defaults

    env = os.environ if environ is None else environ
    if not settings_are_defaults(env):
        return None
    db = values.get("--db")
    if db is not None:
        database = db
    elif DATABASE_ENV in env:
        database = env[DATABASE_ENV]
    else:
        from platformdirs import user_data_path

        database = str(user_data_path(APP_NAME) / "dispatcher.db")
    return Request(database, db=db, login=values.get("--as"))


def read_first_look(
    connection: sqlite3.Connection, login: str | None
) -> tuple[Operator, FirstWindow | None] | None:
    """The signed-in user, and the queue's first window when the console starts in the
    queue; None when the ordinary command must say what is wrong (no such user, a
    deactivated one, a role this version does not know)."""
    from dispatcher.domain.clock import utcnow
    from dispatcher.domain.enums import Role
    from dispatcher.identity import Operator, os_login
    from dispatcher.screens.context import FirstWindow
    from dispatcher.store.tickets.plain_queue import first_window

    wanted = (login or os_login()).strip()
    if not wanted:
        return None
    connection.execute("BEGIN")  # the user and the window from one snapshot
    try:
        row = connection.execute(_USER_BY_LOGIN, (wanted,)).fetchone()
        if row is None or not row[5] or row[3] not in {r.value for r in Role}:
            return None
        operator = Operator(
            id=int(row[0]), login=str(row[1]), name=str(row[2]), role=Role(row[3]),
            timezone=str(row[4]),
        )  # fmt: skip
        window = None
        if starts_in_queue(operator.role):
            window = FirstWindow(first_window(connection), utcnow())
    finally:
        connection.rollback()
    return operator, window


def starts_in_queue(role: object) -> bool:
    """Whether a console for `role` starts in the whole queue (see `DispatcherApp.start_mode`)."""
    from dispatcher.app import start_mode
    from dispatcher.domain.enums import Role

    return isinstance(role, Role) and role != Role.engineer and start_mode(role) == "queue"


def answer(args: Sequence[str]) -> bool:
    """Open the console the quick way; False when the ordinary command must do it."""
    request = parse(args)
    if request is None:
        return False
    import sqlite3

    from dispatcher.store.db.plain import open_sqlite

    connection = open_sqlite(request.database)
    if connection is None:
        return False
    try:
        seen = read_first_look(connection, request.login)
    except (sqlite3.Error, ValueError):  # locked, damaged, odd values: the ordinary path
        return False
    finally:
        connection.close()
    if seen is None:
        return False
    operator, window = seen
    run_console(request, operator, window)
    return True


# What opening the backend and the console's first background work (the alert and review
# polls, the scheduler, the queue's first read) import, biggest first: imported on the UI's
# thread between frames before the opening thread starts (`screens.context.Backend`).
OPENING_IMPORTS = (
    "sqlalchemy",
    "sqlalchemy.orm",
    "sqlalchemy.dialects.sqlite",
    "pydantic",
    "sqlmodel",
    "dispatcher.store.models",
    "dispatcher.config",
    "dispatcher.store.db.engine",
    "dispatcher.cli._common",
    "dispatcher.store.db.schema_version",
    "dispatcher.store.db.commit_watch",
    "dispatcher.store.tickets.queue",
    "dispatcher.store.tickets.queue_names",
    "dispatcher.store.tickets.saved_views",
    "dispatcher.store.tickets.history",
    "dispatcher.store.sla.alerts",
    "dispatcher.store.mail.review",
    "dispatcher.scheduling",
    "apscheduler.schedulers.asyncio",
    "apscheduler.triggers.interval",
    "dispatcher.intake.imap",
    "dispatcher.intake.pipeline",
    "dispatcher.intake.sources",
    "dispatcher.notify.sender",
    "holidays.countries",  # the business calendars' holidays: the store's warm-up
)


def import_steps() -> Iterator[None]:
    """Import `OPENING_IMPORTS`, one module per step."""
    import importlib

    for name in OPENING_IMPORTS:
        importlib.import_module(name)
        yield


def open_backend(request: Request) -> tuple[Settings, Store]:
    """The settings and the store, as the ordinary command opens them (in a thread)."""
    from dispatcher.cli._common import CliState

    state = CliState(db=request.db)
    return state.settings(), state.store()


def run_console(request: Request, operator: Operator, window: FirstWindow | None) -> None:
    import sys

    from dispatcher.terminal import console_environment, without_flow_control

    console_environment()
    from dispatcher.app import DispatcherApp
    from dispatcher.config_defaults import DEFAULT_REFRESH_SECONDS, DEFAULT_THEME
    from dispatcher.screens.context import Backend, FirstLook

    backend = Backend(opener=lambda: open_backend(request), imports=import_steps)
    first = FirstLook(DEFAULT_THEME, {}, DEFAULT_REFRESH_SECONDS, window)
    put_back = without_flow_control(sys.stdin)
    try:
        app = DispatcherApp(operator=operator, backend=backend, first=first)
        app.run()
    finally:
        put_back()
    # As `cli.console.open_console`: everything is committed; close and leave at once.
    backend.dispose()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(app.return_code or 0)
