"""Asking a dispatcher to look at mail: an `attention` alert for the dispatchers.

It is an ordinary row of the alerts the console already lists, polls and lets people
acknowledge or snooze, addressed to the dispatcher role, due now (its SLA target is the
resolution: what waits is the client's answer to it, or a message about the ticket).
Each key is raised once, however often the same thing happens.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from dispatcher.domain.enums import AlertKind, Role, SlaTarget
from dispatcher.store.models import Alert, table_of


def ask_dispatcher(
    session: Session, *, ticket_id: int, key: str, message: str, now: datetime
) -> int | None:
    """Raise the alert unless one with `key` exists; its id if this call raised it."""
    table = table_of(Alert)
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(table)
        .values(
            key=f"attention:{key}"[:200],
            ticket_id=ticket_id,
            kind=AlertKind.attention,
            target=SlaTarget.resolution,
            threshold_minutes=0,
            due_at=now,
            fired_at=now,
            recipient_id=None,
            recipient_role=Role.dispatcher,
            message=" ".join(message.split())[:1000],
        )
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(table.c.id)
    )
    inserted = session.execute(statement).scalar_one_or_none()
    return int(inserted) if inserted is not None else None


def settle(session: Session, *, key: str, user_id: int | None, now: datetime) -> None:
    """Acknowledge the alert raised with `key`, if it is still open (the matter is done)."""
    table = table_of(Alert)
    session.execute(
        update(table)
        .where(table.c.key == f"attention:{key}"[:200], table.c.acknowledged_at.is_(None))
        .values(acknowledged_at=now, acknowledged_by_id=user_id)
    )
