"""`dispatcher admin outbox list|show|retry|cancel`, and the sender respecting them."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import select

from dispatcher.domain.enums import EventKind, OutboxStatus
from dispatcher.store.db.engine import Store
from dispatcher.store.mail import outbox
from dispatcher.store.models import OutboxItem, TicketEvent
from tests.cli.helpers import as_json, error, ok
from tests.factories import new_ticket, world


def _acknowledgement(store: Store, now: datetime) -> tuple[int, int]:
    """A ticket and the id of its acknowledgement in the outbox."""
    w = world(store)
    ticket = new_ticket(store, w, now=now)
    with store.read() as session:
        item_id = session.exec(select(OutboxItem.id)).one()
    assert item_id is not None
    assert ticket.id is not None
    return ticket.id, item_id


def _status(store: Store, item_id: int) -> OutboxStatus:
    with store.read() as session:
        item = session.get(OutboxItem, item_id)
        assert item is not None
        return item.status


def test_list_and_show(db_url: str, store: Store, now: datetime) -> None:
    ticket_id, item_id = _acknowledgement(store, now)
    [row] = as_json(db_url, "outbox", "list")
    assert (row["id"], row["ticket"], row["kind"], row["status"], row["to"]) == (
        item_id,
        ticket_id,
        "acknowledgement",
        "pending",
        "anna@acme.example",
    )
    assert as_json(db_url, "outbox", "list", "--status", "sent") == []
    assert as_json(db_url, "outbox", "list", "--ticket", f"#{ticket_id + 1}") == []
    assert "acknowledgement" in ok(db_url, "outbox", "list").stdout
    shown = as_json(db_url, "outbox", "show", str(item_id))
    assert f"ticket #{ticket_id}" in shown["body"]
    assert "_template" not in shown["headers"]  # the sender's bookkeeping stays inside
    assert shown["headers"]["X-Dispatcher-Ticket"] == str(ticket_id)
    text = ok(db_url, "outbox", "show", str(item_id)).stdout
    assert "to: anna@acme.example" in text


def test_cancel_is_never_sent_and_is_in_the_history(
    db_url: str, store: Store, now: datetime
) -> None:
    ticket_id, item_id = _acknowledgement(store, now)
    text = ok(db_url, "outbox", "cancel", str(item_id), "--reason", "wrong client", "--as", "olga")
    assert "cancelled" in text.stdout
    assert _status(store, item_id) == OutboxStatus.cancelled
    with store.write() as session:
        assert outbox.claim_due(session, now=now + timedelta(days=1), owner="test") == []
    with store.read() as session:
        [event] = session.exec(
            select(TicketEvent).where(TicketEvent.kind == EventKind.notification_cancelled)
        ).all()
        assert (event.ticket_id, event.data["outbox"], event.reason) == (
            ticket_id,
            item_id,
            "wrong client",
        )
        assert event.actor_id is not None
    assert "already cancelled" in error(db_url, "outbox", "cancel", str(item_id))
    # Retrying brings it back.
    assert as_json(db_url, "outbox", "retry", str(item_id))["status"] == "pending"


def test_retry_a_failed_mail_now(db_url: str, store: Store, now: datetime) -> None:
    _, item_id = _acknowledgement(store, now)
    with store.write() as session:
        [claimed] = outbox.claim_due(session, now=now, owner="sender-1")
        outbox.mark_failed(
            session,
            item_id=claimed.id,
            owner="sender-1",
            error="550 no such user",
            now=now,
            permanent=True,
        )
    assert _status(store, item_id) == OutboxStatus.failed
    [failed] = as_json(db_url, "outbox", "list", "--status", "failed")
    assert failed["last_error"] == "550 no such user"
    retried = as_json(db_url, "outbox", "retry", str(item_id))
    assert (retried["status"], retried["attempts"]) == ("pending", 0)
    with store.write() as session:
        # The command ran on the wall clock; any time after it, the row is due.
        later = now + timedelta(days=3650)
        assert [c.id for c in outbox.claim_due(session, now=later, owner="sender-2")] == [item_id]


def test_a_mail_being_sent_or_sent_is_left_alone(db_url: str, store: Store, now: datetime) -> None:
    _, item_id = _acknowledgement(store, now)
    with store.write() as session:
        # Claimed far in the future: its lease has not run out for the command's clock.
        outbox.claim_due(session, now=now + timedelta(days=3650), owner="sender-1")
    assert "being sent" in error(db_url, "outbox", "cancel", str(item_id))
    assert "being sent" in error(db_url, "outbox", "retry", str(item_id))
    with store.write() as session:
        outbox.mark_sent(session, item_id=item_id, owner="sender-1", now=now)
    assert "was sent" in error(db_url, "outbox", "cancel", str(item_id))
    assert "was sent" in error(db_url, "outbox", "retry", str(item_id))


def test_misuse_is_one_error_line(db_url: str, store: Store, now: datetime) -> None:
    _acknowledgement(store, now)
    assert "outbox item" in error(db_url, "outbox", "show", "999")
    assert "--status must be one of" in error(db_url, "outbox", "list", "--status", "lost")
    error(db_url, "outbox", "retry", "x")
    error(db_url, "outbox", "list", "--limit", "0")
