"""`dispatcher admin tickets create|list|show|import|export`."""

from __future__ import annotations

import csv
import json
import shutil
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import func, select
from typer.testing import CliRunner, Result

from dispatcher.cli import app
from dispatcher.store.db.engine import Store
from dispatcher.store.models import Message, Ticket
from tests.conftest import BACKEND, PG_ADMIN_URL
from tests.factories import World, new_ticket, world

runner = CliRunner()
HOSTILE = "[bold]boom[/bold] [@click=app.quit] \x1b]0;pwned\x07"


def run(db_url: str, *args: str) -> Result:
    return runner.invoke(app, ["admin", "--db", db_url, "tickets", *args])


def one_error(result: Result) -> str:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.stderr + result.stdout
    return lines[0]


@pytest.fixture
def w(store: Store) -> World:
    return world(store)


@pytest.fixture
def other_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A second database at the current schema with the same small world, no tickets."""
    if BACKEND != "postgres":
        path = tmp_path / "other.db"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        url = f"sqlite:///{path}"
        _with_world(url)
        yield url
        return
    admin = request.getfixturevalue("pg_admin")
    template = request.getfixturevalue("_pg_template")
    name = f"dsp_t_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    _with_world(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _with_world(url: str) -> None:
    target = Store.open(url)
    world(target)
    target.dispose()


def _count(url: str, model: Any) -> int:
    target = Store.open(url)
    try:
        with target.read() as session:
            return int(session.exec(select(func.count()).select_from(model)).one())
    finally:
        target.dispose()


# --- create, list, show ------------------------------------------------------------------


def test_create_prints_the_reference(db_url: str, w: World) -> None:
    result = run(db_url, "create", "--client", "Acme", "--subject", "VPN down", "--body", "help")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "#1"
    by_id = run(
        db_url,
        "create",
        "--client",
        str(w.client.id),
        "--subject",
        "Printer",
        "--contact",
        "anna@acme.example",
        "--category",
        "Network",
        "--priority",
        "urgent",
        "--as",
        "olga",
        "--json",
    )
    assert by_id.exit_code == 0, by_id.stderr
    data = json.loads(by_id.stdout)
    assert data["ref"] == "#2"
    assert data["priority"] == "urgent"
    assert data["first_response_due"] is not None
    assert data["resolution_due"] is not None
    shown = json.loads(run(db_url, "show", "#2", "--json").stdout)
    assert shown["contact"] == "Anna Client"
    assert shown["category"] == "Network"
    assert shown["queue"] == "Support"
    assert shown["events"][0]["actor"] == "olga"


def test_create_finds_the_contact_by_name_within_the_client(db_url: str, w: World) -> None:
    for contact in ("Anna Client", "anna client", str(w.contact.id)):
        result = run(db_url, "create", "--client", "acme", "--subject", "x", "--contact", contact)
        assert result.exit_code == 0, result.stderr
        shown = json.loads(run(db_url, "show", result.stdout.strip(), "--json").stdout)
        assert shown["contact"] == "Anna Client"
    assert runner.invoke(app, ["admin", "--db", db_url, "clients", "add", "Globex"]).exit_code == 0
    assert "contact 'Anna Client' is not at client 'Globex'" in one_error(
        run(
            db_url,
            "create",
            "--client",
            "Globex",
            "--subject",
            "x",
            "--contact",
            "anna@acme.example",
        )
    )
    assert "no contact 'Anna Client'" in one_error(
        run(db_url, "create", "--client", "Globex", "--subject", "x", "--contact", "Anna Client")
    )
    assert _count(db_url, Ticket) == 3


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--client", "Globex", "--subject", "x"], "no client 'Globex'"),
        (["--client", "Acme", "--subject", "   "], "a ticket needs a subject"),
        (["--client", "Acme", "--subject", "x", "--priority", "asap"], "priority must be one of"),
        (["--client", "Acme", "--subject", "x", "--channel", "fax"], "channel must be one of"),
        (["--client", "Acme", "--subject", "x", "--contact", "nobody@x.org"], "no contact"),
        (["--client", "Acme", "--subject", "x", "--as", "ghost"], "no user ghost"),
        (["--client", "Acme"], "Missing option '--subject'"),
    ],
)
def test_create_bad_input(db_url: str, w: World, args: list[str], fragment: str) -> None:
    assert fragment in one_error(run(db_url, "create", *args))
    assert _count(db_url, Ticket) == 0


def test_list_with_filters(db_url: str, store: Store, w: World, now: datetime) -> None:
    new_ticket(store, w, now=now, subject="first")
    new_ticket(store, w, now=now.replace(hour=9), subject="second")
    result = run(db_url, "list", "--json")
    assert result.exit_code == 0, result.stderr
    assert [r["ref"] for r in json.loads(result.stdout)] == ["#2", "#1"]
    limited = json.loads(run(db_url, "list", "--limit", "1", "--json").stdout)
    assert [r["ref"] for r in limited] == ["#2"]
    assert json.loads(run(db_url, "list", "--status", "closed", "--json").stdout) == []
    assert len(json.loads(run(db_url, "list", "--status", "new,open", "--json").stdout)) == 2
    assert "status must be one of" in one_error(run(db_url, "list", "--status", "lost"))


def test_hostile_subject_is_printed_literally(
    db_url: str, store: Store, w: World, now: datetime
) -> None:
    new_ticket(store, w, now=now, subject=HOSTILE, body=HOSTILE)
    for args in (["list"], ["show", "#1"]):
        result = run(db_url, *args)
        assert result.exit_code == 0, result.stderr
        assert "\x1b" not in result.stdout
        assert "\x07" not in result.stdout
        assert "]0;pwned" in result.stdout
    shown = run(db_url, "show", "1").stdout
    assert "[bold]boom[/bold] [@click=app.quit]" in shown
    assert json.loads(run(db_url, "show", "#1", "--json").stdout)["subject"] == HOSTILE


def test_show_fields_messages_and_history(
    db_url: str, store: Store, w: World, now: datetime
) -> None:
    new_ticket(store, w, now=now, subject="VPN down", body="Nobody can connect.")
    result = run(db_url, "show", "#1")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("#1  VPN down")
    assert "client: Acme" in result.stdout
    assert "Nobody can connect." in result.stdout
    assert "created from phone by olga" in result.stdout


@pytest.mark.parametrize(("ref", "fragment"), [("#99", "no ticket #99"), ("abc", "not a ticket")])
def test_show_unknown_ticket(db_url: str, w: World, ref: str, fragment: str) -> None:
    assert fragment in one_error(run(db_url, "show", ref))


# --- export and import -------------------------------------------------------------------


def _two_tickets(store: Store, w: World, now: datetime) -> None:
    new_ticket(store, w, now=now, subject=HOSTILE, body=f"body {HOSTILE}")
    new_ticket(store, w, now=now.replace(hour=9), subject="Printer", body="")


def test_json_round_trip_through_files(
    db_url: str, other_url: str, store: Store, w: World, now: datetime, tmp_path: Path
) -> None:
    _two_tickets(store, w, now)
    path = tmp_path / "tickets.json"
    exported = run(db_url, "export", str(path))
    assert exported.exit_code == 0, exported.stderr
    assert "exported 2 tickets" in exported.stderr
    original = json.loads(path.read_text(encoding="utf-8"))
    assert original[0]["subject"] == HOSTILE

    first = runner.invoke(
        app, ["admin", "--db", other_url, "tickets", "import", str(path), "--json"]
    )
    assert first.exit_code == 0, first.stderr
    assert json.loads(first.stdout)["imported"] == 2
    second = runner.invoke(app, ["admin", "--db", other_url, "tickets", "import", str(path)])
    assert second.exit_code == 0, second.stderr
    assert "imported 0 of 2 tickets, 2 already there" in second.stdout
    assert _count(other_url, Ticket) == 2
    assert _count(other_url, Message) == 1

    back = runner.invoke(app, ["admin", "--db", other_url, "tickets", "export", "-"])
    assert back.exit_code == 0, back.stderr
    copied = json.loads(back.stdout)
    strip = [{k: v for k, v in t.items() if k != "events"} for t in original]
    assert [{k: v for k, v in t.items() if k != "events"} for t in copied] == strip
    assert copied[0]["subject"].encode() == HOSTILE.encode()
    assert copied[0]["messages"][0]["body"] == f"body {HOSTILE}"


def test_csv_export_and_import(
    db_url: str, other_url: str, store: Store, w: World, now: datetime, tmp_path: Path
) -> None:
    _two_tickets(store, w, now)
    path = tmp_path / "tickets.csv"
    assert run(db_url, "export", str(path)).exit_code == 0
    with path.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert [r["ref"] for r in rows] == ["#1", "#2"]
    assert rows[0]["subject"] == HOSTILE
    assert rows[0]["assignee"] == ""
    result = runner.invoke(app, ["admin", "--db", other_url, "tickets", "import", str(path)])
    assert result.exit_code == 0, result.stderr
    again = runner.invoke(
        app, ["admin", "--db", other_url, "tickets", "import", str(path), "--format", "csv"]
    )
    assert "2 already there" in again.stdout
    shown = json.loads(
        runner.invoke(app, ["admin", "--db", other_url, "tickets", "show", "#1", "--json"]).stdout
    )
    assert shown["subject"] == HOSTILE


def test_export_filters_and_refuses_to_overwrite(
    db_url: str, store: Store, w: World, now: datetime, tmp_path: Path
) -> None:
    _two_tickets(store, w, now)
    since = json.loads(run(db_url, "export", "--since", "2026-11-18T08:00:00+00:00").stdout)
    assert [t["ref"] for t in since] == ["#2"]
    by_client = json.loads(run(db_url, "export", "--client", "Acme", "--status", "new").stdout)
    assert len(by_client) == 2
    path = tmp_path / "out.json"
    path.write_text("keep me", encoding="utf-8")
    assert "add --force" in one_error(run(db_url, "export", str(path)))
    assert path.read_text(encoding="utf-8") == "keep me"
    assert run(db_url, "export", str(path), "--force").exit_code == 0
    assert len(json.loads(path.read_text(encoding="utf-8"))) == 2
    assert "format must be json or csv" in one_error(run(db_url, "export", "--format", "xml"))
    assert "no client 'Globex'" in one_error(run(db_url, "export", "--client", "Globex"))
    assert "--since" in one_error(run(db_url, "export", "--since", "last week"))


def _ticket(**fields: Any) -> dict[str, Any]:
    return {
        "ref": "#5",
        "subject": "Imported",
        "status": "open",
        "priority": "normal",
        "client": "Acme",
        "created_at": "2026-11-01T10:00:00+00:00",
        **fields,
    }


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (json.dumps([_ticket(client="Globex")]), "ticket #5: no client 'Globex'"),
        (json.dumps([_ticket(priority="asap")]), "ticket #5: priority must be one of"),
        (json.dumps([_ticket(subject="")]), "ticket #5: no subject"),
        (json.dumps([_ticket(assignee="ghost")]), "ticket #5: no user 'ghost'"),
        ('[{"ref": "#5", "subject": "x",', "malformed JSON"),
        ("not json at all", "malformed JSON"),
    ],
)
def test_import_bad_json(
    db_url: str, w: World, tmp_path: Path, content: str, fragment: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    assert fragment in one_error(run(db_url, "import", str(path)))
    assert _count(db_url, Ticket) == 0


def test_import_csv_with_missing_columns(db_url: str, w: World, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("ref,status\n#1,open\n", encoding="utf-8")
    assert "lacks the columns subject, created_at" in one_error(run(db_url, "import", str(path)))


def test_import_nonexistent_or_unreadable_file(db_url: str, w: World, tmp_path: Path) -> None:
    assert "no file" in one_error(run(db_url, "import", str(tmp_path / "nope.json")))
    latin = tmp_path / "latin.json"
    latin.write_bytes('[{"subject": "caf\xe9"}]'.encode("latin-1"))
    assert "not UTF-8" in one_error(run(db_url, "import", str(latin)))


def test_import_create_missing(db_url: str, w: World, tmp_path: Path) -> None:
    path = tmp_path / "new.json"
    path.write_text(json.dumps([_ticket(client="Globex")]), encoding="utf-8")
    result = run(db_url, "import", str(path), "--create-missing", "--as", "olga")
    assert result.exit_code == 0, result.stderr
    assert "created client Globex" in result.stdout
    shown = json.loads(run(db_url, "show", "#5", "--json").stdout)
    assert shown["client"] == "Globex"
    assert shown["events"][0]["actor"] == "olga"
    assert shown["events"][0]["data"]["imported_from"] == "#5"
