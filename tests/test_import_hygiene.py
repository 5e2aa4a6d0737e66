"""The admin path stays quick: the command line loads no UI, and no database code until a
command needs it. Each check runs a fresh interpreter, so nothing this test process already
imported can hide an import.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dispatcher.store.db import migrate
from dispatcher.store.db.engine import make_engine

PROBE = """
import json, sys
{body}
loaded = sorted({{m.split(".")[0] for m in sys.modules}} & {{"textual", "sqlalchemy", "sqlmodel"}})
print(json.dumps(loaded))
"""


def _loaded(body: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(body=body)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    result: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_importing_the_command_line_loads_neither_textual_nor_the_database() -> None:
    assert _loaded("import dispatcher.cli") == []


def test_the_command_line_loads_a_subcommand_only_when_it_is_named() -> None:
    """`dispatcher` alone opens the console: it loads none of the subcommands' modules."""
    body = """
import json, sys
import dispatcher.cli
print(json.dumps(sorted(m for m in sys.modules if m.startswith("dispatcher.cli."))))
"""
    assert _modules(body) == {"dispatcher.cli._common"}


def test_help_loads_neither_textual_nor_the_database() -> None:
    body = """
from dispatcher.cli import main
sys.argv = ["dispatcher", "admin", "--help"]
try:
    main()
except SystemExit:
    pass
"""
    assert _loaded(body) == []


@pytest.mark.parametrize(
    "command",
    [["admin", "users", "list", "--json"], ["kb", "search", "vpn", "--json"]],
    ids=["admin users list", "kb search"],
)
def test_a_command_never_loads_textual(tmp_path: Path, command: list[str]) -> None:
    db = tmp_path / "hygiene.db"
    migrate.upgrade(make_engine(f"sqlite:///{db}"))
    body = f"""
from dispatcher.cli import main
sys.argv = ["dispatcher", *{command!r}, "--db", {str(db)!r}]
try:
    main()
except SystemExit as exc:
    assert not exc.code, exc.code
"""
    loaded = _loaded(body)
    assert "textual" not in loaded
    assert "sqlalchemy" in loaded  # the probe really ran a database command


# Loaded by the ordinary command line, never on the quick paths (`dispatcher.entry`).
HEAVY = ("sqlalchemy", "sqlmodel", "alembic", "typer", "click", "pydantic", "textual")


def _imported(args: list[str]) -> tuple[str, set[str]]:
    """What `python -m dispatcher ARGS` printed, and every module it imported (as
    `-X importtime` reports them: whatever imported them, whenever)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "dispatcher", *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    modules = {
        line.rsplit("|", 1)[-1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    return done.stdout, modules


@pytest.mark.parametrize(
    "options",
    [["--json"], [], ["--all", "--role", "Engineer", "--json"]],
    ids=["json", "table", "filtered"],
)
def test_admin_users_list_loads_neither_the_database_layer_nor_typer_nor_textual(
    tmp_path: Path, options: list[str]
) -> None:
    """The installed command answers `admin users list` before the command line loads:
    over `sqlite3` alone, with no UI, no ORM, no Typer (issue 13)."""
    db = tmp_path / "quick.db"
    engine = make_engine(f"sqlite:///{db}")
    migrate.upgrade(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            'INSERT INTO "user" (login, name, role, timezone, active, created_at) '
            "VALUES ('ivan', 'Иван', 'engineer', 'Europe/Moscow', 1, '2026-01-01')"
        )
    engine.dispose()
    out, modules = _imported(["admin", "users", "list", *options, "--db", str(db)])
    assert "ivan" in out  # the probe really listed the team
    assert "dispatcher.admin_quick" in modules
    assert sorted(m for m in modules if m.split(".")[0] in HEAVY) == []
    assert sorted(m for m in modules if m.startswith("dispatcher.cli")) == []


def test_an_admin_command_loads_only_its_own_commands_module(tmp_path: Path) -> None:
    """`admin users list` imports the users commands, none of the other admin groups'."""
    db = tmp_path / "admin.db"
    migrate.upgrade(make_engine(f"sqlite:///{db}"))
    body = f"""
import json, sys
from dispatcher.cli import main
sys.argv = ["dispatcher", "admin", "users", "list", "--json", "--db", {str(db)!r}]
try:
    main()
except SystemExit as exc:
    assert not exc.code, exc.code
print(json.dumps(sorted(m for m in sys.modules if m.startswith("dispatcher.cli."))))
"""
    assert _modules(body) == {
        "dispatcher.cli._common",
        "dispatcher.cli.admin",
        "dispatcher.cli.users",
        "dispatcher.cli.schedules",  # the users' shifts and leave
    }


