"""The intake run: each message parsed, then stored in its own short transaction.

One bad message never blocks the rest: a message that cannot be parsed, or whose storing
fails, is quarantined with its bytes and the reason. Every message read is counted under
exactly one outcome, so the summary's counts add up to `read`. A run killed midway loses
nothing (each stored message is committed) and a rerun duplicates nothing (Message-ID, or
a content hash).
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime

from sqlalchemy.exc import DBAPIError, IntegrityError

from dispatcher.domain.clock import Clock, utcnow
from dispatcher.domain.errors import DispatcherError
from dispatcher.intake.charset import decode_bytes
from dispatcher.intake.parse import Unreadable, parse_message
from dispatcher.intake.sources import RawMail
from dispatcher.store.db.engine import Store
from dispatcher.store.mail import inbound, quarantine
from dispatcher.store.mail.inbound import InboundMail, InboundResult, Outcome

log = logging.getLogger(__name__)


@dataclass
class Summary:
    read: int = 0
    new_tickets: int = 0
    threaded: int = 0
    auto_replies: int = 0
    bounces: int = 0
    duplicates: int = 0
    quarantined: int = 0
    tickets: list[int] = field(default_factory=list)  # tickets created or touched

    def add(self, result: InboundResult) -> None:
        self.read += 1
        setattr(self, result.outcome.value, getattr(self, result.outcome.value) + 1)
        if result.ticket_id is not None and result.ticket_id not in self.tickets:
            self.tickets.append(result.ticket_id)

    def counts(self) -> dict[str, int]:
        data = asdict(self)
        data.pop("tickets")
        return data


def _quarantine(store: Store, mail: RawMail, reason: str, now: datetime) -> InboundResult:
    with store.write() as session:
        _, created = quarantine.quarantine(
            session, raw=mail.data, source=mail.source, reason=reason, now=now
        )
    return InboundResult(Outcome.quarantined if created else Outcome.duplicate)


def ingest(
    store: Store,
    mail: RawMail,
    *,
    now: datetime | None = None,
    queue_id: int | None = None,
) -> InboundResult:
    """Parse and store one message in its own transaction; never raises for its content."""
    now = now or utcnow()
    try:
        parsed = parse_message(mail.data)
    except Unreadable as exc:
        return _quarantine(store, mail, str(exc), now)
    try:
        with store.write() as session:
            return inbound.receive(
                session, mail=parsed, raw=mail.data, source=mail.source, now=now, queue_id=queue_id
            )
    except IntegrityError:
        # Another intake stored the same message between our check and our insert.
        with store.read() as session:
            if inbound.is_duplicate(session, message_id=parsed.message_id):
                return InboundResult(Outcome.duplicate)
        raise
    except (DispatcherError, DBAPIError, ValueError) as exc:
        log.warning("intake: %s could not be stored: %s", mail.source, exc)
        return _quarantine(store, mail, f"could not be stored: {exc}", now)


def ingest_all(
    store: Store,
    mails: Iterable[RawMail],
    *,
    clock: Clock = utcnow,
    queue_id: int | None = None,
    on_each: Callable[[RawMail, InboundResult], None] | None = None,
) -> Summary:
    summary = Summary()
    for mail in mails:
        result = ingest(store, mail, now=clock(), queue_id=queue_id)
        summary.add(result)
        if on_each is not None:
            on_each(mail, result)
    return summary


def salvage(raw: bytes) -> InboundMail:
    """An unreadable message as a ticket can still take it: its bytes as best-effort text."""
    try:
        return dataclasses.replace(parse_message(raw), auto_reply=False, bounce=False)
    except Unreadable:
        pass
    digest = hashlib.sha256(raw).hexdigest()
    return InboundMail(
        message_id=f"<{digest}@quarantine.invalid>",
        has_message_id=False,
        from_address="",
        subject="(unreadable message released from the quarantine)",
        body=decode_bytes(raw[:200_000], None),
    )


def release(
    store: Store, *, quarantine_id: int, now: datetime | None = None, queue_id: int | None = None
) -> InboundResult:
    """Let a quarantined message in: as a ticket or reply, in one transaction with the release."""
    now = now or utcnow()
    with store.write() as session:
        row = quarantine.get_quarantined(session, quarantine_id=quarantine_id)
        if row.released_at is not None:
            raise DispatcherError(f"quarantined message {quarantine_id} was already released")
        mail = salvage(row.raw)
        result = inbound.receive(
            session, mail=mail, raw=row.raw, source=row.source, now=now, queue_id=queue_id
        )
        quarantine.mark_released(session, quarantine_id=quarantine_id, now=now)
    return result
