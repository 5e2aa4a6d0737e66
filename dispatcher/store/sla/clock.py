"""The SLA clock in the store: clock events appended to the ticket's history, due columns
derived from them with `domain.sla.compute` and the plan's calendar.

The clock is replanned inside a ticket's write transaction, where on SQLite every other
writer waits: a plan's terms (its calendar, the budgets and warnings of one priority) are
one prebuilt Core read (`plan_terms`), the calendar is built once per process and kept
until its row changes, and the clock events this write has recorded but not flushed yet
are read from the session (`current_clock_events`), so no flush is needed between.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, and_, bindparam, func, literal_column
from sqlalchemy import inspect as orm_inspect
from sqlalchemy import select as core_select
from sqlmodel import Session, col, or_, select

from dispatcher import vocabulary
from dispatcher.domain.calendar import BusinessCalendar, CalendarSpec
from dispatcher.domain.clock import utcnow
from dispatcher.domain.enums import (
    ACTIVE_STATUSES,
    AlertKind,
    EventKind,
    Priority,
    SlaTarget,
    TicketStatus,
)
from dispatcher.domain.sla import (
    NO_DEADLINE,
    Budgets,
    ClockEvent,
    ClockState,
    TargetState,
    alert_steps,
    compute,
)
from dispatcher.store.db.engine import before_first_write
from dispatcher.store.models import (
    Alert,
    Calendar,
    Contract,
    SlaPlan,
    SlaPlanTarget,
    Ticket,
    TicketEvent,
    table_of,
)
from dispatcher.store.tickets.history import record

CLOCK_EVENTS = (
    EventKind.sla_started,
    EventKind.sla_paused,
    EventKind.sla_resumed,
    EventKind.sla_plan_changed,
    EventKind.sla_met,
)
# While a ticket is in one of these, its SLA clock does not run.
PAUSED_STATUSES = frozenset(
    {
        TicketStatus.waiting_client,
        TicketStatus.resolved,
        TicketStatus.closed,
        TicketStatus.merged,
        TicketStatus.spam,
    }
)


def contract_for(session: Session, *, client_id: int | None, on: datetime) -> Contract | None:
    """The client's contract valid on that day (the latest-starting one if several)."""
    if client_id is None:
        return None
    day = on.date()
    return session.exec(
        select(Contract)
        .where(
            Contract.client_id == client_id,
            col(Contract.valid_from) <= day,
            or_(col(Contract.valid_to).is_(None), col(Contract.valid_to) >= day),
        )
        .order_by(col(Contract.valid_from).desc(), col(Contract.id).desc())
    ).first()


def default_plan(session: Session) -> SlaPlan | None:
    return session.exec(
        select(SlaPlan).order_by(col(SlaPlan.is_default).desc(), col(SlaPlan.id))
    ).first()


def plan_for(session: Session, *, ticket: Ticket) -> SlaPlan | None:
    if ticket.contract_id is not None:
        contract = session.get(Contract, ticket.contract_id)
        if contract is not None:
            return session.get(SlaPlan, contract.sla_plan_id)
    return default_plan(session)


def budgets_for(session: Session, *, plan_id: int, priority: Priority) -> Budgets | None:
    target = session.exec(
        select(SlaPlanTarget).where(
            SlaPlanTarget.plan_id == plan_id, SlaPlanTarget.priority == priority
        )
    ).first()
    if target is None:
        return None
    return Budgets(
        first_response=target.first_response_minutes,
        resolution=target.resolution_minutes,
        update=target.update_minutes,
    )


def calendar_spec(row: Calendar) -> CalendarSpec:
    return CalendarSpec.from_json(
        row.model_dump(
            include={
                "timezone",
                "always_open",
                "hours",
                "country",
                "subdivision",
                "closed",
                "extra_open",
            }
        )
    )


def business_calendar(row: Calendar) -> BusinessCalendar:
    """The calendar for a row, cached until the row changes (`updated_at` is in the key)."""
    key = (row.id or 0, row.updated_at)
    calendar = _CALENDARS.get(key)
    if calendar is None:
        if len(_CALENDARS) > 64:
            _CALENDARS.clear()
        calendar = _CALENDARS[key] = BusinessCalendar.from_spec(calendar_spec(row))
    return calendar


