"""Shared look-up helpers of the repository modules: names unique ignoring case, a
reference that is an id or a name, a flush that turns a unique violation into a conflict."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, select

from dispatcher.domain.errors import ConflictError, NotFoundError, ValidationError

M = TypeVar("M", bound=SQLModel)


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
        found = session.get(model, ref)
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
    if key.isdigit():
        by_id = session.get(model, int(key))
        if by_id is not None:
            return by_id
    raise NotFoundError(what, repr(ref))
