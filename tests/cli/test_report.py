"""`dispatcher report kpi|tickets` and `dispatcher admin report rebuild-facts`."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete
from typer.testing import CliRunner, Result

from dispatcher.cli import app
from dispatcher.domain.enums import MessageKind, TicketStatus
from dispatcher.store.db.engine import Store
from dispatcher.store.models import TicketFact, table_of
from dispatcher.store.tickets import writes
from tests.factories import new_ticket, world

runner = CliRunner()
T0 = datetime(2026, 11, 16, 7, 0, tzinfo=UTC)
PERIOD = ["--from", "2026-11-01T00:00Z", "--to", "2026-12-01T00:00Z"]
KEYS = [
    "created",
    "first_response",
    "resolution",
    "fcr",
    "fcr_rate",
    "reopened",
    "reopen_rate",
    "sla",
    "csat",
    "nps",
    "backlog",
]


def run(db_url: str, *args: str) -> Result:
    return runner.invoke(app, ["--db", db_url, *args], env={"COLUMNS": "200"})


def ok(db_url: str, *args: str) -> Result:
    result = run(db_url, *args)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    return result


def error(db_url: str, *args: str) -> str:
    result = run(db_url, *args)
    assert result.exit_code == 2, (args, result.output)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, (args, result.stderr)
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.output
    return lines[0]


@pytest.fixture
def helpdesk(db_url: str) -> str:
    """Two tickets: one answered and resolved, one still open."""
    store = Store.open(db_url)
    w = world(store)
    done = new_ticket(store, w, now=T0)
    new_ticket(store, w, now=T0 + timedelta(hours=1), subject="Printer")
    with store.write() as session:
        writes.add_message(
            session,
            ticket_id=done.id or 0,
            kind=MessageKind.reply,
            body="Restarted it",
            actor_id=w.engineer.id,
            now=T0 + timedelta(minutes=30),
        )
        writes.change_status(
            session,
            ticket_id=done.id or 0,
            expected_version=None,
            actor_id=w.engineer.id,
            status=TicketStatus.resolved,
            now=T0 + timedelta(minutes=90),
        )
    store.dispose()
    return db_url


def test_kpi_json_has_the_documented_keys(helpdesk: str) -> None:
    figures = json.loads(ok(helpdesk, "report", "kpi", *PERIOD, "--json").stdout)
    assert list(figures) == KEYS
    assert figures["created"]["total"] == 2
    assert figures["first_response"] == {
        "count": 1,
        "calendar": {"median": 30.0, "p90": 30.0, "mean": 30.0},
        "business": {"median": 30.0, "p90": 30.0, "mean": 30.0},
    }
    assert set(figures["resolution"]) == {"count", "calendar", "business", "full", "split"}
    assert set(figures["sla"]) == {"first_response", "resolution", "update"}
    assert set(figures["sla"]["resolution"]) == {"met", "breached", "rate", "ever_breached"}
    assert set(figures["csat"]) == {"rated", "good", "rate", "average"}
    assert set(figures["nps"]) == {"answers", "promoters", "passives", "detractors", "score"}
    assert figures["backlog"]["total"] == 1
    assert figures["fcr_rate"] == 1.0
    again = json.loads(ok(helpdesk, "report", "kpi", *PERIOD, "--format", "json").stdout)
    assert again == figures


def test_kpi_grouped_is_a_list_of_groups(helpdesk: str) -> None:
    groups = json.loads(ok(helpdesk, "report", "kpi", *PERIOD, "--by", "engineer", "--json").stdout)
    assert [g["group"] for g in groups] == ["(none)"]
    assert list(groups[0]) == ["group", *KEYS]
    weeks = json.loads(ok(helpdesk, "report", "kpi", *PERIOD, "--by", "WEEK", "--json").stdout)
    assert [g["group"] for g in weeks][:2] == ["2026-W44", "2026-W45"]
    assert sum(g["created"]["total"] for g in weeks) == 2


def test_kpi_table_csv_and_markdown(helpdesk: str, tmp_path: Path) -> None:
    table = ok(helpdesk, "report", "kpi", *PERIOD, "--tz", "UTC").stdout
    assert "created.total" in table
    assert "KPIs 2026-11-01 00:00 – 2026-12-01 00:00 (UTC)" in table
    grouped = ok(helpdesk, "report", "kpi", *PERIOD, "--by", "priority").stdout
    assert "high" in grouped
    rows = list(csv.DictReader(io.StringIO(ok(helpdesk, "report", "kpi", *PERIOD, "--format",
                                                  "csv").stdout)))  # fmt: skip
    assert len(rows) == 1
    assert rows[0]["created.total"] == "2"
    assert rows[0]["sla.update.rate"] == ""
    md = ok(helpdesk, "report", "kpi", *PERIOD, "--by", "channel", "--format", "md").stdout
    assert "| channel | created |" in md
    assert "| phone | 2 |" in md
    target = tmp_path / "kpi.csv"
    ok(helpdesk, "report", "kpi", *PERIOD, "--format", "csv", "--output", str(target))
    assert target.read_text(encoding="utf-8").startswith("group,created.total,")


def test_kpi_table_reads_as_durations_and_fits_a_narrow_terminal(helpdesk: str) -> None:
    table = ok(helpdesk, "report", "kpi", *PERIOD, "--tz", "UTC").stdout
    lines = {line.split("│")[1].strip(): line.split("│")[2].strip() for line in
             table.splitlines() if line.count("│") == 3}  # fmt: skip
    assert lines["first_response.calendar.median"] == "30m"  # minutes, as a person reads them
    assert lines["resolution.business.median"] == "1h 30m"  # business time: hours, no days
    assert lines["created.total"] == "2"
    narrow = runner.invoke(
        app, ["--db", helpdesk, "report", "kpi", *PERIOD, "--by", "channel"], env={"COLUMNS": "80"}
    )
    assert narrow.exit_code == 0, narrow.output
    assert max(len(line) for line in narrow.stdout.splitlines()) <= 80
    for header in ("created", "1st resp. median", "SLA 1st resp.", "CSAT", "backlog"):
        assert header in narrow.stdout  # split over several tables, never cut to "cr…"
    assert "…" not in narrow.stdout
    assert narrow.stdout.count("│ phone ") >= 2  # each table has the group column


def test_kpi_xlsx(helpdesk: str, tmp_path: Path) -> None:
    target = tmp_path / "kpi.xlsx"
    result = ok(helpdesk, "report", "kpi", *PERIOD, "--by", "day", "--format", "xlsx", "-o",
                str(target))  # fmt: skip
    assert "wrote" in result.stdout
    with zipfile.ZipFile(target) as book:
        assert "xl/worksheets/sheet1.xml" in book.namelist()


def test_report_tickets_lists_the_tickets_of_a_figure(helpdesk: str) -> None:
    rows: list[dict[str, Any]] = json.loads(
        ok(helpdesk, "report", "tickets", "--figure", "backlog", *PERIOD, "--json").stdout
    )
    assert [r["ticket"] for r in rows] == ["#2"]
    assert set(rows[0]) == {
        "ticket",
        "id",
        "value",
        "subject",
        "status",
        "priority",
        "engineer",
        "created_at",
    }
    assert rows[0]["subject"] == "Printer"
    fcr = json.loads(ok(helpdesk, "report", "tickets", "--figure", "fcr", *PERIOD, "--json",
                        "--by", "client").stdout)  # fmt: skip
    assert [(r["ticket"], r["group"]) for r in fcr] == [("#1", "Acme")]
    table = ok(helpdesk, "report", "tickets", "--figure", "sla.first_response.met", *PERIOD).stdout
    assert "#1" in table
    none = ok(helpdesk, "report", "tickets", "--figure", "csat.good", *PERIOD).stdout
    assert "0 tickets" in none


def test_rebuild_facts(helpdesk: str) -> None:
    store = Store.open(helpdesk)
    with store.write() as session:
        session.execute(delete(table_of(TicketFact)))
    store.dispose()
    result = run(helpdesk, "report", "kpi", *PERIOD, "--json")
    assert result.exit_code == 0
    assert "rebuild-facts" in result.stderr  # a warning: 2 tickets have no facts
    assert json.loads(result.stdout)["created"]["total"] == 0
    done = json.loads(ok(helpdesk, "admin", "report", "rebuild-facts", "--json").stdout)
    assert done["tickets"] == 2
    assert "tickets rebuilt" in ok(helpdesk, "admin", "report", "rebuild-facts").stdout
    figures = json.loads(ok(helpdesk, "report", "kpi", *PERIOD, "--json").stdout)
    assert figures["created"]["total"] == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["kpi", "--from", "2026-12-01", "--to", "2026-11-01"], "must come after"),
        (["kpi", "--from", "2026-11-01", "--to", "2026-11-01"], "must come after"),
        (["kpi", "--from", "soon", "--to", "2026-11-01"], "--from: not an ISO 8601"),
        (["kpi", "--from", "0001-01-01T00:00+14:00", "--to", "2026-11-01"], "out of range"),
        (["kpi", "--from", "2026-11-01", "--to", "9999-12-31T23:59+00:00"], "out of range"),
        (["kpi", *PERIOD, "--by", "team"], "--by must be one of"),
        (["kpi", *PERIOD, "--format", "pdf"], "--format must be one of"),
        (["kpi", *PERIOD, "--format", "xlsx"], "--output"),
        (["kpi", *PERIOD, "--output", "x.txt"], "add --format"),
        (["kpi", *PERIOD, "--tz", "Mars/Olympus"], "--tz: not a time zone"),
        (["kpi", *PERIOD, "--tz", "\x00"], "--tz: not a time zone"),
        (["tickets", "--figure", "sla.resolution", *PERIOD], "no figure"),
        (["tickets", "--figure", "nps", *PERIOD], "client"),
        (["tickets", "--figure", "backlog", *PERIOD, "--group", "ivan"], "--group needs --by"),
        (["kpi", "--to", "2026-11-01"], "--from"),
    ],
)
def test_bad_input_is_one_error_line(helpdesk: str, args: list[str], message: str) -> None:
    assert message in error(helpdesk, "report", *args)


def test_a_missing_database_is_one_error_line(tmp_path: Path) -> None:
    line = error(str(tmp_path / "none.db"), "report", "kpi", *PERIOD)
    assert "admin init" in line
