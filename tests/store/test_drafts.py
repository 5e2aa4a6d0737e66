"""Drafts: kept per operator and place, upserted as typed, gone when sent or emptied."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from dispatcher.domain.enums import MessageKind
from dispatcher.store.db.engine import Store
from dispatcher.store.tickets import drafts
from tests.factories import World, new_ticket, world


@pytest.fixture
def w(store: Store) -> World:
    return world(store)


def test_a_draft_is_kept_per_operator_and_ticket(store: Store, w: World, now: datetime) -> None:
    t = new_ticket(store, w, now=now)
    tid = t.id or 0
    olga, ivan = w.dispatcher.id or 0, w.engineer.id or 0
    scope = drafts.ticket_scope(MessageKind.reply, tid)
    assert scope == f"reply:{tid}"
    with store.write() as session:
        drafts.save_draft(
            session, user_id=olga, scope=scope, ticket_id=tid, subject="Re", body="Hello", now=now
        )
    # Typing on: the same row, newer text (two consoles of olga upsert one row).
    later = now + timedelta(seconds=3)
    with store.write() as session:
        drafts.save_draft(
            session, user_id=olga, scope=scope, ticket_id=tid, body="Hello, Anna", now=later
        )
    with store.read() as session:
        kept = drafts.get_draft(session, user_id=olga, scope=scope)
        assert drafts.get_draft(session, user_id=ivan, scope=scope) is None  # not ivan's
        assert drafts.get_draft(session, user_id=olga, scope=f"note:{tid}") is None
        assert len(drafts.drafts_of(session, user_id=olga)) == 1
    assert kept is not None
    assert (kept.body, kept.subject, kept.ticket_id, kept.updated_at) == (
        "Hello, Anna",
        "",
        tid,
        later,
    )


def test_empty_text_is_no_draft_and_delete_forgets_it(
    store: Store, w: World, now: datetime
) -> None:
    olga = w.dispatcher.id or 0
    with store.write() as session:
        kept = drafts.save_draft(
            session,
            user_id=olga,
            scope=drafts.NEW_TICKET,
            fields={"client_id": 3, "caller": ""},
            body="Printer on fire",
            now=now,
        )
    assert kept is not None
    with store.read() as session:
        got = drafts.get_draft(session, user_id=olga, scope=drafts.NEW_TICKET)
    assert got is not None
    assert got.fields == {"client_id": 3, "caller": ""}
    with store.write() as session:
        assert drafts.save_draft(session, user_id=olga, scope=drafts.NEW_TICKET, now=now) is None
    with store.read() as session:
        assert drafts.get_draft(session, user_id=olga, scope=drafts.NEW_TICKET) is None
    with store.write() as session:
        drafts.save_draft(session, user_id=olga, scope=drafts.NEW_TICKET, body="x", now=now)
    with store.write() as session:
        assert drafts.delete_draft(session, user_id=olga, scope=drafts.NEW_TICKET)
        assert not drafts.delete_draft(session, user_id=olga, scope=drafts.NEW_TICKET)
