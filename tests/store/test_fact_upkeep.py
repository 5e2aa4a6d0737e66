"""The facts a ticket's changes keep, folded on from the stored row, equal the fold of its
whole history, float for float, on the real database.

The oracle shares only `fold` and `fact_row` with the upkeep: it reads every event of the
ticket with plain SQL and folds them from the creation in one go, in the calendar of the
ticket's plan as it is now; the upkeep folds each change's new events into the state it
stored the change before. The world of `tests.factories`: Acme's contract names the
premium plan (24x7), a ticket without a client gets the standard plan (Moscow office hours
with a lunch break, Russian holidays), so business minutes cross nights, weekends and a
lunch break, and moving a ticket to or from Acme changes its calendar.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update
from sqlmodel import Session

from dispatcher.domain.enums import (
    EscalationTarget,
    EventKind,
    MessageKind,
    Priority,
    TicketStatus,
    can_transition,
)
from dispatcher.domain.errors import DispatcherError
from dispatcher.domain.kpi.facts import FACT_EVENTS, HistoryEvent, fold
from dispatcher.store.db.engine import Store
from dispatcher.store.mail.answers import rate
from dispatcher.store.models import Calendar, SlaPlan, Ticket, TicketEvent, TicketFact, table_of
from dispatcher.store.reports.facts import fact_row, rebuild_facts, refresh_facts
from dispatcher.store.sla import alerts
from dispatcher.store.sla import clock as sla_clock
from dispatcher.store.tickets import writes as repo
from dispatcher.store.tickets.history import record
from dispatcher.store.tickets.relations import escalate, merge
from tests.conftest import BACKEND
from tests.factories import World, world
from tests.hypothesis_profiles import examples

FACT = table_of(TicketFact)
EVENT = table_of(TicketEvent)
T0 = datetime(2026, 11, 13, 14, 0, tzinfo=UTC)  # Friday 17:00 in Moscow: a weekend ahead
DIMENSIONS = ("channel", "priority", "queue_id", "category_id", "client_id", "assignee_id")
_serial = itertools.count()


@pytest.fixture
def w(store: Store) -> World:
    return world(store)


# ------------------------------------------------------------------------------ the oracle


def stored_row(store: Store, ticket_id: int) -> dict[str, Any]:
    with store.read() as session:
        row = session.connection().execute(select(FACT).where(FACT.c.ticket_id == ticket_id))
        return dict(row.one()._mapping)


def full_fold_row(store: Store, ticket_id: int) -> dict[str, Any]:
    """The row the fold of the ticket's whole history gives, in its plan's calendar now."""
    with store.read() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        assert ticket.id is not None
        rows = session.connection().execute(
            select(EVENT.c.id, EVENT.c.at, EVENT.c.kind, EVENT.c.actor_id, EVENT.c.data)
            .where(EVENT.c.ticket_id == ticket_id)
            .order_by(EVENT.c.id)
        )
        history = [
            (i, HistoryEvent(at, str(kind), actor, data or {})) for i, at, kind, actor, data in rows
        ]
        plan = session.get(SlaPlan, ticket.sla_plan_id) if ticket.sla_plan_id else None
        calendar_row = session.get(Calendar, plan.calendar_id) if plan is not None else None
        calendar = sla_clock.business_calendar(calendar_row) if calendar_row else None
        key = (calendar_row.id, calendar_row.updated_at) if calendar_row else (None, None)
        facts = fold(ticket.created_at, [event for _, event in history], calendar)
        last = max((i for i, event in history if event.kind in FACT_EVENTS), default=0)
        dimensions = {name: getattr(ticket, name) for name in DIMENSIONS}
        return fact_row(ticket.id, dimensions, facts, folded_event_id=last, calendar=key)


def assert_same_as_full_fold(store: Store, ticket_id: int) -> None:
    kept, folded = stored_row(store, ticket_id), full_fold_row(store, ticket_id)
    differ = {k: (kept[k], folded[k]) for k in folded if kept[k] != folded[k]}
    assert not differ, f"#{ticket_id}: kept != full fold: {differ}"


# --------------------------------------------------------------------- random ticket lives

OPERATIONS = (
    "reply",
    "call",
    "note",
    "inbound",
    "assign",
    "unassign",
    "status",
    "priority",
    "client",
    "escalate_vendor",
    "escalate_colleague",
    "sweep",
    "rate",
    "merge",
)
# Minutes between two steps: the same instant, short and long gaps, nights and weekends,
# and now and then a step back (an event recorded with an earlier instant).
STEPS = st.sampled_from((0, 1, 7, 45, 180, 600, 1_500, 2_900, -30))
LIVES = st.lists(
    st.tuples(st.sampled_from(OPERATIONS), STEPS, st.integers(0, 100)), min_size=1, max_size=14
)
STATUSES = [s for s in TicketStatus if s != TicketStatus.merged]


def _operation(
    w: World, name: str, ticket: Ticket, other: Ticket, pick: int, now: datetime
) -> Callable[[Session], Any] | None:
    tid, version = ticket.id or 0, None
    engineer = w.engineer.id

    def message(kind: MessageKind, actor: int | None) -> Callable[[Session], Any]:
        return lambda s: repo.add_message(
            s, ticket_id=tid, kind=kind, body=f"{kind} {pick}", actor_id=actor, now=now
        )

    match name:
        case "reply":
            return message(MessageKind.reply, engineer)
        case "call":
            return message(MessageKind.call, w.dispatcher.id)
        case "note":
            return message(MessageKind.note, engineer)
        case "inbound":
            return message(MessageKind.inbound, None)
        case "assign" | "unassign":
            who = None if name == "unassign" else (engineer, w.engineer2.id)[pick % 2]
            return lambda s: repo.assign(
                s,
                ticket_id=tid,
                expected_version=version,
                actor_id=w.dispatcher.id,
                assignee_id=who,
                now=now,
            )
        case "status":
            allowed = [s for s in STATUSES if can_transition(ticket.status, s)]
            if not allowed:
                return None
            status = allowed[pick % len(allowed)]
            return lambda s: repo.change_status(
                s,
                ticket_id=tid,
                expected_version=version,
                actor_id=engineer,
                status=status,
                now=now,
            )
        case "priority":
            priority = list(Priority)[pick % len(Priority)]
            return lambda s: repo.classify(
                s,
                ticket_id=tid,
                expected_version=version,
                actor_id=w.dispatcher.id,
                priority=priority,
                now=now,
            )
        case "client":  # to or from Acme: another plan, another calendar
            client = None if ticket.client_id else w.client.id
            return lambda s: repo.classify(
                s,
                ticket_id=tid,
                expected_version=version,
                actor_id=w.dispatcher.id,
                client_id=client,
                now=now,
            )
        case "escalate_vendor":
            return lambda s: escalate(
                s,
                ticket_id=tid,
                expected_version=version,
                actor_id=engineer,
                target=EscalationTarget.vendor,
                vendor="Cisco",
                now=now,
            )
        case "escalate_colleague":
            return lambda s: escalate(
                s,
                ticket_id=tid,
                expected_version=version,
                actor_id=engineer,
                target=EscalationTarget.colleague,
                to_user_id=w.engineer2.id,
                now=now,
            )
        case "sweep":
            return lambda s: alerts.sweep(s, now=now)
        case "rate":
            return lambda s: rate(
                s,
                ticket=repo.get_ticket(s, ticket_id=tid),
                score=1 + pick % 5,
                comment="",
                now=now,
            )
        case "merge":
            return lambda s: merge(
                s,
                ticket_id=tid,
                into_id=other.id or 0,
                expected_version=version,
                actor_id=w.dispatcher.id,
                now=now,
            )
    raise AssertionError(name)  # fmt: skip


def _new_ticket(store: Store, w: World, *, client: bool, now: datetime) -> Ticket:
    data = repo.NewTicket(
        subject=f"life {next(_serial)}",
        body="help",
        client_id=w.client.id if client else None,
        contact_id=w.contact.id if client else None,
        priority=Priority.high,
    )
    with store.write() as session:
        return repo.create_ticket(session, data=data, actor_id=w.dispatcher.id, now=now)


@settings(
    max_examples=examples(200),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(life=LIVES, start=st.integers(0, 7 * 24 * 60))
def test_kept_facts_equal_the_fold_of_the_whole_history(
    store: Store, w: World, life: list[tuple[str, int, int]], start: int
) -> None:
    now = T0 + timedelta(minutes=start)
    tickets = [
        _new_ticket(store, w, client=True, now=now),
        _new_ticket(store, w, client=False, now=now),
    ]
    for ticket in tickets:
        assert_same_as_full_fold(store, ticket.id or 0)
    for name, step, pick in life:
        now += timedelta(minutes=step)
        with store.read() as session:
            current = [repo.get_ticket(session, ticket_id=t.id or 0) for t in tickets]
        ticket, other = current[pick % 2], current[1 - pick % 2]
        action = _operation(w, name, ticket, other, pick, now)
        if action is None:
            continue
        try:
            with store.write() as session:
                action(session)
        except DispatcherError:
            pass  # refused by the ticket's state: nothing was written
        for ticket in tickets:
            assert_same_as_full_fold(store, ticket.id or 0)
    # And the backfill computes exactly what the changes kept.
    kept = [stored_row(store, t.id or 0) for t in tickets]
    rebuild_facts(store)
    assert [stored_row(store, t.id or 0) for t in tickets] == kept


# --------------------------------------------------------------------- what folds whole


def _write(store: Store, action: Callable[[Session], Any]) -> Any:
    with store.write() as session:
        return action(session)


def _status(store: Store, w: World, ticket_id: int, status: TicketStatus, at: datetime) -> None:
    _write(
        store,
        lambda s: repo.change_status(
            s, ticket_id=ticket_id, expected_version=None, actor_id=w.engineer.id,
            status=status, now=at,
        ),
    )  # fmt: skip


def _tamper(store: Store, ticket_id: int, **values: Any) -> None:
    with store.write() as session:
        session.connection().execute(
            update(FACT).where(FACT.c.ticket_id == ticket_id).values(**values)
        )


def test_a_change_folds_its_new_events_into_the_stored_row(store: Store, w: World) -> None:
    ticket = _new_ticket(store, w, client=True, now=T0)
    tid = ticket.id or 0
    _status(store, w, tid, TicketStatus.in_progress, T0 + timedelta(minutes=30))
    # The stored state is what the next change folds on: the history is not read again.
    _tamper(store, tid, team_work=1_000.0)
    _status(store, w, tid, TicketStatus.resolved, T0 + timedelta(minutes=50))
    assert stored_row(store, tid)["team_work"] == 1_020.0
    assert full_fold_row(store, tid)["team_work"] == 50.0
    rebuild_facts(store)
    assert_same_as_full_fold(store, tid)


def test_a_row_without_fold_state_is_folded_from_the_whole_history(store: Store, w: World) -> None:
    ticket = _new_ticket(store, w, client=True, now=T0)
    tid = ticket.id or 0
    _status(store, w, tid, TicketStatus.in_progress, T0 + timedelta(minutes=30))
    # A row written before the upkeep kept its state: no `folded_event_id`.
    _tamper(store, tid, team_work=1_000.0, folded_event_id=None)
    _status(store, w, tid, TicketStatus.resolved, T0 + timedelta(minutes=50))
    assert stored_row(store, tid)["team_work"] == 50.0
    assert_same_as_full_fold(store, tid)


def test_an_edited_calendar_is_counted_again_from_the_creation(store: Store, w: World) -> None:
    monday = datetime(2026, 11, 16, 6, 0, tzinfo=UTC)  # 09:00 in Moscow
    ticket = _new_ticket(store, w, client=False, now=monday)  # the standard plan: office hours
    tid = ticket.id or 0
    _status(store, w, tid, TicketStatus.in_progress, monday + timedelta(hours=2))
    assert stored_row(store, tid)["team_work"] == 120.0
    with store.write() as session:  # the office opens at 10:00 from now on
        calendar = session.get(Calendar, w.default_plan.calendar_id)
        assert calendar is not None
        calendar.hours = {d: ["10:00-13:00", "14:00-18:00"] for d in calendar.hours}
        calendar.updated_at = monday + timedelta(hours=3)
        session.add(calendar)
    _status(store, w, tid, TicketStatus.resolved, monday + timedelta(hours=3))
    row = stored_row(store, tid)
    # 10:00 to 12:00 (new, then in progress), counted in the edited calendar: the old one
    # would count 09:00 to 12:00.
    assert row["team_work"] == 120.0
    assert row["resolution_business"] == 120.0
    assert_same_as_full_fold(store, tid)


def test_a_change_of_plan_is_counted_again_in_the_new_calendar(store: Store, w: World) -> None:
    ticket = _new_ticket(store, w, client=True, now=T0)  # premium: 24x7
    tid = ticket.id or 0
    _status(store, w, tid, TicketStatus.in_progress, T0 + timedelta(hours=1))
    assert stored_row(store, tid)["team_work"] == 60.0
    _write(
        store,
        lambda s: repo.classify(
            s, ticket_id=tid, expected_version=None, actor_id=w.dispatcher.id, client_id=None,
            now=T0 + timedelta(hours=2),
        ),
    )  # fmt: skip
    # Friday 17:00 to 18:00 in Moscow is an office hour; the hour after it is not.
    assert stored_row(store, tid)["team_work"] == 60.0
    _status(store, w, tid, TicketStatus.resolved, T0 + timedelta(hours=3))
    assert stored_row(store, tid)["resolution_business"] == 60.0
    assert_same_as_full_fold(store, tid)


def _record_unlocked(
    session: Session, ticket_id: int, kind: EventKind, at: datetime, data: dict[str, Any]
) -> None:
    """An event recorded without the ticket's row lock (nor a version bump)."""
    ticket = session.get(Ticket, ticket_id)
    assert ticket is not None
    record(session, ticket=ticket, kind=kind, actor_id=None, now=at, data=data, bump=False)
    session.flush()


