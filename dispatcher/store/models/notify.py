"""What the system raises and sends: SLA alerts, the mail outbox, quarantined and held mail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, LargeBinary, Text
from sqlmodel import Field, SQLModel

from dispatcher.domain.clock import utcnow
from dispatcher.domain.enums import AlertKind, OutboxStatus, ReviewDecision, Role, SlaTarget
from dispatcher.store.models._base import enum_field, json_field


class Alert(SQLModel, table=True):
    """A warning before an SLA breach, or the breach itself.

    `key` is the idempotency key (ticket, target, due time, threshold): however many
    consoles and watchers sweep one database, the unique constraint lets exactly one insert.
    """

    __table_args__ = (Index("ix_alert_open", "acknowledged_at", "fired_at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    kind: AlertKind = enum_field(AlertKind, length=10)
    target: SlaTarget = enum_field(SlaTarget, length=20)
    threshold_minutes: int = 0  # minutes before the due time; 0 for a breach
    due_at: datetime
    fired_at: datetime = Field(default_factory=utcnow)
    recipient_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    recipient_role: Role | None = enum_field(Role, None)
    message: str = ""
    acknowledged_at: datetime | None = None
    acknowledged_by_id: int | None = Field(default=None, foreign_key="user.id")
    snoozed_until: datetime | None = None
    # Closed by the store when the ticket no longer needs it (resolved, target met, clock
    # paused, deadline moved): gone from the panel, unlike an acknowledgement by a person.
    closed_at: datetime | None = None
    closed_reason: str = Field(default="", max_length=40)


class OutboxItem(SQLModel, table=True):
    """Mail waiting to be delivered, written in the transaction of the change that caused it."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id", index=True)
    message_row_id: int | None = Field(default=None, foreign_key="message.id")
    kind: str = Field(max_length=32)  # reply, acknowledgement, assignment, resolution, ...
    to_addresses: str
    cc_addresses: str = ""
    subject: str = Field(max_length=500)
    body: str = Field(sa_type=Text)
    headers: dict[str, Any] = json_field(dict)
    message_id: str = Field(max_length=998, unique=True)  # RFC Message-ID we send it with
    status: OutboxStatus = enum_field(OutboxStatus, OutboxStatus.pending, length=10)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    last_error: str = ""
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None


class QuarantinedMail(SQLModel, table=True):
    """Inbound mail that could not be read: kept with its raw bytes and the reason."""

    __tablename__ = "quarantined_mail"

    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(max_length=64, unique=True)
    source: str = Field(default="", max_length=500)
    reason: str = Field(sa_type=Text)
    raw: bytes = Field(sa_type=LargeBinary)
    received_at: datetime = Field(default_factory=utcnow)
    released_at: datetime | None = None


class HeldMail(SQLModel, table=True):
    """Mail that refers to a ticket its sender may not write to, held for a dispatcher.

    It never touches the ticket it claims. `mail` is the parsed message (the intake's
    `InboundMail` as JSON, attachments by the SHA-256 of their `Blob`), so accepting it
    needs no parser; `raw` is the message as it came, for a close look.
    """

    __tablename__ = "held_mail"
    __table_args__ = (Index("ix_held_mail_open", "decided_at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(max_length=998, unique=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)  # the ticket it claims
    from_address: str = Field(max_length=320)
    subject: str = Field(default="", max_length=500)
    reason: str = Field(sa_type=Text)  # why it was held, in a dispatcher's words
    mail: dict[str, Any] = json_field(dict)
    raw: bytes = Field(sa_type=LargeBinary)
    source: str = Field(default="", max_length=500)
    received_at: datetime = Field(default_factory=utcnow)
    decision: ReviewDecision | None = enum_field(ReviewDecision, None, length=10)
    decided_at: datetime | None = None
    decided_by_id: int | None = Field(default=None, foreign_key="user.id")
    # Where it went when accepted (the ticket it claimed, or a follow-up of a closed one).
    accepted_ticket_id: int | None = Field(default=None, foreign_key="ticket.id")
