"""What every command shares: the command-line state, the store, errors, times typed on the
command line, JSON and progress."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, NoReturn, cast

import typer

# Typer vendors its own click since 0.20; its exceptions are the ones raised.
from typer._click import exceptions as click
from typer.core import TyperGroup

from dispatcher.domain.clock import utcnow
from dispatcher.domain.errors import DispatcherError
from dispatcher.printing import json_text
from dispatcher.printing import print_table as print_table
from dispatcher.printing import sanitize as sanitize

if TYPE_CHECKING:
    from rich.progress import Progress
    from sqlalchemy.exc import DBAPIError
    from sqlmodel import Session
    from typer._click.core import Command as ClickCommand
    from typer._click.core import Context as ClickContext

    from dispatcher.config import Settings
    from dispatcher.store.db.engine import Store

EXIT_ERROR = 2

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database URL or SQLite file path (or DISPATCHER_DATABASE_URL)"),
]


class CliError(DispatcherError):
    """A command cannot do what it was asked; shown as one line, exit code 2."""


def fail(message: str) -> NoReturn:
    raise CliError(message)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _print_error(message: str) -> None:
    """One line on stderr; what a person typed may be in it, so no control character acts."""
    typer.echo(f"error: {_one_line(sanitize(message))}", err=True)


class DispatcherGroup(TyperGroup):
    """The root command: every failure a person can cause becomes one line and exit code 2.

    Its subcommands are imported when the command line names them (`lazy`: name to
    "module:attribute", a Typer app or a command function): opening the console, or
    running one admin command, loads none of the others' modules.
    """

    lazy: ClassVar[dict[str, str]] = {}

    def list_commands(self, ctx: ClickContext) -> list[str]:
        return [*super().list_commands(ctx), *(n for n in self.lazy if n not in self.commands)]

    def get_command(self, ctx: ClickContext, cmd_name: str) -> ClickCommand | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            self.add_command(_load_command(cmd_name, self.lazy[cmd_name]), cmd_name)
        return super().get_command(ctx, cmd_name)

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        args = _db_option_first(list(sys.argv[1:] if args is None else args))
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as exc:
            hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
            _print_error(exc.format_message() + hint)
            rv = EXIT_ERROR
        except click.ClickException as exc:
            _print_error(exc.format_message())
            rv = EXIT_ERROR
        except typer.Abort:
            typer.echo("aborted", err=True)
            rv = 1
        except DispatcherError as exc:
            _print_error(str(exc))
            rv = EXIT_ERROR
        except Exception as exc:
            database_error = _database_error(exc)
            if database_error is None:
                raise
            _print_error(f"database error: {database_error.orig}")
            rv = EXIT_ERROR
        if not standalone_mode:
            return rv
        sys.exit(rv if isinstance(rv, int) else 0)


def _load_command(name: str, where: str) -> ClickCommand:
    """The click command of a subcommand, built as `Typer.add_typer` (or `.command`) on
    the root would have built it: no rich markup, no pretty tracebacks."""
    import importlib

    import typer.main

    module, attribute = where.split(":")
    found = getattr(importlib.import_module(module), attribute)
    holder = typer.Typer(rich_markup_mode=None, pretty_exceptions_enable=False)
    holder.callback()(lambda: None)  # a group, so `name` stays a subcommand of it
    if isinstance(found, typer.Typer):
        holder.add_typer(found, name=name)
    else:
        holder.command(name)(found)
    group = typer.main.get_group(holder)
    return group.commands[name]


def _database_error(exc: Exception) -> DBAPIError | None:
    """`exc` when it is SQLAlchemy's DBAPIError. The class is looked up, never imported, so
    `--help` and commands that need no database do not load SQLAlchemy (and a command that
    never loaded it cannot have raised one)."""
    sqlalchemy_exc = sys.modules.get("sqlalchemy.exc")
    if sqlalchemy_exc is not None and isinstance(exc, sqlalchemy_exc.DBAPIError):
        return cast("DBAPIError", exc)
    return None


def _db_option_first(args: list[str]) -> list[str]:
    """`--db URL` may stand anywhere on the command line: move it to the root command,
    which every subcommand reads it from (`dispatcher kb search x --db y.db` works)."""
    out: list[str] = []
    moved: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            out.extend(args[i:])
            break
        if arg == "--db" and i + 1 < len(args):
            moved = ["--db", args[i + 1]]
            i += 2
            continue
        if arg.startswith("--db="):
            moved = [arg]
            i += 1
            continue
        out.append(arg)
        i += 1
    return moved + out


@dataclass
class CliState:
    """Carried in the click context from the root callback down to every command."""

    db: str | None = None
    login: str | None = None
    _settings: Settings | None = field(default=None, repr=False)
    _store: Store | None = field(default=None, repr=False)

    def settings(self) -> Settings:
        if self._settings is None:
            from dispatcher.config import load_settings

            self._settings = load_settings(database_url=self.db)
        return self._settings

    def store(self, *, must_be_ready: bool = True, must_exist: bool = True) -> Store:
        """The store for the chosen database; refuses one that is missing or out of date.

        `must_exist=False` lets `init` create a new SQLite file.
        """
        if self._store is None:
            from dispatcher.store.db.engine import Store, database_url, is_memory, is_sqlite

            url = database_url(self.settings().database_url)
            if must_exist and is_sqlite(url) and not is_memory(url):
                path = checked_path(url.database or "")
                if not path.exists():
                    fail(f"no database at {path}: run 'dispatcher admin init --db {path}'")
            self._store = Store.open(url)
        if must_be_ready:
            ensure_ready(self._store)
        return self._store

    def close(self) -> None:
        """Release the database connections when the command is done."""
        if self._store is not None:
            self._store.dispose()
            self._store = None


def ensure_ready(store: Store) -> None:
    from dispatcher.store.db.schema_version import HEAD, current_revision

    current = current_revision(store.engine)
    if current is None:
        fail(
            f"the database {store.url.render_as_string(hide_password=True)} is not set up: "
            "run 'dispatcher admin init'"
        )
    if current != HEAD:
        fail(
            f"the database is at schema {current}, this version needs "
            f"{HEAD}: run 'dispatcher admin db upgrade'"
        )


def state(ctx: typer.Context) -> CliState:
    obj = ctx.find_object(CliState)
    if obj is None:
        obj = ctx.ensure_object(CliState)
    return obj


def set_db(ctx: typer.Context, db: str | None) -> None:
    if db is not None:
        state(ctx).db = db


def acting_user_id(ctx: typer.Context, session: Session, login: str | None) -> int | None:
    """The id of the user a command acts as: its own `--as`, else the global `--as`; None
    when neither is given."""
    from dispatcher.domain.errors import NotFoundError
    from dispatcher.store.people.users import get_user_by_login

    login = login or state(ctx).login
    if login is None:
        return None
    try:
        return get_user_by_login(session, login=login).id
    except NotFoundError:
        fail(f"no user {login}")


# --- Times typed on the command line ---------------------------------------------------

# How every option that takes a time states the rule in its --help: "..., <zone>)".
TIME_HELP = "ISO 8601, e.g. 2026-11-20T17:30 or 2026-11-20T17:30+03:00; without an offset"
# The instants a command accepts: deadlines are computed from them (a year 9999 start
# overflows the first addition) and the store's "no deadline" is at 9999-12-31.
FIRST_YEAR, LAST_YEAR = 1900, 2999


def parse_instant(value: str, *, option: str, zone: tzinfo | None = None) -> datetime:
    """An instant typed on the command line: an ISO 8601 date-time, or a date (midnight).

    The one rule for a time without an offset: it is wall-clock time in `zone`, the time
    zone of what the command is about (a calendar's for `sla due --at` and `calendar preview
    --from`, the user's for `users shifts check --at`); a command about no such thing
    passes none and the time is this computer's local time (`tickets export --since`).
    With an offset (`Z`, `+03:00`) a time means exactly that instant. The result is aware.
    """
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        fail(
            f"{option}: not an ISO 8601 date-time: {value!r} "
            "(e.g. 2026-11-20T17:30, or with an offset 2026-11-20T17:30+03:00)"
        )
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone) if zone is not None else parsed.astimezone()
    try:
        year = parsed.astimezone(UTC).year
    except OverflowError:  # e.g. 0001-01-01T00:00+14:00 is before the year 1
        year = 0
    if not FIRST_YEAR <= year <= LAST_YEAR:
        fail(f"{option}: {value!r} is out of range (years {FIRST_YEAR} to {LAST_YEAR})")
    return parsed


# --- Paths and ids typed on the command line -------------------------------------------


def checked_path(value: str | Path) -> Path:
    """A path typed on the command line, `~` expanded.

    A name the system refuses outright (a NUL character, a name too long, a folder on the
    way that cannot be entered) is a CliError here, so what the command then does with the
    path (`exists()`, `is_file()`, opening it) meets nothing but files that are not there.
    """
    text = str(value)
    if "\x00" in text:
        fail(f"{_shown(text)}: a path cannot contain a NUL character")
    path = Path(text)
    with suppress(RuntimeError):  # `~nobody/x`: no such home folder; left as it is
        path = path.expanduser()
    try:
        os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        pass
    except OSError as exc:
        fail(f"{_shown(text)}: {exc.strerror or exc}")
    return path


def path_parser(value: str) -> Path:
    """`checked_path` for Typer's `parser=`: a bad path is a usage error of the parameter."""
    try:
        return checked_path(value)
    except CliError as exc:
        raise click.BadParameter(str(exc)) from None


def id_parser(value: str) -> int:
    """An id for Typer's `parser=`, by the store's rule (`store.lookup.parse_id`)."""
    from dispatcher.domain.errors import ValidationError
    from dispatcher.store.lookup import MAX_ID, parse_id

    try:
        return parse_id(value, what="row")
    except ValidationError:
        digits = value.strip().lstrip("-")
        if not (digits.isascii() and digits.isdigit()):
            raise click.BadParameter(f"{_shown(value)} is not a valid integer") from None
        raise click.BadParameter(f"{_shown(value)} is not an id (1 to {MAX_ID})") from None


def _shown(value: str, limit: int = 60) -> str:
    return repr(value if len(value) <= limit else value[:limit] + "...")


def today() -> date:
    """Today's date on this computer's clock, for options like `--on` that default to it."""
    return utcnow().astimezone().date()


def echo(text: str, *, err: bool = False) -> None:
    """A line for people, terminal control characters removed (see `sanitize`)."""
    typer.echo(sanitize(text), err=err)


def print_json(data: Any) -> None:
    typer.echo(json_text(data))


@contextmanager
def progress(description: str, total: int | None) -> Iterator[Progress]:
    """A rich progress bar on stderr for long work (hidden when stderr is not a terminal)."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    console = Console(stderr=True)
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
        disable=not console.is_terminal,
    ) as bar:
        bar.add_task(description, total=total)
        yield bar
