"""Unsent work kept per operator: a reply or note being written on a ticket, and the
new-ticket form. One row per operator and place (`scope`); the text is saved as it is
typed, so a crash or a closed terminal keeps it, and the row goes when the work is sent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from dispatcher.domain.clock import utcnow
from dispatcher.store.models._base import json_field


class Draft(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("user_id", "scope"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    scope: str = Field(max_length=40)  # "reply:12", "note:12" or "new_ticket"
    ticket_id: int | None = Field(
        default=None, foreign_key="ticket.id", index=True, ondelete="CASCADE"
    )
    subject: str = Field(default="", max_length=500)
    body: str = ""
    fields: dict[str, Any] = json_field(dict)
    updated_at: datetime = Field(default_factory=utcnow)
