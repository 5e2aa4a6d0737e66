"""`dispatcher admin users list`, answered before the rest of the command line loads.

Listing the team from the shell is a short process whose time was nearly all start-up:
Typer with the admin commands, then SQLAlchemy and the models, most of a second before a
query of a millisecond (issue 13). `answer` takes the plain form of the command,

    dispatcher [--db URL] [--as LOGIN] admin users list [--all] [--role ROLE] [--json]

(`--db` anywhere, as the ordinary command takes it), reads a SQLite database with the
driver alone (`dispatcher.store.people.plain_users`) and prints what the ordinary command
prints (`print_users` is shared with `dispatcher.cli.users`).

It answers only what it can vouch for. Anything else goes to the ordinary command, which
loads everything and says what is wrong: help, a mistake, a PostgreSQL URL, a database
that is missing or at another schema, and settings it would have to check: a config file
with anything in it (the database named there, or any other setting), or a `DISPATCHER_`
setting in the environment besides the database.

This module is imported first by every `dispatcher` command: it imports `os` at the top,
the rest only when the arguments are this command's. Nothing on its path imports `typing`,
`dataclasses`, `pathlib` or our enums: each module more is a millisecond or more (several
when its bytecode is not cached), against a target of about 40 ms for the whole process.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # `typing` is not imported at run time: this path counts imports
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Any

    from dispatcher.store.models import User
    from dispatcher.store.people.plain_users import UserRow

APP_NAME = "dispatcher"
DATABASE_ENV = "DISPATCHER_DATABASE_URL"
CONFIG_FILE_ENV = "DISPATCHER_CONFIG_FILE"
ENV_PREFIX = "DISPATCHER_"
# Every setting but the database (`dispatcher.config.Settings`; a test keeps them equal):
# one of these in the environment, and the ordinary command reads and checks it.
OTHER_SETTINGS = (
    "theme",
    "refresh_seconds",
    "kb_url",
    "mail_queue",
    "keymap",
    "nps_pulse_days",
    "smtp",
    "imap",
    "intake",
    "notifications",
)
COMMAND = ("admin", "users", "list")
_VALUED = {"--db", "--as", "--role"}
_FLAGS = {"--all", "--json"}
MAX_BLANK_CONFIG = 65536  # bytes: a longer file is not looked through here


class Request:
    """One `admin users list` as typed: which database, which users, how to print them."""

    __slots__ = ("as_json", "database", "include_inactive", "role")

    def __init__(
        self,
        database: str,
        *,
        include_inactive: bool = False,
        role: str | None = None,
        as_json: bool = False,
    ) -> None:
        self.database = database
        self.include_inactive = include_inactive
        self.role = role
        self.as_json = as_json

    def _key(self) -> tuple[str, bool, str | None, bool]:
        return (self.database, self.include_inactive, self.role, self.as_json)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Request) and self._key() == other._key()

    def __repr__(self) -> str:
        return "Request({!r}, include_inactive={!r}, role={!r}, as_json={!r})".format(*self._key())


def parse(args: Sequence[str], environ: Mapping[str, str] | None = None) -> Request | None:
    """The request, when the arguments are the plain form of `admin users list` and the
    settings are the defaults but for the database; else None."""
    if not args or "admin" not in args:
        return None  # not this command: nothing more to look at
    words: list[str] = []
    values: dict[str, str] = {}
    flags: set[str] = set()
    i = 0
    while i < len(args):
        arg = args[i]
        if not arg.startswith("-") or arg == "-":
            words.append(arg)
            if tuple(words) != COMMAND[: len(words)]:
                return None
            i += 1
            continue
        name, eq, value = arg.partition("=")
        at_list = len(words) == len(COMMAND)
        if name in _VALUED:
            if (name == "--as" and words) or (name == "--role" and not at_list):
                return None  # an option where the ordinary command has none of that name
            if not eq:
                if i + 1 >= len(args):
                    return None
                i += 1
                value = args[i]
            if name in values or value.startswith("-"):
                return None  # twice, or a value that looks like an option: let it judge
            values[name] = value
        elif arg in _FLAGS and at_list:
            flags.add(arg)
        else:
            return None  # --help, --version, `--`, an unknown or misplaced option
        i += 1
    if tuple(words) != COMMAND:
        return None
    env = os.environ if environ is None else environ
    if not settings_are_defaults(env):
        return None
    role = values.get("--role")
    if role is not None:
        role = role.strip().lower()
        if role not in _role_values():
            return None
    if "--db" in values:
        database = values["--db"]
    elif DATABASE_ENV in env:
        database = env[DATABASE_ENV]
    else:
        from platformdirs import user_data_path

        database = str(user_data_path(APP_NAME) / "dispatcher.db")
    return Request(
        database, include_inactive="--all" in flags, role=role, as_json="--json" in flags
    )


def settings_are_defaults(environ: Mapping[str, str]) -> bool:
    """Whether the ordinary command would load the default settings (but the database):
    no `DISPATCHER_` setting in the environment besides `DISPATCHER_DATABASE_URL`, and a
    config file that is absent (the default one) or blank."""
    for name in environ:
        if not name.upper().startswith(ENV_PREFIX):
            continue
        rest = name[len(ENV_PREFIX) :].lower()  # the settings read the environment in any case
        if rest.startswith("database_url") and name != DATABASE_ENV:
            return False  # another spelling of it: which one wins is not ours to say
        if rest.startswith(OTHER_SETTINGS):
            return False
    return _config_is_blank(environ.get(CONFIG_FILE_ENV) or None)


def _config_is_blank(named: str | None) -> bool:
    """Whether the config file (`named`, or the default one) holds nothing to check."""
    try:
        if named is not None:
            path = os.path.expanduser(named)
        else:
            from platformdirs import user_config_path

            path = str(user_config_path(APP_NAME) / "dispatcher.toml")
        with open(path, "rb") as file:
            text = file.read(MAX_BLANK_CONFIG + 1)
    except FileNotFoundError:
        return named is None  # only the default file may be missing
    except (OSError, ValueError):
        return False
    return len(text) <= MAX_BLANK_CONFIG and not text.replace(b"\r\n", b"\n").strip(b" \t\n")


def _role_values() -> set[str]:
    from dispatcher.domain.enums import Role

    return {r.value for r in Role}


def answer(args: Sequence[str]) -> bool:
    """Run `admin users list` the quick way; False when the ordinary command must do it."""
    request = parse(args)
    if request is None:
        return False
    import sqlite3

    from dispatcher.store.db.plain import open_sqlite
    from dispatcher.store.people.plain_users import list_users

    connection = open_sqlite(request.database)
    if connection is None:
        return False
    try:
        users, skills = list_users(
            connection,
            include_inactive=request.include_inactive,
            role=request.role,
        )
    except sqlite3.Error:  # locked, damaged: the ordinary command reports it
        return False
    finally:
        connection.close()
    print_users(users, skills, as_json=request.as_json)
    return True


# --- printing, shared with `dispatcher.cli.users` -------------------------------------

USER_FIELDS = ("id", "login", "name", "email", "role", "timezone", "active")
TABLE_HEADERS = ("login", "name", "role", "email", "time zone", "competences", "active")


def user_json(user: User | UserRow, competences: list[str] | None = None) -> dict[str, Any]:
    """A user as the commands print them for scripts (`users show` adds to it)."""
    data: dict[str, Any] = {field: getattr(user, field) for field in USER_FIELDS}
    if competences is not None:
        data["competences"] = competences
    return data


def print_users(
    users: Sequence[User | UserRow], competences: Mapping[int, list[str]], *, as_json: bool
) -> None:
    """The users list as `admin users list` prints it: JSON, or a table for people."""
    from dispatcher.printing import print_json, print_table

    if as_json:
        print_json([user_json(u, competences.get(u.id or 0, [])) for u in users])
        return
    print_table(
        TABLE_HEADERS,
        [
            [
                u.login,
                u.name,
                u.role,
                u.email,
                u.timezone,
                ", ".join(competences.get(u.id or 0, [])),
                "yes" if u.active else "no",
            ]
            for u in users
        ],
    )
