"""Users: who works in the console, their role, login, email and time zone.

Repository functions, keyword-only, taking the session; call them inside `Store.write()`
(or `Store.read()` for the look-ups). They validate what they are given and raise
NotFoundError, ConflictError or ValidationError, never a database error.

A user with history (tickets, events, messages, alerts, articles) is deactivated, never
deleted: the history must keep saying who did what.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from dispatcher.domain import shifts as shift_rules
from dispatcher.domain.enums import ACTIVE_STATUSES, Role
from dispatcher.domain.errors import ConflictError, NotFoundError, ValidationError
from dispatcher.store.lookup import flush_or_conflict, id_or_none, one_line
from dispatcher.store.models import (
    Alert,
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
from dispatcher.store.tickets.writes import UNSET

_LOGIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


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
    if user is None and (number := id_or_none(ref)) is not None:
        user = session.get(User, number)
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
