"""Every command of the command line, fed hostile values: nothing a person types may end
in a traceback, act on the terminal or take the command somewhere it should not go.

The commands are found by walking the click tree Typer builds, so a new command is covered
the day it is added. Each parameter of each command gets each value of `HOSTILE` in turn
(the command's other required parameters get plausible values, so the hostile one reaches
as deep as it can), against a small helpdesk world. Every run must exit 0 or 2, never with
a traceback, and a failure must be exactly one `error: ...` line on stderr; no escape
sequence typed in may come out again. The values are a fixed list: deterministic, and
bounded in time.

Left out: the root command without a subcommand (it opens the console). `watch` runs
until it is stopped, so it is run with `--once` added: one sweep, then it exits.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
import typer.testing
from typer._click.core import Context
from typer.main import get_command
from typer.testing import CliRunner

from dispatcher.cli import app
from dispatcher.cli._common import DispatcherGroup
from dispatcher.store.db.engine import Store
from tests.factories import new_ticket, world

runner = CliRunner()

HOSTILE = [
    "99999999999999999999",
    "9223372036854775808",  # 2**63: one more than SQLite's largest integer
    "-1",
    "0",
    "",
    "a\x00b",
    "[bold]x[/]",
    "[@click=app.quit]",
    "\x1b[31mred\x1b[0m",
    "\x1b]0;title\x07",
    "x" * 5000,
    "9999-12-31T23:59+00:00",
    "0001-01-01T00:00+14:00",
    "2026-02-30",
    "/proc/nope/x",
    "#99999999999999999999",
    "²",
    "1e999",
    "-",
]
# Commands that never end on their own, and what makes them end.
RUN_ONCE: dict[tuple[str, ...], list[str]] = {("watch",): ["--once"]}
# Commands that act as somebody: an operator given first, so the hostile value (a later
# `--as` included, which wins) reaches as deep as it can.
TICKET_ACTIONS = (
    "assign",
    "call",
    "classify",
    "escalate",
    "link",
    "merge",
    "note",
    "reply",
    "status",
    "take",
)
OPERATOR: dict[tuple[str, ...], list[str]] = {
    ("ticket", name): ["--as", "olga"] for name in TICKET_ACTIONS
}


@dataclass(frozen=True)
class Param:
    name: str
    opts: tuple[str, ...]  # empty for an argument
    required: bool
    annotation: Any

    @property
    def is_argument(self) -> bool:
        return not self.opts


@dataclass(frozen=True)
class Command:
    path: tuple[str, ...]
    params: tuple[Param, ...]

    def __str__(self) -> str:
        return " ".join(self.path)


def _commands(group: Any, path: tuple[str, ...] = ()) -> Iterator[Command]:
    for name, command in sorted(group.commands.items()):
        if hasattr(command, "commands"):
            yield from _commands(command, (*path, name))
            continue
        params = tuple(
            Param(
                name=param.name or "",
                opts=tuple(param.opts) if param.param_type_name == "option" else (),
                required=bool(param.required),
                annotation=param.type_descriptor.annotation,
            )
            for param in command.params
            # `--db` is the same option everywhere: `test_hostile_database_urls` has it.
            if not getattr(param, "is_flag", False) and param.name not in ("help", "db")
        )
        yield Command((*path, name), params)


CLI = get_command(app)
assert isinstance(CLI, DispatcherGroup)


def _load_all(group: Any, ctx: Context) -> None:
    """Subcommands load when named (the root's and `admin`'s): name them all, all the way down."""
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if hasattr(command, "commands"):
            _load_all(command, Context(command, parent=ctx, info_name=name))


_load_all(CLI, Context(CLI))
COMMANDS = list(_commands(CLI))

# Plausible values for the parameters the hostile one is not in, by name.
PLAUSIBLE = {
    "login": "ivan",
    "assignee": "ivan",
    "ref": "#1",
    "ticket": "#1",
    "client": "Acme",
    "contact": "Anna Client",
    "queue": "Support",
    "category": "Network",
    "code": "network",
    "codes": "network",
    "competence": "network",
    "plan": "premium",
    "priority": "normal",
    "status": "open",
    "number": "C-1",
    "starts": "2026-12-01",
    "ends": "2026-12-02",
    "specs": "mon-fri 09:00-18:00",
    "name": "Name",
    "subject": "Printer",
    "new_status": "in_progress",
    "into": "#1",
    "other": "#1",
    "summary": "Called back",
    "body": "Hello",
}


# ... and where a command needs another one to get as far as its other parameters.
PLAUSIBLE_FOR: dict[tuple[str, ...], dict[str, str]] = {
    ("admin", "calendar", "preview"): {"name": "24x7"}
}


def _plausible(command: Command, param: Param, files: Path) -> str:
    special = PLAUSIBLE_FOR.get(command.path, {})
    if param.name in special:
        return special[param.name]
    if param.name in PLAUSIBLE:
        return PLAUSIBLE[param.name]
    annotation = param.annotation
    if annotation in (int, float):
        return "1"
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return str(next(iter(annotation)).value)
    if annotation is Path or "file" in param.name or "source" in param.name:
        return str(files / "input.json")
    if param.name in ("target", "backup"):
        return str(files / "output.json")
    return "x"


def _args(command: Command, hostile: Param, value: str, files: Path) -> list[str]:
    args = [*command.path, *OPERATOR.get(command.path, [])]
    for param in command.params:
        if param is hostile:
            given = value
        elif param.required:
            given = _plausible(command, param, files)
        else:
            continue
        if param.is_argument:
            args.append(given)
        else:
            args += [param.opts[0], given]
    return args + RUN_ONCE.get(command.path, [])


@pytest.fixture
def helpdesk(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A small world with one ticket; the working directory a scratch folder."""
    # Typer's runner builds the click tree again for every call (0.2 s); build it once.
    monkeypatch.setattr(typer.testing, "_get_command", lambda _app: CLI)
    store = Store.open(db_url)
    w = world(store)
    new_ticket(store, w, now=datetime.now(UTC))
    store.dispose()
    files = tmp_path / "files"
    files.mkdir()
    (files / "input.json").write_text("[]\n")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return db_url


