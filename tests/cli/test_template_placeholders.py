"""Templates sign as the sender: sender, assignee, client and ticket placeholders are
separate, listed by `admin templates placeholders`, and a preview without `--as` says what
is missing."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from dispatcher.store.db.engine import Store
from dispatcher.store.tickets import writes
from tests.cli.helpers import as_json, error, ok
from tests.factories import new_ticket, world

SIGNED = "{{ assignee.name }} works on {{ ticket.ref }} for {{ client.name }}.\n{{ sender.name }}"


def test_the_sender_and_the_assignee_are_separate(
    db_url: str, store: Store, now: datetime, tmp_path: Path
) -> None:
    w = world(store)
    ticket = new_ticket(store, w, now=now)
    with store.write() as session:
        writes.assign(
            session,
            ticket_id=ticket.id or 0,
            expected_version=None,
            actor_id=w.dispatcher.id,
            assignee_id=w.engineer.id,
            now=now,
        )
    path = tmp_path / "signed.txt"
    path.write_text(SIGNED, encoding="utf-8")
    ok(db_url, "templates", "add", "signed", "--file", str(path))
    shown = as_json(
        db_url, "templates", "preview", "signed", "--ticket", f"#{ticket.id}", "--as", "olga"
    )
    assert shown["body"] == (
        f"{w.engineer.name} works on #{ticket.id} for {w.client.name}.\n{w.dispatcher.name}"
    )
    line = error(db_url, "templates", "preview", "signed", "--ticket", f"#{ticket.id}")
    assert "sender: preview with --as LOGIN" in line


def test_placeholders_are_listed(db_url: str) -> None:
    rows = as_json(db_url, "templates", "placeholders")
    names = [r["name"] for r in rows]
    for name in ("sender.name", "assignee.name", "client.name", "contact.name", "ticket.ref"):
        assert name in names
    assert "{{ sender.name }}" in ok(db_url, "templates", "placeholders").stdout
