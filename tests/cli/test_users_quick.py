"""`dispatcher admin users list` the quick way (`dispatcher.admin_quick`): the same output as
the ordinary command, byte for byte, and the ordinary command for everything the quick way
does not vouch for."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from dispatcher import admin_quick, entry
from dispatcher.admin_quick import Request, answer, parse
from dispatcher.config import Settings, default_database_path
from dispatcher.domain.enums import Role
from dispatcher.store.db.engine import Store
from dispatcher.store.db.plain import connect_sqlite, open_sqlite, sqlite_file
from dispatcher.store.people import competences, users
from tests.conftest import BACKEND

on_sqlite = pytest.mark.skipif(BACKEND != "sqlite", reason="the quick way reads SQLite files")

# Hostile text as people type it into a name: markup, escape sequences (C0 and C1),
# right-to-left and wide characters, and both of the team's languages.
HOSTILE = [
    ("mallory", "[bold red]Mallory[/] \x1b[31mred\x1b[0m", Role.engineer, "Europe/Moscow"),
    ("csi", "Eve \x9b31m C1 \x07bell\ttab", Role.dispatcher, "UTC"),
    ("maria", "Мария [link=http://evil]Иванова[/link]", Role.lead, "Europe/Moscow"),
    ("wide", "王小明 \u202eevil\u202c 🙂", Role.admin, "Asia/Shanghai"),
    ("gone", "Старый \x1b]8;;http://evil\x1b\\сотрудник", Role.engineer, "UTC"),
]
LISTS = [
    [],
    ["--json"],
    ["--all"],
    ["--all", "--json"],
    ["--role", "engineer"],
    ["--role=Engineer ", "--all", "--json"],
    ["--role", "lead", "--all"],
    ["--role", "admin", "--json"],
]


def _seed(store: Store) -> None:
    with store.write() as session:
        codes = {}
        # Not added in the order of their codes, which is the order they are listed in.
        for code, name in [("zz.top", "[b]x[/b]"), ("printers", "Printers"), ("network", "Сети")]:
            codes[code] = competences.add_competence(session, code=code, name=name).id or 0
        for login, name, role, zone in HOSTILE:
            user = users.add_user(
                session,
                login=login,
                name=name,
                email=None if login == "csi" else f"{login}@example.com",
                role=role,
                timezone=zone,
            )
            for code in codes if login in {"mallory", "gone"} else ["printers"]:
                competences.grant_competence(
                    session, user_id=user.id or 0, competence_id=codes[code]
                )
        gone = users.get_user_by_login(session, login="gone")
        users.deactivate_user(session, user_id=gone.id or 0)


def _path(db_url: str) -> str:
    return db_url.removeprefix("sqlite:///")


def _run(
    main: Callable[[], None], args: list[str], capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of one `dispatcher ...` run in this process."""
    capsys.readouterr()
    saved = sys.argv
    sys.argv = ["dispatcher", *args]
    try:
        main()
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 1
    finally:
        sys.argv = saved
    out, err = capsys.readouterr()
    return code, out, err


