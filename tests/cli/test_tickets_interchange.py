"""`dispatcher admin tickets export|import` with what hangs off tickets, and broken files:
one `error:` line naming the record, exit 2, nothing written."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import func, select

from dispatcher.domain.enums import EscalationTarget
from dispatcher.store.db.engine import Store
from dispatcher.store.models import Escalation, Rating, Ticket
from dispatcher.store.reports.nps import record_nps_answer
from dispatcher.store.tickets.relations import escalate
from tests.cli.helpers import error, ok, run
from tests.factories import World, new_ticket, world


@pytest.fixture
def w(store: Store) -> World:
    return world(store)


def _count(db_url: str, model: Any) -> int:
    store = Store.open(db_url)
    try:
        with store.read() as session:
            return int(session.exec(select(func.count()).select_from(model)).one())
    finally:
        store.dispose()


def _ticket(ref: str = "#5", **fields: Any) -> dict[str, Any]:
    return {"ref": ref, "subject": "Imported", "created_at": "2026-11-01T10:00:00+00:00", **fields}


def test_export_carries_escalations_and_phone_nps_answers(
    store: Store, db_url: str, w: World, now: datetime, tmp_path: Path
) -> None:
    ticket = new_ticket(store, w, now=now)
    with store.write() as session:
        escalate(
            session,
            ticket_id=ticket.id or 0,
            expected_version=None,
            actor_id=w.engineer.id,
            target=EscalationTarget.vendor,
            vendor="[red]Vendor[/red]",
            vendor_ref="\x1b[31mREF-1",
            now=now + timedelta(hours=1),
        )
        record_nps_answer(session, client_id=w.client.id or 0, score=10, now=now)
    path = tmp_path / "out.json"
    exported = run(db_url, "tickets", "export", str(path), "--no-attachment-content")
    assert exported.exit_code == 0, exported.output
    items = json.loads(path.read_text(encoding="utf-8"))
    assert items[0]["escalations"][0]["vendor"] == "[red]Vendor[/red]"
    assert items[0]["escalations"][0]["vendor_ref"] == "\x1b[31mREF-1"
    assert items[-1] == {
        "record": "nps_answer",
        "client": w.client.name,
        "contact": None,
        "score": 10,
        "at": now.isoformat(),
        "comment": "",
    }
    # The answer goes back in once: the second import finds it there.
    with store.write() as session:
        for rating in session.exec(select(Rating)):
            session.delete(rating)
    result = ok(db_url, "tickets", "import", str(path))
    assert "1 NPS answers without a ticket" in result.stdout
    assert _count(db_url, Rating) == 1
    assert _count(db_url, Escalation) == 1


@pytest.mark.parametrize(
    ("items", "fragment"),
    [
        ([_ticket("#1"), _ticket("#2"), _ticket("#1")], "(record 3)"),
        ([_ticket("#1"), _ticket("#2", links=[{"other": ["#1"]}])], "link 1 other must be"),
        ([_ticket(escalations="vendor")], "escalations must be a list"),
        ([_ticket(), [1, 2]], "item 2 of the list is not an object"),
        (
            [
                _ticket(
                    messages=[
                        {"message_id": "<a@x>", "body": "1"},
                        {"message_id": "<a@x>", "body": "2"},
                    ]
                )
            ],
            "the database refused it",
        ),  # fmt: skip
    ],
)
def test_broken_files_give_one_error_and_write_nothing(
    db_url: str, w: World, tmp_path: Path, items: list[Any], fragment: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(items), encoding="utf-8")
    line = error(db_url, "tickets", "import", str(path))
    assert fragment in line
    assert _count(db_url, Ticket) == 0


def test_deep_nesting_in_event_data(db_url: str, w: World, tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    data = "{" + '"a":{' * 500 + "}" * 500 + "}"
    path.write_text(
        '[{"ref": "#1", "subject": "x", "created_at": "2026-11-01T10:00:00Z", '
        f'"events": [{{"kind": "edited", "at": "2026-11-01T10:00:00Z", "data": {data}}}]}}]',
        encoding="utf-8",
    )
    assert "(record 1)" in error(db_url, "tickets", "import", str(path))
    assert _count(db_url, Ticket) == 0
