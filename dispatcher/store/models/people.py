"""The team: users with their role, competences, weekly shifts and leave."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from dispatcher.domain.clock import utcnow
from dispatcher.domain.enums import Role
from dispatcher.store.models._base import enum_field


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=320)
    role: Role = enum_field(Role, Role.dispatcher)
    timezone: str = Field(default="UTC", max_length=64)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)


class Competence(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)


class UserCompetence(SQLModel, table=True):
    __tablename__ = "user_competence"

    user_id: int = Field(foreign_key="user.id", primary_key=True, ondelete="CASCADE")
    competence_id: int = Field(foreign_key="competence.id", primary_key=True, ondelete="CASCADE")


class WorkShift(SQLModel, table=True):
    """One interval of a user's weekly schedule, in the user's time zone.

    A shift whose end is not after its start runs past midnight.
    """

    __tablename__ = "work_shift"
    __table_args__ = (UniqueConstraint("user_id", "weekday", "starts"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    weekday: int = Field(ge=0, le=6)  # 0 = Monday
    starts: time
    ends: time


class Leave(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    starts_on: date
    ends_on: date  # inclusive
    reason: str = Field(default="", max_length=200)
