"""Ticket facts in the store: the `ticket_fact` row of a ticket, kept up to date in the
transaction of every change (`refresh_facts`), and every row rebuilt from the history on
demand (`rebuild_facts`, `dispatcher admin report rebuild-facts`).

A write calls `refresh_facts` once it has recorded its events. The row holds the whole
state of the fold (`domain.kpi.facts.TicketFacts`, its odometer of business minutes
included) and the last event folded into it, so a change folds only the events recorded
after that one into the stored state (`fold_into`): a write costs the same on the ticket's
hundredth change as on its second. On SQLite the row's read also counts those events, and
a change whose own events (noted by the session as it flushes them) are all of them folds
those without reading them back: one read and one write per change, the ticket's creation
included, both on the driver's cursor (`store.db.driver`). Its result is, float
for float, the fold of the whole history (`tests/store/test_fact_upkeep.py` holds the two
against each other on random histories). The whole history is folded again instead when
there is no stored state yet (a row from before this upkeep), the ticket's calendar is not
the one the stored minutes were counted in (another plan, or the calendar was edited
since: the backfill would count every minute again in the new one), the creation instant
differs, or this transaction recorded an event that sorts before the last one folded (on
PostgreSQL, see below). A write that forgot to refresh is made good by the ticket's next
change: its events come after the last one folded.

Concurrency: on PostgreSQL the fact row is locked (`FOR UPDATE`) before the new events are
read, so two transactions that add events to one ticket fold one after the other, the
second seeing the first's events. The writes lock the ticket's row before they record, so
their events' ids follow the order of their commits; an event recorded without that lock
(`bump=False` takes none) may get its id from the sequence before one that another
transaction then commits and folds first. The session notes the least id of the events
each transaction records (`_note_recorded`), and a transaction whose own event sorts
before the last one folded folds the whole history. SQLite has one writer at a time
(`BEGIN IMMEDIATE`): ids follow the order of the commits.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    Connection,
    String,
    bindparam,
    event,
    func,
    insert,
    literal_column,
    select,
    type_coerce,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import SessionTransaction, UOWTransaction
from sqlmodel import Session

from dispatcher.domain.enums import SlaTarget, TicketStatus
from dispatcher.domain.kpi.facts import (
    FACT_EVENTS,
    CountsBusinessTime,
    Duration,
    HistoryEvent,
    Outcome,
    TargetFacts,
    TicketFacts,
    fold,
    fold_into,
)
from dispatcher.domain.sla import NO_DEADLINE
from dispatcher.store.db import driver
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
_FACT_KINDS = frozenset(FACT_EVENTS)
# The calendar business minutes were counted in: (calendar id, its `updated_at`), or
# (None, None) for calendar minutes (a ticket without a plan).
CalendarKey = tuple[int | None, datetime | None]
_NO_CALENDAR: CalendarKey = (None, None)
# `Session.info` key: ticket id -> the fact events this transaction recorded.
_RECORDED = "dispatcher_fact_events"


def refresh_facts(session: Session, *tickets: Ticket) -> None:
    """Bring these tickets' facts up to date with their history, in the session's
    transaction: the events recorded since the row was last kept are folded into it."""
    session.flush()
    connection = session.connection()
    recorded: dict[int, list[TicketEvent]] = session.info.get(_RECORDED, {})
    on_driver = driver.runs_on(connection)
    for ticket in tickets:
        assert ticket.id is not None, "flush the ticket before refreshing its facts"
        plan_id = ticket.sla_plan_id
        if on_driver:
            stored = _stored_on_driver(connection, ticket.id, plan_id)
        else:
            stored = _stored_locked(session, ticket.id, plan_id)
        old, key = stored.row, stored.calendar
        own = recorded.pop(ticket.id, [])
        calendar = _calendar_of(session, plan_id, key)
        facts, after = None, 0
        if old is not None:
            least = min(_id(event) for event in own) if own else None
            facts = resume(old, created_at=ticket.created_at, calendar=key, recorded=least)
            if facts is not None:
                after = old["folded_event_id"]
        found: tuple[list[int], list[HistoryEvent]] | None = None
        if stored.new_events is not None and (old is None or facts is not None):
            found = _own_events(own, after=after, count=stored.new_events)
        ids, events = found or _events_of_one(connection, ticket_id=ticket.id, after=after)
        if facts is None:
            facts = fold(ticket.created_at, events, calendar)
        else:
            fold_into(facts, events, calendar)
        dimensions = {name: getattr(ticket, name) for name in _DIMENSIONS}
        row = fact_row(
            ticket.id, dimensions, facts, folded_event_id=ids[-1] if ids else after, calendar=key
        )
        if old is None:
            if on_driver:
                _DRIVER_INSERT.write(connection, row)
            else:
                connection.execute(_INSERT, row)
            continue
        # Only what changed is written, so a change that moves no figure (a note, a link)
        # writes nothing, and an index is touched only when its instant changes. The SET
        # clause is the changed columns (one compiled form per set of them).
        changed = {name: value for name, value in row.items() if old[name] != value}
        if not changed:
            continue
        if on_driver:
            _DRIVER_UPDATE.write(connection, {"fact_ticket_id": ticket.id, **changed})
        else:
            connection.execute(_UPDATE, {"fact_ticket_id": ticket.id, **changed})


class _Stored(NamedTuple):
    """What a change reads before folding: the ticket's fact row (None before its first),
    the key of its plan's calendar now, and how many fact events were recorded after the
    last one folded (None when not counted: on PostgreSQL)."""

    row: Mapping[Any, Any] | None
    calendar: CalendarKey
    new_events: int | None


def _stored_on_driver(connection: Connection, ticket_id: int, plan_id: int | None) -> _Stored:
    """SQLite: the three in one read on the driver's cursor, the count from the start of
    the history when there is no row yet (so a ticket's creation reads no events either)."""
    found = _DRIVER_ROW_COUNTED.first(connection, {"ticket_id": ticket_id, "plan_id": plan_id})
    assert found is not None, "flush the ticket before refreshing its facts"
    row = None if found["ticket_id"] is None else found
    return _Stored(row, (found[_CALENDAR_ID], found[_CALENDAR_AT]), found[_NEW_EVENTS])


def _stored_locked(session: Session, ticket_id: int, plan_id: int | None) -> _Stored:
    """PostgreSQL: the row, locked (`FOR UPDATE` cannot take the nullable side of an outer
    join, so a ticket's first change reads its plan's calendar apart)."""
    parameters = {"ticket_id": ticket_id, "plan_id": plan_id}
    found = session.connection().execute(_ROW_LOCKED, parameters).first()
    if found is None:
        return _Stored(None, _calendar_key(session, plan_id), None)
    row = found._mapping
    return _Stored(row, (row[_CALENDAR_ID], row[_CALENDAR_AT]), None)


def _own_events(
    own: Sequence[TicketEvent], *, after: int, count: int
) -> tuple[list[int], list[HistoryEvent]] | None:
    """The ids and events to fold, from those this transaction recorded, when they are
    all the ticket's fact events after `after` (the database counted `count` of them), as
    the fold reads them back (`data` through JSON, as stored); None when there are others
    (recorded by a write that did not refresh, or around the ORM): they must be read."""
    mine = sorted(pair for pair in ((_id(event), event) for event in own) if pair[0] > after)
    if len(mine) != count:
        return None
    return [event_id for event_id, _ in mine], [
        HistoryEvent(event.at, str(event.kind), event.actor_id, _as_stored(event.data))
        for _, event in mine
    ]


_PLAIN = (str, int, float, bool, type(None))


def _as_stored(data: Mapping[str, Any] | None) -> dict[str, Any]:
    """An event's `data` as read back from its JSON column: a copy when it holds only
    text keys and plain values (which JSON keeps as they are), else through JSON."""
    if not data:
        return {}
    if all(type(key) is str and type(value) in _PLAIN for key, value in data.items()):
        return dict(data)
    loaded: dict[str, Any] = json.loads(json.dumps(data))
    return loaded


def _id(event: TicketEvent) -> int:
    assert event.id is not None
    return event.id


def resume(
    row: Mapping[Any, Any],
    *,
    created_at: datetime,
    calendar: CalendarKey,
    recorded: int | None = None,
) -> TicketFacts | None:
    """The fold's state a stored row holds, to fold the events after its `folded_event_id`
    into; None when the whole history must be folded instead (see the module's docstring).
    `recorded`: the least id of the events this transaction recorded for the ticket."""
    folded = row["folded_event_id"]
    if folded is None or row["created_at"] != created_at:
        return None
    if (row["calendar_id"], row["calendar_updated_at"]) != calendar:
        return None
    if recorded is not None and recorded <= folded:
        return None
    return facts_of_row(row)


def facts_of_row(row: Mapping[Any, Any]) -> TicketFacts:
    """The `TicketFacts` a `ticket_fact` row was written from (`fact_row`'s inverse)."""

    def duration(name: str) -> Duration | None:
        minutes, business = row[f"{name}_minutes"], row[f"{name}_business"]
        return None if minutes is None else Duration(minutes, business)

    def target(name: str) -> TargetFacts:
        outcome = row[f"{name}_outcome"]
        return TargetFacts(
            outcome=Outcome(outcome) if outcome is not None else None,
            decided_at=row[f"{name}_decided_at"],
            breaches=row[f"{name}_breaches"],
        )

    inactive_since = row["inactive_since"]
    return TicketFacts(
        created_at=row["created_at"],
        status=TicketStatus(row["status"]),
        status_since=row["status_since"],
        status_since_business=row["status_since_business"],
        first_response_at=row["first_response_at"],
        first_response=duration("first_response"),
        responses_before_resolution=row["responses_before_resolution"],
        first_resolved_at=row["first_resolved_at"],
        resolution=duration("resolution"),
        last_resolved_at=row["last_resolved_at"],
        full_resolution=duration("full_resolution"),
        reopen_count=row["reopen_count"],
        requester_wait=row["requester_wait"],
        team_work=row["team_work"],
        vendor_wait=row["vendor_wait"],
        inactive_since=None if inactive_since == NO_DEADLINE else inactive_since,
        reopened_spells=[
            (datetime.fromisoformat(start), datetime.fromisoformat(end))
            for start, end in row["reopened_spells"] or ()
        ],
        update_target=bool(row["update_target"]),
        sla={
            t: target(t.value)
            for t in (SlaTarget.first_response, SlaTarget.resolution, SlaTarget.update)
        },
        csat_score=row["csat_score"],
        csat_at=row["csat_at"],
        counted_to=row["counted_to"],
        counted_business=row["counted_business"],
    )


@event.listens_for(OrmSession, "after_flush")
def _note_recorded(session: OrmSession, _flush: UOWTransaction) -> None:
    """Note, per ticket, the fact events this transaction recorded."""
    for instance in session.new:
        if isinstance(instance, TicketEvent) and instance.kind in _FACT_KINDS:
            assert instance.id is not None
            recorded: dict[int, list[TicketEvent]] = session.info.setdefault(_RECORDED, {})
            recorded.setdefault(instance.ticket_id, []).append(instance)


@event.listens_for(OrmSession, "after_transaction_end")
def _forget_recorded(session: OrmSession, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost transaction: committed or rolled back
        session.info.pop(_RECORDED, None)


_CALENDAR_ID, _CALENDAR_AT = "plan_calendar_id", "plan_calendar_updated_at"
_ROW = (
    select(
        _FACT,
        _CALENDAR.c.id.label(_CALENDAR_ID),
        _CALENDAR.c.updated_at.label(_CALENDAR_AT),
    )
    .select_from(
        _FACT.outerjoin(_PLAN, _PLAN.c.id == bindparam("plan_id")).outerjoin(
            _CALENDAR, _CALENDAR.c.id == _PLAN.c.calendar_id
        )
    )
    .where(_FACT.c.ticket_id == bindparam("ticket_id"))
)
_ROW_LOCKED = _ROW.with_for_update(of=_FACT)
_INSERT = insert(_FACT)
_UPDATE = update(_FACT).where(_FACT.c.ticket_id == bindparam("fact_ticket_id"))
# The kinds the fold reads, as literals: an expanding IN list costs more than the rest of
# the read of a change's new events.
_READ_KINDS = _EVENT.c.kind.in_([literal_column(f"'{kind.value}'") for kind in FACT_EVENTS])
# SQLite (one writer at a time): the row read also counts the fact events recorded after
# the last one folded, so a write whose own events are all of them folds those it holds
# and reads no events. Not on PostgreSQL: there the events are read after the row's lock
# is held, when a concurrent writer's events have committed (see the module's docstring).
_NEW_EVENTS = "new_fact_events"
_ROW_COUNTED = (
    select(
        _FACT,
        _CALENDAR.c.id.label(_CALENDAR_ID),
        _CALENDAR.c.updated_at.label(_CALENDAR_AT),
        select(func.count())
        .select_from(_EVENT)
        .where(
            _EVENT.c.ticket_id == _TICKET.c.id,
            _EVENT.c.id > func.coalesce(_FACT.c.folded_event_id, 0),
            _READ_KINDS,
        )
        .scalar_subquery()
        .label(_NEW_EVENTS),
    )
    .select_from(
        _TICKET.outerjoin(_FACT, _FACT.c.ticket_id == _TICKET.c.id)
        .outerjoin(_PLAN, _PLAN.c.id == bindparam("plan_id"))
        .outerjoin(_CALENDAR, _CALENDAR.c.id == _PLAN.c.calendar_id)
    )
    .where(_TICKET.c.id == bindparam("ticket_id"))
)
# The row's read and write on the driver's cursor, on SQLite: SQLAlchemy's execution of
# them was a third of the upkeep's cost (`store.db.driver`).
_DRIVER_ROW_COUNTED = driver.DriverStatement(_ROW_COUNTED)
_DRIVER_INSERT = driver.DriverStatement(_INSERT)
_DRIVER_UPDATE = driver.DriverStatement(_UPDATE)
_HISTORY_COLUMNS = (
    _EVENT.c.id,
    _EVENT.c.at,
    type_coerce(_EVENT.c.kind, String),
    _EVENT.c.actor_id,
    _EVENT.c.data,
)
_EVENTS_OF_ONE = (
    select(*_HISTORY_COLUMNS)
    .where(
        _EVENT.c.ticket_id == bindparam("ticket_id"),
        _EVENT.c.id > bindparam("after"),
        _READ_KINDS,
    )
    .order_by(_EVENT.c.id)
)
_PLAN_CALENDAR = (
    select(_CALENDAR.c.id, _CALENDAR.c.updated_at)
    .select_from(_PLAN.join(_CALENDAR, _CALENDAR.c.id == _PLAN.c.calendar_id))
    .where(_PLAN.c.id == bindparam("plan_id"))
)


def _events_of_one(
    connection: Connection, *, ticket_id: int, after: int
) -> tuple[list[int], list[HistoryEvent]]:
    """The ids and events the fold reads of one ticket recorded after the event `after`."""
    rows = connection.execute(_EVENTS_OF_ONE, {"ticket_id": ticket_id, "after": after}).all()
    return [row[0] for row in rows], [
        HistoryEvent(at, kind, actor_id, data or {}) for _, at, kind, actor_id, data in rows
    ]


def _calendar(
    session: Session, plan_id: int | None
) -> tuple[CalendarKey, CountsBusinessTime | None]:
    """The calendar of the ticket's plan and its key: one small read to see that the
    calendar is still the one built before (the row's `updated_at` says so), or to build
    it again."""
    key = _calendar_key(session, plan_id)
    return key, _calendar_of(session, plan_id, key)


def _calendar_key(session: Session, plan_id: int | None) -> CalendarKey:
    if plan_id is None:
        return _NO_CALENDAR
    found = session.connection().execute(_PLAN_CALENDAR, {"plan_id": plan_id}).first()
    return _NO_CALENDAR if found is None else (found[0], found[1])


def _calendar_of(
    session: Session, plan_id: int | None, key: CalendarKey
) -> CountsBusinessTime | None:
    """The calendar of this key, built again only when the key is not the one before."""
    if plan_id is None or key[0] is None:
        return None
    cached = _CALENDARS.get(plan_id)
    if cached is not None and cached[0] == key:
        return cached[1]
    row = session.get(Calendar, key[0])
    assert row is not None
    calendar = sla_clock.business_calendar(row)
    _CALENDARS[plan_id] = (key, calendar)
    return calendar


_CALENDARS: dict[int, tuple[CalendarKey, CountsBusinessTime]] = {}


def _history(
    connection: Connection, *, ticket_ids: Sequence[int]
) -> dict[int, tuple[int, list[HistoryEvent]]]:
    """The events the fold reads of a range of tickets, per ticket, in recorded order, with
    the id of the last."""
    query = (
        select(_EVENT.c.ticket_id, *_HISTORY_COLUMNS)
        .where(
            _EVENT.c.ticket_id.between(min(ticket_ids), max(ticket_ids)),
            _READ_KINDS,
        )
        .order_by(_EVENT.c.ticket_id, _EVENT.c.id)
    )
    found: dict[int, tuple[int, list[HistoryEvent]]] = {}
    for ticket_id, event_id, at, kind, actor_id, data in connection.execute(query).all():
        _, events = found.get(ticket_id, (0, []))
        events.append(HistoryEvent(at, kind, actor_id, data or {}))
        found[ticket_id] = (event_id, events)
    return found


def fact_row(
    ticket_id: int,
    dimensions: Mapping[str, Any],
    facts: TicketFacts,
    *,
    folded_event_id: int | None,
    calendar: CalendarKey,
) -> dict[str, Any]:
    """The `ticket_fact` row of a ticket: its dimensions, its folded facts, and the state
    to fold its next events into (`folded_event_id`: the last event folded)."""
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
        "folded_event_id": folded_event_id,
        "status": facts.status,
        "status_since": facts.status_since,
        "status_since_business": facts.status_since_business,
        "counted_to": facts.counted_to,
        "counted_business": facts.counted_business,
        "update_target": facts.update_target,
        "calendar_id": calendar[0],
        "calendar_updated_at": calendar[1],
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
    calendars: dict[int | None, tuple[CalendarKey, CountsBusinessTime | None]] = {}
    rows = []
    for ticket in tickets:
        if ticket.sla_plan_id not in calendars:
            calendars[ticket.sla_plan_id] = _calendar(session, ticket.sla_plan_id)
        key, calendar = calendars[ticket.sla_plan_id]
        last, events = history.get(ticket.id, (0, []))
        facts = fold(ticket.created_at, events, calendar)
        dimensions = {name: getattr(ticket, name) for name in _DIMENSIONS}
        rows.append(fact_row(ticket.id, dimensions, facts, folded_event_id=last, calendar=key))
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