def _ordinary(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    from dispatcher.cli import main

    return _run(main, args, capsys)


def _quick_or_ordinary(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    return _run(entry.main, args, capsys)


# --- the command line as typed --------------------------------------------------------


def test_the_plain_form_is_parsed_wherever_the_ordinary_command_takes_its_options() -> None:
    env = {"DISPATCHER_CONFIG_FILE": os.devnull}
    want = Request("x.db", include_inactive=True, role="engineer", as_json=True)
    for args in (
        ["--db", "x.db", "admin", "users", "list", "--all", "--role", "engineer", "--json"],
        ["admin", "--db=x.db", "users", "list", "--json", "--role=engineer", "--all"],
        ["--as", "anna", "admin", "users", "--db", "x.db", "list", "--all", "--json", "--all",
         "--role", " Engineer "],
        ["admin", "users", "list", "--all", "--json", "--role", "ENGINEER", "--db", "x.db"],
    ):  # fmt: skip
        assert parse(args, env) == want, args
    env_db = env | {"DISPATCHER_DATABASE_URL": "y.db"}
    assert parse(["admin", "users", "list"], env_db) == Request("y.db")
    assert parse(["--db", "x.db", "admin", "users", "list"], env_db) == Request("x.db")


def test_without_a_database_named_it_is_the_default_one() -> None:
    request = parse(["admin", "users", "list"], {"DISPATCHER_CONFIG_FILE": os.devnull})
    assert request == Request(str(default_database_path()))


@pytest.mark.parametrize(
    "args",
    [
        ["admin", "users", "list", "--help"],
        ["admin", "users", "list", "-h"],
        ["--help", "admin", "users", "list"],
        ["--version"],
        ["admin", "users"],
        ["admin", "users", "list", "extra"],
        ["admin", "users", "show", "anna"],
        ["admin", "users", "competences", "list"],
        ["admin", "queues", "list"],
        ["users", "list"],
        ["kb", "search", "admin"],
        ["admin", "users", "list", "--role", "boss"],
        ["admin", "users", "list", "--role", ""],
        ["admin", "users", "list", "--role"],
        ["admin", "users", "list", "--role", "lead", "--role", "admin"],
        ["admin", "users", "list", "--role", "--json"],
        ["admin", "users", "list", "--all=yes"],
        ["admin", "users", "list", "--sort", "name"],
        ["admin", "users", "list", "--"],
        ["admin", "users", "list", "-"],
        ["--all", "admin", "users", "list"],
        ["admin", "--json", "users", "list"],
        ["admin", "users", "--role", "lead", "list"],
        ["admin", "--as", "anna", "users", "list"],
        ["admin", "users", "list", "--as", "anna"],
        ["admin", "users", "list", "--db"],
        ["admin", "users", "list", "--db", "a.db", "--db", "b.db"],
    ],
)
def test_anything_else_is_left_to_the_ordinary_command(args: list[str]) -> None:
    env = {"DISPATCHER_CONFIG_FILE": os.devnull, "DISPATCHER_DATABASE_URL": "x.db"}
    assert parse(args, env) is None


def test_settings_it_would_have_to_check_are_left_to_the_ordinary_command(tmp_path: Path) -> None:
    args = ["--db", "x.db", "admin", "users", "list"]
    blank = tmp_path / "blank.toml"
    blank.write_bytes(b"\n  \r\n\t\n")
    assert parse(args, {"DISPATCHER_CONFIG_FILE": str(blank)}) == Request("x.db")
    assert parse(args, {"DISPATCHER_CONFIG_FILE": os.devnull, "DISPATCHER_TEST_X": "1"})
    # Only the default config file may be missing (XDG_CONFIG_HOME is the test's own).
    assert parse(args, {}) == Request("x.db")
    written = tmp_path / "dispatcher.toml"
    for text in ('database_url = "other.db"\n', "# a comment\n", "theme = 'x'\n"):
        written.write_text(text, encoding="utf-8")
        assert parse(args, {"DISPATCHER_CONFIG_FILE": str(written)}) is None, text
    for environ in (
        {"DISPATCHER_CONFIG_FILE": str(tmp_path / "missing.toml")},
        {"DISPATCHER_CONFIG_FILE": str(tmp_path)},  # a folder
        {"DISPATCHER_CONFIG_FILE": os.devnull, "DISPATCHER_THEME": "nord"},
        {"DISPATCHER_CONFIG_FILE": os.devnull, "dispatcher_refresh_seconds": "100"},
        {"DISPATCHER_CONFIG_FILE": os.devnull, "DISPATCHER_SMTP__HOTS": "x"},
        {"DISPATCHER_CONFIG_FILE": os.devnull, "dispatcher_database_url": "y.db"},
    ):
        assert parse(args, environ) is None, environ


def test_every_other_setting_is_one_the_quick_way_knows() -> None:
    assert set(admin_quick.OTHER_SETTINGS) == set(Settings.model_fields) - {"database_url"}


def test_the_roles_it_accepts_are_the_stores() -> None:
    env = {"DISPATCHER_CONFIG_FILE": os.devnull}
    for role in Role:
        request = parse(["--db", "x.db", "admin", "users", "list", "--role", role.value], env)
        assert request == Request("x.db", role=role.value)


def test_sqlite_urls_name_the_file_the_store_opens(tmp_path: Path) -> None:
    assert sqlite_file("sqlite:////srv/a%20b.db") == "/srv/a b.db"
    assert sqlite_file(" relative.db ") == "relative.db"
    assert sqlite_file("~/team.db") == str(Path("~/team.db").expanduser())
    for url in (
        "",
        "sqlite://",
        "sqlite:///",
        "sqlite:///:memory:?cache=shared",
        "sqlite:///x.db?mode=ro",
        "sqlite://host/x.db",
        "sqlite+pysqlite:///x.db",
        "SQLITE:///x.db",
        "sqlite:///~/x.db",
        "postgresql://nobody@127.0.0.1:1/x",
        "x\x00.db",
        str(tmp_path) + "/",
    ):
        assert sqlite_file(url) is None, url


# --- the same output ------------------------------------------------------------------


@on_sqlite
@pytest.mark.parametrize("columns", ["200", "60"])
def test_the_quick_answer_prints_what_the_ordinary_command_prints(
    db_url: str,
    store: Store,
    columns: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _seed(store)
    monkeypatch.setenv("COLUMNS", columns)
    tables = ""
    for options in LISTS:
        args = ["admin", "users", "list", *options, "--db", _path(db_url)]
        ordinary = _ordinary(args, capsys)
        assert ordinary[0] == 0, ordinary
        assert answer(args), options  # the quick way did answer
        assert capsys.readouterr() == (ordinary[1], ""), options
        assert _quick_or_ordinary(args, capsys) == ordinary, options
        if "--json" not in options:
            tables += ordinary[1]
    assert "[bold red]Mallory[/]" in tables or columns != "200"  # markup shown as typed
    assert "\x1b" not in tables
    assert "\x9b" not in tables


@on_sqlite
def test_every_form_it_takes_is_one_the_ordinary_command_takes(
    db_url: str,
    store: Store,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _seed(store)
    db = _path(db_url)
    monkeypatch.setenv("COLUMNS", "200")
    for args in (
        ["--db", db, "admin", "users", "list", "--all", "--role", "engineer"],
        ["admin", f"--db={db}", "users", "list", "--json", "--role=engineer", "--all"],
        ["--as", "anna", "admin", "users", "--db", db, "list", "--all", "--all", "--role", "Lead"],
        ["--as=", "admin", "users", "list", "--json", "--json", "--db", db_url],
    ):  # fmt: skip
        ordinary = _ordinary(args, capsys)
        assert ordinary[0] == 0, (args, ordinary)
        assert answer(args), args
        assert capsys.readouterr() == (ordinary[1], ""), args
    monkeypatch.setenv("DISPATCHER_DATABASE_URL", db)
    args = ["admin", "users", "list", "--all"]
    ordinary = _ordinary(args, capsys)
    assert answer(args)
    assert capsys.readouterr() == (ordinary[1], "")


def test_either_backend_lists_the_team_through_the_entry_point(
    db_url: str, store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    """SQLite the quick way, PostgreSQL the ordinary way: the same list."""
    _seed(store)
    args = ["admin", "users", "list", "--all", "--json", "--db", db_url]
    code, out, err = _quick_or_ordinary(args, capsys)
    assert (code, out, err) == _ordinary(args, capsys)
    assert [u["login"] for u in json.loads(out)] == sorted(login for login, *_ in HOSTILE)
    assert answer(args) is (BACKEND == "sqlite")


@on_sqlite
def test_the_whole_process_prints_the_same_bytes(db_url: str, store: Store) -> None:
    """The installed command (through `python -m dispatcher`) and the ordinary command,
    each a process of its own, as a script or a person at a pipe sees them."""
    _seed(store)
    env = os.environ | {"COLUMNS": "100"}
    for options in (["--all"], ["--all", "--json"]):
        args = ["admin", "users", "list", *options, "--db", _path(db_url)]
        quick, ordinary = (
            subprocess.run(
                [sys.executable, *how, *args], capture_output=True, env=env, check=True, timeout=120
            )
            for how in (["-m", "dispatcher"], ["-c", "from dispatcher.cli import main; main()"])
        )
        assert quick.stdout == ordinary.stdout, options
        assert quick.stderr == ordinary.stderr == b""
        assert b"admin_quick" in _modules_of(args)  # the quick way answered
    assert b"\\u001b[31mred" in quick.stdout  # JSON escapes what the table drops


def _modules_of(args: list[str]) -> bytes:
    """The `-X importtime` report of `python -m dispatcher ARGS`, whose answer is not kept."""
    command = [sys.executable, "-X", "importtime", "-m", "dispatcher", *args]
    done = subprocess.run(command, capture_output=True, check=True, timeout=120)
    assert b"sqlalchemy" not in done.stderr
    return done.stderr


# --- the ordinary command for the rest ------------------------------------------------


def _not_at_head(path: str) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0001'")


def _not_set_up(path: str) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE alembic_version")


def _not_a_database(path: str) -> None:
    Path(path).write_text("hello", encoding="utf-8")


@on_sqlite
@pytest.mark.parametrize(
    ("spoil", "says"),
    [
        (_not_at_head, "the database is at schema 0001, this version needs"),
        (_not_set_up, "is not set up: run 'dispatcher admin init'"),
        (_not_a_database, "database error"),
    ],
)
def test_a_database_it_cannot_vouch_for_goes_the_ordinary_way(
    db_url: str, spoil: Callable[[str], None], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _path(db_url)
    spoil(path)
    args = ["admin", "users", "list", "--json", "--db", path]
    assert not answer(args)
    assert capsys.readouterr() == ("", "")
    code, out, err = _quick_or_ordinary(args, capsys)
    assert (code, out, err) == _ordinary(args, capsys)
    assert code == 2
    assert says in err


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--db", "postgresql://nobody@127.0.0.1:1/x"], "database error"),
        (["--db", "{tmp}/missing.db"], "no database at"),
        (["--db", "sqlite://"], "is not set up"),
        (["--db", "{db}", "--role", "boss"], "unknown role 'boss'"),
        (["--db", "{db}", "--sort", "name"], "No such option: --sort"),
        (["--db", "{db}", "extra"], "unexpected extra argument"),
    ],
)
def test_what_it_leaves_the_ordinary_command_says_what_is_wrong(
    tmp_path: Path,
    sqlite_url: str,
    args: list[str],
    says: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = _path(sqlite_url)
    args = ["admin", "users", "list", *(a.format(tmp=tmp_path, db=db) for a in args)]
    assert not answer(args)
    assert capsys.readouterr() == ("", "")
    code, out, err = _quick_or_ordinary(args, capsys)
    assert (code, out, err) == _ordinary(args, capsys)
    assert (code, out) == (2, "")
    assert says in err
    assert not (tmp_path / "missing.db").exists()


def test_help_is_the_ordinary_commands(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["admin", "users", "list", "--help"]
    code, out, err = _quick_or_ordinary(args, capsys)
    assert (code, out, err) == _ordinary(args, capsys)
    assert code == 0
    assert "--role" in out


@on_sqlite
def test_the_database_named_in_the_config_file_is_the_ordinary_commands(
    db_url: str,
    store: Store,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _seed(store)
    config = tmp_path / "dispatcher.toml"
    config.write_text(f"database_url = {_path(db_url)!r}\n", encoding="utf-8")
    monkeypatch.setenv("DISPATCHER_CONFIG_FILE", str(config))
    args = ["admin", "users", "list", "--json"]
    assert not answer(args)
    code, out, _ = _quick_or_ordinary(args, capsys)
    assert code == 0
    assert '"login": "mallory"' in out


@on_sqlite
def test_a_stored_role_is_printed_as_the_store_gives_it(db_url: str, store: Store) -> None:
    """The quick way reads the role as stored (no `Role` on its path): for every role the
    store writes, what the model gives."""
    _seed(store)
    connection = open_sqlite(_path(db_url))
    assert connection is not None
    from dispatcher.store.people.plain_users import list_users

    found, _ = list_users(connection, include_inactive=True)
    connection.close()
    with store.read() as session:
        listed = users.list_users(session, include_inactive=True)
    assert [(u.login, u.role) for u in found] == [(u.login, u.role) for u in listed]
    assert all(type(u.active) is bool for u in found)


@on_sqlite
def test_a_file_with_characters_that_mean_something_in_a_uri(
    db_url: str, store: Store, tmp_path: Path
) -> None:
    _seed(store)
    store.dispose()
    odd = tmp_path / "команда 100% #1?.db"
    Path(_path(db_url)).rename(odd)
    connection = connect_sqlite(str(odd))
    assert connection is not None
    assert connection.execute('SELECT count(*) FROM "user"').fetchone() == (len(HOSTILE),)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        connection.execute('DELETE FROM "user"')
    connection.close()


def test_the_entry_point_hands_the_rest_to_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _quick_or_ordinary(["--version"], capsys)
    assert code == 0
    assert out.startswith("dispatcher ")
