"""Export → import of what hangs off and between tickets: escalations, links, merges,
attachments' metadata (and content), NPS answers without a ticket; a link to a ticket the
file lacks kept as a note; broken files refused whole, naming the record."""

from __future__ import annotations

import base64
import hashlib
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

from dispatcher.domain.enums import EscalationTarget, LinkKind, MessageKind, RatingKind
from dispatcher.domain.errors import ValidationError
from dispatcher.store.db.engine import Store
from dispatcher.store.mail.blobs import store_attachments
from dispatcher.store.mail.inbound import InboundAttachment
from dispatcher.store.models import (
    Attachment,
    Blob,
    Escalation,
    Message,
    Rating,
    Ticket,
    TicketEvent,
    TicketLink,
)
from dispatcher.store.reports.nps import record_nps_answer
from dispatcher.store.tickets import export, importing, records
from dispatcher.store.tickets.relations import escalate, link, merge
from tests.conftest import BACKEND, PG_ADMIN_URL
from tests.factories import World, new_ticket, world

PDF = b"%PDF-1.4 \xd0\x9e\xd1\x82\xd1\x87\xd1\x91\xd1\x82\n" * 40
RELATION_KEYS = ("sla_plan", "contract", "created_by", "merged_into", "escalations", "links")


@pytest.fixture
def other(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A second database at the current schema on the backend under test, same world."""
    name = ""
    if BACKEND != "postgres":
        path = tmp_path / "other.db"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        admin = request.getfixturevalue("pg_admin")
        template = request.getfixturevalue("_pg_template")
        name = f"dsp_t_{uuid.uuid4().hex[:12]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    target = Store.open(url)
    world(target)
    yield target
    target.dispose()
    if name:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _text(store: Store, **kwargs: Any) -> str:
    out = io.StringIO()
    export.write_json(export.iter_export(store, **kwargs), out)
    return out.getvalue()


def _import(store: Store, text_: str, **kwargs: Any) -> importing.ImportReport:
    return importing.import_tickets(
        store, source=lambda: records.read_json(io.StringIO(text_)), actor_id=None, **kwargs
    )


def _parsed(text_: str) -> list[dict[str, Any]]:
    return list(records.read_json(io.StringIO(text_)))


def _count(store: Store, model: Any) -> int:
    with store.read() as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


@pytest.fixture
def related(store: Store, now: datetime) -> World:
    """Four tickets: #1 escalated to a vendor, linked to #2, with an attachment; #3 merged
    into #1; #4 a parent of #1. And an NPS answer taken by phone."""
    w = world(store)
    first = new_ticket(store, w, now=now, subject="VPN is down")
    second = new_ticket(store, w, now=now + timedelta(minutes=5), subject="VPN again")
    third = new_ticket(store, w, now=now + timedelta(minutes=6), subject="VPN down (dup)")
    fourth = new_ticket(store, w, now=now + timedelta(minutes=7), subject="Office network")
    later = now + timedelta(hours=1)
    with store.write() as session:
        escalate(
            session,
            ticket_id=first.id or 0,
            expected_version=None,
            actor_id=w.engineer.id,
            target=EscalationTarget.vendor,
            vendor="Cisco TAC",
            vendor_ref="SR 6-1042",
            promised_at=later + timedelta(days=1),
            next_checkin_at=later + timedelta(hours=4),
            note="Firmware bug suspected",
            now=later,
        )
        link(
            session,
            ticket_id=first.id or 0,
            other_id=second.id or 0,
            kind=LinkKind.related,
            actor_id=w.engineer.id,
            now=later,
        )
        link(
            session,
            ticket_id=fourth.id or 0,
            other_id=first.id or 0,
            kind=LinkKind.parent,
            actor_id=w.engineer.id,
            now=later,
        )
        merge(
            session,
            ticket_id=third.id or 0,
            into_id=first.id or 0,
            expected_version=None,
            actor_id=w.dispatcher.id,
            now=later,
        )
        message = session.exec(
            select(Message).where(Message.ticket_id == first.id).order_by(col(Message.id))
        ).first()
        assert message is not None
        store_attachments(
            session,
            message_row_id=message.id or 0,
            attachments=(InboundAttachment("отчёт.pdf", "application/pdf", PDF),),
        )
        record_nps_answer(
            session,
            client_id=w.client.id or 0,
            contact_id=w.contact.id,
            score=6,
            now=later,
            comment="По телефону: «нормально»",
        )
    return w


def test_relations_survive_the_round_trip(store: Store, related: World, other: Store) -> None:
    text_ = _text(store)
    report = _import(other, text_)
    assert (report.imported, report.nps_answers, report.links_kept_as_notes) == (4, 1, 0)
    mine, theirs = _parsed(text_), _parsed(_text(other))
    assert [{k: t.get(k) for k in RELATION_KEYS} for t in theirs] == [
        {k: t.get(k) for k in RELATION_KEYS} for t in mine
    ]
    assert [[m["attachments"] for m in t.get("messages", [])] for t in theirs] == [
        [m["attachments"] for m in t.get("messages", [])] for t in mine
    ]
    first = mine[0]
    assert first["escalations"][0]["vendor_ref"] == "SR 6-1042"
    assert first["links"] == [
        {"other": "#2", "kind": "related", "created_at": first["links"][0]["created_at"],
         "created_by": related.engineer.login}
    ]  # fmt: skip
    assert mine[2]["merged_into"] == "#1"
    [attachment] = first["messages"][0]["attachments"]
    assert attachment["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert base64.b64decode(attachment["content"]) == PDF
    [answer] = [r for r in mine if r.get("record") == "nps_answer"]
    assert (answer["score"], answer["contact"]) == (6, related.contact.name)
    assert [r for r in theirs if r.get("record") == "nps_answer"] == [answer]
    with other.read() as session:
        escalation = session.exec(select(Escalation)).one()
        assert escalation.vendor == "Cisco TAC"
        assert escalation.created_by_id is not None
        assert session.get_one(Ticket, 3).merged_into_id == 1
        links = {(k.ticket_id, k.other_ticket_id, k.kind) for k in session.exec(select(TicketLink))}
        assert links == {(1, 2, LinkKind.related), (4, 1, LinkKind.parent)}
        blob = session.get_one(Blob, attachment["sha256"])
        assert blob.data == PDF
        nps = session.exec(select(Rating).where(Rating.kind == RatingKind.nps)).one()
        assert (nps.score, nps.ticket_id, nps.comment) == (6, None, "По телефону: «нормально»")


def test_a_second_import_adds_nothing(store: Store, related: World, other: Store) -> None:
    text_ = _text(store)
    _import(other, text_)
    counts = [_count(other, m) for m in (Ticket, Escalation, TicketLink, Attachment, Rating)]
    again = _import(other, text_)
    assert (again.imported, again.duplicates, again.nps_answers) == (0, 4, 0)
    assert [
        _count(other, m) for m in (Ticket, Escalation, TicketLink, Attachment, Rating)
    ] == counts


def test_renumbered_tickets_keep_their_links(store: Store, related: World, other: Store) -> None:
    _import(other, json.dumps([_minimal(f"#{n}") for n in (1, 2, 3)]))
    report = _import(other, _text(store), renumber=True)
    new = {old: int(ref.lstrip("#")) for old, ref in report.renumbered.items()}
    assert len(new) == 4
    with other.read() as session:
        links = {(k.ticket_id, k.other_ticket_id) for k in session.exec(select(TicketLink))}
        assert links == {(new["#1"], new["#2"]), (new["#4"], new["#1"])}
        assert session.get_one(Ticket, new["#3"]).merged_into_id == new["#1"]


def test_a_link_to_a_ticket_not_in_the_file_becomes_a_note(
    store: Store, related: World, other: Store
) -> None:
    kept = [r for r in _parsed(_text(store)) if r.get("ref") not in ("#2", "#3")]
    out = io.StringIO()
    export.write_json(kept, out)
    report = _import(other, out.getvalue())
    assert (report.imported, report.links_kept_as_notes) == (2, 1)
    with other.read() as session:
        assert {(k.ticket_id, k.other_ticket_id) for k in session.exec(select(TicketLink))} == {
            (4, 1)
        }
        note = session.exec(
            select(Message).where(Message.ticket_id == 1, Message.kind == MessageKind.note)
        ).one()
        assert "#2" in note.body
        assert "not in the imported file" in note.body
    again = _import(other, out.getvalue())
    assert again.links_kept_as_notes == 0  # the note is written once


def test_attachment_metadata_without_content(store: Store, related: World, other: Store) -> None:
    """Without content, an attachment whose content the target lacks is kept in the
    ticket's history (no row can list content that is nowhere)."""
    text_ = _text(store, with_content=False)
    [attachment] = _parsed(text_)[0]["messages"][0]["attachments"]
    assert "content" not in attachment
    report = _import(other, text_)
    assert report.attachments_without_content == 1
    assert _count(other, Attachment) == 0
    with other.read() as session:
        created = session.exec(
            select(TicketEvent).where(TicketEvent.ticket_id == 1).order_by(col(TicketEvent.id))
        ).first()
        assert created is not None
        assert created.data["attachments_not_carried"][0]["name"] == "отчёт.pdf"


def test_attachment_metadata_finds_content_already_there(
    store: Store, related: World, other: Store
) -> None:
    text_ = _text(store, with_content=False)
    with other.write() as session:
        session.add(Blob(sha256=hashlib.sha256(PDF).hexdigest(), size=len(PDF), data=PDF))
    assert _import(other, text_).attachments_without_content == 0
    with other.read() as session:
        row = session.exec(select(Attachment)).one()
        assert (row.filename, row.size) == ("отчёт.pdf", len(PDF))


def _minimal(ref: str = "#7", **fields: Any) -> dict[str, Any]:
    return {"ref": ref, "subject": "Printer", "created_at": "2026-11-01T10:00:00Z", **fields}


@pytest.mark.parametrize(
    ("items", "fragment"),
    [
        ([_minimal("#1"), _minimal("#2"), _minimal("#1")], "#1: the ref appears twice"),
        ([_minimal("#1"), _minimal("#2", links=[{"other": 5}])], "link 1 other must be"),
        (
            [_minimal(escalations=[{"target": "vendor", "created_at": "2026-11-01T10:00:00Z"}])],
            "needs the vendor's name",
        ),  # fmt: skip
        (
            [_minimal(ratings=[{"kind": "csat", "score": 9, "at": "2026-11-01T10:00:00Z"}])],
            "a csat score must be 1 to 5",
        ),  # fmt: skip
        (
            [
                _minimal(
                    messages=[
                        {"body": "x", "attachments": [{"name": "a", "sha256": "zz", "size": 1}]}
                    ]
                )
            ],
            "sha256 must be 64 hexadecimal digits",
        ),  # fmt: skip
        (
            [
                _minimal(
                    messages=[
                        {
                            "body": "x",
                            "attachments": [
                                {
                                    "name": "a",
                                    "content": base64.b64encode(b"abc").decode(),
                                    "size": 4,
                                }
                            ],
                        }
                    ]
                )
            ],
            "the content is 3 bytes, not 4",
        ),  # fmt: skip
        ([_minimal(sla_plan="Platinum")], "no SLA plan 'Platinum'"),
        ([_minimal(), {"record": "survey", "score": 3}], "record must be 'nps_answer'"),
        (
            [{"record": "nps_answer", "score": 11, "at": "2026-11-01T10:00:00Z", "client": "x"}],
            "NPS answer 1: the answer: a nps score must be 0 to 10",
        ),  # fmt: skip
    ],
)
def test_broken_records_stop_the_import_naming_their_position(
    other: Store, items: list[dict[str, Any]], fragment: str
) -> None:
    text_ = json.dumps(items)
    with pytest.raises(ValidationError) as caught:
        _import(other, text_)
    message = str(caught.value)
    assert fragment in message
    assert "record " in message
    assert "\n" not in message
    assert _count(other, Ticket) == 0


def test_deeply_nested_event_data_is_refused(other: Store) -> None:
    deep: Any = {}
    for _ in range(200):
        deep = {"x": deep}
    text_ = json.dumps([_minimal("#1"), _minimal("#2", events=[
        {"kind": "edited", "at": "2026-11-01T10:00:00Z", "data": deep}])])  # fmt: skip
    with pytest.raises(
        ValidationError, match=r"ticket #2: event 1: data is nested deeper .* \(record 2\)"
    ):
        _import(other, text_)
    assert _count(other, Ticket) == 0
