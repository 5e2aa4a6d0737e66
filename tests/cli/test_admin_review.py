"""`dispatcher admin intake review list|show|accept|reject`: mail held for a dispatcher."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select

from dispatcher.domain.enums import TicketStatus
from dispatcher.store.db.engine import Store
from dispatcher.store.models import Contact, ContactPoint, Message, Ticket
from dispatcher.store.tickets.writes import change_status
from tests.cli.helpers import as_json, error, ok
from tests.factories import world
from tests.intake.helpers import feed
from tests.intake.make_trust_corpus import feed_trust


def _held(store: Store, now: datetime) -> tuple[int, int]:
    """Anna's resolved ticket, and a stranger's "still broken" held for it."""
    world(store)
    ticket_id = feed(store, "plain_utf8.eml", now=now).ticket_id or 0
    with store.write() as session:
        change_status(
            session,
            ticket_id=ticket_id,
            expected_version=None,
            actor_id=None,
            status=TicketStatus.resolved,
            now=now,
        )
    held = feed_trust(store, "stranger_in_reply_to.eml", now=now)
    assert held.held_id is not None
    return ticket_id, held.held_id


def test_list_and_show(db_url: str, store: Store, now: datetime) -> None:
    ticket_id, held_id = _held(store, now)
    [row] = as_json(db_url, "intake", "review", "list")
    assert (row["id"], row["ticket"], row["from"], row["decision"]) == (
        held_id,
        ticket_id,
        "mallory@evil.example",
        None,
    )
    assert "not the contact of #1" in row["reason"]
    table = ok(db_url, "intake", "review", "list").stdout
    assert "mallory@evil.example" in table
    assert f"#{ticket_id}" in table
    shown = as_json(db_url, "intake", "review", "show", str(held_id))
    assert shown["body"] == "Still broken, reopen it and send me the logs."
    text = ok(db_url, "intake", "review", "show", str(held_id)).stdout
    assert f"claims #{ticket_id}" in text
    raw = ok(db_url, "intake", "review", "show", str(held_id), "--raw").stdout
    assert "Message-ID: <stranger-1@evil.example>" in raw
    assert as_json(db_url, "intake", "review", "list", "--ticket", "#999") == []


def test_accept_joins_the_ticket_and_leaves_its_status(
    db_url: str, store: Store, now: datetime
) -> None:
    ticket_id, held_id = _held(store, now)
    done = as_json(db_url, "intake", "review", "accept", str(held_id), "--as", "olga")
    assert (done["outcome"], done["ticket"]) == ("threaded", ticket_id)
    with store.read() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        assert ticket.status == TicketStatus.resolved
        ids = session.exec(select(Message.message_id).where(Message.ticket_id == ticket_id))
        assert "<stranger-1@evil.example>" in list(ids)
    assert as_json(db_url, "intake", "review", "list") == []
    [decided] = as_json(db_url, "intake", "review", "list", "--all")
    assert (decided["decision"], decided["accepted_into"]) == ("accepted", ticket_id)
    message = error(db_url, "intake", "review", "accept", str(held_id))
    assert "already accepted" in message


def test_accept_with_a_new_contact_lets_the_answer_reopen(
    db_url: str, store: Store, now: datetime
) -> None:
    ticket_id, held_id = _held(store, now)
    text = ok(db_url, "intake", "review", "accept", str(held_id), "--add-contact").stdout
    assert f"added to #{ticket_id} (reopened)" in text
    with store.read() as session:
        point = session.exec(
            select(ContactPoint).where(ContactPoint.value == "mallory@evil.example")
        ).one()
        contact = session.get(Contact, point.contact_id)
        assert contact is not None
        assert contact.name == "mallory"


def test_reject(db_url: str, store: Store, now: datetime) -> None:
    ticket_id, held_id = _held(store, now)
    text = ok(db_url, "intake", "review", "reject", str(held_id)).stdout
    assert f"#{ticket_id} was left as it was" in text
    assert as_json(db_url, "intake", "review", "list") == []
    assert "already rejected" in error(db_url, "intake", "review", "reject", str(held_id))


def test_hostile_text_stays_inert(db_url: str, store: Store, now: datetime) -> None:
    ticket_id, _ = _held(store, now)
    hostile = feed_trust(store, "hostile_stranger.eml", now=now, ticket=str(ticket_id))
    text = ok(db_url, "intake", "review", "show", str(hostile.held_id)).stdout
    assert "\x1b" not in text
    assert "[bold red]urgent[/]" in text  # shown literally, never as markup
    table = ok(db_url, "intake", "review", "list").stdout
    assert "\x1b" not in table


def test_misuse_is_one_error_line(db_url: str, store: Store, now: datetime) -> None:
    _held(store, now)
    assert "held message" in error(db_url, "intake", "review", "show", "999")
    assert "held message" in error(db_url, "intake", "review", "accept", "999")
    error(db_url, "intake", "review", "accept", "x")
    error(db_url, "intake", "review", "list", "--ticket", "abc")
    assert "no user" in error(db_url, "intake", "review", "reject", "1", "--as", "nobody")
    assert "queue" in error(db_url, "intake", "review", "accept", "1", "--queue", "Nowhere")