@pytest.mark.skipif(BACKEND != "postgres", reason="SQLite has one writer at a time")
def test_an_event_recorded_before_one_already_folded_folds_the_whole_history(
    store: Store, w: World
) -> None:
    """Two transactions record events for one ticket without its row lock: the first to
    insert commits last. The one that commits first folds only its own event; the other,
    whose event has the lower id, folds the whole history."""
    ticket = _new_ticket(store, w, client=True, now=T0)
    tid = ticket.id or 0
    at = T0 + timedelta(hours=2)
    with store.write() as first:
        _record_unlocked(first, tid, EventKind.sla_breached, at, {"target": "first_response"})
        with store.write() as second:
            _record_unlocked(second, tid, EventKind.rated, at, {"score": 5, "kind": "csat"})
            refresh_facts(second, repo.get_ticket(second, ticket_id=tid))
        assert stored_row(store, tid)["csat_score"] == 5
        assert stored_row(store, tid)["first_response_breaches"] == 0
        refresh_facts(first, repo.get_ticket(first, ticket_id=tid))
    row = stored_row(store, tid)
    assert (row["first_response_breaches"], row["csat_score"]) == (1, 5)
    assert_same_as_full_fold(store, tid)


def test_events_a_write_left_unfolded_are_folded_by_the_next_change(store: Store, w: World) -> None:
    """A write that records fact events without refreshing the facts: the next change
    folds them with its own (a change folds the events it recorded without reading them
    back only when they are all the ticket's events after the last one folded)."""
    ticket = _new_ticket(store, w, client=True, now=T0)
    tid = ticket.id or 0
    at = T0 + timedelta(hours=2)
    with store.write() as session:
        _record_unlocked(session, tid, EventKind.sla_breached, at, {"target": "first_response"})
    assert stored_row(store, tid)["first_response_breaches"] == 0
    _status(store, w, tid, TicketStatus.in_progress, at + timedelta(minutes=5))
    row = stored_row(store, tid)
    assert (row["first_response_breaches"], row["status"]) == (1, TicketStatus.in_progress)
    assert_same_as_full_fold(store, tid)
    with store.write() as session:  # two folded, then one left unfolded, in one transaction
        _record_unlocked(session, tid, EventKind.rated, at, {"score": 4, "kind": "csat"})
        _record_unlocked(session, tid, EventKind.sla_breached, at, {"target": "resolution"})
        refresh_facts(session, repo.get_ticket(session, ticket_id=tid))
        _record_unlocked(session, tid, EventKind.rated, at, {"score": 2, "kind": "csat"})
    _status(store, w, tid, TicketStatus.resolved, at + timedelta(minutes=9))
    row = stored_row(store, tid)
    assert (row["csat_score"], row["resolution_breaches"]) == (2, 1)
    assert_same_as_full_fold(store, tid)
