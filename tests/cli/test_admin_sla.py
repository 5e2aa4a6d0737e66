"""`admin sla load|list|due|explain` and `admin calendar preview|list`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dispatcher.cli import app
from dispatcher.domain.enums import Priority, TicketStatus
from dispatcher.store.db.engine import Store
from dispatcher.store.tickets import writes as repo
from tests.factories import new_ticket, world

runner = CliRunner()
EXAMPLE = Path(__file__).parents[2] / "config" / "sla.example.toml"


def _run(db_url: str, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["admin", *args, "--db", db_url])
    return result.exit_code, result.stdout, result.stderr


def test_load_is_idempotent_and_due_follows_the_calendar(db_url: str) -> None:
    code, out, _ = _run(db_url, "sla", "load", str(EXAMPLE), "--json")
    assert code == 0
    assert json.loads(out)["plans_created"] == 2
    code, out, _ = _run(db_url, "sla", "load", str(EXAMPLE), "--json")
    assert json.loads(out) == {
        "calendars_created": 0,
        "calendars_updated": 0,
        "plans_created": 0,
        "plans_updated": 0,
        "tickets_recomputed": 0,
    }
    # Friday 17:30 in Moscow, after the office's short Friday (until 17:00): the hour of
    # first response is Monday 09:00-10:00; resolution takes Monday's whole 8 hours.
    code, out, _ = _run(
        db_url, "sla", "due", "--plan", "standard", "--priority", "high",
        "--at", "2026-11-20T17:30:00+03:00", "--json",
    )  # fmt: skip
    assert code == 0
    assert json.loads(out) == {
        "first_response_due": "2026-11-23T10:00:00+03:00",
        "resolution_due": "2026-11-23T18:00:00+03:00",
    }
    code, out, _ = _run(db_url, "sla", "list", "--json")
    plans = {p["name"]: p for p in json.loads(out)}
    assert plans["standard"]["default"] is True
    assert plans["premium"]["targets"]["urgent"]["first_response"] == 15


def test_new_year_holidays_are_skipped_in_the_preview(db_url: str) -> None:
    _run(db_url, "sla", "load", str(EXAMPLE))
    code, out, _ = _run(
        db_url, "calendar", "preview", "office", "--from", "2026-12-30T12:00", "--hours", "6",
        "--json",
    )  # fmt: skip
    assert code == 0
    data = json.loads(out)
    assert data["intervals"][-1] == ["2027-01-11T09:00:00+03:00", "2027-01-11T10:00:00+03:00"]
    assert {d["date"] for d in data["skipped_days"]} >= {"2027-01-01", "2027-01-07"}


def test_changing_a_plan_recomputes_open_tickets_without_rewriting_history(
    store: Store, db_url: str, tmp_path: Path
) -> None:
    _run(db_url, "sla", "load", str(EXAMPLE))  # "standard" is the default plan
    with store.write() as session:
        ticket = repo.create_ticket(
            session,
            data=repo.NewTicket(subject="No contract", priority=Priority.high),
            actor_id=None,
            now=datetime.now(UTC),
        )
    assert ticket.id is not None
    before = ticket.first_response_due
    slower = EXAMPLE.read_text().replace('first_response = "1h"', 'first_response = "2h"', 1)
    assert slower != EXAMPLE.read_text()
    changed = tmp_path / "sla.toml"
    changed.write_text(slower)
    code, out, _ = _run(db_url, "sla", "load", str(changed), "--json")
    assert code == 0, out
    assert json.loads(out)["tickets_recomputed"] >= 1
    with store.read() as session:
        after = repo.get_ticket(session, ticket_id=ticket.id)
    assert before is not None
    assert after.first_response_due is not None
    assert after.first_response_due > before
    code, out, _ = _run(db_url, "sla", "explain", f"#{ticket.id}", "--json")
    kinds = [e["kind"] for e in json.loads(out)["events"]]
    assert kinds == ["sla_started", "sla_plan_changed"]


def test_explain_shows_pauses_and_targets(store: Store, db_url: str) -> None:
    w = world(store)
    start = datetime.now(UTC) - timedelta(hours=3)
    ticket = new_ticket(store, w, now=start, priority=Priority.high)
    assert ticket.id is not None
    with store.write() as session:
        repo.change_status(
            session,
            ticket_id=ticket.id,
            expected_version=ticket.version,
            actor_id=w.dispatcher.id,
            status=TicketStatus.waiting_client,
            now=start + timedelta(minutes=30),
        )
    code, out, _ = _run(db_url, "sla", "explain", str(ticket.id), "--json")
    assert code == 0
    data = json.loads(out)
    assert [s["running"] for s in data["segments"]] == [True, False]
    assert data["segments"][0]["business_minutes"] == 30
    assert data["targets"]["first_response"]["state"] == "paused"
    assert data["targets"]["first_response"]["remaining_minutes"] == 30
    code, human, _ = _run(db_url, "sla", "explain", f"#{ticket.id}")
    assert code == 0
    assert "paused: status: open → waiting on client" in human.replace("new", "open")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["sla", "load", "{bad}"], "line 2"),
        (["sla", "load", "{missing}"], "No such file"),
        (["sla", "due", "--plan", "gold", "--priority", "high"], "no SLA plan 'gold'"),
        (["sla", "due", "--plan", "standard", "--priority", "asap"], "asap"),
        (
            ["sla", "due", "--plan", "standard", "--priority", "low", "--at", "yesterday"],
            "not an ISO 8601",
        ),
        (["sla", "explain", "#424242"], "no ticket #424242"),
        (["sla", "explain", "ticket-one"], "not a ticket reference"),
        (["calendar", "preview", "moon"], "no calendar 'moon'"),
    ],
)
def test_bad_input(db_url: str, tmp_path: Path, args: list[str], expected: str) -> None:
    _run(db_url, "sla", "load", str(EXAMPLE))
    bad = tmp_path / "bad.toml"
    bad.write_text('[calendars.office]\ntimezone = "Mars/Olympus"\n')
    args = [
        a.replace("{bad}", str(bad)).replace("{missing}", str(tmp_path / "none.toml")) for a in args
    ]
    code, _, err = _run(db_url, *args)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    assert expected in lines[0]
