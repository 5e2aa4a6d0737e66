"""The outbox: mail written in the same transaction as the change that caused it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from dispatcher.domain.enums import EventKind
from dispatcher.store.history import record
from dispatcher.store.models import OutboxItem, Ticket
from dispatcher.store.tickets import new_message_id


def enqueue(
    session: Session,
    *,
    kind: str,
    to_addresses: str,
    subject: str,
    body: str,
    now: datetime,
    ticket: Ticket | None = None,
    message_row_id: int | None = None,
    message_id: str | None = None,
    headers: dict[str, Any] | None = None,
    cc_addresses: str = "",
) -> OutboxItem:
    """Queue one mail for the sender; its ticket's history records it (without a version bump)."""
    item = OutboxItem(
        ticket_id=ticket.id if ticket else None,
        message_row_id=message_row_id,
        kind=kind,
        to_addresses=to_addresses,
        cc_addresses=cc_addresses,
        subject=subject,
        body=body,
        headers=headers or {},
        message_id=message_id or new_message_id(),
        created_at=now,
        next_attempt_at=now,
    )
    session.add(item)
    session.flush()
    if ticket is not None:
        record(
            session,
            ticket=ticket,
            kind=EventKind.notification_queued,
            actor_id=None,
            now=now,
            data={"kind": kind, "to": to_addresses, "outbox": item.id},
            bump=False,
        )
    return item
