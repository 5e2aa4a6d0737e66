"""The users list over a bare DB-API connection, for `admin users list` from the shell.

The command's quick path (`dispatcher.admin_quick`) reads with `sqlite3` alone: the
statements `users.list_users` and `competences.competences_by_user` run through a session,
in one read transaction as there, their rows as the store's models give them (`active` a
bool; a role stays the text stored, the value of its `Role`: the enums are not imported on
this path). `tests/cli/test_users_quick.py` holds the two to the same output.
"""

from __future__ import annotations

TYPE_CHECKING = False  # `typing` is not imported at run time: the quick path counts imports
if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Sequence
    from typing import Any

USERS_SQL = (
    'SELECT "user".id, "user".login, "user".name, "user".email, "user".role, '
    '"user".timezone, "user".active FROM "user"'
)
COMPETENCES_SQL = (
    "SELECT user_competence.user_id, competence.code FROM user_competence "
    "JOIN competence ON competence.id = user_competence.competence_id ORDER BY competence.code"
)


class UserRow:
    """A user as the list shows them: the listed fields of a `User`."""

    __slots__ = ("active", "email", "id", "login", "name", "role", "timezone")

    def __init__(self, row: Sequence[Any]) -> None:
        self.id: int | None = row[0]
        self.login: str = row[1]
        self.name: str = row[2]
        self.email: str | None = row[3]
        self.role: str = row[4]
        self.timezone: str = row[5]
        self.active: bool = bool(row[6])


def list_users(
    connection: sqlite3.Connection, *, include_inactive: bool = False, role: str | None = None
) -> tuple[list[UserRow], dict[int, list[str]]]:
    """The users `users.list_users` lists (`role`: a `Role`'s value), and every user's
    competence codes (as `competences.competences_by_user`), read in one transaction."""
    where = [] if include_inactive else ['"user".active IS 1']
    params: list[str] = []
    if role is not None:
        where.append('"user".role = ?')
        params.append(role)
    sql = USERS_SQL + (" WHERE " + " AND ".join(where) if where else "") + ' ORDER BY "user".login'
    connection.execute("BEGIN")
    try:
        users = [UserRow(row) for row in connection.execute(sql, params)]
        skills: dict[int, list[str]] = {}
        for user_id, code in connection.execute(COMPETENCES_SQL):
            skills.setdefault(user_id, []).append(code)
    finally:
        connection.rollback()
    return users, skills
