"""`dispatcher admin init` and `admin db ...`, and the errors every command shares."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dispatcher.cli import app
from dispatcher.store.db import migrate
from dispatcher.store.db.engine import Store
from dispatcher.store.models import Queue

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


# --- backup and restore ------------------------------------------------------------------


def _queues(db: Path) -> list[str]:
    result = runner.invoke(app, ["admin", "--db", str(db), "queues", "list", "--json"])
    assert result.exit_code == 0, result.output
    return [q["name"] for q in json.loads(result.stdout)]


def test_backup_into_a_folder_writes_one_dated_file(tmp_path: Path) -> None:
    db, folder = tmp_path / "helpdesk.db", tmp_path / "backups"
    folder.mkdir()
    runner.invoke(app, ["admin", "init", "--db", str(db)])
    result = runner.invoke(app, ["admin", "db", "backup", str(folder), "--db", str(db)])
    assert result.exit_code == 0, result.output
    (made,) = folder.iterdir()  # nothing else: no backups/backups.partial, no -wal
    assert re.fullmatch(r"helpdesk-\d{8}T\d{6}Z\.db", made.name)
    assert str(made) in result.stdout


def test_backup_to_a_folder_that_cannot_exist_is_one_line(tmp_path: Path) -> None:
    db = tmp_path / "helpdesk.db"
    runner.invoke(app, ["admin", "init", "--db", str(db)])
    result = runner.invoke(app, ["admin", "db", "backup", "/proc/nope/x.db", "--db", str(db)])
    assert result.exit_code == 2
    assert "cannot write the backup to /proc/nope/x.db" in _one_error_line(result.stderr)


def test_restore_round_trip(tmp_path: Path) -> None:
    db, copy = tmp_path / "helpdesk.db", tmp_path / "copy.db"
    runner.invoke(app, ["admin", "init", "--db", str(db)])
    runner.invoke(app, ["admin", "--db", str(db), "queues", "add", "Support"])
    assert runner.invoke(app, ["admin", "db", "backup", str(copy), "--db", str(db)]).exit_code == 0
    runner.invoke(app, ["admin", "--db", str(db), "queues", "add", "Added later"])
    assert _queues(db) == ["Added later", "Support"]

    asked = runner.invoke(app, ["admin", "db", "restore", str(copy), "--db", str(db)], input="n\n")
    assert asked.exit_code == 1  # said no: nothing changed
    assert _queues(db) == ["Added later", "Support"]
    result = runner.invoke(app, ["admin", "db", "restore", str(copy), "--yes", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert f"restored {db} from {copy}" in result.stdout
    assert _queues(db) == ["Support"]
    current = runner.invoke(app, ["admin", "db", "current", "--db", str(db)])
    assert current.exit_code == 0, current.output


def _corrupt(path: Path) -> None:
    """Zeros over the second half of the file: pages the b-trees point to."""
    data = path.read_bytes()
    half = len(data) // 2
    path.write_bytes(data[:half] + bytes(len(data) - half))


@pytest.mark.parametrize(
    ("spoil", "expected"),
    [
        ("corrupt", "fails SQLite's integrity check"),
        ("garbage", "is not a SQLite database"),
        ("newer", "is at schema 9999, which this version of dispatcher does not know"),
        ("foreign", "is not a dispatcher database"),
        ("missing", "no database file"),
    ],
)
def test_restore_refuses_a_bad_backup_in_one_line(
    tmp_path: Path, spoil: str, expected: str
) -> None:
    db, copy = tmp_path / "helpdesk.db", tmp_path / "copy.db"
    runner.invoke(app, ["admin", "init", "--db", str(db)])
    store = Store.open(str(db))
    with store.write() as session:
        session.add_all(Queue(name=f"Queue {n}") for n in range(300))
    store.dispose()
    assert runner.invoke(app, ["admin", "db", "backup", str(copy), "--db", str(db)]).exit_code == 0
    if spoil == "corrupt":
        _corrupt(copy)
    elif spoil == "garbage":
        copy.write_bytes(b"not a database at all\n" * 100)
    elif spoil in ("newer", "foreign"):
        conn = sqlite3.connect(copy)
        if spoil == "newer":
            conn.execute("UPDATE alembic_version SET version_num = '9999'")
        else:
            conn.execute("DROP TABLE alembic_version")
        conn.commit()
        conn.close()
    else:
        copy.unlink()
    result = runner.invoke(app, ["admin", "db", "restore", str(copy), "--yes", "--db", str(db)])
    assert result.exit_code == 2, result.output
    assert expected in _one_error_line(result.stderr)
    assert len(_queues(db)) == 300  # the live database is as it was


def test_restore_refuses_a_postgres_database(tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    copy.write_bytes(b"")
    result = runner.invoke(
        app, ["admin", "db", "restore", str(copy), "--yes", "--db", "postgresql://u@h/db"]
    )
    assert result.exit_code == 2
    assert "pg_restore" in _one_error_line(result.stderr)
