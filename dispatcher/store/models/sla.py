"""Business calendars and SLA plans with their per-priority targets."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from dispatcher.domain.clock import utcnow
from dispatcher.domain.enums import Priority
from dispatcher.store.models._base import enum_field, json_field


class Calendar(SQLModel, table=True):
    """Working hours of a plan. The JSON columns mirror `domain.calendar.CalendarSpec`."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)
    timezone: str = Field(default="UTC", max_length=64)
    always_open: bool = False
    hours: dict[str, list[str]] = json_field(dict)  # {"mon": ["09:00-13:00", ...]}
    country: str | None = Field(default=None, max_length=8)
    subdivision: str | None = Field(default=None, max_length=16)
    closed: list[str] = json_field(list)  # ISO dates
    extra_open: dict[str, list[str]] = json_field(dict)  # {"2026-12-26": ["10:00-15:00"]}
    updated_at: datetime = Field(default_factory=utcnow)


class SlaPlan(SQLModel, table=True):
    __tablename__ = "sla_plan"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)
    description: str = ""
    calendar_id: int = Field(foreign_key="calendar.id", index=True)
    is_default: bool = False
    confirm_window_minutes: int = 72 * 60  # resolved tickets close after this business time
    breach_raises_priority: bool = False
    updated_at: datetime = Field(default_factory=utcnow)


class SlaPlanTarget(SQLModel, table=True):
    __tablename__ = "sla_plan_target"
    __table_args__ = (UniqueConstraint("plan_id", "priority"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="sla_plan.id", index=True, ondelete="CASCADE")
    priority: Priority = enum_field(Priority, length=10)
    first_response_minutes: int
    resolution_minutes: int
    update_minutes: int | None = None
    warn_before_minutes: list[Any] = json_field(lambda: [60, 15])