@pytest.mark.parametrize("module", ["dispatcher.store.db.engine", "dispatcher.domain.sla"])
def test_the_data_layers_load_no_textual(module: str) -> None:
    assert "textual" not in _loaded(f"import {module}")


FIRST_SCREEN = """
import json, sys
import dispatcher.app, dispatcher.identity
print(json.dumps(sorted(sys.modules)))
"""

# What the console's first frame does without: loaded at first use, or after the first frame.
DEFERRED = (
    "apscheduler",
    "holidays",
    "jinja2",
    "smtplib",
    "imaplib",
    "dispatcher.scheduling",
    "dispatcher.intake",
    "dispatcher.notify",
    "dispatcher.store.mail",
    "dispatcher.store.people.users",
    "dispatcher.store.tickets.writes",
    "dispatcher.store.sla",
    "dispatcher.domain.templating",
    "dispatcher.screens.ticket",
    "dispatcher.screens.composer",
    "dispatcher.screens.kb",
    "dispatcher.screens.templates",
    "dispatcher.screens.dashboard",
    "dispatcher.screens.my_work",
)


def _modules(body: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", body], capture_output=True, text=True, check=True, timeout=120
    )
    modules: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return set(modules)


def test_the_first_screen_imports_nothing_it_can_load_later() -> None:
    modules = _modules(FIRST_SCREEN)
    assert "dispatcher.screens.queue" in modules  # the probe really loaded the console
    loaded = sorted(
        m for m in modules for gone in DEFERRED if m == gone or m.startswith(gone + ".")
    )
    assert loaded == []


def test_signing_in_loads_none_of_the_stores_table_models(tmp_path: Path) -> None:
    """Signing in runs before anything is drawn: it reads one row, mapping no tables."""
    db = tmp_path / "sign-in.db"
    engine = make_engine(f"sqlite:///{db}")
    migrate.upgrade(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            'INSERT INTO "user" (login, name, role, timezone, active, created_at) '
            "VALUES ('olga', 'Olga', 'dispatcher', 'Europe/Moscow', 1, '2026-01-01')"
        )
    engine.dispose()
    body = f"""
import json, sys
from dispatcher.identity import sign_in
from dispatcher.store.db.engine import Store
me = sign_in(Store.open({str(db)!r}), "olga")
assert (me.login, me.role, me.zone.key) == ("olga", "dispatcher", "Europe/Moscow"), me
print(json.dumps(sorted(sys.modules)))
"""
    modules = _modules(body)
    assert "sqlalchemy" in modules  # the probe really read the database
    assert sorted(m for m in modules if m.startswith("dispatcher.store.models")) == []


FIRST_WINDOW = """
import json, sys
from dispatcher.app import DispatcherApp
from dispatcher.config import load_settings
from dispatcher.identity import sign_in
from dispatcher.screens.context import Intervals
from dispatcher.store.db.engine import Store

class Probe(DispatcherApp):
    def on_queue_screen_loaded(self, event):
        self.modules = sorted(sys.modules)  # the first window has arrived: before the rest
        self.exit()

store = Store.open({db!r})
app = Probe(
    settings=load_settings(), store=store, operator=sign_in(store, "olga"),
    run_scheduler=False, intervals=Intervals.manual(),
)
app.run(headless=True, size=(120, 30))
print(json.dumps(app.modules))
"""

# What the first window of the queue is read and drawn without: the ticket screen's reads,
# the write path, mail, the SLA jobs (each loaded when a key or the background needs it).
FIRST_WINDOW_DEFERRED = (
    "apscheduler",
    "dispatcher.scheduling",
    "dispatcher.store.tickets.reading",
    "dispatcher.store.tickets.writes",
    "dispatcher.store.clients",
    "dispatcher.store.mail",
    "dispatcher.store.sla",
    "dispatcher.read_models.tickets",
)


def test_the_queues_first_window_loads_none_of_the_write_path(tmp_path: Path) -> None:
    db = tmp_path / "first-window.db"
    engine = make_engine(f"sqlite:///{db}")
    migrate.upgrade(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            'INSERT INTO "user" (login, name, role, timezone, active, created_at) '
            "VALUES ('olga', 'Olga', 'dispatcher', 'UTC', 1, '2026-01-01')"
        )
    engine.dispose()
    modules = _modules(FIRST_WINDOW.format(db=str(db)))
    assert "dispatcher.store.tickets.queue" in modules  # the probe really read the window
    loaded = sorted(
        m
        for m in modules
        for gone in FIRST_WINDOW_DEFERRED
        if m == gone or m.startswith(gone + ".")
    )
    assert loaded == []
