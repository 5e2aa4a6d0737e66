"""Who is at the keyboard: a plain read model of the signed-in user."""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import UTC, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dispatcher.domain.enums import Role
from dispatcher.domain.errors import NotFoundError, ValidationError
from dispatcher.store.db.engine import Store
from dispatcher.store.people.users import get_user_by_login


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
    with store.read() as session:
        try:
            user = get_user_by_login(session, login=wanted)
        except NotFoundError:
            raise NotFoundError(
                "user",
                f"{wanted!r} in this helpdesk: add it with 'dispatcher admin users add "
                f'{wanted} --name "Your Name" --role dispatcher\', or start with --as LOGIN',
            ) from None
    if not user.active:
        raise ValidationError(f"user {wanted!r} is deactivated")
    assert user.id is not None
    return Operator(
        id=user.id, login=user.login, name=user.name, role=user.role, timezone=user.timezone
    )
