"""The live queue's window query in its default order: active tickets of a queue (or of
every queue) by due time, keyset-paged, and the plan that keeps it fast."""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text
from sqlmodel import col, select

from dispatcher.demo.generate import generate
from dispatcher.domain.enums import ACTIVE_STATUSES, Priority, TicketStatus
from dispatcher.domain.errors import ValidationError
from dispatcher.read_models.queue import QueueFilter, QueueWindow, WindowKey
from dispatcher.store.db.engine import Store
from dispatcher.store.models import Queue, Ticket
from dispatcher.store.tickets import writes as repo
from dispatcher.store.tickets.queue import (
    driver_sql,
    explain_queue_window,
    queue_window,
    queue_window_statement,
)
from tests.factories import new_ticket, world


def _walk(store: Store, *, queue_id: int | None, limit: int) -> list[int]:
    """Every ticket id the queue shows, window by window."""
    seen: list[int] = []
    after: WindowKey | None = None
    for _ in range(10_000):
        with store.read() as session:
            page: QueueWindow = queue_window(
                session, filters=QueueFilter(queue_id=queue_id), after=after, limit=limit
            )
        assert len(page.rows) <= limit
        seen.extend(row.id for row in page.rows)
        if page.next_key is None:
            return seen
        assert page.next_key == page.rows[-1].key
        assert len(page.rows) == limit
        after = page.next_key
    raise AssertionError("paging never ended")


def _expected(store: Store, *, queue_id: int | None) -> list[int]:
    with store.read() as session:
        query = select(Ticket.id).where(col(Ticket.status).in_(ACTIVE_STATUSES))
        if queue_id is not None:
            query = query.where(Ticket.queue_id == queue_id)
        query = query.order_by(col(Ticket.next_due_at), col(Ticket.id))
        return [int(i) for i in session.exec(query).all() if i is not None]


def test_page_shows_the_queue_s_active_tickets_soonest_due_first(
    store: Store, now: datetime
) -> None:
    w = world(store)
    low = new_ticket(store, w, now=now, priority=Priority.low, subject="low")
    urgent = new_ticket(store, w, now=now + timedelta(minutes=5), priority=Priority.urgent)
    high = new_ticket(store, w, now=now + timedelta(minutes=1), priority=Priority.high)
    done = new_ticket(store, w, now=now, priority=Priority.urgent, subject="done")
    with store.write() as session:
        repo.change_status(
            session,
            ticket_id=done.id or 0,
            expected_version=done.version,
            actor_id=w.engineer.id,
            status=TicketStatus.resolved,
            now=now + timedelta(minutes=10),
        )
        other = Queue(name="Elsewhere")
        session.add(other)
        session.flush()
        elsewhere = repo.create_ticket(
            session,
            data=repo.NewTicket(subject="elsewhere", queue_id=other.id, client_id=w.client.id),
            actor_id=w.dispatcher.id,
            now=now,
        )
    with store.read() as session:
        page = queue_window(session, filters=QueueFilter(queue_id=w.queue.id))
        everything = queue_window(session)
    assert [row.id for row in page.rows] == [urgent.id, high.id, low.id]
    assert page.next_key is None
    assert page.rows[0].subject == urgent.subject
    assert page.rows[0].status == TicketStatus.new
    assert page.rows[0].priority == Priority.urgent
    assert page.rows[0].client == w.client.name
    assert page.rows[0].assignee is None
    assert page.rows[0].queue_id == w.queue.id
    assert page.rows[0].next_due_at.utcoffset() == timedelta(0)
    assert page.rows[0].next_due_at == _ticket(store, urgent.id).next_due_at
    assert done.id not in [row.id for row in everything.rows]
    assert elsewhere.id in [row.id for row in everything.rows]


def _ticket(store: Store, ticket_id: int | None) -> Ticket:
    with store.read() as session:
        return repo.get_ticket(session, ticket_id=ticket_id or 0)


def test_assignee_login_is_joined(store: Store, now: datetime) -> None:
    w = world(store)
    ticket = new_ticket(store, w, now=now)
    with store.write() as session:
        repo.assign(
            session,
            ticket_id=ticket.id or 0,
            expected_version=ticket.version,
            actor_id=w.dispatcher.id,
            assignee_id=w.engineer.id,
            now=now,
        )
    with store.read() as session:
        (row,) = queue_window(session, filters=QueueFilter(queue_id=w.queue.id)).rows
    assert row.assignee == w.engineer.login
    assert row.status == TicketStatus.assigned
    assert row.version == 2


@pytest.fixture
def demo_store(store: Store, now: datetime) -> Store:
    generate(store, tickets=400, seed=7, now=now, batch=150)
    return store


