"""Ticket history: writing events and describing them in words."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from dispatcher.domain.enums import EventKind
from dispatcher.store.models import Ticket, TicketEvent, User


def record(
    session: Session,
    *,
    ticket: Ticket,
    kind: EventKind,
    actor_id: int | None,
    now: datetime,
    data: dict[str, Any] | None = None,
    reason: str = "",
    bump: bool = True,
) -> TicketEvent:
    """Append one event for a change to `ticket`, bumping its version in the same transaction."""
    if bump:
        ticket.version += 1
        ticket.updated_at = now
        session.add(ticket)
    assert ticket.id is not None, "flush the ticket before recording its history"
    event = TicketEvent(
        ticket_id=ticket.id,
        at=now,
        actor_id=actor_id,
        kind=kind,
        version=ticket.version,
        data=data or {},
        reason=reason,
    )
    session.add(event)
    return event


def describe(kind: str, data: dict[str, Any]) -> str:
    """One short line for a history entry, as a dispatcher would say it."""
    match kind:
        case EventKind.created:
            return f"created from {data.get('channel', 'unknown channel')}"
        case EventKind.assigned:
            who = data.get("assignee") or "nobody"
            return f"assigned to {who}"
        case EventKind.status_changed | EventKind.reopened:
            return f"status {data.get('from')} → {data.get('to')}"
        case EventKind.classified | EventKind.edited:
            changes = data.get("changes", {})
            fields = ", ".join(f"{k} → {v[1]}" for k, v in changes.items())
            return f"changed {fields}" if fields else "edited"
        case EventKind.message_added:
            return f"{data.get('kind', 'message')} added"
        case EventKind.escalated:
            return f"escalated to {data.get('to') or data.get('vendor') or 'another line'}"
        case EventKind.merged:
            if "into" in data:
                return f"merged into #{data['into']}"
            return f"#{data.get('from')} merged in"
        case EventKind.linked:
            return f"linked to #{data.get('other')} ({data.get('link', 'related')})"
        case _:
            return kind.replace("_", " ")


def changes_since(session: Session, *, ticket_id: int, version: int) -> list[str]:
    """What happened to a ticket after `version`, one line per change, oldest first."""
    rows = session.exec(
        select(TicketEvent, User.login)
        .join(User, col(User.id) == col(TicketEvent.actor_id), isouter=True)
        .where(TicketEvent.ticket_id == ticket_id, col(TicketEvent.version) > version)
        .order_by(col(TicketEvent.id))
    ).all()
    lines = []
    for event, login in rows:
        at = event.at.strftime("%H:%M")
        lines.append(f"{describe(event.kind, event.data)} by {login or 'the system'} at {at}")
    return lines


def history(session: Session, *, ticket_id: int) -> list[tuple[TicketEvent, str | None]]:
    """The whole history of a ticket with each actor's login, oldest first."""
    rows = session.exec(
        select(TicketEvent, User.login)
        .join(User, col(User.id) == col(TicketEvent.actor_id), isouter=True)
        .where(TicketEvent.ticket_id == ticket_id)
        .order_by(col(TicketEvent.id))
    ).all()
    return [(event, login) for event, login in rows]
