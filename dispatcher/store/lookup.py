"""Shared look-up helpers of the repository modules: ids typed by people, names unique
ignoring case, a reference that is an id or a name, a flush that turns a unique violation
into a conflict."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, select

from dispatcher.domain.errors import ConflictError, NotFoundError, ValidationError

M = TypeVar("M", bound=SQLModel)

# The largest id a row can have: SQLite's INTEGER and PostgreSQL's BIGINT are 64-bit signed.
# A larger number bound to a query is an OverflowError in the SQLite driver, not "not found".
MAX_ID = 2**63 - 1


def id_or_none(text: str) -> int | None:
    """The id `text` spells (ASCII digits, 1 to MAX_ID), or None when it spells none.

    For look-ups that take a name or an id: a number no row can have is simply not an id.
    (`str.isdigit` alone also accepts digits like `²`, which `int()` refuses.)
    """
    cleaned = text.strip()
    if not (cleaned.isascii() and cleaned.isdigit()):
        return None
    number = int(cleaned)
    return number if 1 <= number <= MAX_ID else None


def parse_id(value: str | int, *, what: str) -> int:
    """An id a person gave (typed, or an integer argument): 1 to MAX_ID, else ValidationError."""
    number = value if isinstance(value, int) else id_or_none(value)
    if number is None or not 1 <= number <= MAX_ID:
        raise ValidationError(f"not a {what} id: {value!r} (ids are whole numbers from 1)")
    return number


def one_line(
    value: str, *, what: str, max_length: int, required: bool = True, digits_ok: bool = True
) -> str:
    """One line of text, outer spaces trimmed. Stored as given otherwise (markup included).

    `digits_ok=False` is for names that look-ups accept in place of an id: a name of only
    digits would read as one.
    """
    cleaned = value.strip()
    if required and not cleaned:
        raise ValidationError(f"{what} cannot be empty")
    if "\n" in cleaned or "\r" in cleaned:
        raise ValidationError(f"{what} must be one line")
    if len(cleaned) > max_length:
        raise ValidationError(f"{what} is longer than {max_length} characters")
    if not digits_ok and cleaned.isdigit():
        raise ValidationError(f"{what} cannot be only digits: {cleaned!r} would read as an id")
    return cleaned


def flush_or_conflict(session: Session, what: str) -> None:
    """Flush, turning a unique-constraint race into a ConflictError."""
    try:
        session.flush()
    except IntegrityError:
        raise ConflictError(f"{what} already exists or is still in use") from None


def fold(text: str) -> str:
    """Text for case-insensitive comparison in any script (`Ёлка` and `елка` are equal)."""
    return text.casefold().replace("ё", "е")


def name_taken(
    session: Session, *, model: type[M], column: Any, name: str, exclude_id: int | None = None
) -> M | None:
    """The row whose name equals `name` ignoring case (in any script), if any.

    Compared in Python: SQLite's lower() and LIKE only fold ASCII. The tables this guards
    (queues, categories, clients) hold hundreds to thousands of names, read as one column.
    """
    wanted = fold(name)
    for row_id, existing in session.exec(select(model.id, column)).all():  # type: ignore[attr-defined]
        if fold(existing) == wanted and row_id != exclude_id:
            return session.get(model, row_id)
    return None


def resolve_named(session: Session, *, model: type[M], column: Any, ref: str | int, what: str) -> M:
    """A row by its name (exactly, else ignoring case when that is unambiguous), or by id."""
    if isinstance(ref, int):
        found = session.get(model, parse_id(ref, what=what))
        if found is None:
            raise NotFoundError(f"{what} with id", ref)
        return found
    key = ref.strip()
    exact = session.exec(select(model).where(column == key)).first()
    if exact is not None:
        return exact
    wanted = fold(key)
    ids = [i for i, n in session.exec(select(model.id, column)).all() if fold(n) == wanted]  # type: ignore[attr-defined]
    if len(ids) == 1:
        found = session.get(model, ids[0])
        if found is not None:
            return found
    number = id_or_none(key)
    if number is not None:
        by_id = session.get(model, number)
        if by_id is not None:
            return by_id
    raise NotFoundError(what, repr(ref))
