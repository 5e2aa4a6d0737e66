"""Holding a message whose sender may not write to the ticket it claims.

The ticket is left exactly as it was (no message, no history, no version): the message is
kept with its bytes and the reason, and the dispatchers get one `attention` alert per
sender and ticket. `dispatcher.store.mail.review` lists, accepts and rejects them.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel import Session

from dispatcher.store.mail import attention, blobs
from dispatcher.store.models import HeldMail, Ticket

if TYPE_CHECKING:
    from dispatcher.store.mail.inbound import InboundMail


def alert_key(ticket_id: int, address: str) -> str:
    return f"held:{ticket_id}:{address.strip().lower()}"


def hold(
    session: Session,
    *,
    mail: InboundMail,
    raw: bytes,
    source: str,
    ticket: Ticket,
    why: str,
    now: datetime,
) -> HeldMail:
    assert ticket.id is not None
    blobs.store_blobs(session, attachments=mail.attachments)
    row = HeldMail(
        message_id=mail.message_id,
        ticket_id=ticket.id,
        from_address=mail.from_address[:320],
        subject=mail.subject[:500],
        reason=why,
        mail=mail.to_json(),
        raw=raw,
        source=source[:500],
        received_at=now,
    )
    session.add(row)
    session.flush()
    attention.ask_dispatcher(
        session,
        ticket_id=ticket.id,
        key=alert_key(ticket.id, mail.from_address),
        message=f"{ticket.ref}: mail from {mail.from_address} held for review: {why}",
        now=now,
    )
    return row
