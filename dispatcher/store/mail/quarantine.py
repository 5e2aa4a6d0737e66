"""Mail that could not be read: kept with its bytes, listed, and released to be read again."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlmodel import Session, col, select

from dispatcher.domain.errors import NotFoundError
from dispatcher.store.models import (
    QuarantinedMail,
)


def quarantine(
    session: Session, *, raw: bytes, source: str, reason: str, now: datetime
) -> tuple[QuarantinedMail, bool]:
    """Keep an unreadable message with its bytes; the same bytes twice are kept once."""
    digest = hashlib.sha256(raw).hexdigest()
    existing = session.exec(select(QuarantinedMail).where(QuarantinedMail.sha256 == digest)).first()
    if existing is not None:
        return existing, False
    row = QuarantinedMail(
        sha256=digest, source=source[:500], reason=reason[:4000], raw=raw, received_at=now
    )
    session.add(row)
    session.flush()
    return row, True


def quarantined(session: Session, *, include_released: bool = False) -> list[QuarantinedMail]:
    query = select(QuarantinedMail).order_by(col(QuarantinedMail.id))
    if not include_released:
        query = query.where(col(QuarantinedMail.released_at).is_(None))
    return list(session.exec(query).all())


def get_quarantined(session: Session, *, quarantine_id: int) -> QuarantinedMail:
    row = session.get(QuarantinedMail, quarantine_id)
    if row is None:
        raise NotFoundError("quarantined message", quarantine_id)
    return row


def mark_released(session: Session, *, quarantine_id: int, now: datetime) -> QuarantinedMail:
    row = get_quarantined(session, quarantine_id=quarantine_id)
    row.released_at = now
    session.add(row)
    session.flush()
    return row
