"""The outbox: mail written in the same transaction as the change that caused it.

A sender claims due rows (`claim_due`, one short transaction: pending → sending, each row
with its own lease and the sender's owner token), delivers them outside any transaction,
and marks each sent or failed (`mark_sent` / `mark_failed`, another short transaction).
Just before each send it renews that row's lease (`renew`), which is also the check that
the row is still its own: exactly one sender owns a row at a time, and only the owner may
renew, mark or defer it. A lease that runs out lets another sender take the row over (a
sender that died mid-send, or one that got stuck); the old owner's renew and marks then
fail, so it neither sends the row nor records it.

A message the server refuses goes back to pending with exponential backoff (a 4xx), or
fails for good (a 5xx, or out of tries). A server that cannot be reached defers the whole
claim (`defer`) without using an attempt, so a mail server that is down delays mail and
loses none. (Should a sender die after the server accepted a message but before marking
it, the message goes again with the same Message-ID, which mail clients show once.)
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
DEFER = timedelta(minutes=1)  # the wait after the server could not be reached
FIRST_RETRY = timedelta(minutes=1)
MAX_RETRY = timedelta(hours=1)
MAX_ATTEMPTS = 30  # about a day of retries before a row is given up as failed
# Where a claimed row keeps its owner's token: in its headers, which the sender passes on
# only by name (as it does with notifications.TEMPLATE_KEY), so it is never sent.
CLAIM_KEY = "_claim"


def new_message_id(domain: str = "dispatcher.local") -> str:
    return f"<{uuid.uuid4().hex}@{domain}>"


def new_owner() -> str:
    """A token naming one sender run; its claims, renewals and marks carry it."""
    return uuid.uuid4().hex


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


def claim_due(
    session: Session, *, now: datetime, owner: str, limit: int = 20, lease: timedelta = LEASE
) -> list[Claimed]:
    """Take up to `limit` due rows for `owner`: each is its own until its lease ends."""
    query = (
        select(OutboxItem)
        .where(
            or_(
                col(OutboxItem.status) == OutboxStatus.pending,
                col(OutboxItem.status) == OutboxStatus.sending,  # a lease that ran out
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
        headers = {k: v for k, v in item.headers.items() if k != CLAIM_KEY}
        item.status = OutboxStatus.sending
        item.attempts += 1
        item.next_attempt_at = now + lease
        item.headers = {**headers, CLAIM_KEY: owner}
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
                headers=headers,
                message_id=item.message_id,
                attempts=item.attempts,
            )
        )
    session.flush()
    return claimed


def _owned_row(session: Session, item_id: int, owner: str) -> OutboxItem | None:
    """The row, locked, if `owner` holds its claim; None if it is no longer theirs."""
    item = session.exec(
        select(OutboxItem).where(OutboxItem.id == item_id).with_for_update()
    ).one_or_none()
    if item is None:
        raise NotFoundError("outbox item", item_id)
    session.refresh(item)
    if item.status != OutboxStatus.sending or item.headers.get(CLAIM_KEY) != owner:
        return None
    return item


def _release(item: OutboxItem) -> None:
    item.headers = {k: v for k, v in item.headers.items() if k != CLAIM_KEY}


def renew(
    session: Session, *, item_id: int, owner: str, now: datetime, lease: timedelta = LEASE
) -> bool:
    """Before sending: extend the row's lease from now. False if it is no longer `owner`'s."""
    item = _owned_row(session, item_id, owner)
    if item is None:
        return False
    item.next_attempt_at = now + lease
    session.add(item)
    session.flush()
    return True


def mark_sent(
    session: Session,
    *,
    item_id: int,
    owner: str,
    now: datetime,
    subject: str | None = None,
    body: str | None = None,
) -> bool:
    """Record delivery (with the text actually sent). False if the row is not `owner`'s."""
    item = _owned_row(session, item_id, owner)
    if item is None:
        return False
    _release(item)
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
    session: Session,
    *,
    item_id: int,
    owner: str,
    error: str,
    now: datetime,
    permanent: bool = False,
) -> OutboxStatus | None:
    """The server refused the message: back to pending with backoff, or failed for good
    (permanent error, or out of tries). None if the row is not `owner`'s."""
    item = _owned_row(session, item_id, owner)
    if item is None:
        return None
    _release(item)
    item.last_error = " ".join(error.split())[:2000]
    if permanent or item.attempts >= MAX_ATTEMPTS:
        item.status = OutboxStatus.failed
    else:
        item.status = OutboxStatus.pending
        item.next_attempt_at = now + backoff(item.attempts)
    session.add(item)
    session.flush()
    return item.status


def defer(
    session: Session,
    *,
    item_id: int,
    owner: str,
    error: str,
    now: datetime,
    wait: timedelta = DEFER,
) -> bool:
    """The server could not be reached: back to pending, without using an attempt."""
    item = _owned_row(session, item_id, owner)
    if item is None:
        return False
    _release(item)
    item.status = OutboxStatus.pending
    item.attempts = max(item.attempts - 1, 0)  # the claim took one; no message was tried
    item.next_attempt_at = now + wait
    item.last_error = " ".join(error.split())[:2000]
    session.add(item)
    session.flush()
    return True


def items(
    session: Session, *, status: OutboxStatus | None = None, ticket_id: int | None = None
) -> list[OutboxItem]:
    query = select(OutboxItem).order_by(col(OutboxItem.id))
    if status is not None:
        query = query.where(OutboxItem.status == status)
    if ticket_id is not None:
        query = query.where(OutboxItem.ticket_id == ticket_id)
    return list(session.exec(query).all())
