"""The team: users, their competences, weekly shifts and leave.

Repository functions, keyword-only, taking the session; call them inside `Store.write()`
(or `Store.read()` for the look-ups). They validate what they are given and raise
NotFoundError, ConflictError or ValidationError, never a database error.

A user with history (tickets, events, messages, alerts, articles) is deactivated, never
deleted: the history must keep saying who did what.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, select

from dispatcher.domain import shifts as shift_rules
from dispatcher.domain.enums import ACTIVE_STATUSES, Role
from dispatcher.domain.errors import ConflictError, NotFoundError, ValidationError
from dispatcher.store.models import (
    Alert,
    Category,
    Competence,
    Escalation,
    KbArticle,
    Leave,
    Message,
    Ticket,
    TicketEvent,
    TicketLink,
    User,
    UserCompetence,
    WorkShift,
)
from dispatcher.store.tickets import UNSET

M = TypeVar("M", bound=SQLModel)

_LOGIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_CODE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


# --- shared checks --------------------------------------------------------------------


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


def parse_role(value: Role | str) -> Role:
    try:
        return Role(str(value).strip().lower())
    except ValueError:
        raise ValidationError(
            f"unknown role {value!r} (expected one of {', '.join(r.value for r in Role)})"
        ) from None


def check_email(value: str) -> str:
    """A plausible email address, trimmed; the domain lower-cased."""
    cleaned = value.strip()
    if len(cleaned) > 320 or not _EMAIL.match(cleaned):
        raise ValidationError(f"not an email address: {value!r}")
    local, _, domain = cleaned.rpartition("@")
    return f"{local}@{domain.lower()}"


def check_timezone(value: str) -> str:
    shift_rules.zone(value)
    return value.strip()


# --- users ----------------------------------------------------------------------------


def _check_login(login: str) -> str:
    cleaned = login.strip()
    if not _LOGIN.match(cleaned):
        raise ValidationError(
            f"not a login: {login!r} (letters, digits, '.', '_', '-'; up to 64 characters)"
        )
    if cleaned.isdigit():
        raise ValidationError(f"a login cannot be only digits: {login!r} would read as an id")
    return cleaned


def add_user(
    session: Session,
    *,
    login: str,
    name: str,
    email: str | None = None,
    role: Role | str = Role.dispatcher,
    timezone: str = "UTC",
) -> User:
    login = _check_login(login)
    if session.exec(select(User).where(User.login == login)).first() is not None:
        raise ConflictError(f"a user with login {login!r} already exists")
    user = User(
        login=login,
        name=one_line(name, what="a user's name", max_length=200),
        email=check_email(email) if email else None,
        role=parse_role(role),
        timezone=check_timezone(timezone),
    )
    session.add(user)
    flush_or_conflict(session, f"user {login!r}")
    return user


def get_user(session: Session, *, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError("user with id", user_id)
    return user


def get_user_by_login(session: Session, *, login: str) -> User:
    user = session.exec(select(User).where(User.login == login.strip())).first()
    if user is None:
        raise NotFoundError("user", repr(login))
    return user


def resolve_user(session: Session, *, ref: str | int) -> User:
    """A user by login, or by id when given digits."""
    if isinstance(ref, int):
        return get_user(session, user_id=ref)
    user = session.exec(select(User).where(User.login == ref.strip())).first()
    if user is None and ref.strip().isdigit():
        user = session.get(User, int(ref.strip()))
    if user is None:
        raise NotFoundError("user", repr(ref))
    return user


def list_users(
    session: Session, *, include_inactive: bool = False, role: Role | str | None = None
) -> list[User]:
    query = select(User).order_by(col(User.login))
    if not include_inactive:
        query = query.where(col(User.active).is_(True))
    if role is not None:
        query = query.where(User.role == parse_role(role))
    return list(session.exec(query).all())


def edit_user(
    session: Session,
    *,
    user_id: int,
    name: str = UNSET,
    email: str | None = UNSET,
    role: Role | str = UNSET,
    timezone: str = UNSET,
) -> User:
    """Change what is given; `email=None` (or "") clears the address."""
    user = get_user(session, user_id=user_id)
    if name is not UNSET:
        user.name = one_line(name, what="a user's name", max_length=200)
    if email is not UNSET:
        user.email = check_email(email) if email else None
    if role is not UNSET:
        user.role = parse_role(role)
    if timezone is not UNSET:
        user.timezone = check_timezone(timezone)
    session.add(user)
    flush_or_conflict(session, f"user {user.login!r}")
    return user


def set_user_active(session: Session, *, user_id: int, active: bool) -> User:
    user = get_user(session, user_id=user_id)
    if user.active == active:
        state = "active" if active else "deactivated"
        raise ConflictError(f"user {user.login!r} is already {state}")
    user.active = active
    session.add(user)
    session.flush()
    return user


def deactivate_user(session: Session, *, user_id: int) -> User:
    """The user can no longer work or be given work; their history stays theirs."""
    return set_user_active(session, user_id=user_id, active=False)


def activate_user(session: Session, *, user_id: int) -> User:
    return set_user_active(session, user_id=user_id, active=True)


def open_tickets_assigned(session: Session, *, user_id: int) -> int:
    """How many tickets still being worked are assigned to the user."""
    return int(
        session.exec(
            select(func.count())
            .select_from(Ticket)
            .where(Ticket.assignee_id == user_id, col(Ticket.status).in_(ACTIVE_STATUSES))
        ).one()
    )


_HISTORY: tuple[Any, ...] = (
    Ticket.assignee_id,
    Ticket.created_by_id,
    TicketEvent.actor_id,
    Message.author_id,
    Escalation.to_user_id,
    Escalation.created_by_id,
    TicketLink.created_by_id,
    KbArticle.author_id,
    Alert.recipient_id,
    Alert.acknowledged_by_id,
)


def has_history(session: Session, *, user_id: int) -> bool:
    """Whether anything the team keeps names the user (then they are deactivated only)."""
    for column in _HISTORY:
        if session.exec(select(column).where(column == user_id).limit(1)).first() is not None:
            return True
    return False


def remove_user(session: Session, *, user_id: int) -> None:
    """Delete a user who never did anything (e.g. added by mistake)."""
    user = get_user(session, user_id=user_id)
    if has_history(session, user_id=user_id):
        raise ConflictError(
            f"user {user.login!r} has history and cannot be deleted: deactivate them instead"
        )
    for model in (UserCompetence, WorkShift, Leave):
        for row in session.exec(select(model).where(model.user_id == user_id)).all():
            session.delete(row)
    session.flush()  # the children first: the ORM does not order them
    session.delete(user)
    flush_or_conflict(session, f"user {user.login!r}")


# --- competences ----------------------------------------------------------------------


def _check_code(code: str) -> str:
    cleaned = code.strip().lower()
    if not _CODE.match(cleaned):
        raise ValidationError(
            f"not a competence code: {code!r} (lower-case letters, digits, '.', '_', '-')"
        )
    if cleaned.isdigit():
        raise ValidationError(f"a competence code cannot be only digits: {code!r}")
    return cleaned


def add_competence(session: Session, *, code: str, name: str | None = None) -> Competence:
    code = _check_code(code)
    if session.exec(select(Competence).where(Competence.code == code)).first() is not None:
        raise ConflictError(f"a competence {code!r} already exists")
    competence = Competence(
        code=code, name=one_line(name or code, what="a competence's name", max_length=200)
    )
    session.add(competence)
    flush_or_conflict(session, f"competence {code!r}")
    return competence


def list_competences(session: Session) -> list[Competence]:
    return list(session.exec(select(Competence).order_by(col(Competence.code))).all())


def resolve_competence(session: Session, *, ref: str | int) -> Competence:
    """A competence by code (any case), or by id when given digits."""
    if isinstance(ref, int):
        found = session.get(Competence, ref)
    else:
        found = session.exec(
            select(Competence).where(Competence.code == ref.strip().lower())
        ).first()
        if found is None and ref.strip().isdigit():
            found = session.get(Competence, int(ref.strip()))
    if found is None:
        raise NotFoundError("competence", repr(ref))
    return found


def edit_competence(session: Session, *, competence_id: int, name: str) -> Competence:
    competence = session.get(Competence, competence_id)
    if competence is None:
        raise NotFoundError("competence with id", competence_id)
    competence.name = one_line(name, what="a competence's name", max_length=200)
    session.add(competence)
    session.flush()
    return competence


def remove_competence(session: Session, *, competence_id: int) -> int:
    """Delete a competence no category needs; returns how many users it was taken from."""
    competence = session.get(Competence, competence_id)
    if competence is None:
        raise NotFoundError("competence with id", competence_id)
    needed_by = session.exec(
        select(Category.name).where(Category.competence_id == competence_id).order_by(Category.name)
    ).all()
    if needed_by:
        raise ConflictError(
            f"competence {competence.code!r} is needed by categories {', '.join(needed_by)}: "
            "change them first"
        )
    links = session.exec(
        select(UserCompetence).where(UserCompetence.competence_id == competence_id)
    ).all()
    for link in links:
        session.delete(link)
    session.flush()  # the children first: the ORM does not order them
    session.delete(competence)
    flush_or_conflict(session, f"competence {competence.code!r}")
    return len(links)


def user_competences(session: Session, *, user_id: int) -> list[Competence]:
    return list(
        session.exec(
            select(Competence)
            .join(UserCompetence, col(UserCompetence.competence_id) == col(Competence.id))
            .where(UserCompetence.user_id == user_id)
            .order_by(col(Competence.code))
        ).all()
    )


def competences_by_user(session: Session) -> dict[int, list[str]]:
    """Every user's competence codes, for lists."""
    rows = session.exec(
        select(UserCompetence.user_id, Competence.code)
        .join(Competence, col(Competence.id) == col(UserCompetence.competence_id))
        .order_by(col(Competence.code))
    ).all()
    result: dict[int, list[str]] = {}
    for user_id, code in rows:
        result.setdefault(user_id, []).append(code)
    return result


def grant_competence(session: Session, *, user_id: int, competence_id: int) -> None:
    user = get_user(session, user_id=user_id)
    competence = session.get(Competence, competence_id)
    if competence is None:
        raise NotFoundError("competence with id", competence_id)
    if session.get(UserCompetence, (user_id, competence_id)) is not None:
        raise ConflictError(f"{user.login} already has competence {competence.code!r}")
    session.add(UserCompetence(user_id=user_id, competence_id=competence_id))
    flush_or_conflict(session, f"competence {competence.code!r} of {user.login}")


def revoke_competence(session: Session, *, user_id: int, competence_id: int) -> None:
    user = get_user(session, user_id=user_id)
    competence = session.get(Competence, competence_id)
    if competence is None:
        raise NotFoundError("competence with id", competence_id)
    link = session.get(UserCompetence, (user_id, competence_id))
    if link is None:
        raise ConflictError(f"{user.login} does not have competence {competence.code!r}")
    session.delete(link)
    session.flush()


# --- shifts ---------------------------------------------------------------------------


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


# --- leave ----------------------------------------------------------------------------


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


# --- availability ---------------------------------------------------------------------


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