def test_keyset_paging_visits_every_active_ticket_once_in_order(demo_store: Store) -> None:
    with demo_store.read() as session:
        queues = [q.id for q in session.exec(select(Queue)).all()]
    total = 0
    for queue_id in queues:
        expected = _expected(demo_store, queue_id=queue_id)
        total += len(expected)
        assert _walk(demo_store, queue_id=queue_id, limit=7) == expected
    assert total > 14, "the demo should leave active tickets in the queues"
    everything = _expected(demo_store, queue_id=None)
    assert len(everything) == total
    assert _walk(demo_store, queue_id=None, limit=9) == everything


def test_paging_across_equal_due_times(store: Store, now: datetime) -> None:
    """Tickets created at one instant share a deadline: the id breaks the tie."""
    w = world(store)
    ids = [new_ticket(store, w, now=now, priority=Priority.normal).id for _ in range(5)]
    assert _walk(store, queue_id=w.queue.id, limit=2) == ids


def test_page_size_is_checked(store: Store) -> None:
    with store.read() as session:
        with pytest.raises(ValidationError):
            queue_window(session, filters=QueueFilter(queue_id=1), limit=0)
        with pytest.raises(ValidationError):
            queue_window(session, filters=QueueFilter(queue_id=1), limit=100_000)


def _deep_key(store: Store, *, queue_id: int | None) -> WindowKey:
    """The key of a window 90 % of the way down the queue."""
    expected = _expected(store, queue_id=queue_id)
    with store.read() as session:
        ticket = repo.get_ticket(session, ticket_id=expected[int(len(expected) * 0.9)])
    assert ticket.next_due_at is not None
    assert ticket.id is not None
    return (ticket.next_due_at, ticket.id)


# A full scan of the ticket table; walking a partial index in order is "SCAN ... USING INDEX".
FULL_SCAN = re.compile(r"SCAN ticket(?! USING (COVERING )?INDEX ix_ticket_(queue|active)_due)")


def test_plan_walks_the_partial_index(demo_store: Store) -> None:
    if not demo_store.is_sqlite:
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's; PostgreSQL picks plans by table size")
    with demo_store.write() as session:
        session.execute(text("ANALYZE"))
    one = QueueFilter(queue_id=1)
    one_deep, every_deep = _deep_key(demo_store, queue_id=1), _deep_key(demo_store, queue_id=None)
    with demo_store.read() as session:
        first = " ".join(explain_queue_window(session, filters=one))
        deep = " ".join(explain_queue_window(session, filters=one, after=one_deep))
        every = " ".join(explain_queue_window(session))
        every_far = " ".join(explain_queue_window(session, after=every_deep))
    assert "SEARCH ticket USING INDEX ix_ticket_queue_due (queue_id=?)" in first
    assert "SEARCH ticket USING INDEX ix_ticket_queue_due (queue_id=? AND next_due_at>?)" in deep
    assert "ticket USING INDEX ix_ticket_active_due" in every
    assert "SEARCH ticket USING INDEX ix_ticket_active_due (next_due_at>?)" in every_far
    for plan in (first, deep, every, every_far):
        assert "TEMP B-TREE" not in plan  # no sort: the index gives the order
        assert not FULL_SCAN.search(plan), plan
        # the joined names and the warning flag are looked up by key, row by row
        for table in ("client", "user", "category", "alert"):
            assert f"SCAN {table}" not in plan, plan


def test_explain_runs_on_every_backend(store: Store, now: datetime) -> None:
    with store.read() as session:
        plan = explain_queue_window(session, filters=QueueFilter(queue_id=1), after=(now, 0))
        assert explain_queue_window(session, filters=QueueFilter(text="100%", category_ids=(1, 2)))
    assert plan


def test_driver_sql_is_the_query_the_store_runs(demo_store: Store) -> None:
    """What the benchmark times through raw sqlite3 returns the very same tickets."""
    if not demo_store.is_sqlite:
        pytest.skip("the raw floor of the benchmark is sqlite3")
    one = QueueFilter(queue_id=1)
    after = _deep_key(demo_store, queue_id=1)
    with demo_store.read() as session:
        dialect = session.connection().dialect
        ours = queue_window(session, filters=one, after=after, limit=5)
    sql, params = driver_sql(queue_window_statement(filters=one, after=after, limit=5), dialect)
    with sqlite3.connect(demo_store.url.database or "") as raw:
        rows = raw.execute(sql, params).fetchall()
    assert [r[0] for r in rows][:5] == [r.id for r in ours.rows]
    assert len(rows) == len(ours.rows) + (1 if ours.has_more else 0)
