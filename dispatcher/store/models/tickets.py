"""Queues, categories, tickets and everything that hangs off a ticket."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, LargeBinary, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from dispatcher.domain.clock import utcnow
from dispatcher.domain.enums import (
    ACTIVE_STATUSES,
    Channel,
    EscalationTarget,
    EventKind,
    LinkKind,
    MessageKind,
    Priority,
    RatingKind,
    TicketStatus,
)
from dispatcher.domain.sla import NO_DEADLINE
from dispatcher.store.models._base import enum_field, json_field

# Literal SQL for the partial indexes: the planner only matches a partial index when the
# query spells the same literal list (a bound IN list falls back to a worse plan;
# tests/store/test_queue_window.py checks the plan).
ACTIVE_STATUS_SQL = "status IN (" + ", ".join(f"'{s.value}'" for s in ACTIVE_STATUSES) + ")"


class Queue(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    description: str = ""


class Category(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    queue_id: int | None = Field(default=None, foreign_key="queue.id", index=True)
    competence_id: int | None = Field(default=None, foreign_key="competence.id", index=True)
    default_priority: Priority | None = enum_field(Priority, None, length=10)


class Ticket(SQLModel, table=True):
    __table_args__ = (
        # The live queue: active tickets of one queue by due time, keyset-paged.
        Index(
            "ix_ticket_queue_due",
            "queue_id",
            "next_due_at",
            "id",
            sqlite_where=text(ACTIVE_STATUS_SQL),
            postgresql_where=text(ACTIVE_STATUS_SQL),
        ),
        # The SLA sweep and the all-queues view: active tickets by due time.
        Index(
            "ix_ticket_active_due",
            "next_due_at",
            "id",
            sqlite_where=text(ACTIVE_STATUS_SQL),
            postgresql_where=text(ACTIVE_STATUS_SQL),
        ),
        # The SLA sweep: tickets with an alert (warning or breach) due to fire.
        Index(
            "ix_ticket_active_alert",
            "next_alert_at",
            sqlite_where=text(ACTIVE_STATUS_SQL),
            postgresql_where=text(ACTIVE_STATUS_SQL),
        ),
        # Auto-close: resolved tickets by the instant their confirmation window ends.
        Index(
            "ix_ticket_resolved",
            "next_alert_at",
            sqlite_where=text("status = 'resolved'"),
            postgresql_where=text("status = 'resolved'"),
        ),
        # "My work" and per-engineer load.
        Index("ix_ticket_assignee_status", "assignee_id", "status"),
        # Dashboard counts by queue and status (covering).
        Index("ix_ticket_queue_status", "queue_id", "status"),
        # History pages, newest first, keyset-paged.
        Index("ix_ticket_created", "created_at", "id"),
        {"sqlite_autoincrement": True},  # a ticket number is never reused
    )

    id: int | None = Field(default=None, primary_key=True)
    subject: str = Field(max_length=500)
    status: TicketStatus = enum_field(TicketStatus, TicketStatus.new)
    priority: Priority = enum_field(Priority, Priority.normal, length=10)
    channel: Channel = enum_field(Channel, Channel.email, length=10)

    queue_id: int | None = Field(default=None, foreign_key="queue.id")
    category_id: int | None = Field(default=None, foreign_key="category.id")
    client_id: int | None = Field(default=None, foreign_key="client.id", index=True)
    contact_id: int | None = Field(default=None, foreign_key="contact.id", index=True)
    contract_id: int | None = Field(default=None, foreign_key="contract.id")
    equipment_id: int | None = Field(default=None, foreign_key="equipment.id")
    sla_plan_id: int | None = Field(default=None, foreign_key="sla_plan.id")
    assignee_id: int | None = Field(default=None, foreign_key="user.id")
    created_by_id: int | None = Field(default=None, foreign_key="user.id")

    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    # SLA state, derived from the clock's events and kept here for the queue and the sweep.
    first_response_due: datetime | None = None
    first_responded_at: datetime | None = None
    resolution_due: datetime | None = None
    next_update_due: datetime | None = None
    sla_paused_since: datetime | None = None
    next_due_at: datetime = Field(default=NO_DEADLINE)
    # When the scheduler must next act on this ticket: for an active one its next warning
    # threshold or deadline, for a resolved one the end of its confirmation window.
    next_alert_at: datetime = Field(default=NO_DEADLINE)

    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    reopen_count: int = 0
    merged_into_id: int | None = Field(default=None, foreign_key="ticket.id")

    # Optimistic concurrency: every write checks and bumps it.
    version: int = 1

    @property
    def ref(self) -> str:
        return f"#{self.id}"


class TicketEvent(SQLModel, table=True):
    """One entry of a ticket's append-only history. Database triggers refuse UPDATE/DELETE."""

    __tablename__ = "ticket_event"
    __table_args__ = (Index("ix_ticket_event_ticket", "ticket_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id")
    at: datetime = Field(default_factory=utcnow)
    actor_id: int | None = Field(default=None, foreign_key="user.id")  # None: the system
    kind: EventKind = enum_field(EventKind, length=32)
    version: int  # the ticket's version this change produced
    data: dict[str, Any] = json_field(dict)
    reason: str = ""


class Message(SQLModel, table=True):
    """An inbound message, a public reply or an internal note on a ticket."""

    __table_args__ = (Index("ix_message_ticket", "ticket_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id")
    kind: MessageKind = enum_field(MessageKind, length=10)
    channel: Channel = enum_field(Channel, Channel.email, length=10)
    author_id: int | None = Field(default=None, foreign_key="user.id")
    contact_id: int | None = Field(default=None, foreign_key="contact.id")
    from_address: str = Field(default="", max_length=320)
    to_addresses: str = ""
    cc_addresses: str = ""
    subject: str = Field(default="", max_length=500)
    body: str = Field(default="", sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow)
    # RFC 5322 Message-ID, unique: the same message ingested twice is one message.
    message_id: str = Field(max_length=998, unique=True)
    in_reply_to: str | None = Field(default=None, max_length=998)
    references: str = Field(default="", sa_type=Text)
    is_auto_reply: bool = False
    is_bounce: bool = False
    # What the intake made of it, for the thread to show: "auto-reply",
    # "bounce: address rejected", ...; empty for ordinary mail.
    label: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})