_CALENDARS: dict[tuple[int, datetime], BusinessCalendar] = {}


@before_first_write
def warm_calendars(engine: Engine) -> None:
    """Build every calendar, with last, this and next year's holidays, before a process's
    first write: otherwise the first write that needs one builds it under the write lock."""
    year = utcnow().year
    with Session(engine) as session:
        for row in session.exec(select(Calendar)).all():
            calendar = business_calendar(row)
            for nearby in (year - 1, year, year + 1):
                calendar.holiday_name(date(nearby, 1, 1))


def calendar_of_plan(session: Session, *, plan: SlaPlan) -> BusinessCalendar:
    row = session.get(Calendar, plan.calendar_id)
    assert row is not None, "a plan's calendar is a foreign key"
    return business_calendar(row)


@dataclass(frozen=True, slots=True)
class PlanTerms:
    """What the clock of one ticket needs of its plan: the plan, its calendar, and the
    budgets and warning thresholds of the ticket's priority."""

    plan_id: int
    name: str
    calendar: BusinessCalendar
    budgets: Budgets | None  # None: the plan has no target for this priority
    warn_before: tuple[int, ...]
    confirm_window_minutes: int


_PLAN = table_of(SlaPlan)
_TARGET = table_of(SlaPlanTarget)
_CALENDAR = table_of(Calendar)
_CONTRACT = table_of(Contract)
_TERMS = core_select(
    _PLAN.c.id,
    _PLAN.c.name,
    _PLAN.c.calendar_id,
    _CALENDAR.c.updated_at,
    _PLAN.c.confirm_window_minutes,
    _TARGET.c.id,
    _TARGET.c.first_response_minutes,
    _TARGET.c.resolution_minutes,
    _TARGET.c.update_minutes,
    _TARGET.c.warn_before_minutes,
).select_from(
    _PLAN.join(_CALENDAR, _CALENDAR.c.id == _PLAN.c.calendar_id).outerjoin(
        _TARGET, and_(_TARGET.c.plan_id == _PLAN.c.id, _TARGET.c.priority == bindparam("priority"))
    )
)
_TERMS_OF_PLAN = _TERMS.where(_PLAN.c.id == bindparam("plan_id"))
# `plan_for` in one statement: the plan of the contract, else the default plan.
_TERMS_OF_CONTRACT = _TERMS.where(
    _PLAN.c.id
    == func.coalesce(
        core_select(_CONTRACT.c.sla_plan_id)
        .where(_CONTRACT.c.id == bindparam("contract_id"))
        .scalar_subquery(),
        core_select(_PLAN.c.id)
        .order_by(_PLAN.c.is_default.desc(), _PLAN.c.id)
        .limit(1)
        .scalar_subquery(),
    )
)


def plan_terms(
    session: Session,
    *,
    priority: Priority,
    plan_id: int | None = None,
    contract_id: int | None = None,
    by_contract: bool = False,
) -> PlanTerms | None:
    """The terms of the plan `plan_id` (`by_contract`: of the plan `plan_for` picks for a
    ticket under `contract_id`) for `priority`, in one read; None when there is no plan."""
    if by_contract:
        statement, params = _TERMS_OF_CONTRACT, {"contract_id": contract_id}
    elif plan_id is None:
        return None
    else:
        statement, params = _TERMS_OF_PLAN, {"plan_id": plan_id}
    row = session.connection().execute(statement, {**params, "priority": priority}).first()
    if row is None:
        return None
    found_id, name, calendar_id, calendar_at, confirm, target_id = row[:6]
    first, resolution, update, warn = row[6:]
    calendar = _CALENDARS.get((calendar_id, calendar_at))
    if calendar is None:
        calendar_row = session.get(Calendar, calendar_id)
        assert calendar_row is not None, "a plan's calendar is a foreign key"
        calendar = business_calendar(calendar_row)
    return PlanTerms(
        plan_id=found_id,
        name=name,
        calendar=calendar,
        budgets=None if target_id is None else Budgets(first, resolution, update),
        warn_before=tuple(int(m) for m in warn or ()) if target_id is not None else (),
        confirm_window_minutes=confirm,
    )


