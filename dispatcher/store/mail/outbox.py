"""The outbox: mail written in the same transaction as the change that caused it.

A sender claims due rows (`claim_due`, one short transaction: pending → sending with a
lease), delivers them outside any transaction, then marks each sent or failed
(`mark_sent` / `mark_failed`, another short transaction). A failure goes back to pending
with exponential backoff; a sender that dies mid-send leaves its claim to expire, and the
row is claimed again. So a mail server that is down delays mail and loses none. (Should a
sender die after the server accepted a message but before marking it, the message goes
again with the same Message-ID, which mail clients show once.)
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, or_, select

from dispatcher.domain.enums import EventKind, OutboxStatus
from dispatcher.domain.errors import NotFoundError
from dispatcher.store.models import OutboxItem, Ticket
from dispatcher.store.tickets.history import record

LEASE = timedelta(minutes=5)  # how long a claim holds before another sender may take over
FIRST_RETRY = timedelta(minutes=1)
MAX_RETRY = timedelta(hours=1)
MAX_ATTEMPTS = 30  # about a day of retries before a row is given up as failed


def new_message_id(domain: str = "dispatcher.local") -> str:
    return f"<{uuid.uuid4().hex}@{domain}>"


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


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failure: 1, 2, 4, ... minutes, at most an hour."""
    delay: timedelta = FIRST_RETRY * (2 ** max(attempts - 1, 0))
    return min(delay, MAX_RETRY)


@dataclass(frozen=True, slots=True)
class Claimed:
    """A claimed row as plain data, for a sender working outside any transaction."""

    id: int
    ticket_id: int | None
    kind: str
    to_addresses: str
    cc_addresses: str
    subject: str
    body: str
    headers: dict[str, Any]
    message_id: str
    attempts: int


def claim_due(session: Session, *, now: datetime, limit: int = 20) -> list[Claimed]:
    """Take up to `limit` rows due for sending; each is this sender's until its lease ends."""
    query = (
        select(OutboxItem)
        .where(
            or_(
                col(OutboxItem.status) == OutboxStatus.pending,
                col(OutboxItem.status) == OutboxStatus.sending,  # a dead sender's claim
            ),
            col(OutboxItem.next_attempt_at) <= now,
        )
        .order_by(col(OutboxItem.next_attempt_at), col(OutboxItem.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = []
    for item in session.exec(query).all():
        assert item.id is not None
        item.status = OutboxStatus.sending
        item.attempts += 1
        item.next_attempt_at = now + LEASE
        session.add(item)
        claimed.append(
            Claimed(
                id=item.id,
                ticket_id=item.ticket_id,
                kind=item.kind,
                to_addresses=item.to_addresses,
                cc_addresses=item.cc_addresses,
                subject=item.subject,
                body=item.body,
                headers=dict(item.headers),
                message_id=item.message_id,
                attempts=item.attempts,
            )
        )
    session.flush()
    return claimed


def _claimed_row(session: Session, item_id: int) -> OutboxItem | None:
    item = session.exec(
        select(OutboxItem).where(OutboxItem.id == item_id).with_for_update()
    ).one_or_none()
    if item is None:
        raise NotFoundError("outbox item", item_id)
    session.refresh(item)
    return item if item.status == OutboxStatus.sending else None


def mark_sent(
    session: Session,
    *,
    item_id: int,
    now: datetime,
    subject: str | None = None,
    body: str | None = None,
) -> bool:
    """Record delivery (with the text actually sent). False if the row was not claimed."""
    item = _claimed_row(session, item_id)
    if item is None:
        return False
    item.status = OutboxStatus.sent
    item.sent_at = now
    item.last_error = ""
    if subject is not None:
        item.subject = subject[:500]
    if body is not None:
        item.body = body
    session.add(item)
    session.flush()
    return True


def mark_failed(
    session: Session, *, item_id: int, error: str, now: datetime, permanent: bool = False
) -> OutboxStatus | None:
    """Back to pending with backoff, or failed for good (permanent error, or out of tries)."""
    item = _claimed_row(session, item_id)
    if item is None:
        return None
    item.last_error = " ".join(error.split())[:2000]
    if permanent or item.attempts >= MAX_ATTEMPTS:
        item.status = OutboxStatus.failed
    else:
        item.status = OutboxStatus.pending
        item.next_attempt_at = now + backoff(item.attempts)
    session.add(item)
    session.flush()
    return item.status


def items(
    session: Session, *, status: OutboxStatus | None = None, ticket_id: int | None = None
) -> list[OutboxItem]:
    query = select(OutboxItem).order_by(col(OutboxItem.id))
    if status is not None:
        query = query.where(OutboxItem.status == status)
    if ticket_id is not None:
        query = query.where(OutboxItem.ticket_id == ticket_id)
    return list(session.exec(query).all())