class Blob(SQLModel, table=True):
    """Attachment content, addressed by its SHA-256: stored once however often it is sent."""

    sha256: str = Field(primary_key=True, max_length=64)
    size: int
    data: bytes = Field(sa_type=LargeBinary)


class Attachment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="message.id", index=True, ondelete="CASCADE")
    filename: str = Field(max_length=255)
    content_type: str = Field(default="application/octet-stream", max_length=255)
    size: int
    sha256: str = Field(foreign_key="blob.sha256", max_length=64, index=True)


class TicketLink(SQLModel, table=True):
    __tablename__ = "ticket_link"
    __table_args__ = (UniqueConstraint("ticket_id", "other_ticket_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    other_ticket_id: int = Field(foreign_key="ticket.id", index=True)
    kind: LinkKind = enum_field(LinkKind, LinkKind.related, length=10)
    created_at: datetime = Field(default_factory=utcnow)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")


class Escalation(SQLModel, table=True):
    """A hand-over to a colleague or an external vendor, with their promise and our check-in."""

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    target: EscalationTarget = enum_field(EscalationTarget, length=10)
    to_user_id: int | None = Field(default=None, foreign_key="user.id")
    vendor: str = Field(default="", max_length=200)
    vendor_ref: str = Field(default="", max_length=200)
    promised_at: datetime | None = None
    next_checkin_at: datetime | None = None
    note: str = ""
    created_at: datetime = Field(default_factory=utcnow)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    closed_at: datetime | None = None


class Rating(SQLModel, table=True):
    __table_args__ = (Index("ix_rating_kind_at", "kind", "at"),)  # CSAT and NPS by period

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id", index=True)
    client_id: int | None = Field(default=None, foreign_key="client.id", index=True)
    contact_id: int | None = Field(default=None, foreign_key="contact.id")
    kind: RatingKind = enum_field(RatingKind, length=10)
    score: int
    comment: str = ""
    at: datetime = Field(default_factory=utcnow)


class Presence(SQLModel, table=True):
    """Who has a ticket open right now: a heartbeat row per viewer."""

    user_id: int = Field(foreign_key="user.id", primary_key=True, ondelete="CASCADE")
    ticket_id: int = Field(foreign_key="ticket.id", primary_key=True, ondelete="CASCADE")
    seen_at: datetime = Field(default_factory=utcnow)


class SavedView(SQLModel, table=True):
    """A user's named queue filter, shown as a section with a live count."""

    __tablename__ = "saved_view"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=100)
    position: int = 0
    filters: dict[str, Any] = json_field(dict)