def current_clock_events(session: Session, *, ticket_id: int) -> list[ClockEvent]:
    """The ticket's clock events as this write sees them: those in the database, then
    those the session holds to insert at its next flush, in the order they were added."""
    pending = sorted(
        (
            item
            for item in session.new
            if isinstance(item, TicketEvent)
            and item.ticket_id == ticket_id
            and item.kind in CLOCK_EVENTS
        ),
        key=lambda item: orm_inspect(item).insert_order,
    )
    return [
        *clock_events(session, ticket_id=ticket_id),
        *(_clock_event(e.at, e.kind, e.data, e.reason) for e in pending),
    ]


def clock_events(session: Session, *, ticket_id: int) -> list[ClockEvent]:
    rows = session.connection().execute(_CLOCK_EVENTS_OF_ONE, {"ticket_id": ticket_id})
    return [_clock_event(at, kind, data, reason) for at, kind, data, reason in rows]


_EVENT = table_of(TicketEvent)
# The kinds as literals: an expanding IN list costs more to execute than the read itself.
_CLOCK_KINDS = _EVENT.c.kind.in_([literal_column(f"'{kind.value}'") for kind in CLOCK_EVENTS])
_CLOCK_EVENTS_OF_ONE = (
    core_select(_EVENT.c.at, _EVENT.c.kind, _EVENT.c.data, _EVENT.c.reason)
    .where(_EVENT.c.ticket_id == bindparam("ticket_id"), _CLOCK_KINDS)
    .order_by(_EVENT.c.id)
)


def clock_events_of(session: Session, *, ticket_ids: Sequence[int]) -> dict[int, list[ClockEvent]]:
    """The clock events of many tickets in one query (the sweep's batch)."""
    event = _EVENT
    found: dict[int, list[ClockEvent]] = {ticket_id: [] for ticket_id in ticket_ids}
    if not ticket_ids:
        return found
    rows = session.connection().execute(
        core_select(event.c.ticket_id, event.c.at, event.c.kind, event.c.data, event.c.reason)
        .where(event.c.ticket_id.in_(ticket_ids), _CLOCK_KINDS)
        .order_by(event.c.ticket_id, event.c.id)
    )
    for ticket_id, at, kind, data, reason in rows:
        found[ticket_id].append(_clock_event(at, kind, data, reason))
    return found


def _clock_event(at: datetime, kind: str, data: Mapping[str, Any], reason: str) -> ClockEvent:
    budgets = data.get("budgets")
    target = data.get("target")
    return ClockEvent(
        at=at,
        kind=EventKind(kind),
        target=SlaTarget(target) if target else None,
        budgets=Budgets(**budgets) if budgets else None,
        reason=reason,
    )


def warn_thresholds(session: Session, *, plan_id: int, priority: Priority) -> tuple[int, ...]:
    target = session.exec(
        select(SlaPlanTarget).where(
            SlaPlanTarget.plan_id == plan_id, SlaPlanTarget.priority == priority
        )
    ).first()
    return tuple(int(m) for m in target.warn_before_minutes) if target else ()


@dataclass(frozen=True, slots=True)
class _PlanRow:
    calendar_id: int
    calendar_at: datetime


_ALL_PLANS = core_select(_PLAN.c.id, _PLAN.c.calendar_id, _CALENDAR.c.updated_at).select_from(
    _PLAN.join(_CALENDAR, _CALENDAR.c.id == _PLAN.c.calendar_id)
)
_ALL_THRESHOLDS = core_select(_TARGET.c.plan_id, _TARGET.c.priority, _TARGET.c.warn_before_minutes)


