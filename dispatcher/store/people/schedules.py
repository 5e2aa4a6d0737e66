"""Work schedules: each user's weekly shifts and leave, and whether they are available."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session, col, select

from dispatcher.domain import shifts as shift_rules
from dispatcher.domain.errors import ConflictError, NotFoundError, ValidationError
from dispatcher.store.lookup import flush_or_conflict, one_line
from dispatcher.store.models import Leave, WorkShift
from dispatcher.store.people.users import get_user


def list_shifts(session: Session, *, user_id: int) -> list[WorkShift]:
    return list(
        session.exec(
            select(WorkShift)
            .where(WorkShift.user_id == user_id)
            .order_by(col(WorkShift.weekday), col(WorkShift.starts))
        ).all()
    )


def set_shifts(session: Session, *, user_id: int, specs: Iterable[str]) -> list[WorkShift]:
    """Replace the user's weekly schedule with the given specs (`mon-fri 09:00-18:00`, ...).

    An empty list of specs is refused; use `clear_shifts` to leave the user without shifts.
    """
    get_user(session, user_id=user_id)
    specs = list(specs)
    if not specs:
        raise ValidationError("give at least one shift, e.g. 'mon-fri 09:00-18:00'")
    parsed = shift_rules.parse_schedule(specs)
    clear_shifts(session, user_id=user_id)
    rows = [
        WorkShift(user_id=user_id, weekday=s.weekday, starts=s.starts, ends=s.ends) for s in parsed
    ]
    session.add_all(rows)
    flush_or_conflict(session, "shift")
    return rows


def clear_shifts(session: Session, *, user_id: int) -> int:
    get_user(session, user_id=user_id)
    rows = list_shifts(session, user_id=user_id)
    for row in rows:
        session.delete(row)
    session.flush()
    return len(rows)


def add_leave(
    session: Session, *, user_id: int, starts_on: date, ends_on: date, reason: str = ""
) -> Leave:
    user = get_user(session, user_id=user_id)
    if ends_on < starts_on:
        raise ValidationError(f"the leave ends ({ends_on}) before it starts ({starts_on})")
    overlapping = session.exec(
        select(Leave).where(
            Leave.user_id == user_id,
            col(Leave.starts_on) <= ends_on,
            col(Leave.ends_on) >= starts_on,
        )
    ).first()
    if overlapping is not None:
        raise ConflictError(
            f"{user.login} is already on leave {overlapping.starts_on} to {overlapping.ends_on} "
            f"(leave {overlapping.id})"
        )
    leave = Leave(
        user_id=user_id,
        starts_on=starts_on,
        ends_on=ends_on,
        reason=one_line(reason, what="the reason", max_length=200, required=False),
    )
    session.add(leave)
    flush_or_conflict(session, "leave")
    return leave


def list_leave(
    session: Session, *, user_id: int | None = None, ending_on_or_after: date | None = None
) -> list[Leave]:
    query = select(Leave).order_by(col(Leave.starts_on), col(Leave.id))
    if user_id is not None:
        query = query.where(Leave.user_id == user_id)
    if ending_on_or_after is not None:
        query = query.where(col(Leave.ends_on) >= ending_on_or_after)
    return list(session.exec(query).all())


def remove_leave(session: Session, *, leave_id: int) -> Leave:
    leave = session.get(Leave, leave_id)
    if leave is None:
        raise NotFoundError("leave", leave_id)
    session.delete(leave)
    session.flush()
    return leave


def availability(session: Session, *, user_id: int, at: datetime) -> shift_rules.Availability:
    """Where the user stands at the instant `at`: on shift, on leave, or neither."""
    user = get_user(session, user_id=user_id)
    # Leave is judged on the user's local date, at most a day away from the UTC one.
    recent = at.astimezone(UTC).date() - timedelta(days=2) if at.tzinfo else None
    return shift_rules.availability(
        shifts=list_shifts(session, user_id=user_id),
        leaves=list_leave(session, user_id=user_id, ending_on_or_after=recent),
        timezone=user.timezone,
        at=at,
    )


def is_available(session: Session, *, user_id: int, at: datetime) -> bool:
    """Active, on shift at `at` and not on leave: may be given work now."""
    user = get_user(session, user_id=user_id)
    return user.active and availability(session, user_id=user_id, at=at).available
