"""Column helpers shared by the tables."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Dialect, String, Table, TypeDecorator
from sqlmodel import Field, SQLModel


class EnumText(TypeDecorator[StrEnum]):
    """A StrEnum member stored as its plain text value, and read back as the member.

    Plain text rather than a database enum keeps migrations trivial and lets partial
    indexes spell their WHERE clause with literals the planner can match.
    """

    impl = String
    cache_ok = True

    def __init__(self, enum_class: type[StrEnum], length: int = 20) -> None:
        super().__init__(length)
        self.enum_class = enum_class
        self.length = length

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else self.enum_class(value).value

    def process_result_value(self, value: Any, dialect: Dialect) -> StrEnum | None:
        return None if value is None else self.enum_class(value)


def enum_field(
    enum_class: type[StrEnum], default: Any = ..., *, length: int = 20, index: bool = False
) -> Any:
    return Field(default=default, sa_type=EnumText(enum_class, length), index=index)


def json_field(default_factory: Any) -> Any:
    return Field(default_factory=default_factory, sa_type=JSON)


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a table model, for statements that skip the ORM on hot paths."""
    return model.__table__  # type: ignore[attr-defined,no-any-return]