@dataclass
class PlanCache:
    """Every plan's calendar and warning thresholds for one unit of work (a sweep's batch):
    two Core reads, whatever the number of tickets; a calendar is built only when the
    process has not built it since its row last changed."""

    session: Session
    _plans: dict[int, _PlanRow] | None = None
    _thresholds: dict[tuple[int, str], tuple[int, ...]] = field(default_factory=dict)

    def _read(self) -> dict[int, _PlanRow]:
        if self._plans is None:
            connection = self.session.connection()
            self._plans = {
                plan_id: _PlanRow(calendar_id, calendar_at)
                for plan_id, calendar_id, calendar_at in connection.execute(_ALL_PLANS)
            }
            self._thresholds = {
                (plan_id, str(priority)): tuple(int(m) for m in warn or ())
                for plan_id, priority, warn in connection.execute(_ALL_THRESHOLDS)
            }
        return self._plans

    def has(self, plan_id: int | None) -> bool:
        return plan_id is not None and plan_id in self._read()

    def calendar(self, plan_id: int) -> BusinessCalendar:
        row = self._read()[plan_id]
        calendar = _CALENDARS.get((row.calendar_id, row.calendar_at))
        if calendar is None:
            found = self.session.get(Calendar, row.calendar_id)
            assert found is not None, "a plan's calendar is a foreign key"
            calendar = business_calendar(found)
        return calendar

    def thresholds(self, plan_id: int, priority: Priority) -> tuple[int, ...]:
        self._read()
        return self._thresholds.get((plan_id, str(priority)), ())


def state(
    session: Session,
    *,
    ticket: Ticket,
    now: datetime,
    plans: PlanCache | None = None,
    events: Sequence[ClockEvent] | None = None,
) -> ClockState | None:
    """The clock of a ticket as of `now`, or None when no plan applies.

    `events` may be handed in when they were read in bulk (`clock_events_of`); else they
    are read, with those this write has not flushed yet. Without `plans` (a batch's cache)
    the plan's terms are one read (`plan_terms`).
    """
    assert ticket.id is not None
    if plans is None:
        terms = plan_terms(session, plan_id=ticket.sla_plan_id, priority=ticket.priority)
        if terms is None:
            return None
        return compute(
            events if events is not None else current_clock_events(session, ticket_id=ticket.id),
            terms.calendar,
            now=now,
            warn_before=terms.warn_before,
        )
    plan_id = ticket.sla_plan_id
    if plan_id is None or not plans.has(plan_id):
        return None
    return compute(
        events if events is not None else clock_events(session, ticket_id=ticket.id),
        plans.calendar(plan_id),
        now=now,
        warn_before=plans.thresholds(plan_id, ticket.priority),
    )


def refresh_due(
    session: Session, *, ticket: Ticket, now: datetime, clock: ClockState | None = None
) -> ClockState | None:
    """Re-derive the ticket's due columns from its clock events (or from `clock`, when the
    caller has just computed it)."""
    clock = clock or state(session, ticket=ticket, now=now)
    if clock is None:
        ticket.first_response_due = ticket.resolution_due = ticket.next_update_due = None
        ticket.sla_paused_since = None
        ticket.next_due_at = ticket.next_alert_at = NO_DEADLINE
        session.add(ticket)
        settle_alerts(session, ticket=ticket, clock=None, now=now)
        return None
    first = clock.targets[SlaTarget.first_response]
    resolution = clock.targets[SlaTarget.resolution]
    if first.due_at is not None:
        ticket.first_response_due = first.due_at
    if first.met_at is not None:
        ticket.first_responded_at = ticket.first_responded_at or first.met_at
    if resolution.due_at is not None:
        ticket.resolution_due = resolution.due_at
    # When the next regular update is due while the clock runs (None when paused or none).
    ticket.next_update_due = clock.targets[SlaTarget.update].due_at
    if clock.paused:
        ticket.sla_paused_since = ticket.sla_paused_since or now
    else:
        ticket.sla_paused_since = None
    # A ticket no longer worked on (resolved, closed, merged, spam) is due nowhere in the
    # queue, even with a target it breached; the breach stays on its SLA record.
    due = clock.next_due() if ticket.status in ACTIVE_STATUSES else None
    ticket.next_due_at = due or NO_DEADLINE
    # The earliest step, even a past one: the sweep then fires whatever this change made due
    # (a raised priority can put a threshold behind us); firing is idempotent.
    steps = alert_steps(clock)
    ticket.next_alert_at = steps[0].fire_at if steps else NO_DEADLINE
    if ticket.status == TicketStatus.resolved and ticket.resolved_at is not None:
        # A resolved ticket's next act is its auto-close, after the confirmation window.
        terms = plan_terms(session, plan_id=ticket.sla_plan_id, priority=ticket.priority)
        assert terms is not None
        ticket.next_alert_at = terms.calendar.add_business_minutes(
            ticket.resolved_at, terms.confirm_window_minutes
        )
    session.add(ticket)
    settle_alerts(session, ticket=ticket, clock=clock, now=now)
    return clock


