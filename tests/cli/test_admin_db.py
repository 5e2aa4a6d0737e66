"""`dispatcher admin init` and `admin db ...`, and the errors every command shares."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dispatcher.cli import app
from dispatcher.store.db import migrate

runner = CliRunner()


def _one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in stderr
    return lines[0]


def test_init_creates_then_reports_up_to_date(tmp_path: Path) -> None:
    db = tmp_path / "sub" / "helpdesk.db"
    first = runner.invoke(app, ["admin", "init", "--db", str(db)])
    assert first.exit_code == 0, first.output
    assert "ready" in first.stdout
    again = runner.invoke(app, ["admin", "--db", str(db), "init"])
    assert again.exit_code == 0
    assert "up to date" in again.stdout
    current = runner.invoke(app, ["admin", "db", "current", "--db", str(db), "--json"])
    assert json.loads(current.stdout) == {
        "current": migrate.head_revision(),
        "head": migrate.head_revision(),
        "up_to_date": True,
    }


def test_database_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "env.db"
    monkeypatch.setenv("DISPATCHER_DATABASE_URL", str(db))
    assert runner.invoke(app, ["admin", "init"]).exit_code == 0
    assert db.exists()


@pytest.mark.postgres
def test_init_on_postgres(pg_empty_url: str) -> None:
    result = runner.invoke(app, ["admin", "init", "--db", pg_empty_url])
    assert result.exit_code == 0, result.output
    current = runner.invoke(app, ["admin", "db", "current", "--db", pg_empty_url])
    assert current.exit_code == 0
    assert "up to date" in current.stdout


def test_current_on_an_empty_database_exits_1(tmp_path: Path) -> None:
    db = tmp_path / "empty.db"
    sqlite3.connect(db).close()
    result = runner.invoke(app, ["admin", "db", "current", "--db", str(db)])
    assert result.exit_code == 1
    assert "behind" in result.stdout


def test_backup_makes_a_consistent_copy(tmp_path: Path) -> None:
    db, copy = tmp_path / "live.db", tmp_path / "backups" / "copy.db"
    runner.invoke(app, ["admin", "init", "--db", str(db)])
    result = runner.invoke(app, ["admin", "db", "backup", str(copy), "--db", str(db)])
    assert result.exit_code == 0, result.output
    conn = sqlite3.connect(copy)
    assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (
        migrate.head_revision(),
    )
    conn.close()
    refused = runner.invoke(app, ["admin", "db", "backup", str(copy), "--db", str(db)])
    assert refused.exit_code == 2
    assert "--force" in _one_error_line(refused.stderr)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["admin", "--no-such-flag"], "No such option"),
        (["admin", "db", "backup"], "Missing argument"),
        (["admin", "nonsense"], "No such command"),
        (["admin", "db", "current", "--db", "mysql://u@h/db"], "unsupported database"),
        (["admin", "db", "current", "--db", "{missing}"], "no database at"),
        (["admin", "db", "backup", "x.db", "--db", "{missing}"], "no database at"),
        (
            ["admin", "init", "--db", "postgresql://nobody@127.0.0.1:1/none"],
            "database error",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args: list[str], expected: str) -> None:
    args = [a.replace("{missing}", str(tmp_path / "missing.db")) for a in args]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert expected in _one_error_line(result.stderr)
    assert not (tmp_path / "missing.db").exists()  # a typo never creates a database


def test_an_uninitialised_database_says_how_to_fix_it(tmp_path: Path) -> None:
    db = tmp_path / "blank.db"
    sqlite3.connect(db).close()
    result = runner.invoke(app, ["admin", "db", "backup", "copy.db", "--db", str(db)])
    assert result.exit_code == 2
    assert "dispatcher admin init" in _one_error_line(result.stderr)


def test_a_broken_config_file_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "broken.toml"
    config.write_text("database_url = [\n")
    monkeypatch.setenv("DISPATCHER_CONFIG_FILE", str(config))
    result = runner.invoke(app, ["admin", "db", "current"])
    assert result.exit_code == 2
    assert "not valid TOML" in _one_error_line(result.stderr)


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.startswith("dispatcher ")


def test_db_option_is_accepted_anywhere(tmp_path: Path) -> None:
    db = tmp_path / "anywhere.db"
    assert runner.invoke(app, ["admin", "init", "--db", str(db)]).exit_code == 0
    for args in (
        ["kb", "search", "vpn", "--json", "--db", str(db)],
        ["--db", str(db), "kb", "search", "vpn", "--json"],
        ["kb", "search", f"--db={db}", "vpn", "--json"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output)
        assert json.loads(result.stdout) == []  # a new database has no articles
