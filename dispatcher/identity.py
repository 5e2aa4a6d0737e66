"""Who is at the keyboard: a plain read model of the signed-in user.

Signing in runs before the console draws anything, so it reads the one user row with a
plain statement: it loads neither the store's table models nor their mappers (the first
screen imports what it needs of them itself).
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import UTC, tzinfo
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dispatcher.domain.enums import Role
from dispatcher.domain.errors import NotFoundError, ValidationError

if TYPE_CHECKING:
    from dispatcher.store.db.engine import Store

# The `user` table's columns an operator needs (`"user"` is a reserved word in PostgreSQL).
_USER_BY_LOGIN = 'SELECT id, login, name, role, timezone, active FROM "user" WHERE login = :login'


@dataclass(frozen=True, slots=True)
class Operator:
    id: int
    login: str
    name: str
    role: Role
    timezone: str = "UTC"

    @property
    def zone(self) -> tzinfo:
        """The operator's own time zone: times on screen are shown in it."""
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            return UTC


def os_login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


def sign_in(store: Store, login: str | None) -> Operator:
    """The user for `--as LOGIN`, or for the OS login; a clear error when there is none."""
    wanted = (login or os_login()).strip()
    if not wanted:
        raise ValidationError("cannot tell who you are: start the console with --as LOGIN")
    from sqlalchemy import text

    with store.read() as session:
        user = session.execute(text(_USER_BY_LOGIN), {"login": wanted}).first()
    if user is None:
        raise NotFoundError(
            "user",
            f"{wanted!r} in this helpdesk: add it with 'dispatcher admin users add "
            f'{wanted} --name "Your Name" --role dispatcher\', or start with --as LOGIN',
        )
    if not user.active:
        raise ValidationError(f"user {wanted!r} is deactivated")
    return Operator(
        id=int(user.id),
        login=str(user.login),
        name=str(user.name),
        role=Role(user.role),
        timezone=str(user.timezone),
    )
