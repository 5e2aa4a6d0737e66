"""Who has a ticket open right now: a heartbeat row per viewer and ticket.

A console showing a ticket beats every `HEARTBEAT_SECONDS`; a row older than
`STALE_AFTER` (about two beats) belongs to a console that closed without saying goodbye
(killed, crashed, network gone) and no longer counts. Closing the ticket deletes the row.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from dispatcher.read_models.presence import HEARTBEAT_SECONDS, STALE_AFTER, Viewer
from dispatcher.store.models import Presence, User, table_of

__all__ = ["HEARTBEAT_SECONDS", "STALE_AFTER", "heartbeat", "leave", "prune", "viewers"]


def heartbeat(session: Session, *, user_id: int, ticket_id: int, now: datetime) -> None:
    """Say the user is looking at the ticket now (one upsert; safe from two consoles)."""
    table = table_of(Presence)
    values = {"user_id": user_id, "ticket_id": ticket_id, "seen_at": now}
    if session.get_bind().dialect.name == "postgresql":
        pg = pg_insert(table).values(**values)
        statement = pg.on_conflict_do_update(
            index_elements=["user_id", "ticket_id"], set_={"seen_at": pg.excluded.seen_at}
        )
        session.execute(statement)
    else:
        lite = sqlite_insert(table).values(**values)
        session.execute(
            lite.on_conflict_do_update(
                index_elements=["user_id", "ticket_id"], set_={"seen_at": lite.excluded.seen_at}
            )
        )


def leave(session: Session, *, user_id: int, ticket_id: int) -> None:
    """The user closed the ticket."""
    table = table_of(Presence)
    session.execute(delete(table).where(table.c.user_id == user_id, table.c.ticket_id == ticket_id))


def viewers(
    session: Session,
    *,
    ticket_id: int,
    now: datetime,
    exclude_user_id: int | None = None,
    stale_after: timedelta = STALE_AFTER,
) -> list[Viewer]:
    """Who else has the ticket open: fresh heartbeats only, by login."""
    query = (
        select(Presence.user_id, User.login, User.name, Presence.seen_at)
        .join(User, col(User.id) == col(Presence.user_id))
        .where(Presence.ticket_id == ticket_id, col(Presence.seen_at) >= now - stale_after)
        .order_by(col(User.login))
    )
    if exclude_user_id is not None:
        query = query.where(Presence.user_id != exclude_user_id)
    return [Viewer(*row) for row in session.exec(query).all()]


def prune(session: Session, *, now: datetime, stale_after: timedelta = STALE_AFTER) -> int:
    """Delete heartbeats gone stale; returns how many."""
    table = table_of(Presence)
    result = session.execute(delete(table).where(table.c.seen_at < now - stale_after))
    return int(getattr(result, "rowcount", 0) or 0)
