"""Reports by mail: the schedules (what, to whom, when), the periods already sent, and
the NPS pulse (who was asked when, and what they answered)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from dispatcher.domain.clock import utcnow
from dispatcher.store.models._base import json_field


class ReportSchedule(SQLModel, table=True):
    """A report mailed every week or month: the lead's KPI digest or a client's report.

    `at` is the normalised spec (`mon 08:00`, `1st 09:00`) in the local time of `timezone`;
    `recipients` holds `leads` or email addresses (a client report: empty means the
    client's contacts with a working address); `language` is `auto`, `ru` or `en`.
    """

    __tablename__ = "report_schedule"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)  # weekly-digest, client-report
    client_id: int | None = Field(
        default=None, foreign_key="client.id", index=True, ondelete="CASCADE"
    )
    recipients: list[str] = json_field(list)
    at: str = Field(max_length=32)
    timezone: str = Field(default="UTC", max_length=64)
    language: str = Field(default="auto", max_length=8)
    created_at: datetime = Field(default_factory=utcnow)


class ReportRun(SQLModel, table=True):
    """One period of a schedule that was mailed: the key that makes it go exactly once."""

    __tablename__ = "report_run"
    __table_args__ = (UniqueConstraint("schedule_id", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    schedule_id: int = Field(foreign_key="report_schedule.id", ondelete="CASCADE")
    period: str = Field(max_length=32)  # 2026-W47, 2026-11
    mails: int = 0
    queued_at: datetime = Field(default_factory=utcnow)


class NpsPulse(SQLModel, table=True):
    """A 0-10 question mailed to a client contact after a resolved ticket; its answer."""

    __tablename__ = "nps_pulse"
    __table_args__ = (Index("ix_nps_pulse_contact_asked", "contact_id", "asked_at"),)

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", ondelete="CASCADE")
    ticket_id: int | None = Field(
        default=None, foreign_key="ticket.id", index=True, ondelete="SET NULL"
    )
    message_id: str = Field(max_length=998, unique=True)  # of the mail that asks
    asked_at: datetime = Field(default_factory=utcnow)
    rating_id: int | None = Field(default=None, foreign_key="rating.id", ondelete="SET NULL")
