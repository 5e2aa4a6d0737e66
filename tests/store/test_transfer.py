"""Ticket export and import: round trips, dedupe keys, batches, errors, hostile text."""

from __future__ import annotations

import io
import json
import shutil
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import col, func, select

from dispatcher.domain.enums import EventKind, MessageKind, Priority, TicketStatus
from dispatcher.domain.errors import ValidationError
from dispatcher.store.db.engine import Store
from dispatcher.store.models import Client, Contact, Message, Ticket, TicketEvent, User
from dispatcher.store.tickets import export, importing, records
from dispatcher.store.tickets.writes import add_message, assign, change_status
from tests.conftest import BACKEND, PG_ADMIN_URL
from tests.factories import World, new_ticket, world

HOSTILE = "[bold]boom[/bold] [@click=app.quit] \x1b]0;pwned\x07 «ёж»"


def _export(store: Store, **kwargs: Any) -> list[dict[str, Any]]:
    return list(export.iter_export(store, **kwargs))


def _json_text(records: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    export.write_json(records, out)
    return out.getvalue()


def _import(store: Store, text: str, **kwargs: Any) -> importing.ImportReport:
    return importing.import_tickets(
        store,
        source=lambda: records.read_json(io.StringIO(text)),
        actor_id=kwargs.pop("actor_id", None),
        **kwargs,
    )


def _comparable(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What must survive a round trip: everything but the history (which gains an import)."""
    return [{k: v for k, v in r.items() if k != "events"} for r in records]


def _count(store: Store, model: Any) -> int:
    with store.read() as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


@pytest.fixture
def source(store: Store, now: datetime) -> tuple[World, list[dict[str, Any]]]:
    """A database with three tickets in different states, exported."""
    w = world(store)
    first = new_ticket(store, w, now=now, subject=HOSTILE)
    second = new_ticket(store, w, now=now + timedelta(minutes=5), subject="Printer", body="")
    third = new_ticket(
        store, w, now=now + timedelta(minutes=9), subject="Mail", priority=Priority.low
    )
    later = now + timedelta(hours=1)
    with store.write() as session:
        assign(
            session,
            ticket_id=first.id or 0,
            expected_version=first.version,
            actor_id=w.dispatcher.id,
            assignee_id=w.engineer.id,
            now=later,
        )
        add_message(
            session,
            ticket_id=first.id or 0,
            kind=MessageKind.reply,
            body=f"Reply: {HOSTILE}",
            actor_id=w.engineer.id,
            now=later,
        )
        change_status(
            session,
            ticket_id=third.id or 0,
            expected_version=None,
            actor_id=w.engineer.id,
            status=TicketStatus.resolved,
            now=later,
        )
    assert second.id is not None
    return w, _export(store)


@pytest.fixture
def other_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A second database at the current schema, on the backend under test."""
    if BACKEND != "postgres":
        path = tmp_path / "other.db"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    admin = request.getfixturevalue("pg_admin")
    template = request.getfixturevalue("_pg_template")
    name = f"dsp_t_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def other(other_url: str) -> Iterator[Store]:
    """The second database with the same small world but no tickets."""
    target = Store.open(other_url)
    world(target)
    yield target
    target.dispose()


def test_export_shape(source: tuple[World, list[dict[str, Any]]], now: datetime) -> None:
    w, records = source
    assert [r["ref"] for r in records] == ["#1", "#2", "#3"]
    first = records[0]
    assert first["subject"] == HOSTILE
    assert first["status"] == "assigned"
    assert first["client"] == "Acme"
    assert first["assignee"] == "ivan"
    assert first["created_at"] == now.isoformat()
    assert [m["kind"] for m in first["messages"]] == ["inbound", "reply"]
    assert first["messages"][1]["body"] == f"Reply: {HOSTILE}"
    assert {"message_id", "from", "to", "subject", "body", "created_at"} <= first["messages"][
        0
    ].keys()
    kinds = [e["kind"] for e in first["events"]]
    assert kinds[0] == "created"
    assert "assigned" in kinds
    assert first["events"][0]["actor"] == w.dispatcher.login
    assert records[1]["messages"] == []
    assert records[2]["resolved_at"] is not None


def test_export_streams_in_pages_with_filters(
    store: Store, source: tuple[World, list[dict[str, Any]]], now: datetime
) -> None:
    _w, everything = source
    paged = _export(store, page_size=1)
    assert paged == everything
    resolved = _export(store, filters=export.ExportFilter(statuses=(TicketStatus.resolved,)))
    assert [r["ref"] for r in resolved] == ["#3"]
    since = _export(store, filters=export.ExportFilter(since=now + timedelta(minutes=1)))
    assert [r["ref"] for r in since] == ["#2", "#3"]
    with store.read() as session:
        assert export.count_tickets(session) == 3


def test_round_trip_into_a_fresh_database(
    source: tuple[World, list[dict[str, Any]]], other: Store
) -> None:
    _w, records = source
    report = _import(other, _json_text(records))
    assert (report.total, report.imported, report.duplicates) == (3, 3, 0)
    assert report.renumbered == {}
    again = _export(other)
    assert _comparable(again) == _comparable(records)
    for before, after in zip(records, again, strict=True):
        created = after["events"][0]
        assert created["kind"] == "created"
        assert created["data"]["imported_from"] == before["ref"]
        assert created["at"] == before["created_at"]
        # the original history is kept after the import's own `created` event
        original = [e["kind"] for e in before["events"][1:] if not e["kind"].startswith("sla_")]
        copied = [e["kind"] for e in after["events"][1:] if not e["kind"].startswith("sla_")]
        assert copied == original


def test_importing_twice_duplicates_nothing(
    source: tuple[World, list[dict[str, Any]]], other: Store
) -> None:
    text = _json_text(source[1])
    _import(other, text)
    counts = (_count(other, Ticket), _count(other, Message), _count(other, TicketEvent))
    second = _import(other, text)
    assert (second.imported, second.duplicates) == (0, 3)
    assert (_count(other, Ticket), _count(other, Message), _count(other, TicketEvent)) == counts


def test_importing_a_databases_own_export_is_harmless(
    store: Store, source: tuple[World, list[dict[str, Any]]]
) -> None:
    report = _import(store, _json_text(source[1]))
    assert (report.imported, report.duplicates) == (0, 3)
    assert _count(store, Ticket) == 3


def test_taken_numbers_are_renumbered(
    source: tuple[World, list[dict[str, Any]]], other: Store, now: datetime
) -> None:
    w, records = source
    with other.read() as session:
        w2 = session.exec(select(Client)).one()
    assert w2.name == "Acme"
    existing = new_ticket(other, _world_of(other), now=now, subject="Already here")
    assert existing.ref == "#1"
    report = _import(other, _json_text(records))
    assert report.imported == 3
    assert report.renumbered["#1"] not in ("#1", "#2", "#3")
    assert "#2" not in report.renumbered
    assert "#3" not in report.renumbered
    with other.read() as session:
        moved = session.get(Ticket, int(report.renumbered["#1"].lstrip("#")))
        assert moved is not None
        assert moved.subject == HOSTILE
    assert w.client.name == "Acme"
    # a native ticket made after the import never collides with a kept number
    later = new_ticket(other, _world_of(other), now=now, subject="After")
    assert (later.id or 0) > 3


def test_renumber_gives_every_ticket_a_new_number(
    source: tuple[World, list[dict[str, Any]]], other: Store, now: datetime
) -> None:
    new_ticket(other, _world_of(other), now=now, subject="Already here")
    report = _import(other, _json_text(source[1]), renumber=True)
    assert set(report.renumbered) == {"#1", "#2", "#3"}
    assert _count(other, Ticket) == 4


def _world_of(store: Store) -> World:
    """The world already built in `store`, read back."""
    from dispatcher.store.models import Calendar, Category, Contract, Queue, SlaPlan

    with store.read() as session:
        users = {u.login: u for u in session.exec(select(User)).all()}
        plans = {p.name: p for p in session.exec(select(SlaPlan)).all()}
        return World(
            dispatcher=users["olga"],
            engineer=users["ivan"],
            engineer2=users["petr"],
            lead=users["lena"],
            queue=session.exec(select(Queue)).one(),
            category=session.exec(select(Category)).one(),
            client=session.exec(select(Client)).one(),
            contact=session.exec(select(Contact)).one(),
            contract=session.exec(select(Contract)).one(),
            plan=plans["premium"],
            calendar=session.exec(select(Calendar).where(Calendar.name == "24x7")).one(),
            default_plan=plans["standard"],
        )


def _minimal(ref: str = "#7", **fields: Any) -> dict[str, Any]:
    return {
        "ref": ref,
        "subject": "Imported",
        "status": "open",
        "priority": "normal",
        "client": "Acme",
        "created_at": "2026-11-01T10:00:00+03:00",
        **fields,
    }


def test_tickets_without_messages_dedupe_by_original_ref_and_time(other: Store) -> None:
    text = json.dumps([_minimal("#7"), _minimal("#8")])
    first = _import(other, text, renumber=True)
    assert first.imported == 2
    second = _import(other, text, renumber=True)
    assert (second.imported, second.duplicates) == (0, 2)
    # the same ref created at another time is another ticket
    third = _import(other, json.dumps([_minimal("#7", created_at="2026-11-02T10:00:00Z")]))
    assert third.imported == 1
    assert _count(other, Ticket) == 3


def test_imported_ticket_keeps_its_history_fields_and_gets_a_clock(
    other: Store, now: datetime
) -> None:
    record = _minimal(
        "#40",
        status="waiting_client",
        assignee="ivan",
        category="Network",
        updated_at="2026-11-03T12:00:00+00:00",
        reopen_count=2,
        messages=[
            {"kind": "inbound", "body": "help", "created_at": "2026-11-01T07:00:00Z"},
            {"kind": "reply", "body": "on it", "created_at": "2026-11-01T07:20:00Z"},
        ],
        events=[
            {"kind": "created", "at": "2026-11-01T07:00:00Z", "actor": "olga", "data": {}},
            {"kind": "sla_started", "at": "2026-11-01T07:00:00Z", "actor": "olga", "data": {}},
            {"kind": "assigned", "at": "2026-11-01T07:10:00Z", "actor": "ghost", "data": {}},
        ],
    )
    report = _import(other, json.dumps([record]), now=now)
    assert report.imported == 1
    with other.read() as session:
        ticket = session.get_one(Ticket, 40)
        assert ticket.status == TicketStatus.waiting_client
        assert ticket.created_at.isoformat() == "2026-11-01T07:00:00+00:00"
        assert ticket.updated_at.isoformat() == "2026-11-03T12:00:00+00:00"
        assert ticket.reopen_count == 2
        assert ticket.queue_id is not None  # from the category
        assert ticket.contract_id is not None
        assert ticket.sla_plan_id is not None
        assert ticket.first_responded_at is not None
        assert ticket.first_responded_at.isoformat() == "2026-11-01T07:20:00+00:00"
        assert ticket.sla_paused_since is not None
        events = session.exec(
            select(TicketEvent).where(TicketEvent.ticket_id == 40).order_by(col(TicketEvent.id))
        ).all()
        kinds = [e.kind for e in events]
        assert kinds.count(EventKind.sla_started) == 1  # the source's clock is not copied
        assert EventKind.sla_paused in kinds
        created = events[0]
        assert created.data["imported_from"] == "#40"
        assert created.data["original_actor"] == "olga"
        ghost = next(e for e in events if e.kind == EventKind.assigned)
        assert ghost.actor_id is None
        assert ghost.data["imported_actor"] == "ghost"
        creator = session.get_one(User, ticket.created_by_id)
        assert creator.login == "olga"


@pytest.mark.parametrize(
    ("record", "fragment"),
    [
        (_minimal(client="Globex"), "ticket #7: no client 'Globex' in this database"),
        (_minimal(assignee="nobody"), "ticket #7: no user 'nobody'"),
        (_minimal(category="Plumbing"), "ticket #7: no category 'Plumbing'"),
        (_minimal(priority="asap"), "ticket #7: priority must be one of"),
        (_minimal(status="lost"), "ticket #7: status must be one of"),
        (_minimal(subject="  "), "ticket #7: no subject"),
        (_minimal(created_at="2026-11-01T10:00:00"), "needs a UTC offset"),
        (_minimal(created_at="yesterday"), "not an ISO 8601 time"),
        (_minimal(ref="abc"), "not a ticket reference"),
        ({"subject": "no ref", "created_at": "2026-11-01T10:00:00Z"}, "ticket 2: no ref"),
        (_minimal(messages=[{"kind": "shout", "body": "x"}]), "message 1 kind must be one of"),
        (_minimal(events=[{"kind": "created"}]), "no event 1 at"),
    ],
)
def test_bad_tickets_stop_the_import_before_anything_is_written(
    other: Store, record: dict[str, Any], fragment: str
) -> None:
    text = json.dumps([_minimal("#1"), record])
    with pytest.raises(ValidationError) as caught:
        _import(other, text)
    assert fragment in str(caught.value)
    assert _count(other, Ticket) == 0


def test_create_missing_creates_clients_and_contacts(other: Store) -> None:
    text = json.dumps([_minimal(client="Globex", contact="Gina"), _minimal("#8", client="Globex")])
    with pytest.raises(ValidationError, match="--create-missing"):
        _import(other, text)
    report = _import(other, text, create_missing=True)
    assert report.imported == 2
    assert report.created_clients == ["Globex"]
    assert report.created_contacts == ["Gina (Globex)"]
    with other.read() as session:
        globex = session.exec(select(Client).where(Client.name == "Globex")).one()
        gina = session.exec(select(Contact).where(Contact.name == "Gina")).one()
        assert gina.client_id == globex.id


def test_create_missing_creates_through_the_directory_s_rules(other: Store) -> None:
    """A missing client is added as `admin clients add` would: never a second Acme."""
    for name, fragment in (("ACME", "a client named 'Acme' already exists"), ("42", "digits")):
        with pytest.raises(ValidationError, match="ticket #7: ") as caught:
            _import(other, json.dumps([_minimal(client=name)]), create_missing=True)
        assert fragment in str(caught.value)
    assert _count(other, Client) == 1
    assert _count(other, Ticket) == 0


def test_a_crash_midway_keeps_whole_batches_and_a_rerun_completes(
    other: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = [
        _minimal(
            f"#{n}",
            messages=[{"message_id": f"<m{n}@x>", "kind": "inbound", "body": f"body {n}"}],
        )
        for n in range(1, 8)
    ]
    text = json.dumps(records)
    real_insert = importing._insert
    calls = 0

    def failing_insert(*args: Any, **kwargs: Any) -> Ticket:
        nonlocal calls
        calls += 1
        if calls == 6:
            raise RuntimeError("power cut")
        return real_insert(*args, **kwargs)

    monkeypatch.setattr(importing, "_insert", failing_insert)
    with pytest.raises(RuntimeError):
        _import(other, text, batch_size=3)
    assert _count(other, Ticket) == 3  # the first batch; the second was rolled back
    monkeypatch.setattr(importing, "_insert", real_insert)
    progress: list[tuple[int, int]] = []
    report = _import(other, text, batch_size=3, on_progress=lambda d, t: progress.append((d, t)))
    assert (report.imported, report.duplicates) == (4, 3)
    assert progress == [(3, 7), (6, 7), (7, 7)]
    assert _count(other, Ticket) == 7
    assert _count(other, Message) == 7


def test_read_json_streams_across_small_chunks() -> None:
    originals = [_minimal(f"#{n}", subject=f"{HOSTILE} {n}" + "x" * 50) for n in range(1, 20)]
    text = _json_text(originals)
    parsed = list(records.read_json(io.StringIO(text), chunk_size=7))
    assert parsed == originals
    assert list(records.read_json(io.StringIO("  [ ]  "))) == []
    pretty = json.dumps(originals, indent=2)
    assert list(records.read_json(io.StringIO(pretty), chunk_size=5)) == originals


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "expected a list of tickets"),
        ('{"ref": "#1"}', "expected a list of tickets"),
        ('[{"ref": "#1"},\n{"ref": }]', "malformed JSON at line 2"),
        ('[{"ref": "#1"}', "expected ',' or ']'"),
        ('[{"ref": "#1"} {"ref": "#2"}]', "expected ',' or ']'"),
        ("[1]", "item 1 of the list is not an object"),
        ("[] []", "unexpected data after the list"),
    ],
)
def test_read_json_errors(text: str, fragment: str) -> None:
    with pytest.raises(ValidationError, match=None) as caught:
        list(records.read_json(io.StringIO(text), chunk_size=4))
    assert fragment in str(caught.value)


