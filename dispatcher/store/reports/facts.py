"""Ticket facts in the store: the `ticket_fact` row of a ticket, recomputed from its whole
history in the transaction of every change (`refresh_facts`), and every row rebuilt from
the history on demand (`rebuild_facts`, `dispatcher admin report rebuild-facts`).

A write calls `refresh_facts` once it has recorded its events. The row is folded again
from the whole history (`domain.kpi.facts.fold`), never patched with the latest event, so
it is the same whichever writes came before, the backfill computes exactly what the writes
keep, and a write that forgot to refresh is made good by the ticket's next change.

Concurrency: on PostgreSQL the fact row is locked (`FOR UPDATE`) before the history is
read, so two transactions that add events to one ticket (a person's change and the SLA
sweep's breach, which holds no ticket lock) fold one after the other, the second seeing the
first's events. SQLite has one writer at a time (`BEGIN IMMEDIATE`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, String, bindparam, func, insert, select, type_coerce, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from dispatcher.domain.kpi.facts import (
    FACT_EVENTS,
    CountsBusinessTime,
    HistoryEvent,
    TicketFacts,
    fold,
)
from dispatcher.domain.sla import NO_DEADLINE
from dispatcher.store.db.engine import Store
from dispatcher.store.models import Calendar, SlaPlan, Ticket, TicketEvent, TicketFact, table_of
from dispatcher.store.sla import clock as sla_clock

REBUILD_BATCH = 2_000

_FACT = table_of(TicketFact)
_EVENT = table_of(TicketEvent)
_TICKET = table_of(Ticket)
_PLAN = table_of(SlaPlan)
_CALENDAR = table_of(Calendar)
_DIMENSIONS = ("channel", "priority", "queue_id", "category_id", "client_id", "assignee_id")


def refresh_facts(session: Session, *tickets: Ticket) -> None:
    """Recompute these tickets' facts from their history, in the session's transaction."""
    session.flush()
    connection = session.connection()
    for ticket in tickets:
        assert ticket.id is not None, "flush the ticket before refreshing its facts"
        # The stored row (locked, on PostgreSQL): only what changed is written, so a
        # change that moves no figure (a note, a link) writes nothing, and an index is
        # touched only when its instant changes.
        read = _ROW_LOCKED if connection.dialect.name == "postgresql" else _ROW
        stored = connection.execute(read, {"ticket_id": ticket.id}).first()
        events = [
            HistoryEvent(at, kind, actor_id, data or {})
            for at, kind, actor_id, data in connection.execute(
                _HISTORY_OF_ONE, {"ticket_id": ticket.id}
            ).all()
        ]
        facts = fold(ticket.created_at, events, _calendar(session, ticket.sla_plan_id))
        dimensions = {name: getattr(ticket, name) for name in _DIMENSIONS}
        row = fact_row(ticket.id, dimensions, facts)
        if stored is None:
            connection.execute(insert(_FACT), row)
            continue
        old = stored._mapping
        changed = {name: value for name, value in row.items() if old[name] != value}
        if changed:
            connection.execute(update(_FACT).where(_FACT.c.ticket_id == ticket.id).values(changed))


_ROW = select(_FACT).where(_FACT.c.ticket_id == bindparam("ticket_id"))
_ROW_LOCKED = _ROW.with_for_update()
_HISTORY_COLUMNS = (
    _EVENT.c.at,
    type_coerce(_EVENT.c.kind, String),
    _EVENT.c.actor_id,
    _EVENT.c.data,
)
_HISTORY_OF_ONE = (
    select(*_HISTORY_COLUMNS)
    .where(_EVENT.c.ticket_id == bindparam("ticket_id"), _EVENT.c.kind.in_(FACT_EVENTS))
    .order_by(_EVENT.c.id)
)
_PLAN_CALENDAR = (
    select(_CALENDAR.c.id, _CALENDAR.c.updated_at)
    .select_from(_PLAN.join(_CALENDAR, _CALENDAR.c.id == _PLAN.c.calendar_id))
    .where(_PLAN.c.id == bindparam("plan_id"))
)


def _calendar(session: Session, plan_id: int | None) -> CountsBusinessTime | None:
    """The calendar of the ticket's plan: one small read to see that the calendar is still
    the one built before (the row's `updated_at` says so), or to build it again."""
    if plan_id is None:
        return None
    found = session.connection().execute(_PLAN_CALENDAR, {"plan_id": plan_id}).first()
    if found is None:
        return None
    calendar_id, updated_at = found
    cached = _CALENDARS.get(plan_id)
    if cached is not None and cached[0] == (calendar_id, updated_at):
        return cached[1]
    row = session.get(Calendar, calendar_id)
    assert row is not None
    calendar = sla_clock.business_calendar(row)
    _CALENDARS[plan_id] = ((calendar_id, updated_at), calendar)
    return calendar


_CALENDARS: dict[int, tuple[tuple[int, datetime], CountsBusinessTime]] = {}


def _history(connection: Connection, *, ticket_ids: Sequence[int]) -> dict[int, list[HistoryEvent]]:
    """The events the fold reads of a range of tickets, per ticket, in recorded order."""
    query = (
        select(_EVENT.c.ticket_id, *_HISTORY_COLUMNS)
        .where(
            _EVENT.c.ticket_id.between(min(ticket_ids), max(ticket_ids)),
            _EVENT.c.kind.in_(FACT_EVENTS),
        )
        .order_by(_EVENT.c.ticket_id, _EVENT.c.id)
    )
    found: dict[int, list[HistoryEvent]] = {}
    for ticket_id, at, kind, actor_id, data in connection.execute(query).all():
        found.setdefault(ticket_id, []).append(HistoryEvent(at, kind, actor_id, data or {}))
    return found


def fact_row(ticket_id: int, dimensions: Mapping[str, Any], facts: TicketFacts) -> dict[str, Any]:
    """The `ticket_fact` row of a ticket: its dimensions and its folded facts."""
    first, resolution, full = facts.first_response, facts.resolution, facts.full_resolution
    row: dict[str, Any] = {
        "ticket_id": ticket_id,
        "created_at": facts.created_at,
        **dimensions,
        "first_response_at": facts.first_response_at,
        "first_response_minutes": first.calendar if first else None,
        "first_response_business": first.business if first else None,
        "responses_before_resolution": facts.responses_before_resolution,
        "first_resolved_at": facts.first_resolved_at,
        "resolution_minutes": resolution.calendar if resolution else None,
        "resolution_business": resolution.business if resolution else None,
        "last_resolved_at": facts.last_resolved_at,
        "full_resolution_minutes": full.calendar if full else None,
        "full_resolution_business": full.business if full else None,
        "reopen_count": facts.reopen_count,
        "requester_wait": facts.requester_wait,
        "team_work": facts.team_work,
        "vendor_wait": facts.vendor_wait,
        "inactive_since": facts.inactive_since or NO_DEADLINE,
        "reopened_spells": [[_iso(start), _iso(end)] for start, end in facts.reopened_spells],
        "csat_score": facts.csat_score,
        "csat_at": facts.csat_at,
    }
    for target, state in facts.sla.items():
        row[f"{target.value}_outcome"] = state.outcome
        row[f"{target.value}_decided_at"] = state.decided_at
        row[f"{target.value}_breaches"] = state.breaches
    return row


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat()


def _upsert(connection: Connection) -> Any:
    """INSERT ... ON CONFLICT (ticket_id) DO UPDATE of every column, per dialect."""
    dialect = connection.dialect.name
    statement = _UPSERT.get(dialect)
    if statement is None:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        base = insert(_FACT)
        statement = _UPSERT[dialect] = base.on_conflict_do_update(
            index_elements=[_FACT.c.ticket_id],
            set_={c.name: base.excluded[c.name] for c in _FACT.columns if c.name != "ticket_id"},
        )
    return statement


_UPSERT: dict[str, Any] = {}


def rebuild_facts(
    store: Store,
    *,
    batch: int = REBUILD_BATCH,
    on_progress: Callable[[int, int], None] | None = None,
) -> int:
    """Compute every ticket's facts again from its history; how many tickets.

    A batch of tickets per transaction (by id), so consoles keep working meanwhile and a
    stopped run leaves whole batches (run it again: it recomputes, it never adds up).
    `on_progress(done, total)` hears of each batch.
    """
    with store.read() as session:
        total = int(
            session.connection().execute(select(func.count()).select_from(_TICKET)).scalar_one()
        )
    done, after = 0, 0
    if on_progress is not None:
        on_progress(done, total)
    while True:
        with store.write() as session:
            written, after = _rebuild_batch(session, after=after, batch=batch)
        if not written:
            break
        done += written
        if on_progress is not None:
            on_progress(min(done, total), max(total, done))
    return done


def _rebuild_batch(session: Session, *, after: int, batch: int) -> tuple[int, int]:
    connection = session.connection()
    columns = [_TICKET.c[name] for name in ("id", "created_at", "sla_plan_id", *_DIMENSIONS)]
    tickets = connection.execute(
        select(*columns).where(_TICKET.c.id > after).order_by(_TICKET.c.id).limit(batch)
    ).all()
    if not tickets:
        return 0, after
    ids = [row.id for row in tickets]
    if connection.dialect.name == "postgresql":
        connection.execute(
            select(_FACT.c.ticket_id)
            .where(_FACT.c.ticket_id.between(ids[0], ids[-1]))
            .with_for_update()
        )
    history = _history(connection, ticket_ids=ids)
    plans = sla_clock.PlanCache(session)
    rows = []
    for ticket in tickets:
        plan = plans.plan(ticket.sla_plan_id)
        calendar = plans.calendar(plan) if plan is not None else None
        facts = fold(ticket.created_at, history.get(ticket.id, []), calendar)
        dimensions = {name: getattr(ticket, name) for name in _DIMENSIONS}
        rows.append(fact_row(ticket.id, dimensions, facts))
    connection.execute(_upsert(connection), rows)
    return len(rows), ids[-1]


def missing_facts(session: Session, *, start: datetime, end: datetime) -> int:
    """How many tickets created in [start, end) have no fact row: 0 unless the database
    was upgraded without `rebuild_facts`, or rows were written around the store's writes
    (the demo's bulk insert). Two index range counts."""
    connection = session.connection()
    tickets = connection.execute(
        select(func.count())
        .select_from(_TICKET)
        .where(_TICKET.c.created_at >= start, _TICKET.c.created_at < end)
    ).scalar_one()
    facts = connection.execute(
        select(func.count())
        .select_from(_FACT)
        .where(_FACT.c.created_at >= start, _FACT.c.created_at < end)
    ).scalar_one()
    return max(0, int(tickets) - int(facts))
