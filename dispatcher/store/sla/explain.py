"""`sla explain`: how a ticket's deadlines were computed, as plain data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from dispatcher.domain.calendar import BusinessCalendar
from dispatcher.domain.enums import SlaTarget
from dispatcher.store.models import Calendar, SlaPlan, Ticket
from dispatcher.store.sla import clock as sla_clock

MAX_INTERVALS = 200


def explain(session: Session, *, ticket: Ticket, now: datetime) -> dict[str, Any]:
    """The timeline of a ticket's SLA clock: what was counted, paused and skipped, and why."""
    assert ticket.id is not None
    plan = session.get(SlaPlan, ticket.sla_plan_id) if ticket.sla_plan_id else None
    base: dict[str, Any] = {
        "ticket": ticket.ref,
        "subject": ticket.subject,
        "status": ticket.status.value,
        "priority": ticket.priority.value,
        "plan": plan.name if plan else None,
    }
    if plan is None:
        return base | {"note": "no SLA plan applies to this ticket", "targets": {}}
    calendar_row = session.get(Calendar, plan.calendar_id)
    assert calendar_row is not None
    calendar = sla_clock.business_calendar(calendar_row)
    clock = sla_clock.state(session, ticket=ticket, now=now)
    assert clock is not None
    events = sla_clock.clock_events(session, ticket_id=ticket.id)
    end = max([now, *(e.at for e in events)])
    segments = []
    for segment in clock.segments:
        entry: dict[str, Any] = {
            "from": _local(calendar, segment.start),
            "to": _local(calendar, segment.end),
            "running": segment.running,
            "business_minutes": round(segment.business_minutes, 2),
        }
        if segment.running:
            intervals = calendar.open_intervals(segment.start, segment.end)
            entry["counted"] = [
                [a.isoformat(), b.isoformat()] for a, b in intervals[:MAX_INTERVALS]
            ]
            if len(intervals) > MAX_INTERVALS:
                entry["counted_omitted"] = len(intervals) - MAX_INTERVALS
        else:
            entry["paused_because"] = segment.reason or "paused"
        segments.append(entry)
    return base | {
        "calendar": calendar_row.name,
        "timezone": calendar_row.timezone,
        "now": _local(calendar, now),
        "events": [
            {
                "at": _local(calendar, e.at),
                "kind": e.kind.value,
                "target": e.target.value if e.target else None,
                "budgets": ({t.value: e.budgets.of(t) for t in SlaTarget} if e.budgets else None),
                "reason": e.reason,
            }
            for e in events
        ],
        "segments": segments,
        "skipped_days": [
            {"date": c.day.isoformat(), "reason": c.reason}
            for c in calendar.closures(ticket.created_at, end)
        ],
        "targets": {
            target.value: {
                "budget_minutes": clock_target.budget,
                "elapsed_minutes": round(clock_target.elapsed, 2),
                "remaining_minutes": (
                    round(clock_target.remaining, 2) if clock_target.remaining is not None else None
                ),
                "due_at": _local(calendar, clock_target.due_at) if clock_target.due_at else None,
                "met_at": _local(calendar, clock_target.met_at) if clock_target.met_at else None,
                "state": clock_target.state.value,
                "warnings": [
                    {"minutes_left": m, "at": _local(calendar, at)}
                    for m, at in clock_target.warnings
                ],
            }
            for target, clock_target in clock.targets.items()
        },
    }


def _local(calendar: BusinessCalendar, at: datetime) -> str:
    return at.astimezone(calendar.zone).isoformat()
