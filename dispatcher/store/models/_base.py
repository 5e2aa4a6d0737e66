"""Column helpers shared by the tables."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlmodel import Field


def utcnow() -> datetime:
    return datetime.now(UTC)


def enum_field(default: Any = ..., *, length: int = 20, index: bool = False) -> Any:
    """A closed-vocabulary value (a StrEnum member) stored as plain text.

    Plain text rather than a database enum keeps migrations trivial and lets partial
    indexes spell their WHERE clause with literals the planner can match.
    """
    return Field(default=default, sa_type=String(length), index=index)


def json_field(default_factory: Any) -> Any:
    return Field(default_factory=default_factory, sa_type=JSON)
