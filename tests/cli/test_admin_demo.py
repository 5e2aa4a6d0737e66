"""`dispatcher admin demo` through the real command line."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import col, func, select
from typer.testing import CliRunner, Result

from dispatcher.cli import app
from dispatcher.domain.enums import ACTIVE_STATUSES
from dispatcher.store.db.engine import Store
from dispatcher.store.models import Ticket, User

runner = CliRunner()
NOW = "2026-11-18T10:30+03:00"


def run(db: str, *args: str, stdin: str | None = None) -> Result:
    return runner.invoke(
        app, ["admin", "demo", "--db", db, "--now", NOW, *args], input=stdin, env={"COLUMNS": "200"}
    )


def ok(db: str, *args: str, stdin: str | None = None) -> Any:
    result = run(db, *args, "--json", stdin=stdin)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout[result.stdout.index("{") :])


def error(db: str, *args: str) -> str:
    result = run(db, *args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.output
    return lines[0]


def counts(db: str) -> tuple[int, int]:
    store = Store.open(db)
    try:
        with store.read() as session:
            tickets = session.execute(select(func.count()).select_from(Ticket)).one()[0]
            users = session.execute(select(func.count()).select_from(User)).one()[0]
    finally:
        store.dispose()
    return int(tickets), int(users)


def test_demo_on_a_fresh_path_creates_the_schema(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "new.db"
    summary = ok(str(path), "--tickets", "60", "--seed", "3")
    assert summary["tickets"] == 60
    assert summary["seed"] == 3
    assert summary["now"] == "2026-11-18T07:30:00+00:00"
    assert summary["users"] >= 12
    assert sum(summary["by_status"].values()) == 60
    assert counts(str(path)) == (60, summary["users"])
    current = runner.invoke(app, ["admin", "--db", str(path), "db", "current", "--json"])
    assert json.loads(current.stdout)["up_to_date"] is True


def test_demo_on_the_test_database(db_url: str) -> None:
    summary = ok(db_url, "--tickets", "40")
    assert counts(db_url) == (40, summary["users"])


def test_sla_explain_shows_the_deadlines_the_demo_wrote(tmp_path: Path) -> None:
    db = str(tmp_path / "d.db")
    ok(db, "--tickets", "150", "--seed", "4")
    store = Store.open(db)
    try:
        with store.read() as session:
            tickets = session.execute(select(Ticket).order_by(col(Ticket.id))).scalars().all()
    finally:
        store.dispose()
    active = [t for t in tickets if t.status in ACTIVE_STATUSES and t.sla_paused_since is None]
    assert active
    for ticket in [*active[:3], tickets[0]]:
        result = runner.invoke(
            app, ["admin", "sla", "explain", f"#{ticket.id}", "--json", "--db", db]
        )
        assert result.exit_code == 0, result.output
        targets = json.loads(result.stdout)["targets"]
        for name, column in (
            ("first_response", ticket.first_response_due),
            ("resolution", ticket.resolution_due),
            ("update", ticket.next_update_due),
        ):
            if targets[name]["state"] in ("pending", "breached"):
                assert datetime.fromisoformat(targets[name]["due_at"]) == column, (ticket.id, name)
        if ticket in active:
            dues = [t["due_at"] for t in targets.values() if t["due_at"] is not None]
            assert min(datetime.fromisoformat(d) for d in dues) == ticket.next_due_at


def test_plain_output_is_one_summary(tmp_path: Path) -> None:
    result = run(str(tmp_path / "d.db"), "--tickets", "0")
    assert result.exit_code == 0, result.output
    assert "0 tickets" in result.stdout
    assert "olga" in result.stdout


def test_a_database_with_data_is_refused_without_reset(db_url: str) -> None:
    ok(db_url, "--tickets", "10")
    line = error(db_url, "--tickets", "10")
    assert "already has data" in line
    assert "--reset" in line
    assert counts(db_url)[0] == 10


def test_reset_with_yes_wipes_and_refills(db_url: str) -> None:
    ok(db_url, "--tickets", "10")
    summary = ok(db_url, "--tickets", "25", "--reset", "--yes")
    assert summary["tickets"] == 25
    assert counts(db_url)[0] == 25


def test_reset_asks_first(db_url: str) -> None:
    ok(db_url, "--tickets", "10")
    refused = run(db_url, "--tickets", "20", "--reset", stdin="n\n")
    assert refused.exit_code == 1
    assert counts(db_url)[0] == 10
    summary = ok(db_url, "--tickets", "20", "--reset", stdin="y\n")
    assert summary["tickets"] == 20
    assert counts(db_url)[0] == 20


def test_same_seed_same_summary(tmp_path: Path) -> None:
    first = ok(str(tmp_path / "a.db"), "--tickets", "80", "--seed", "9")
    second = ok(str(tmp_path / "b.db"), "--tickets", "80", "--seed", "9")
    for key in ("by_status", "events", "messages", "active", "breached"):
        assert first[key] == second[key]


def test_bad_input_is_one_error_line(tmp_path: Path) -> None:
    db = str(tmp_path / "x.db")
    assert "--tickets" in error(db, "--tickets", "-1")
    result = runner.invoke(app, ["admin", "demo", "--db", db, "--now", "yesterday"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --now")
    result = runner.invoke(app, ["admin", "demo", "--db", db, "--now", "2026-11-18T10:00"])
    assert result.exit_code == 2
    assert "time zone" in result.stderr
    for far in ("9999-12-31T23:59+00:00", "0001-01-01T00:00+14:00", "1899-12-31T23:00Z"):
        result = runner.invoke(app, ["admin", "demo", "--db", db, "--now", far])
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith("error: --now"), result.stderr
        assert len(result.stderr.splitlines()) == 1
    assert not Path(db).exists()