SLA_ALERTS = (AlertKind.warning, AlertKind.breach)


def settle_alerts(
    session: Session, *, ticket: Ticket, clock: ClockState | None, now: datetime
) -> None:
    """Close the ticket's SLA alerts it no longer needs, and open again those it needs
    once more.

    An alert is needed while its target still runs to the deadline it was raised for (or
    is breached at it) and the clock is not paused. Resolved, target met, clock paused or
    the deadline moved: closed, with that reason; acknowledged alerts are left alone (a
    person dealt with them). A resume that brings the same deadline back (a breach stays
    at its instant) opens the alert again. Mail `attention` alerts are not the clock's.
    """
    assert ticket.id is not None
    # Most tickets have no alert to settle: one indexed probe, without the ORM, says so
    # (alerts are inserted with Core statements, never left pending in a session).
    if session.connection().execute(_UNSETTLED, {"ticket_id": ticket.id}).first() is None:
        return
    rows = session.exec(
        select(Alert).where(
            Alert.ticket_id == ticket.id,
            col(Alert.kind).in_(SLA_ALERTS),
            col(Alert.acknowledged_at).is_(None),
        )
    ).all()
    live: set[tuple[SlaTarget, datetime]] = set()
    if clock is not None and not clock.paused and ticket.status not in PAUSED_STATUSES:
        live = {
            (t.target, _utc(t.due_at))
            for t in clock.targets.values()
            if t.due_at is not None and t.state in (TargetState.pending, TargetState.breached)
        }
    for alert in rows:
        needed = (alert.target, _utc(alert.due_at)) in live
        if needed and alert.closed_at is not None:
            alert.closed_at, alert.closed_reason = None, ""
            session.add(alert)
        elif not needed and alert.closed_at is None:
            alert.closed_at = now
            alert.closed_reason = _closed_because(ticket, clock, alert.target)
            session.add(alert)


_ALERT = table_of(Alert)
_UNSETTLED = (
    core_select(_ALERT.c.id)
    .where(
        _ALERT.c.ticket_id == bindparam("ticket_id"),
        _ALERT.c.kind.in_(SLA_ALERTS),
        _ALERT.c.acknowledged_at.is_(None),
    )
    .limit(1)
)


def _closed_because(ticket: Ticket, clock: ClockState | None, target: SlaTarget) -> str:
    if ticket.status in (TicketStatus.resolved, TicketStatus.closed):
        return ticket.status.value
    if ticket.status in (TicketStatus.merged, TicketStatus.spam):
        return ticket.status.value
    if clock is None:
        return "no plan"
    if clock.targets[target].state in (TargetState.met, TargetState.met_late):
        return "met"
    if clock.paused:
        return "paused"
    return "deadline moved"


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def start(session: Session, *, ticket: Ticket, actor_id: int | None, now: datetime) -> None:
    terms = plan_terms(
        session, contract_id=ticket.contract_id, priority=ticket.priority, by_contract=True
    )
    if terms is None:
        return
    ticket.sla_plan_id = terms.plan_id
    record(
        session,
        ticket=ticket,
        kind=EventKind.sla_started,
        actor_id=actor_id,
        now=ticket.created_at,
        data={
            "plan": terms.name,
            "priority": ticket.priority.value,
            "budgets": _budgets_data(terms.budgets),
            "contract_id": ticket.contract_id,
        },
        bump=False,
    )
    # A new clock has exactly this one event: no need to read it back.
    started = ClockEvent(at=ticket.created_at, kind=EventKind.sla_started, budgets=terms.budgets)
    refresh_due(session, ticket=ticket, now=now, clock=_compute([started], terms, now=now))