def test_csv_round_trip_keeps_hostile_text(
    source: tuple[World, list[dict[str, Any]]], other: Store, store: Store
) -> None:
    out = io.StringIO(newline="")
    count = export.write_csv(export.iter_export(store, with_history=False), out)
    assert count == 3
    text = out.getvalue()
    report = importing.import_tickets(
        other, source=lambda: records.read_csv(io.StringIO(text, newline="")), actor_id=None
    )
    assert report.imported == 3
    scalars = [{k: r[k] for k in export.SCALAR_FIELDS} for r in source[1]]
    assert [{k: r[k] for k in export.SCALAR_FIELDS} for r in _export(other)] == scalars
    again = importing.import_tickets(
        other, source=lambda: records.read_csv(io.StringIO(text, newline="")), actor_id=None
    )
    assert again.duplicates == 3


def test_csv_with_missing_columns() -> None:
    with pytest.raises(ValidationError, match="lacks the columns subject, created_at"):
        list(records.read_csv(io.StringIO("ref,status\n#1,open\n")))
    with pytest.raises(ValidationError, match="empty"):
        list(records.read_csv(io.StringIO("")))
    with pytest.raises(ValidationError, match="more cells"):
        list(records.read_csv(io.StringIO("ref,subject,created_at\n#1,a,b,c\n")))
