"""Saved views: a user's named queue filters, shown as sections with live counts.

Kept in the `saved_view` table, per user, in the order the user gives them. The console
shows them after two built-in sections: every active ticket, and the pinned "needs first
response" (active tickets nobody has answered yet).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from dispatcher.domain.errors import ConflictError, NotFoundError, ValidationError
from dispatcher.read_models.queue import BUILT_IN, QueueFilter, Section
from dispatcher.store.models import Category, SavedView, UserCompetence
from dispatcher.store.tickets.queue import count_queue

MAX_NAME = 100


@dataclass(frozen=True, slots=True)
class ViewInfo:
    id: int
    name: str
    position: int
    filters: QueueFilter


def _info(row: SavedView) -> ViewInfo:
    assert row.id is not None
    return ViewInfo(row.id, row.name, row.position, QueueFilter.from_json(row.filters))


def _clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise ValidationError("a view needs a name")
    if len(cleaned) > MAX_NAME:
        raise ValidationError(f"a view name holds at most {MAX_NAME} characters")
    return cleaned


def _owned(session: Session, *, user_id: int, view_id: int) -> SavedView:
    row = session.get(SavedView, view_id)
    if row is None or row.user_id != user_id:
        raise NotFoundError("saved view", view_id)
    return row


def _name_free(session: Session, *, user_id: int, name: str, exclude: int | None = None) -> None:
    query = select(SavedView.id).where(
        SavedView.user_id == user_id, func.lower(SavedView.name) == name.lower()
    )
    if exclude is not None:
        query = query.where(SavedView.id != exclude)
    if session.exec(query).first() is not None:
        raise ConflictError(f"you already have a view named {name!r}")


def list_views(session: Session, *, user_id: int) -> list[ViewInfo]:
    rows = session.exec(
        select(SavedView)
        .where(SavedView.user_id == user_id)
        .order_by(col(SavedView.position), col(SavedView.id))
    ).all()
    return [_info(r) for r in rows]


def create_view(session: Session, *, user_id: int, name: str, filters: QueueFilter) -> ViewInfo:
    """A new view at the end of the user's list."""
    cleaned = _clean_name(name)
    _name_free(session, user_id=user_id, name=cleaned)
    last = session.exec(
        select(func.max(SavedView.position)).where(SavedView.user_id == user_id)
    ).one()
    row = SavedView(
        user_id=user_id,
        name=cleaned,
        position=(last or 0) + 1,
        filters=filters.to_json(),
    )
    session.add(row)
    session.flush()
    return _info(row)


def rename_view(session: Session, *, user_id: int, view_id: int, name: str) -> ViewInfo:
    row = _owned(session, user_id=user_id, view_id=view_id)
    cleaned = _clean_name(name)
    _name_free(session, user_id=user_id, name=cleaned, exclude=view_id)
    row.name = cleaned
    session.add(row)
    session.flush()
    return _info(row)


def update_view_filters(
    session: Session, *, user_id: int, view_id: int, filters: QueueFilter
) -> ViewInfo:
    row = _owned(session, user_id=user_id, view_id=view_id)
    row.filters = filters.to_json()
    session.add(row)
    session.flush()
    return _info(row)


def delete_view(session: Session, *, user_id: int, view_id: int) -> None:
    session.delete(_owned(session, user_id=user_id, view_id=view_id))
    session.flush()


def move_view(session: Session, *, user_id: int, view_id: int, offset: int) -> list[ViewInfo]:
    """Move a view `offset` places (negative: to the left); the order is renumbered 1..n."""
    rows = list(
        session.exec(
            select(SavedView)
            .where(SavedView.user_id == user_id)
            .order_by(col(SavedView.position), col(SavedView.id))
        ).all()
    )
    index = next((i for i, r in enumerate(rows) if r.id == view_id), None)
    if index is None:
        raise NotFoundError("saved view", view_id)
    moving = rows.pop(index)
    rows.insert(max(0, min(len(rows), index + offset)), moving)
    for position, row in enumerate(rows, start=1):
        if row.position != position:
            row.position = position
            session.add(row)
    session.flush()
    return [_info(r) for r in rows]


def sections(session: Session, *, user_id: int) -> list[Section]:
    """The queue's tabs for a user: the built-in ones, then the saved views in order."""
    views = [
        Section(f"view-{v.id}", v.name, v.filters, view_id=v.id)
        for v in list_views(session, user_id=user_id)
    ]
    return [*BUILT_IN, *views]


def section_counts(session: Session, *, scope: QueueFilter, of: list[Section]) -> dict[str, int]:
    """Active tickets in each section, within `scope` (an engineer's competences)."""
    return {s.key: count_queue(session, filters=scope.merged(s.filters)) for s in of}


def competence_categories(session: Session, *, user_id: int) -> tuple[int, ...]:
    """The categories whose competence the user has: an engineer's part of the queue."""
    rows = session.exec(
        select(Category.id)
        .join(UserCompetence, col(UserCompetence.competence_id) == col(Category.competence_id))
        .where(UserCompetence.user_id == user_id)
        .order_by(col(Category.id))
    ).all()
    return tuple(int(r) for r in rows if r is not None)
