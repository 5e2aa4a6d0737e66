"""The SLA sweep: warnings before a breach, the breach, exactly once across sweepers."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError
from sqlmodel import col, select

from dispatcher.domain.enums import (
    AlertKind,
    EventKind,
    MessageKind,
    Priority,
    Role,
    TicketStatus,
)
from dispatcher.domain.sla import NO_DEADLINE
from dispatcher.scheduling import SlaJobs
from dispatcher.store.db.engine import Store
from dispatcher.store.models import ACTIVE_STATUS_SQL, Alert, SlaPlan, Ticket, TicketEvent
from dispatcher.store.sla import alerts
from dispatcher.store.tickets import writes as repo
from dispatcher.store.tickets.history import history
from tests.factories import World, new_ticket, world


@pytest.fixture
def w(store: Store) -> World:
    return world(store)


def _alerts(store: Store) -> list[Alert]:
    with store.read() as session:
        return list(session.exec(select(Alert).order_by(col(Alert.id))).all())


def _sweep(store: Store, at: datetime) -> alerts.SweepResult:
    with store.write() as session:
        return alerts.sweep(session, now=at)


def test_walk_through_warnings_breach_and_escalation_with_two_schedulers(
    db_url: str, w: World, now: datetime
) -> None:
    """Premium (24x7), high: first response 60 min, resolution 480; warnings 60 and 15 min.

    Two schedulers' jobs (as two consoles, or a console and a watcher, would run them),
    each with its own store on the one database and an injected clock.
    """
    one, two = Store.open(db_url), Store.open(db_url)
    clock = {"now": now}
    jobs = {
        id(one): SlaJobs(one, clock=lambda: clock["now"]),
        id(two): SlaJobs(two, clock=lambda: clock["now"]),
    }

    def _sweep(store: Store, at: datetime) -> alerts.SweepResult:
        clock["now"] = at
        return jobs[id(store)].sweep()

    try:
        ticket = new_ticket(one, w, now=now, priority=Priority.high)
        assert ticket.id is not None
        assert ticket.next_alert_at == now + timedelta(minutes=45)  # first: 15 min before FR

        for at in (now, now + timedelta(minutes=44)):
            assert _sweep(one, at).fired == []
            assert _sweep(two, at).fired == []

        # 15 minutes of first-response time left: the dispatchers hear (nobody is assigned).
        at = now + timedelta(minutes=45)
        fired = _sweep(one, at).fired + _sweep(two, at).fired
        assert len(fired) == 1
        (warning,) = _alerts(one)
        assert warning.kind == AlertKind.warning
        assert warning.threshold_minutes == 15
        assert warning.recipient_role == Role.dispatcher

        # The breach: leads hear, the history says so, and it happens once.
        at = now + timedelta(minutes=60)
        first, second = _sweep(two, at), _sweep(one, at)
        assert first.breached == [ticket.id]
        assert second.breached == []
        breach = [a for a in _alerts(one) if a.kind == AlertKind.breach]
        assert [(a.recipient_role, a.target) for a in breach] == [(Role.lead, "first_response")]
        with one.read() as session:
            breached_events = session.exec(
                select(TicketEvent).where(
                    TicketEvent.ticket_id == ticket.id,
                    TicketEvent.kind == EventKind.sla_breached,
                )
            ).all()
        assert len(breached_events) == 1

        # Sweeping again and again changes nothing.
        for store in (one, two, one):
            assert _sweep(store, at + timedelta(minutes=1)).fired == []
        keys = [a.key for a in _alerts(one)]
        assert len(keys) == len(set(keys)) == 2
        # Next stop: the resolution's first warning, 60 business minutes before 480.
        with one.read() as session:
            assert repo.get_ticket(session, ticket_id=ticket.id).next_alert_at == (
                now + timedelta(minutes=420)
            )
    finally:
        one.dispose()
        two.dispose()


def test_alerts_missed_while_nothing_ran_fire_once_on_the_next_start(
    store: Store, w: World, now: datetime
) -> None:
    ticket = new_ticket(store, w, now=now, priority=Priority.high)
    assert ticket.id is not None
    # Nothing swept for ten hours: both deadlines passed meanwhile.
    result = _sweep(store, now + timedelta(hours=10))
    shown = [a for a in _alerts(store) if a.id in result.fired]
    assert sorted((a.target, a.kind) for a in shown) == [
        ("first_response", AlertKind.breach),
        ("resolution", AlertKind.breach),
    ]
    superseded = [a for a in _alerts(store) if a.id not in result.fired]
    assert superseded, "the overtaken warnings are recorded"
    assert all(a.acknowledged_at is not None for a in superseded)
    assert _sweep(store, now + timedelta(hours=10, minutes=5)).fired == []
    with store.read() as session:
        assert repo.get_ticket(session, ticket_id=ticket.id).next_alert_at == NO_DEADLINE


def test_the_assignee_hears_first_then_the_dispatchers(
    store: Store, w: World, now: datetime
) -> None:
    ticket = new_ticket(store, w, now=now, priority=Priority.high)
    assert ticket.id is not None
    with store.write() as session:
        repo.add_message(
            session,
            ticket_id=ticket.id,
            kind=MessageKind.reply,
            body="on it",
            actor_id=w.engineer.id,
            now=now + timedelta(minutes=5),
        )
        t = repo.assign(
            session,
            ticket_id=ticket.id,
            expected_version=None,
            actor_id=w.dispatcher.id,
            assignee_id=w.engineer.id,
            now=now + timedelta(minutes=6),
        )
    assert t.next_alert_at == now + timedelta(minutes=420)
    _sweep(store, now + timedelta(minutes=420))
    first = _alerts(store)
    assert [(a.recipient_id, a.recipient_role) for a in first] == [(w.engineer.id, None)]
    _sweep(store, now + timedelta(minutes=465))
    second = _alerts(store)[len(first) :]
    assert sorted((a.recipient_id or 0, a.recipient_role or "") for a in second) == sorted(
        [(w.engineer.id or 0, ""), (0, Role.dispatcher)]
    )


def test_a_breach_raises_the_priority_when_the_plan_says_so(
    store: Store, w: World, now: datetime
) -> None:
    with store.write() as session:
        plan = session.get(SlaPlan, w.plan.id)
        assert plan is not None
        plan.breach_raises_priority = True
        session.add(plan)
    ticket = new_ticket(store, w, now=now, priority=Priority.normal)
    assert ticket.id is not None
    _sweep(store, now + timedelta(hours=5))  # normal: first response 240 min
    with store.read() as session:
        after = repo.get_ticket(session, ticket_id=ticket.id)
        last = session.exec(
            select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == EventKind.classified)
            .order_by(col(TicketEvent.id).desc())
        ).first()
    assert after.priority == Priority.high
    assert last is not None
    assert last.reason == "first response deadline breached"
    # The contract's deadlines stand: a high priority's shorter resolution budget (480 min)
    # would already be breached five hours in and escalate again; normal's (1440) is not.
    assert after.resolution_due == ticket.resolution_due
    assert ticket.resolution_due == now + timedelta(minutes=1440)
    with store.read() as session:
        kinds = [e.kind for e, _ in history(session, ticket_id=ticket.id)]
    assert EventKind.sla_plan_changed not in kinds
    _sweep(store, now + timedelta(hours=5, minutes=1))
    with store.read() as session:
        assert repo.get_ticket(session, ticket_id=ticket.id).priority == Priority.high


def test_paused_tickets_raise_nothing(store: Store, w: World, now: datetime) -> None:
    ticket = new_ticket(store, w, now=now, priority=Priority.high)
    assert ticket.id is not None
    with store.write() as session:
        paused = repo.change_status(
            session,
            ticket_id=ticket.id,
            expected_version=ticket.version,
            actor_id=w.dispatcher.id,
            status=TicketStatus.waiting_client,
            now=now + timedelta(minutes=1),
        )
    assert paused.next_alert_at == NO_DEADLINE
    assert _sweep(store, now + timedelta(days=3)).fired == []


def test_auto_close_after_the_confirmation_window(store: Store, w: World, now: datetime) -> None:
    ticket = new_ticket(store, w, now=now)
    assert ticket.id is not None
    with store.write() as session:
        repo.change_status(
            session,
            ticket_id=ticket.id,
            expected_version=ticket.version,
            actor_id=w.engineer.id,
            status=TicketStatus.resolved,
            now=now,
        )
    window = timedelta(minutes=w.plan.confirm_window_minutes)  # 24x7: wall time
    with store.write() as session:
        assert alerts.auto_close(session, now=now + window - timedelta(minutes=1)) == []
    with store.write() as session:
        assert alerts.auto_close(session, now=now + window) == [ticket.id]
    with store.read() as session:
        closed = repo.get_ticket(session, ticket_id=ticket.id)
    assert closed.status == TicketStatus.closed
    assert closed.closed_at == now + window


def test_open_alerts_per_person_acknowledge_and_snooze(
    store: Store, w: World, now: datetime
) -> None:
    new_ticket(store, w, now=now, priority=Priority.high)
    _sweep(store, now + timedelta(minutes=45))  # the warning
    at = now + timedelta(minutes=61)
    _sweep(store, at)  # the breach

    def visible(user_id: int | None, role: Role) -> list[alerts.AlertView]:
        with store.read() as session:
            return alerts.open_alerts(session, user_id=user_id or 0, role=role, now=at)

    dispatcher_sees = visible(w.dispatcher.id, Role.dispatcher)
    lead_sees = visible(w.lead.id, Role.lead)
    assert [a.kind for a in dispatcher_sees] == [AlertKind.warning]
    # One row per ticket and target: the breach, standing for the warning before it.
    assert [a.kind for a in lead_sees] == [AlertKind.breach]
    assert dispatcher_sees[0].id in lead_sees[0].ids
    assert visible(w.engineer.id, Role.engineer) == []

    with store.write() as session:
        alerts.acknowledge(
            session, alert_id=dispatcher_sees[0].id, user_id=w.dispatcher.id or 0, now=at
        )
    assert visible(w.dispatcher.id, Role.dispatcher) == []
    breach = next(a for a in lead_sees if a.kind == AlertKind.breach)
    with store.write() as session:
        alerts.snooze_all(session, alert_ids=breach.ids, until=at + timedelta(minutes=30), now=at)
    assert [a.kind for a in visible(w.lead.id, Role.lead)] == []
    with store.read() as session:
        later = alerts.open_alerts(
            session, user_id=w.lead.id or 0, role=Role.lead, now=at + timedelta(minutes=31)
        )
    assert [a.id for a in later] == [breach.id]


def test_the_sweep_reads_only_through_the_alert_index(store: Store, w: World) -> None:
    if not store.is_sqlite:
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
    with store.read() as session:
        plan = (
            session.connection()
            .exec_driver_sql(
                f"EXPLAIN QUERY PLAN SELECT * FROM ticket WHERE {ACTIVE_STATUS_SQL} "
                "AND next_alert_at <= ? ORDER BY next_alert_at LIMIT 500",
                ("2026-01-01 00:00:00.000000",),
            )
            .all()
        )
    detail = " ".join(str(row[-1]) for row in plan)
    assert "ix_ticket_active_alert" in detail
    assert "SCAN ticket" not in detail.replace("USING INDEX", "")


def test_ticket_model_keeps_alert_column() -> None:
    assert "next_alert_at" in Ticket.model_fields


# --- two sweeps at once on PostgreSQL ---------------------------------------------------


@pytest.mark.postgres
def test_two_sweeps_over_the_same_due_tickets_on_postgres_alert_once_without_deadlock(
    pg_url: str, now: datetime
) -> None:
    """Two sweeps that read the same due tickets in different orders.

    The orders are made to differ the way they do in life (a deadline changes between the
    two sweeps' reads): sweep A has read the due tickets and inserted its first alert, then
    the due order is reversed and committed, then sweep B reads and runs until it waits
    for a lock (or is done), then A goes on. Taking the tickets in the order read, each
    sweep ended up waiting for an alert key the other had inserted: a deadlock.
    """
    setup, one, two = Store.open(pg_url), Store.open(pg_url), Store.open(pg_url)
    try:
        w = world(setup)
        ids = [new_ticket(setup, w, now=now, priority=Priority.high).id or 0 for _ in range(6)]
        at = now + timedelta(hours=10)  # both deadlines of every ticket passed: all due
        _set_due_order(setup, ids, at)
        a_inserted, a_go = threading.Event(), threading.Event()

        def pause_after_first_alert(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if statement.startswith("INSERT INTO alert") and not a_inserted.is_set():
                a_inserted.set()
                assert a_go.wait(60), "the test never let sweep A go on"

        event.listen(one.engine, "after_cursor_execute", pause_after_first_alert)
        results: dict[str, alerts.SweepResult] = {}
        errors: list[str] = []

        def sweep(name: str, store: Store) -> None:
            try:
                results[name] = _sweep(store, at)
            except Exception as exc:  # the deadlock, if it happens, surfaces here
                errors.append(f"{name}: {type(exc).__name__}: {exc}".splitlines()[0])

        a = threading.Thread(target=sweep, args=("A", one))
        a.start()
        assert a_inserted.wait(60)
        _set_due_order(setup, list(reversed(ids)), at, lock_timeout_ms=300)
        b = threading.Thread(target=sweep, args=("B", two))
        b.start()
        _wait_until_blocked_or_done(setup, b)
        a_go.set()
        a.join(60)
        b.join(60)
        assert not a.is_alive()
        assert not b.is_alive()

        assert errors == []
        fired = {name: set(result.fired) for name, result in results.items()}
        assert not fired["A"] & fired["B"], "an alert fired in both sweeps"
        raised = _alerts(setup)
        assert {a.ticket_id for a in raised} == set(ids)
        shown = {a.id for a in raised if a.acknowledged_at is None}
        assert fired["A"] | fired["B"] == shown  # every alert fired, once
        assert sorted(results["A"].breached + results["B"].breached) == sorted(ids * 2)
    finally:
        for store in (setup, one, two):
            store.dispose()


def _set_due_order(
    store: Store, ids: list[int], at: datetime, *, lock_timeout_ms: int | None = None
) -> None:
    """Make `ids` come due in that order (one second apart, all before `at`).

    With `lock_timeout_ms`, give up quietly when a sweep holds the tickets (as it should).
    """
    try:
        with store.write() as session:
            if lock_timeout_ms is not None:
                session.execute(text(f"SET LOCAL lock_timeout = '{lock_timeout_ms}ms'"))
            for n, ticket_id in enumerate(ids):
                session.execute(
                    text("UPDATE ticket SET next_alert_at = :due WHERE id = :id"),
                    {"due": at - timedelta(minutes=30) + timedelta(seconds=n), "id": ticket_id},
                )
    except OperationalError as exc:
        if lock_timeout_ms is None or "lock timeout" not in str(exc):
            raise


def _wait_until_blocked_or_done(store: Store, thread: threading.Thread) -> None:
    """Until `thread` has finished, or some backend of this database waits for a lock."""
    for _ in range(3000):
        if not thread.is_alive():
            return
        with store.read() as session:
            waiting = session.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar()
        if waiting:
            return
        thread.join(0.01)
    raise AssertionError("sweep B neither finished nor waited for a lock")


# --- the panel's rows: one per ticket and target, gone when no longer needed -------------


def _assigned_breached(store: Store, w: World, now: datetime) -> Ticket:
    ticket = new_ticket(store, w, now=now, priority=Priority.high)
    with store.write() as session:
        ticket = repo.assign(
            session,
            ticket_id=ticket.id or 0,
            expected_version=None,
            actor_id=w.dispatcher.id,
            assignee_id=w.engineer.id,
            now=now + timedelta(minutes=1),
        )
    for minutes in (45, 61):  # the 15-minute warning, then the first-response breach
        _sweep(store, now + timedelta(minutes=minutes))
    return ticket


def _rows(store: Store, user: Any, at: datetime) -> list[alerts.AlertView]:
    with store.read() as session:
        return alerts.open_alerts(session, user_id=user.id or 0, role=user.role, now=at)


def test_one_row_per_ticket_and_target_naming_target_and_owner(
    store: Store, w: World, now: datetime
) -> None:
    ticket = _assigned_breached(store, w, now)
    at = now + timedelta(minutes=62)
    assert len(_alerts(store)) == 3  # warning: the assignee; breach: the assignee and leads
    for user in (w.lead, w.engineer):
        (row,) = _rows(store, user, at)
        assert (row.ticket_id, row.kind, row.target) == (
            ticket.id,
            AlertKind.breach,
            "first_response",
        )
        assert row.owner == "Ivan Engineer"
    (lead_row,) = _rows(store, w.lead, at)
    with store.write() as session:
        alerts.acknowledge_all(session, alert_ids=lead_row.ids, user_id=w.lead.id or 0, now=at)
    assert _rows(store, w.lead, at) == []


def test_alerts_close_when_the_ticket_is_resolved(store: Store, w: World, now: datetime) -> None:
    ticket = _assigned_breached(store, w, now)
    at = now + timedelta(minutes=70)
    with store.write() as session:
        repo.change_status(
            session,
            ticket_id=ticket.id or 0,
            expected_version=None,
            actor_id=w.engineer.id,
            status=TicketStatus.resolved,
            now=at,
        )
    assert _rows(store, w.lead, at) == []
    assert _rows(store, w.engineer, at) == []
    closed = [a for a in _alerts(store) if a.acknowledged_at is None]
    assert closed
    assert all(a.closed_at == at and a.closed_reason == "resolved" for a in closed)


def test_a_pause_closes_and_the_resume_brings_back_the_same_breach(
    store: Store, w: World, now: datetime
) -> None:
    ticket = _assigned_breached(store, w, now)
    before = {a.id for a in _alerts(store)}
    (breach,) = _rows(store, w.lead, now + timedelta(minutes=62))
    for minutes, status in ((100, TicketStatus.waiting_client), (200, TicketStatus.open)):
        with store.write() as session:
            repo.change_status(
                session,
                ticket_id=ticket.id or 0,
                expected_version=None,
                actor_id=w.engineer.id,
                status=status,
                now=now + timedelta(minutes=minutes),
            )
        if status == TicketStatus.waiting_client:
            assert _rows(store, w.lead, now + timedelta(minutes=150)) == []
    at = now + timedelta(minutes=201)
    assert _sweep(store, at).fired == []  # the breach is the same one: nothing fires again
    assert {a.id for a in _alerts(store)} == before
    (again,) = _rows(store, w.lead, at)
    assert (again.id, again.due_at) == (breach.id, now + timedelta(minutes=60))


def test_a_met_first_response_closes_its_alerts_only(store: Store, w: World, now: datetime) -> None:
    ticket = _assigned_breached(store, w, now)
    at = now + timedelta(minutes=70)
    with store.write() as session:
        repo.add_message(
            session,
            ticket_id=ticket.id or 0,
            kind=MessageKind.reply,
            body="on it",
            actor_id=w.engineer.id,
            now=at,
        )
    assert _rows(store, w.lead, at) == []
    reasons = {a.closed_reason for a in _alerts(store) if a.target == "first_response"}
    assert reasons <= {"met", ""}


def _threshold_reads(store: Store, at: datetime) -> int:
    """How many statements one sweep ran on the plans' targets alone (warning thresholds)."""
    seen: list[str] = []

    def listen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        lowered = statement.lower()
        if "from sla_plan_target" in lowered:
            seen.append(statement)

    event.listen(store.engine, "before_cursor_execute", listen)
    try:
        _sweep(store, at)
    finally:
        event.remove(store.engine, "before_cursor_execute", listen)
    return len(seen)


def test_a_sweep_reads_the_plans_once_however_many_tickets_are_due(
    store: Store, w: World, now: datetime
) -> None:
    """A sweep's batch reads every plan's warning thresholds in one statement, not one per
    plan and priority of its tickets."""
    for n in range(2):
        new_ticket(store, w, now=now, priority=Priority.high, subject=f"Few {n}")
    few = _threshold_reads(store, now + timedelta(hours=10))
    for n in range(8):
        new_ticket(store, w, now=now + timedelta(hours=10), priority=Priority(
            ("low", "normal", "high", "urgent")[n % 4]), subject=f"Many {n}")  # fmt: skip
    many = _threshold_reads(store, now + timedelta(hours=20))
    assert few == many == 1
