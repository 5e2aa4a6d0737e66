"""SLA alerts: the sweep that raises them, auto-close, and acknowledging or snoozing them.

Every alert has an idempotency key (ticket, target, deadline, threshold, audience) under a
unique constraint, inserted with ON CONFLICT DO NOTHING: however many consoles and
watchers sweep one database, each alert is inserted, and so fires, exactly once.

Concurrent sweeps on PostgreSQL take the due tickets `FOR UPDATE SKIP LOCKED`: each sweep
works on the tickets no other transaction holds, so two sweeps share the work instead of
waiting on each other's uncommitted alert keys. (When both took the same tickets in orders
that differed — ties on `next_alert_at`, or a deadline changed between their two reads —
each could hold a key the other waited for: a deadlock.) A ticket a person is writing at
that moment is left for the next sweep. SQLite's write lock serialises sweeps anyway.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, or_, select

from dispatcher import vocabulary
from dispatcher.domain.enums import (
    ACTIVE_STATUSES,
    AlertKind,
    EventKind,
    Priority,
    Role,
    SlaTarget,
    TicketStatus,
)
from dispatcher.domain.errors import NotFoundError, ValidationError
from dispatcher.domain.sla import (
    NO_DEADLINE,
    AlertStep,
    ClockEvent,
    alert_key,
    alert_steps,
    next_alert_after,
)
from dispatcher.store.models import ACTIVE_STATUS_SQL, Alert, SlaPlan, Ticket, User, table_of
from dispatcher.store.reports.facts import refresh_facts
from dispatcher.store.sla import clock as sla_clock
from dispatcher.store.tickets.history import record
from dispatcher.store.tickets.writes import change_status, classify

# Tickets per batch; each batch is one write transaction (on SQLite: the write lock, which
# every console's writes wait for). A catch-up batch of 500 breaches took 1.2 s; 100 keeps
# each under ~0.25 s, and `SlaJobs.sweep` goes on batch after batch until nothing is due.
SWEEP_BATCH = 100
_RAISE = {
    Priority.low: Priority.normal,
    Priority.normal: Priority.high,
    Priority.high: Priority.urgent,
}


@dataclass
class SweepResult:
    tickets: int = 0
    fired: list[int] = field(default_factory=list)  # ids of alerts this sweep inserted
    breached: list[int] = field(default_factory=list)  # ticket ids that breached now
    closed: list[int] = field(default_factory=list)  # ticket ids auto-closed


def sweep(session: Session, *, now: datetime, batch: int = SWEEP_BATCH) -> SweepResult:
    """Raise every warning and breach that is due; read only tickets whose alert is due."""
    result = SweepResult()
    tickets = session.exec(
        select(Ticket)
        .where(text(ACTIVE_STATUS_SQL), col(Ticket.next_alert_at) <= now)
        .order_by(col(Ticket.next_alert_at), col(Ticket.id))
        .limit(batch)
        .with_for_update(skip_locked=True)
    ).all()
    plans = sla_clock.PlanCache(session)
    ids = [ticket.id or 0 for ticket in tickets]
    # Two reads for the whole batch: every clock, and every alert already raised.
    events = sla_clock.clock_events_of(session, ticket_ids=ids)
    raised: dict[int, set[str]] = {ticket_id: set() for ticket_id in ids}
    if ids:
        alert = table_of(Alert)
        for ticket_id, key in session.connection().execute(
            select(alert.c.ticket_id, alert.c.key).where(alert.c.ticket_id.in_(ids))
        ):
            raised[ticket_id].add(key)
    next_alerts: list[dict[str, Any]] = []
    for ticket in tickets:
        result.tickets += 1
        at = _sweep_ticket(
            session,
            ticket=ticket,
            now=now,
            result=result,
            plans=plans,
            events=events[ticket.id or 0],
            raised=raised[ticket.id or 0],
        )
        next_alerts.append({"ticket": ticket.id, "at": at})
    if next_alerts:
        session.flush()
        # One statement for the batch, and `version` left alone: the sweep's bookkeeping is
        # not a change a dispatcher holding the ticket open should be refused over.
        table = table_of(Ticket)
        session.connection().execute(
            update(table)
            .where(table.c.id == bindparam("ticket"))
            .values(next_alert_at=bindparam("at")),
            next_alerts,
        )
    return result


def _sweep_ticket(
    session: Session,
    *,
    ticket: Ticket,
    now: datetime,
    result: SweepResult,
    plans: sla_clock.PlanCache,
    events: list[ClockEvent],
    raised: set[str],
) -> datetime:
    """Raise what is due for one ticket; when the sweep must look at it next.

    `raised` holds the keys already inserted (by this or another sweeper): those need no
    insert attempt. A race with another sweeper is still settled by the unique key.
    """
    assert ticket.id is not None
    clock = sla_clock.state(session, ticket=ticket, now=now, plans=plans, events=events)
    if clock is None:
        return NO_DEADLINE
    due = [step for step in alert_steps(clock) if step.fire_at <= now]
    latest = {step.target: step for step in due}  # steps are in firing order
    priority = ticket.priority
    for step in due:
        superseded = latest[step.target] is not step
        key = alert_key(ticket.id, step.target, step.due_at, step.threshold)
        for audience, recipient_id, role in _audiences(ticket, step):
            if f"{key}:{audience}" in raised:
                continue
            alert_id = _insert_once(
                session,
                {
                    "key": f"{key}:{audience}",
                    "ticket_id": ticket.id,
                    "kind": AlertKind.breach if step.is_breach else AlertKind.warning,
                    "target": step.target,
                    "threshold_minutes": step.threshold,
                    "due_at": step.due_at,
                    "fired_at": now,
                    "recipient_id": recipient_id,
                    "recipient_role": role,
                    "message": _message(ticket, step),
                    # Missed while nothing ran and overtaken by a later step: kept, not shown.
                    "acknowledged_at": now if superseded else None,
                },
            )
            if alert_id is None:
                continue
            if not superseded:
                result.fired.append(alert_id)
            if step.is_breach and audience == "lead":
                _on_breach(session, ticket=ticket, step=step, now=now, result=result)
    if ticket.priority != priority:  # a breach raised it: other warning thresholds apply
        session.flush()
        clock = sla_clock.state(session, ticket=ticket, now=now, plans=plans, events=events)
    return (clock and next_alert_after(clock, now)) or NO_DEADLINE


def _audiences(ticket: Ticket, step: AlertStep) -> list[tuple[str, int | None, Role | None]]:
    """Who hears of it: the assignee first, then the dispatchers; a breach goes to the leads."""
    assignee: list[tuple[str, int | None, Role | None]] = (
        [("assignee", ticket.assignee_id, None)] if ticket.assignee_id else []
    )
    if step.is_breach:
        return [("lead", None, Role.lead), *assignee]
    if step.first_warning and assignee:
        return assignee
    return [*assignee, ("dispatcher", None, Role.dispatcher)]


def _message(ticket: Ticket, step: AlertStep) -> str:
    what = vocabulary.target(step.target)
    if step.is_breach:
        return f"#{ticket.id}: {what} deadline breached"
    return f"#{ticket.id}: {what} due in {step.threshold} business minutes"


def _insert_once(session: Session, values: dict[str, Any]) -> int | None:
    """Insert the alert unless its key exists; its id if this call inserted it."""
    dialect = session.get_bind().dialect.name
    statement = _INSERT_ONCE.get(dialect)
    if statement is None:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        table = table_of(Alert)
        statement = _INSERT_ONCE[dialect] = (
            insert(table).on_conflict_do_nothing(index_elements=["key"]).returning(table.c.id)
        )
    inserted = session.execute(statement, values).scalar_one_or_none()
    return int(inserted) if inserted is not None else None


_INSERT_ONCE: dict[str, Any] = {}


def _on_breach(
    session: Session, *, ticket: Ticket, step: AlertStep, now: datetime, result: SweepResult
) -> None:
    assert ticket.id is not None
    result.breached.append(ticket.id)
    record(
        session,
        ticket=ticket,
        kind=EventKind.sla_breached,
        actor_id=None,
        now=now,
        data={"target": step.target.value, "due_at": step.due_at.isoformat()},
        bump=False,
    )
    refresh_facts(session, ticket)
    plan = session.get(SlaPlan, ticket.sla_plan_id) if ticket.sla_plan_id else None
    raised = _RAISE.get(ticket.priority)
    if plan is not None and plan.breach_raises_priority and raised is not None:
        classify(
            session,
            ticket_id=ticket.id,
            expected_version=None,
            actor_id=None,
            priority=raised,
            reason=f"{vocabulary.target(step.target)} deadline breached",
            replan_sla=False,
            now=now,
        )


def auto_close(session: Session, *, now: datetime, batch: int = SWEEP_BATCH) -> list[int]:
    """Close resolved tickets whose client did not answer within the plan's window.

    `next_alert_at` of a resolved ticket is the end of its window in business time.
    """
    due = session.exec(
        select(Ticket)
        .where(text("status = 'resolved'"), col(Ticket.next_alert_at) <= now)
        .order_by(col(Ticket.next_alert_at), col(Ticket.id))
        .limit(batch)
        .with_for_update(skip_locked=True)  # as in `sweep`: concurrent closers share the work
    ).all()
    closed = []
    for ticket in due:
        assert ticket.id is not None
        plan = session.get(SlaPlan, ticket.sla_plan_id) if ticket.sla_plan_id else None
        hours = f"{plan.confirm_window_minutes / 60:g}h of business time" if plan else "a while"
        change_status(
            session,
            ticket_id=ticket.id,
            expected_version=None,
            actor_id=None,
            status=TicketStatus.closed,
            reason=f"closed without the client's answer after {hours}",
            now=now,
        )
        closed.append(ticket.id)
    return closed


@dataclass(frozen=True, slots=True)
class AlertView:
    """One row of the alerts panel: the latest step raised for one target of one ticket.

    The copies of an alert (the assignee's, the dispatchers', the leads') and the earlier
    warnings of the same deadline are one row; `ids` are all of them that this person sees,
    acknowledged or snoozed together.
    """

    id: int
    ticket_id: int
    subject: str
    kind: AlertKind
    message: str
    due_at: datetime
    fired_at: datetime
    target: SlaTarget = SlaTarget.resolution
    threshold: int = 0  # business minutes left when it fired; 0 for a breach
    owner: str | None = None  # the ticket's assignee, None when nobody has it
    ids: tuple[int, ...] = ()

    @property
    def is_breach(self) -> bool:
        return self.kind == AlertKind.breach


def open_alerts(
    session: Session, *, user_id: int, role: Role, now: datetime, limit: int = 200
) -> list[AlertView]:
    """Alerts for this user that are neither acknowledged, snoozed nor closed, one row per
    ticket and target (the latest step), soonest deadline first; leads see them all."""
    audience = (
        []
        if role in (Role.lead, Role.admin)
        else [or_(col(Alert.recipient_id) == user_id, col(Alert.recipient_role) == role)]
    )
    rows = session.exec(
        select(Alert, Ticket.subject, User.name)
        .join(Ticket, col(Ticket.id) == col(Alert.ticket_id))
        .join(User, col(User.id) == col(Ticket.assignee_id), isouter=True)
        .where(
            col(Alert.acknowledged_at).is_(None),
            col(Alert.closed_at).is_(None),
            or_(col(Alert.snoozed_until).is_(None), col(Alert.snoozed_until) <= now),
            # An SLA alert matters while its ticket is worked on; mail to look at, always.
            or_(col(Alert.kind) == AlertKind.attention, col(Ticket.status).in_(ACTIVE_STATUSES)),
            *audience,
        )
        .order_by(col(Alert.due_at), col(Alert.id))
        .limit(limit * 8)  # copies and earlier steps fold into one row each
    ).all()
    groups: dict[tuple[Any, ...], list[tuple[Alert, str, str | None]]] = {}
    for alert, subject, owner in rows:
        key: tuple[Any, ...] = (
            ("mail", alert.id)
            if alert.kind == AlertKind.attention
            else ("sla", alert.ticket_id, alert.target)
        )
        groups.setdefault(key, []).append((alert, subject, owner))
    views = []
    for members in groups.values():
        # The latest step: a breach over a warning, the smaller threshold, the later one.
        latest, title, assignee = min(
            members, key=lambda m: (m[0].threshold_minutes, -(m[0].id or 0))
        )
        views.append(
            AlertView(
                id=latest.id or 0,
                ticket_id=latest.ticket_id,
                subject=title,
                kind=latest.kind,
                message=latest.message,
                due_at=latest.due_at,
                fired_at=latest.fired_at,
                target=latest.target,
                threshold=latest.threshold_minutes,
                owner=assignee,
                ids=tuple(sorted(m[0].id or 0 for m in members)),
            )
        )
    views.sort(key=lambda v: (v.due_at, v.id))
    return views[:limit]


def acknowledge(session: Session, *, alert_id: int, user_id: int, now: datetime) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise NotFoundError("alert", alert_id)
    if alert.acknowledged_at is None:
        alert.acknowledged_at = now
        alert.acknowledged_by_id = user_id
        session.add(alert)
    return alert


def acknowledge_all(
    session: Session, *, alert_ids: Sequence[int], user_id: int, now: datetime
) -> int:
    """Acknowledge one panel row: every copy in `AlertView.ids`; how many were open."""
    done = 0
    for alert_id in alert_ids:
        alert = acknowledge(session, alert_id=alert_id, user_id=user_id, now=now)
        done += alert.acknowledged_at == now
    return done


def snooze_all(
    session: Session, *, alert_ids: Sequence[int], until: datetime, now: datetime
) -> None:
    """Snooze one panel row: every copy in `AlertView.ids`."""
    for alert_id in alert_ids:
        snooze(session, alert_id=alert_id, until=until, now=now)


def snooze(session: Session, *, alert_id: int, until: datetime, now: datetime) -> Alert:
    if until <= now:
        raise ValidationError("snooze until a time in the future")
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise NotFoundError("alert", alert_id)
    alert.snoozed_until = until
    session.add(alert)
    return alert