def _problem(result: Any) -> str | None:
    output = result.stdout + result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return f"raised {type(result.exception).__name__}: {result.exception}"
    if "Traceback" in output:
        return "printed a traceback"
    if result.exit_code not in (0, 2):
        return f"exit code {result.exit_code}: {output[-300:]!r}"
    if "\x1b" in output:
        return f"an escape sequence reached the terminal: {output[-300:]!r}"
    if result.exit_code == 2:
        lines = result.stderr.splitlines()
        if len(lines) != 1 or not lines[0].startswith("error: "):
            return f"not one error line: {result.stderr[-300:]!r}"
    return None


# Commands of other areas that still end in a traceback here: expected to fail until fixed.
NOT_YET: dict[tuple[str, ...], str] = {}


def _cases() -> list[Any]:
    return [
        pytest.param(c, marks=pytest.mark.xfail(reason=NOT_YET[c.path])) if c.path in NOT_YET else c
        for c in COMMANDS
    ]


@pytest.mark.parametrize("command", _cases(), ids=str)
def test_hostile_values_end_in_one_error_line_at_most(
    command: Command, helpdesk: str, tmp_path: Path
) -> None:
    files = tmp_path / "files"
    problems = []
    for param in command.params:
        for value in HOSTILE:
            args = ["--db", helpdesk, *_args(command, param, value, files)]
            result = runner.invoke(app, args, env={"COLUMNS": "200"})
            problem = _problem(result)
            if problem is not None:
                shown = [a if len(a) < 40 else a[:20] + "..." for a in args[2:]]
                problems.append(f"{shown} ({param.name}={value[:20]!r}): {problem}")
    assert not problems, "\n".join(problems)


DATABASE_COMMANDS = [
    ["admin", "init"],
    ["admin", "db", "current"],
    ["admin", "db", "backup", "copy.db"],
    ["admin", "db", "restore", "copy.db", "--yes"],
    ["admin", "demo", "--tickets", "0"],
    ["admin", "tickets", "list"],
    ["kb", "search", "vpn"],
    ["watch", "--once"],
]


@pytest.mark.parametrize("command", DATABASE_COMMANDS, ids=" ".join)
def test_hostile_database_urls(command: list[str], helpdesk: str) -> None:
    problems = []
    for value in HOSTILE:
        result = runner.invoke(app, ["--db", value, *command], env={"COLUMNS": "200"})
        problem = _problem(result)
        if problem is not None:
            problems.append(f"--db {value[:20]!r}: {problem}")
    assert not problems, "\n".join(problems)


def test_every_command_is_driven() -> None:
    # Subcommands load lazily: a walk that saw none of them would fuzz nothing at all.
    groups = {c.path[0] for c in COMMANDS}
    assert {"admin", "kb", "report", "ticket", "watch"} <= groups
    assert len(COMMANDS) > 80
