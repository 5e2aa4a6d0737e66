"""`dispatcher kb search` the quick way: the same output as the ordinary command, and the
ordinary command for everything the quick way does not vouch for."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dispatcher import entry, kb_search_quick
from dispatcher.cli import app
from dispatcher.kb_search_quick import Request, answer, parse
from dispatcher.store.db.engine import Store
from dispatcher.store.db.schema_version import HEAD
from dispatcher.store.knowledge import articles, plain_db
from tests.conftest import BACKEND

runner = CliRunner()
SEARCHES = [
    ["принтеры toner"],
    ["tok"],
    ["tok", "--whole-words"],
    ["tonner cartridge", "--json"],
    ["printer", "--tag", "toner", "--json"],
    ["принтер toner", "--visibility", "public"],
    ["printer toner token", "--limit", "1", "--json"],
    ["nothing-like-this"],
    ["nothing-like-this", "--json"],
    ["[bold]Evil[/bold]"],
]


def _seed(store: Store, now: datetime) -> None:
    seeds = [
        ("printer", "Принтер не печатает", "Переустановите драйвер принтера.", "public"),
        ("toner", "Toner low", "Replace the printer's toner cartridge.", "internal"),
        ("vpn", "VPN token", "Reset the token in the portal.", "public"),
        ("evil", "[bold]Evil[/bold] \x1b[31mred", "evil token", "internal"),
    ]
    with store.write() as session:
        for slug, title, body, visibility in seeds:
            articles.upsert_article(
                session,
                slug=slug,
                title=title,
                body=body,
                tags=[slug],
                visibility=visibility,
                groups=[],
                now=now,
            )


def test_the_plain_form_is_parsed_wherever_db_stands() -> None:
    want = Request(database="x.db", query="vpn tok", limit=3, as_json=True)
    for args in (
        ["--db", "x.db", "kb", "search", "vpn tok", "--limit", "3", "--json"],
        ["kb", "--db=x.db", "search", "--json", "vpn tok", "--limit=3"],
        ["--as", "anna", "kb", "search", "vpn tok", "--json", "--limit", "3", "--db", "x.db"],
        ["kb", "search", "--limit", "3", "--json", "--", "vpn tok"],
    ):
        environ = {} if "x.db" in " ".join(args) else {"DISPATCHER_DATABASE_URL": "x.db"}
        assert parse(args, environ) == want, args


def test_anything_else_is_left_to_the_ordinary_command() -> None:
    env = {"DISPATCHER_DATABASE_URL": "x.db"}
    for args in (
        ["kb", "search", "--help"],
        ["--version"],
        ["kb", "search"],
        ["kb", "search", "  "],
        ["kb", "search", "a", "b"],
        ["kb", "search", "x", "--limit", "0"],
        ["kb", "search", "x", "--limit", "201"],
        ["kb", "search", "x", "--limit"],
        ["kb", "search", "x", "--visibility", "secret"],
        ["kb", "search", "x", "--sort", "new"],
        ["--json", "kb", "search", "x"],
        ["ticket", "search", "x"],
        ["kb", "search", "x", "--limit", "2", "--limit", "3"],
    ):
        assert parse(args, env) is None, args
    # The database named only in the config file: the ordinary command reads the file.
    assert parse(["kb", "search", "x"], {}) is None


def test_the_quick_answer_prints_what_the_ordinary_command_prints(
    db_url: str,
    store: Store,
    now: datetime,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _seed(store, now)
    monkeypatch.setenv("COLUMNS", "200")
    for search in SEARCHES:
        args = ["--db", db_url, "kb", "search", *search]
        ordinary = runner.invoke(app, args, env={"COLUMNS": "200"})
        assert ordinary.exit_code == 0, ordinary.output
        capsys.readouterr()
        assert answer(args), search
        assert capsys.readouterr().out == ordinary.stdout, search


def test_the_quick_way_loads_neither_sqlalchemy_nor_typer(
    db_url: str, store: Store, now: datetime
) -> None:
    _seed(store, now)
    probe = (
        "import sys\n"
        "from dispatcher.kb_search_quick import answer\n"
        f"assert answer(['--db', {db_url!r}, 'kb', 'search', 'toner', '--json'])\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'sqlalchemy', 'sqlmodel', 'typer', 'pydantic', 'textual'}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert '"slug": "toner"' in done.stdout
    assert done.stdout.rstrip().endswith("[]")


def test_a_database_it_cannot_vouch_for_goes_the_ordinary_way(
    tmp_path: Path, sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.db"
    assert not answer(["--db", str(missing), "kb", "search", "x"])
    assert not missing.exists()
    assert not answer(["--db", "sqlite://", "kb", "search", "x"])
    assert not answer(["--db", "postgresql://nobody@127.0.0.1:1/none", "kb", "search", "x"])
    not_a_db = tmp_path / "notes.txt"
    not_a_db.write_text("hello", encoding="utf-8")
    assert not answer(["--db", str(not_a_db), "kb", "search", "x"])
    old = Path(sqlite_url.removeprefix("sqlite:///"))
    with sqlite3.connect(old) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0001'")
    assert not answer(["--db", str(old), "kb", "search", "x"])
    assert capsys.readouterr().out == ""


def test_the_head_revision_is_the_schema_this_version_needs() -> None:
    assert plain_db.head_revision() == HEAD


def test_the_entry_point_hands_the_rest_to_the_cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["dispatcher", "--version"])
    with pytest.raises(SystemExit) as stopped:
        entry.main()
    assert stopped.value.code == 0
    assert capsys.readouterr().out.startswith("dispatcher ")
    assert kb_search_quick.parse(["--version"]) is None


@pytest.mark.skipif(BACKEND != "sqlite", reason="a file database")
def test_the_quick_way_opens_a_path_or_a_sqlite_url(sqlite_url: str) -> None:
    path = sqlite_url.removeprefix("sqlite:///")
    for url in (path, sqlite_url):
        db = plain_db.open_plain(url)
        assert db is not None, url
        assert db.dialect == "sqlite"
        db.close()
