"""The intake run: each message parsed, then stored in its own short transaction.

One bad message never blocks the rest: a message that cannot be parsed, or that the store
refuses for its content (a value a column cannot take), is quarantined with its bytes and
the reason. A store that cannot take a message now (the database locked past its busy
timeout, or gone: any other database error) is no fault of the message: nothing is
quarantined, `RetryLater` stops the run, and the message stays where it came from (unseen
in IMAP, in its folder) to be read again. Every message read is counted under exactly one
outcome, so the summary's counts add up to `read`. A run killed midway loses nothing (each
stored message is committed) and a rerun duplicates nothing (Message-ID, or a content hash).
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError

from dispatcher.domain.clock import Clock, utcnow
from dispatcher.domain.errors import DatabaseUnavailableError, DispatcherError
from dispatcher.intake.charset import decode_bytes
from dispatcher.intake.parse import DEFAULT_LIMITS, IntakeLimits, Unreadable, parse_message
from dispatcher.intake.sources import RawMail
from dispatcher.store.db.engine import Store
from dispatcher.store.mail import inbound, quarantine
from dispatcher.store.mail.inbound import InboundMail, InboundResult, Outcome

log = logging.getLogger(__name__)
# One line per fetch (`log_fetch`), for `dispatcher watch` to show; nothing is shown
# unless a command configures logging (the console never does).
fetch_log = logging.getLogger("dispatcher.mail.fetch")
logging.getLogger("dispatcher.mail").addHandler(logging.NullHandler())


class RetryLater(DatabaseUnavailableError):
    """The store could not take a message now; nothing of it was stored or quarantined."""

    def __init__(self, source: str, error: DBAPIError) -> None:
        reason = str(error.orig) if error.orig is not None else str(error)
        super().__init__(f"{source}: the database could not take it now ({reason})")
        self.source = source


@dataclass
class Summary:
    read: int = 0
    new_tickets: int = 0
    threaded: int = 0
    auto_replies: int = 0
    bounces: int = 0
    duplicates: int = 0
    quarantined: int = 0
    held: int = 0  # claims a ticket its sender may not write to: held for review
    tickets: list[int] = field(default_factory=list)  # tickets created or touched
    stopped: str = ""  # why the run stopped short (`RetryLater`): the rest is read next time

    def add(self, result: InboundResult) -> None:
        self.read += 1
        setattr(self, result.outcome.value, getattr(self, result.outcome.value) + 1)
        if result.ticket_id is not None and result.ticket_id not in self.tickets:
            self.tickets.append(result.ticket_id)

    def counts(self) -> dict[str, int]:
        data = asdict(self)
        data.pop("tickets")
        data.pop("stopped")
        return data


def log_fetch(source: str, summary: Summary) -> None:
    """The fetch's line: where from, how many messages, what became of them (INFO; a fetch
    that stopped short is a WARNING, one that found nothing only DEBUG)."""
    counts = summary.counts()
    read = counts.pop("read")
    always = ("new_tickets", "threaded", "held", "quarantined")
    outcomes = ", ".join(
        f"{n} {name.replace('_', ' ')}" for name, n in counts.items() if n or name in always
    )
    line = f"fetched {source}: {read} message{'s' if read != 1 else ''} ({outcomes})"
    if summary.stopped:
        fetch_log.warning("%s; stopped: %s", line, summary.stopped)
    elif read:
        fetch_log.info("%s", line)
    else:
        fetch_log.debug("%s", line)


def _quarantine(store: Store, mail: RawMail, reason: str, now: datetime) -> InboundResult:
    try:
        with store.write() as session:
            _, created = quarantine.quarantine(
                session, raw=mail.data, source=mail.source, reason=reason, now=now
            )
    except DBAPIError as exc:
        raise RetryLater(mail.source, exc) from exc
    return InboundResult(Outcome.quarantined if created else Outcome.duplicate)


def ingest(
    store: Store,
    mail: RawMail,
    *,
    now: datetime | None = None,
    queue_id: int | None = None,
    limits: IntakeLimits = DEFAULT_LIMITS,
) -> InboundResult:
    """Parse and store one message in its own transaction; never raises for its content.

    Raises `RetryLater` when the store cannot take it now (see the module's docstring).
    """
    now = now or utcnow()
    try:
        parsed = parse_message(mail.data, limits=limits)
    except Unreadable as exc:
        return _quarantine(store, mail, str(exc), now)
    try:
        with store.write() as session:
            return inbound.receive(
                session, mail=parsed, raw=mail.data, source=mail.source, now=now, queue_id=queue_id
            )
    except IntegrityError as exc:
        # Another intake stored the same message between our check and our insert.
        if _stored_meanwhile(store, mail, parsed.message_id):
            return InboundResult(Outcome.duplicate)
        raise RetryLater(mail.source, exc) from exc
    except DataError as exc:
        # A value the column cannot take (PostgreSQL): the message's doing, and no retry
        # would store it, so it is kept aside rather than holding up the mail behind it.
        log.warning("intake: %s could not be stored: %s", mail.source, exc)
        return _quarantine(store, mail, f"could not be stored: {exc.orig}", now)
    except DBAPIError as exc:
        raise RetryLater(mail.source, exc) from exc
    except (DispatcherError, ValueError) as exc:
        log.warning("intake: %s could not be stored: %s", mail.source, exc)
        return _quarantine(store, mail, f"could not be stored: {exc}", now)


def _stored_meanwhile(store: Store, mail: RawMail, message_id: str) -> bool:
    try:
        with store.read() as session:
            return inbound.is_duplicate(session, message_id=message_id)
    except DBAPIError as exc:
        raise RetryLater(mail.source, exc) from exc


def ingest_all(
    store: Store,
    mails: Iterable[RawMail],
    *,
    clock: Clock = utcnow,
    queue_id: int | None = None,
    on_each: Callable[[RawMail, InboundResult], None] | None = None,
    limits: IntakeLimits = DEFAULT_LIMITS,
) -> Summary:
    """Ingest each message in turn; `RetryLater` stops the run at the first the store cannot
    take (what came before it is stored; run it again for the rest)."""
    summary = Summary()
    for mail in mails:
        result = ingest(store, mail, now=clock(), queue_id=queue_id, limits=limits)
        summary.add(result)
        if on_each is not None:
            on_each(mail, result)
    return summary


def salvage(raw: bytes, *, limits: IntakeLimits = DEFAULT_LIMITS) -> InboundMail:
    """An unreadable message as a ticket can still take it: its bytes as best-effort text."""
    try:
        parsed = parse_message(raw, limits=limits)
        return dataclasses.replace(parsed, auto_reply=False, bounce=False)
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
    """Let a quarantined message in: as a ticket or reply, in one transaction with the release.

    It is parsed again, by the parser as it is now: a message quarantined by a parser bug
    since fixed comes in as it would today, not as the salvaged text.
    """
    now = now or utcnow()
    try:
        with store.write() as session:
            row = quarantine.get_quarantined(session, quarantine_id=quarantine_id)
            if row.released_at is not None:
                raise DispatcherError(f"quarantined message {quarantine_id} was already released")
            mail = salvage(row.raw)
            result = inbound.receive(
                session, mail=mail, raw=row.raw, source=row.source, now=now, queue_id=queue_id
            )
            quarantine.mark_released(session, quarantine_id=quarantine_id, now=now)
    except DBAPIError as exc:
        raise RetryLater(f"quarantined message {quarantine_id}", exc) from exc
    return result
