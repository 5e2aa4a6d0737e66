"""The console's quick start (`dispatcher.console_quick`): which command lines it takes,
what it leaves to the ordinary command, what it reads before the first frame, and that the
first frame is drawn before SQLAlchemy, the models, pydantic or Typer are imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dispatcher import config_defaults
from dispatcher.config import Settings
from dispatcher.console_quick import Request, parse, read_first_look
from dispatcher.domain.enums import Role
from dispatcher.store.db.engine import Store
from dispatcher.store.db.plain import open_sqlite
from dispatcher.store.people import users
from dispatcher.store.tickets.queue import queue_window
from tests.conftest import BACKEND
from tests.factories import new_ticket, world

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
on_sqlite = pytest.mark.skipif(BACKEND != "sqlite", reason="the quick start reads SQLite files")


def _env(**more: str) -> dict[str, str]:
    return {"HOME": "/nonexistent-home", **more}


def test_the_plain_forms_are_taken() -> None:
    env = _env(DISPATCHER_DATABASE_URL="/srv/env.db")
    assert parse([], env) == Request("/srv/env.db")
    assert parse(["--db", "/srv/a.db"], env) == Request("/srv/a.db", db="/srv/a.db")
    assert parse(["--as", "olga", "--db=/srv/a.db"], env) == Request(
        "/srv/a.db", db="/srv/a.db", login="olga"
    )
    assert parse(["--as=ivan"], env) == Request("/srv/env.db", login="ivan")


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["--version"],
        ["admin", "users", "list"],
        ["--db", "a.db", "--db", "b.db"],
        ["--as"],
        ["--as", "--db"],
        ["--as", ""],
        ["--as", "olga", "tickets"],
        ["--database", "a.db"],
        ["--", "--as", "olga"],
    ],
)
def test_anything_else_is_left_to_the_ordinary_command(args: list[str]) -> None:
    assert parse(args, _env()) is None


def test_settings_it_would_have_to_check_are_left_to_the_ordinary_command(tmp_path: Path) -> None:
    config = tmp_path / "dispatcher.toml"
    config.write_text('theme = "nord"\n')
    assert parse([], _env(DISPATCHER_CONFIG_FILE=str(config))) is None
    assert parse([], _env(DISPATCHER_THEME="nord")) is None
    assert parse([], _env(DISPATCHER_REFRESH_SECONDS="5")) is None
    config.write_text("\n  \n")
    assert parse(["--db", "x.db"], _env(DISPATCHER_CONFIG_FILE=str(config))) is not None


def test_the_first_frames_settings_are_the_defaults_of_the_settings() -> None:
    defaults = Settings.model_fields
    assert defaults["theme"].default == config_defaults.DEFAULT_THEME
    assert defaults["refresh_seconds"].default == config_defaults.DEFAULT_REFRESH_SECONDS
    assert defaults["keymap"].default_factory is not None
    assert defaults["keymap"].default_factory() == {}  # type: ignore[call-arg]


@on_sqlite
def test_the_first_look_is_the_user_and_the_queues_window(store: Store, db_url: str) -> None:
    w = world(store)
    for n in range(3):
        new_ticket(store, w, subject=f"[b]printer {n}[/b] \x1b[31m", now=NOW)
    path = db_url.removeprefix("sqlite:///")
    connection = open_sqlite(path)
    assert connection is not None
    try:
        seen = read_first_look(connection, w.dispatcher.login)
        assert seen is not None
        operator, first = seen
        assert (operator.id, operator.login, operator.role) == (
            w.dispatcher.id,
            w.dispatcher.login,
            Role.dispatcher,
        )
        assert first is not None
        with store.read() as session:
            assert first.window == queue_window(session)
        assert len(first.window.rows) == 3
        # An engineer starts in "my work", a lead on the dashboard: no window to read.
        engineer = read_first_look(connection, w.engineer.login)
        assert engineer is not None
        assert engineer[1] is None
        # Unknown or deactivated: the ordinary command says so.
        assert read_first_look(connection, "nobody") is None
        with store.write() as session:
            users.deactivate_user(session, user_id=w.dispatcher.id or 0)
        assert read_first_look(connection, w.dispatcher.login) is None
    finally:
        connection.close()


@on_sqlite
def test_an_unknown_login_gets_the_ordinary_commands_clear_error(db_url: str) -> None:
    path = db_url.removeprefix("sqlite:///")
    done = subprocess.run(
        [sys.executable, "-m", "dispatcher", "--db", path, "--as", "nobody"],
        capture_output=True,
        text=True,
        env={**os.environ, "DISPATCHER_CONFIG_FILE": "", "HOME": "/nonexistent"},
        timeout=120,
    )
    assert done.returncode != 0
    assert "no user 'nobody'" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_first_frame_needs_no_store_settings_or_command_line_modules() -> None:
    """Everything the quick start imports up to `app.run()`: the app, its first screen and
    the plain reads, none of SQLAlchemy, SQLModel, pydantic, Typer, Jinja2 or APScheduler."""
    code = (
        "import sys\n"
        "import dispatcher.console_quick, dispatcher.app, dispatcher.store.tickets.plain_queue\n"
        "import dispatcher.store.db.plain, dispatcher.terminal, dispatcher.screens.queue\n"
        "heavy = {'sqlalchemy', 'sqlmodel', 'pydantic', 'typer', 'jinja2', 'apscheduler'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "[]"


@on_sqlite
def test_a_key_pressed_before_the_store_is_open_imports_nothing_beside_the_opening(
    store: Store, db_url: str
) -> None:
    """`n` right after the first frame opens the new-ticket form while the store is still
    being opened; until it is open, no thread but the UI's imports a module (a package
    imported by two threads at once can come out half-initialised)."""
    w = world(store)
    new_ticket(store, w, subject="Printer offline", now=NOW)
    store.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISPATCHER_")}
    done = subprocess.run(
        [sys.executable, "-m", "tests.cli.quick_start_probe", db_url.removeprefix("sqlite:///")],
        capture_output=True,
        text=True,
        env={**env, "DISPATCHER_CONFIG_FILE": os.devnull},
        cwd=Path(__file__).parents[2],
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert (seen["form"], seen["open"], seen["scheduler"]) == (True, True, True)
    assert seen["elsewhere"] == []
