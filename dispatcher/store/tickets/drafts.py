"""Drafts: the reply, note or new ticket an operator has not sent yet, kept in the database.

A draft belongs to one operator and one place (`scope`): `reply:12` and `note:12` on ticket
12, `new_ticket` for the new-ticket form. It is saved as the operator types (one upsert, safe
from two consoles of the same operator), read back when the composer or the form opens
again, and deleted in the same transaction that sends the work. Another operator never sees
it. Text that is empty everywhere is no draft: saving it deletes the row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from dispatcher.domain.enums import MessageKind
from dispatcher.store.models import Draft, table_of

NEW_TICKET = "new_ticket"


def ticket_scope(kind: MessageKind | str, ticket_id: int) -> str:
    """The scope of a reply or a note on a ticket: `reply:12`, `note:12`."""
    return f"{MessageKind(kind).value}:{ticket_id}"


@dataclass(frozen=True, slots=True)
class DraftView:
    scope: str
    ticket_id: int | None
    subject: str
    body: str
    updated_at: datetime
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not (self.subject.strip() or self.body.strip() or _filled(self.fields))


def _filled(fields: dict[str, Any]) -> bool:
    return any(value not in (None, "", [], {}) for value in fields.values())


def save_draft(
    session: Session,
    *,
    user_id: int,
    scope: str,
    now: datetime,
    ticket_id: int | None = None,
    subject: str = "",
    body: str = "",
    fields: dict[str, Any] | None = None,
) -> DraftView | None:
    """Keep what is typed (one upsert); nothing typed deletes the draft. Returns the draft
    kept, or None when there is none now."""
    view = DraftView(scope, ticket_id, subject, body, now, dict(fields or {}))
    if view.is_empty:
        delete_draft(session, user_id=user_id, scope=scope)
        return None
    table = table_of(Draft)
    values = {
        "user_id": user_id,
        "scope": scope,
        "ticket_id": ticket_id,
        "subject": subject,
        "body": body,
        "fields": view.fields,
        "updated_at": now,
    }
    changed = ("ticket_id", "subject", "body", "fields", "updated_at")
    if session.get_bind().dialect.name == "postgresql":
        pg = pg_insert(table).values(**values)
        session.execute(
            pg.on_conflict_do_update(
                index_elements=["user_id", "scope"],
                set_={name: pg.excluded[name] for name in changed},
            )
        )
    else:
        lite = sqlite_insert(table).values(**values)
        session.execute(
            lite.on_conflict_do_update(
                index_elements=["user_id", "scope"],
                set_={name: lite.excluded[name] for name in changed},
            )
        )
    return view


def get_draft(session: Session, *, user_id: int, scope: str) -> DraftView | None:
    """The operator's draft in that place, or None."""
    table = table_of(Draft)
    row = session.execute(
        select(table).where(table.c.user_id == user_id, table.c.scope == scope)
    ).one_or_none()
    if row is None:
        return None
    return DraftView(
        scope=row.scope,
        ticket_id=row.ticket_id,
        subject=row.subject,
        body=row.body,
        updated_at=row.updated_at,
        fields=dict(row.fields or {}),
    )


def delete_draft(session: Session, *, user_id: int, scope: str) -> bool:
    """Forget the draft (sent or discarded); True when there was one."""
    table = table_of(Draft)
    result = session.execute(
        delete(table).where(table.c.user_id == user_id, table.c.scope == scope)
    )
    return bool(getattr(result, "rowcount", 0))


def drafts_of(session: Session, *, user_id: int) -> list[DraftView]:
    """Every draft the operator keeps, the newest first."""
    table = table_of(Draft)
    rows = session.execute(
        select(table).where(table.c.user_id == user_id).order_by(table.c.updated_at.desc())
    ).all()
    return [
        DraftView(r.scope, r.ticket_id, r.subject, r.body, r.updated_at, dict(r.fields or {}))
        for r in rows
    ]