def replan(session: Session, *, ticket: Ticket, actor_id: int | None, now: datetime) -> None:
    """The priority or contract changed: the new plan's budgets apply from the start."""
    terms = plan_terms(
        session, contract_id=ticket.contract_id, priority=ticket.priority, by_contract=True
    )
    if terms is None:
        return
    if ticket.sla_plan_id is None:
        start(session, ticket=ticket, actor_id=actor_id, now=now)
        return
    assert ticket.id is not None
    ticket.sla_plan_id = terms.plan_id
    record(
        session,
        ticket=ticket,
        kind=EventKind.sla_plan_changed,
        actor_id=actor_id,
        now=now,
        data={
            "plan": terms.name,
            "priority": ticket.priority.value,
            "budgets": _budgets_data(terms.budgets),
        },
        bump=False,
    )
    events = current_clock_events(session, ticket_id=ticket.id)
    refresh_due(session, ticket=ticket, now=now, clock=_compute(events, terms, now=now))


def _compute(events: Sequence[ClockEvent], terms: PlanTerms, *, now: datetime) -> ClockState:
    return compute(events, terms.calendar, now=now, warn_before=terms.warn_before)


def on_status_change(
    session: Session, *, ticket: Ticket, old: TicketStatus, actor_id: int | None, now: datetime
) -> None:
    if ticket.sla_plan_id is None:
        return
    was_paused, paused = old in PAUSED_STATUSES, ticket.status in PAUSED_STATUSES
    if ticket.status == TicketStatus.resolved:
        _meet(session, ticket=ticket, target=SlaTarget.resolution, actor_id=actor_id, now=now)
    if paused and not was_paused:
        kind = EventKind.sla_paused
    elif was_paused and not paused:
        kind = EventKind.sla_resumed
    else:
        refresh_due(session, ticket=ticket, now=now)
        return
    data: dict[str, str] = {"status": ticket.status.value}
    if kind == EventKind.sla_resumed and old in (TicketStatus.resolved, TicketStatus.closed):
        data["target"] = SlaTarget.resolution.value  # reopened: resolution runs again
    record(
        session,
        ticket=ticket,
        kind=kind,
        actor_id=actor_id,
        now=now,
        data=data,
        reason=f"status: {vocabulary.status(old)} → {vocabulary.status(ticket.status)}",
        bump=False,
    )
    refresh_due(session, ticket=ticket, now=now)


def on_public_reply(
    session: Session, *, ticket: Ticket, actor_id: int | None, now: datetime
) -> None:
    """The first public reply meets first response; every later one restarts the update
    target (regular updates to the client)."""
    if ticket.first_responded_at is not None:
        if ticket.sla_plan_id is not None:
            record(
                session,
                ticket=ticket,
                kind=EventKind.sla_met,
                actor_id=actor_id,
                now=now,
                data={"target": SlaTarget.update.value},
                bump=False,
            )
            refresh_due(session, ticket=ticket, now=now)
        return
    ticket.first_responded_at = now
    if ticket.sla_plan_id is None:
        session.add(ticket)
        return
    _meet(session, ticket=ticket, target=SlaTarget.first_response, actor_id=actor_id, now=now)
    refresh_due(session, ticket=ticket, now=now)


def _meet(
    session: Session, *, ticket: Ticket, target: SlaTarget, actor_id: int | None, now: datetime
) -> None:
    """Record `target` as met, unless it is met already: a reopen (an `sla_resumed` naming
    the target) makes it pending again, so a ticket resolved, reopened and resolved again
    has its resolution met twice."""
    assert ticket.id is not None
    latest = next(
        (
            event.kind
            for event in reversed(current_clock_events(session, ticket_id=ticket.id))
            if event.target == target and event.kind in (EventKind.sla_met, EventKind.sla_resumed)
        ),
        None,
    )
    if latest == EventKind.sla_met:
        return
    due = ticket.first_response_due if target == SlaTarget.first_response else ticket.resolution_due
    record(
        session,
        ticket=ticket,
        kind=EventKind.sla_met,
        actor_id=actor_id,
        now=now,
        data={"target": target.value, "late": bool(due and now > due)},
        bump=False,
    )


def _budgets_data(budgets: Budgets | None) -> dict[str, int | None] | None:
    if budgets is None:
        return None
    return {
        "first_response": budgets.first_response,
        "resolution": budgets.resolution,
        "update": budgets.update,
    }
