"""Looking after the outbox by hand: listing it, one row in full, retry now, cancel.

The sender's own protocol (`dispatcher.store.mail.outbox`: claims with a lease and an
owner) is respected: a row a sender holds right now (`sending`, lease not run out) is
neither retried nor cancelled; a row whose claim ran out is free again. A cancelled row is
never sent (the sender claims only pending rows and run-out claims); retrying it, or a
failed one, puts it back in line at once with a fresh count of attempts. The ticket's
history records a cancellation.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from dispatcher.domain.enums import EventKind, OutboxStatus
from dispatcher.domain.errors import ConflictError, NotFoundError
from dispatcher.store.mail import notifications
from dispatcher.store.mail.outbox import CLAIM_KEY
from dispatcher.store.models import OutboxItem, Ticket
from dispatcher.store.tickets.history import record

LIST_LIMIT = 200


@dataclass(frozen=True, slots=True)
class OutboxView:
    """An outbox row as plain data; `headers` without the sender's bookkeeping."""

    id: int
    ticket_id: int | None
    kind: str
    status: OutboxStatus
    to_addresses: str
    cc_addresses: str
    subject: str
    body: str
    headers: dict[str, Any]
    message_id: str
    attempts: int
    next_attempt_at: datetime
    last_error: str
    created_at: datetime
    sent_at: datetime | None

    @classmethod
    def of(cls, item: OutboxItem) -> OutboxView:
        return cls(
            id=item.id or 0,
            ticket_id=item.ticket_id,
            kind=item.kind,
            status=item.status,
            to_addresses=item.to_addresses,
            cc_addresses=item.cc_addresses,
            subject=item.subject,
            body=item.body,
            headers={k: v for k, v in item.headers.items() if not k.startswith("_")},
            message_id=item.message_id,
            attempts=item.attempts,
            next_attempt_at=item.next_attempt_at,
            last_error=item.last_error,
            created_at=item.created_at,
            sent_at=item.sent_at,
        )


def list_outbox(
    session: Session,
    *,
    status: OutboxStatus | None = None,
    ticket_id: int | None = None,
    limit: int = LIST_LIMIT,
) -> list[OutboxView]:
    """The newest rows first (of one status, or one ticket, when given)."""
    query = select(OutboxItem).order_by(col(OutboxItem.id).desc()).limit(limit)
    if status is not None:
        query = query.where(OutboxItem.status == status)
    if ticket_id is not None:
        query = query.where(OutboxItem.ticket_id == ticket_id)
    return [OutboxView.of(item) for item in session.exec(query).all()]


def show(session: Session, *, item_id: int) -> OutboxView:
    item = session.get(OutboxItem, item_id)
    if item is None:
        raise NotFoundError("outbox item", item_id)
    view = OutboxView.of(item)
    text = notifications.text_of(item.headers) if item.sent_at is None else None
    if text is not None:  # a notification not sent yet: its text is made when it is
        view = replace(view, subject=text.subject, body=text.body)
    return view


def _locked(session: Session, item_id: int, now: datetime) -> OutboxItem:
    item = session.exec(
        select(OutboxItem)
        .where(OutboxItem.id == item_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if item is None:
        raise NotFoundError("outbox item", item_id)
    if item.status == OutboxStatus.sent:
        when = f" at {item.sent_at:%Y-%m-%d %H:%M}" if item.sent_at else ""
        raise ConflictError(f"outbox item {item_id} was sent{when}")
    if item.status == OutboxStatus.sending and item.next_attempt_at > now:
        raise ConflictError(
            f"outbox item {item_id} is being sent right now; try again in a few minutes"
        )
    return item


def _release(item: OutboxItem) -> None:
    item.headers = {k: v for k, v in item.headers.items() if k != CLAIM_KEY}


def retry(session: Session, *, item_id: int, now: datetime) -> OutboxView:
    """Send it at the next run of the sender: pending, due now, attempts counted afresh."""
    item = _locked(session, item_id, now)
    _release(item)
    item.status = OutboxStatus.pending
    item.attempts = 0
    item.next_attempt_at = now
    session.add(item)
    session.flush()
    return OutboxView.of(item)


def cancel(
    session: Session, *, item_id: int, actor_id: int | None, now: datetime, reason: str = ""
) -> OutboxView:
    """Never send it; the ticket's history says so."""
    item = _locked(session, item_id, now)
    if item.status == OutboxStatus.cancelled:
        raise ConflictError(f"outbox item {item_id} is already cancelled")
    _release(item)
    item.status = OutboxStatus.cancelled
    session.add(item)
    ticket = session.get(Ticket, item.ticket_id) if item.ticket_id is not None else None
    if ticket is not None:
        record(
            session,
            ticket=ticket,
            kind=EventKind.notification_cancelled,
            actor_id=actor_id,
            now=now,
            data={"kind": item.kind, "to": item.to_addresses, "outbox": item.id},
            reason=reason,
            bump=False,
        )
    session.flush()
    return OutboxView.of(item)
