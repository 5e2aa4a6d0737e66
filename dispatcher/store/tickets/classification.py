"""Queues and categories: where tickets are worked, and what competence each kind needs.

Repository functions, keyword-only, taking the session. Names are unique ignoring case; a
queue or category that tickets (or categories, or templates) still use cannot be removed.
"""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from dispatcher.domain.enums import Priority
from dispatcher.domain.errors import ConflictError, NotFoundError, ValidationError
from dispatcher.store.lookup import flush_or_conflict, name_taken, one_line, resolve_named
from dispatcher.store.models import Category, Competence, Queue, ReplyTemplate, Ticket
from dispatcher.store.tickets.writes import UNSET


def parse_priority(value: Priority | str) -> Priority:
    try:
        return Priority(str(value).strip().lower())
    except ValueError:
        raise ValidationError(
            f"unknown priority {value!r} (expected one of {', '.join(p.value for p in Priority)})"
        ) from None


# --- queues ---------------------------------------------------------------------------


def _queue_name(session: Session, name: str, *, exclude_id: int | None = None) -> str:
    name = one_line(name, what="a queue's name", max_length=100, digits_ok=False)
    taken = name_taken(session, model=Queue, column=Queue.name, name=name, exclude_id=exclude_id)
    if taken is not None:
        raise ConflictError(f"a queue named {taken.name!r} already exists")
    return name


def add_queue(session: Session, *, name: str, description: str = "") -> Queue:
    queue = Queue(
        name=_queue_name(session, name),
        description=one_line(description, what="the description", max_length=2000, required=False),
    )
    session.add(queue)
    flush_or_conflict(session, f"queue {queue.name!r}")
    return queue


def list_queues(session: Session) -> list[Queue]:
    return list(session.exec(select(Queue).order_by(col(Queue.name))).all())


def get_queue(session: Session, *, queue_id: int) -> Queue:
    queue = session.get(Queue, queue_id)
    if queue is None:
        raise NotFoundError("queue with id", queue_id)
    return queue


def resolve_queue(session: Session, *, ref: str | int) -> Queue:
    """A queue by name (any case) or id."""
    return resolve_named(session, model=Queue, column=Queue.name, ref=ref, what="queue")


def edit_queue(
    session: Session, *, queue_id: int, name: str = UNSET, description: str = UNSET
) -> Queue:
    queue = get_queue(session, queue_id=queue_id)
    if name is not UNSET:
        queue.name = _queue_name(session, name, exclude_id=queue_id)
    if description is not UNSET:
        queue.description = one_line(
            description, what="the description", max_length=2000, required=False
        )
    session.add(queue)
    flush_or_conflict(session, f"queue {queue.name!r}")
    return queue


def _count(session: Session, column: object, value: int) -> int:
    return int(session.exec(select(func.count()).where(column == value)).one())


def remove_queue(session: Session, *, queue_id: int) -> Queue:
    queue = get_queue(session, queue_id=queue_id)
    tickets = _count(session, Ticket.queue_id, queue_id)
    if tickets:
        raise ConflictError(f"queue {queue.name!r} has {tickets} ticket(s) and cannot be removed")
    categories = session.exec(
        select(Category.name).where(Category.queue_id == queue_id).order_by(col(Category.name))
    ).all()
    if categories:
        raise ConflictError(
            f"queue {queue.name!r} is the queue of categories {', '.join(categories)}: "
            "move or remove them first"
        )
    session.delete(queue)
    flush_or_conflict(session, f"queue {queue.name!r}")
    return queue


# --- categories -----------------------------------------------------------------------


def _category_name(session: Session, name: str, *, exclude_id: int | None = None) -> str:
    name = one_line(name, what="a category's name", max_length=100, digits_ok=False)
    taken = name_taken(
        session, model=Category, column=Category.name, name=name, exclude_id=exclude_id
    )
    if taken is not None:
        raise ConflictError(f"a category named {taken.name!r} already exists")
    return name


def _check_competence(session: Session, competence_id: int | None) -> None:
    if competence_id is not None and session.get(Competence, competence_id) is None:
        raise NotFoundError("competence with id", competence_id)


def add_category(
    session: Session,
    *,
    name: str,
    queue_id: int,
    competence_id: int | None = None,
    default_priority: Priority | str | None = None,
) -> Category:
    """A category; its tickets go to `queue_id` and need `competence_id` (None: anyone)."""
    get_queue(session, queue_id=queue_id)
    _check_competence(session, competence_id)
    category = Category(
        name=_category_name(session, name),
        queue_id=queue_id,
        competence_id=competence_id,
        default_priority=parse_priority(default_priority) if default_priority else None,
    )
    session.add(category)
    flush_or_conflict(session, f"category {category.name!r}")
    return category


def list_categories(session: Session, *, queue_id: int | None = None) -> list[Category]:
    query = select(Category).order_by(col(Category.name))
    if queue_id is not None:
        query = query.where(Category.queue_id == queue_id)
    return list(session.exec(query).all())


def get_category(session: Session, *, category_id: int) -> Category:
    category = session.get(Category, category_id)
    if category is None:
        raise NotFoundError("category with id", category_id)
    return category


def resolve_category(session: Session, *, ref: str | int) -> Category:
    """A category by name (any case) or id."""
    return resolve_named(session, model=Category, column=Category.name, ref=ref, what="category")


def edit_category(
    session: Session,
    *,
    category_id: int,
    name: str = UNSET,
    queue_id: int = UNSET,
    competence_id: int | None = UNSET,
    default_priority: Priority | str | None = UNSET,
) -> Category:
    """Change what is given; `competence_id=None` or `default_priority=None` clears it."""
    category = get_category(session, category_id=category_id)
    if name is not UNSET:
        category.name = _category_name(session, name, exclude_id=category_id)
    if queue_id is not UNSET:
        category.queue_id = get_queue(session, queue_id=queue_id).id
    if competence_id is not UNSET:
        _check_competence(session, competence_id)
        category.competence_id = competence_id
    if default_priority is not UNSET:
        category.default_priority = parse_priority(default_priority) if default_priority else None
    session.add(category)
    flush_or_conflict(session, f"category {category.name!r}")
    return category


def remove_category(session: Session, *, category_id: int) -> Category:
    category = get_category(session, category_id=category_id)
    tickets = _count(session, Ticket.category_id, category_id)
    if tickets:
        raise ConflictError(
            f"category {category.name!r} has {tickets} ticket(s) and cannot be removed"
        )
    templates = session.exec(
        select(ReplyTemplate.name).where(ReplyTemplate.category_id == category_id)
    ).all()
    if templates:
        raise ConflictError(
            f"category {category.name!r} is used by reply templates {', '.join(templates)}"
        )
    session.delete(category)
    flush_or_conflict(session, f"category {category.name!r}")
    return category
