"""Ticket history: writing events and describing them in words."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any

from sqlmodel import Session, col, select

from dispatcher import vocabulary
from dispatcher.domain.enums import EventKind
from dispatcher.store.models import Ticket, TicketEvent, User
from dispatcher.text import when


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


# The fields whose values are ids, and the table that names them.
_NAMED_FIELDS: dict[str, Any] = {}


def _named_fields() -> dict[str, Any]:
    if not _NAMED_FIELDS:
        from dispatcher.store.models import Category, Client, Contact, Contract, Queue

        _NAMED_FIELDS.update(
            {
                "category_id": (Category, "name"),
                "queue_id": (Queue, "name"),
                "client_id": (Client, "name"),
                "contact_id": (Contact, "name"),
                "contract_id": (Contract, "number"),
                "assignee_id": (User, "name"),
            }
        )
    return _NAMED_FIELDS


Names = Mapping[tuple[str, int], str]  # (field, id) -> the name people know it by


def names_for(session: Session, events: Iterable[TicketEvent]) -> dict[tuple[str, int], str]:
    """The names of every id the change events mention (category 6 is "Network"), read in
    one query per kind of thing."""
    wanted: dict[str, set[int]] = {}
    fields = _named_fields()
    for event in events:
        for key, pair in (event.data.get("changes") or {}).items():
            if key in fields and isinstance(pair, list):
                wanted.setdefault(key, set()).update(v for v in pair if isinstance(v, int))
    names: dict[tuple[str, int], str] = {}
    for key, ids in wanted.items():
        model, column = fields[key]
        for row_id, name in session.exec(
            select(model.id, getattr(model, column)).where(col(model.id).in_(ids))
        ).all():
            names[(key, int(row_id))] = str(name)
    return names


def _value(key: str, value: Any, names: Names) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and key in _named_fields():
        return names.get((key, value), f"#{value}")
    return vocabulary.field_value(key, value)


def describe(kind: str, data: dict[str, Any], names: Names | None = None) -> str:
    """One short line for a history entry, as a dispatcher would say it: labels from the
    vocabulary, and names for ids when `names` has them (`names_for`)."""
    names = names or {}
    match kind:
        case EventKind.created:
            return f"created from {vocabulary.channel(str(data.get('channel', 'unknown')))}"
        case EventKind.assigned:
            who = data.get("assignee") or vocabulary.word("nobody")
            return f"assigned to {who}"
        case EventKind.status_changed | EventKind.reopened:
            before = vocabulary.status(str(data.get("from")))
            after = vocabulary.status(str(data.get("to")))
            return f"status: {before} → {after}"
        case EventKind.classified | EventKind.edited:
            changes = data.get("changes", {})
            fields = "; ".join(
                f"{vocabulary.field(k)}: {_value(k, v[0], names)} → {_value(k, v[1], names)}"
                for k, v in changes.items()
            )
            return fields or vocabulary.event_kind(EventKind.edited)
        case EventKind.message_added:
            return f"{vocabulary.message_kind(str(data.get('kind', 'message')))} added"
        case EventKind.escalated:
            return f"escalated to {data.get('to') or data.get('vendor') or 'another line'}"
        case EventKind.merged:
            if "into" in data:
                return f"merged into #{data['into']}"
            return f"#{data.get('from')} merged in"
        case EventKind.linked:
            link = vocabulary.link_kind(str(data.get("link", "related")))
            return f"linked to #{data.get('other')} ({link})"
        case EventKind.rated if isinstance(data.get("score"), int):
            if data.get("kind") == "nps":
                return f"NPS {data['score']}"
            return f"rated {data['score']}/5"
        case EventKind.sla_met | EventKind.sla_breached if data.get("target"):
            return f"{vocabulary.event_kind(kind)}: {vocabulary.target(str(data['target']))}"
        case _:
            return vocabulary.event_kind(kind)


# The zone the times of a conflict message are written in when the caller names none: a
# console or a command works for one operator, and says whose zone that is at sign-in.
_shown_zone: tzinfo = UTC


def show_times_in(zone: tzinfo) -> None:
    """Write the times of conflict messages in `zone` from now on (the operator's own)."""
    global _shown_zone
    _shown_zone = zone


def changes_since(
    session: Session, *, ticket_id: int, version: int, zone: tzinfo | None = None
) -> list[str]:
    """What happened to a ticket after `version`, one line per change, oldest first; times
    in `zone` (by default the operator's, see `show_times_in`), with its name."""
    zone = zone or _shown_zone
    rows = session.exec(
        select(TicketEvent, User.login)
        .join(User, col(User.id) == col(TicketEvent.actor_id), isouter=True)
        .where(TicketEvent.ticket_id == ticket_id, col(TicketEvent.version) > version)
        .order_by(col(TicketEvent.id))
    ).all()
    names = names_for(session, (event for event, _ in rows))
    lines = []
    for event, login in rows:
        at = when(event.at, zone, weekday=False)
        who = login or vocabulary.word("the system")
        lines.append(f"{describe(event.kind, event.data, names)} by {who} at {at}")
    return lines


def changed_by_others(
    session: Session, *, ticket_id: int, seen: int, current: int, user_id: int
) -> bool:
    """Did anybody but `user_id` (another person, or the system) make one of the ticket's
    versions after `seen`, up to `current`? Each version is made by the write that bumped
    it; the events that write adds without a bump (a notification queued, the clock met)
    share its version, so a version with an event of `user_id`'s is theirs. One's own
    writes, from any screen, are never someone else's change."""
    if current <= seen:
        return False
    mine = set(
        session.exec(
            select(TicketEvent.version).where(
                TicketEvent.ticket_id == ticket_id,
                col(TicketEvent.version) > seen,
                col(TicketEvent.version) <= current,
                TicketEvent.actor_id == user_id,
            )
        ).all()
    )
    return any(version not in mine for version in range(seen + 1, current + 1))


def history(session: Session, *, ticket_id: int) -> list[tuple[TicketEvent, str | None]]:
    """The whole history of a ticket with each actor's login, oldest first."""
    rows = session.exec(
        select(TicketEvent, User.login)
        .join(User, col(User.id) == col(TicketEvent.actor_id), isouter=True)
        .where(TicketEvent.ticket_id == ticket_id)
        .order_by(col(TicketEvent.id))
    ).all()
    return [(event, login) for event, login in rows]
