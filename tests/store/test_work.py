"""Taking work: take, take next (never the same ticket twice), my work, the detail view."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from sqlmodel import col, select

from dispatcher.domain.enums import EventKind, MessageKind, Priority, TicketStatus
from dispatcher.domain.errors import StaleVersionError
from dispatcher.store.db.engine import Store
from dispatcher.store.models import TicketEvent
from dispatcher.store.tickets import classification, reading, taking, writes
from tests.factories import World, new_ticket, world


@pytest.fixture
def w(store: Store) -> World:
    return world(store)


def test_take_assigns_and_starts_with_two_history_entries(
    store: Store, w: World, now: datetime
) -> None:
    t = new_ticket(store, w, now=now)
    with store.write() as session:
        taken = taking.take(
            session,
            ticket_id=t.id or 0,
            expected_version=t.version,
            user_id=w.engineer.id or 0,
            now=now,
        )
        assert taken.assignee_id == w.engineer.id
        assert taken.status == TicketStatus.in_progress
    with store.read() as session:
        view = reading.ticket_view(session, ticket_id=t.id or 0, now=now)
    kinds = [h.kind for h in view.history]
    assert kinds[-2:] == [EventKind.assigned.value, EventKind.status_changed.value]
    assert view.history[-2].reason == "taken"
    assert view.detail.assignee is not None
    assert view.detail.assignee.name == "ivan"


def test_take_refuses_a_stale_version(store: Store, w: World, now: datetime) -> None:
    t = new_ticket(store, w, now=now)
    with store.write() as session:
        writes.classify(
            session,
            ticket_id=t.id or 0,
            expected_version=t.version,
            actor_id=w.dispatcher.id,
            priority=Priority.urgent,
            now=now,
        )
    with store.write() as session, pytest.raises(StaleVersionError, match="high → urgent"):
        taking.take(
            session,
            ticket_id=t.id or 0,
            expected_version=t.version,
            user_id=w.engineer.id or 0,
            now=now,
        )


def test_take_next_picks_the_most_urgent_eligible(store: Store, w: World, now: datetime) -> None:
    later = new_ticket(store, w, now=now, priority=Priority.low, subject="later")
    sooner = new_ticket(store, w, now=now, priority=Priority.urgent, subject="sooner")
    # Someone else's ticket and a category ivan lacks the competence for are never offered.
    others = new_ticket(store, w, now=now, priority=Priority.urgent, subject="petr's")
    with store.write() as session:
        writes.assign(
            session,
            ticket_id=others.id or 0,
            expected_version=None,
            actor_id=None,
            assignee_id=w.engineer2.id,
            now=now,
        )
        printers = classification.add_category(session, name="Printers", queue_id=w.queue.id or 0)
    with store.write() as session:
        from dispatcher.store.people.competences import add_competence

        needed = add_competence(session, code="printers")
        printers.competence_id = needed.id
        session.add(printers)
    unfit = new_ticket(store, w, now=now, priority=Priority.urgent, subject="printer")
    with store.write() as session:
        writes.classify(
            session,
            ticket_id=unfit.id or 0,
            expected_version=None,
            actor_id=None,
            category_id=printers.id,
            now=now,
        )
    with store.write() as session:
        first = taking.take_next(session, user_id=w.engineer.id or 0, now=now)
        assert first is not None
        assert first.id == sooner.id
    with store.write() as session:
        second = taking.take_next(session, user_id=w.engineer.id or 0, now=now)
        assert second is not None
        assert second.id == later.id
    with store.write() as session:
        assert taking.take_next(session, user_id=w.engineer.id or 0, now=now) is None
    with store.read() as session:
        mine = taking.my_work(session, user_id=w.engineer.id or 0)
    assert [r.id for r in mine] == [sooner.id, later.id]


def test_take_next_walks_the_partial_index(store: Store, w: World) -> None:
    if not store.is_sqlite:
        pytest.skip("the plan check is SQLite's EXPLAIN QUERY PLAN")
    statement = taking.next_ticket_statement(user_id=1, category_ids=[1, 2])
    with store.read() as session:
        connection = session.connection()
        compiled = statement.compile(
            dialect=connection.dialect, compile_kwargs={"literal_binds": True}
        )
        plan = " ".join(
            str(row[-1]) for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}")
        )
    assert "ix_ticket_active_due" in plan
    assert "TEMP B-TREE" not in plan  # no sort: the index gives the order


def _concurrent_take_next(url: str, now: datetime) -> None:
    setup = Store.open(url)
    try:
        w = world(setup)
        ids = [
            new_ticket(setup, w, now=now - timedelta(minutes=i), priority=Priority.high).id or 0
            for i in range(6)
        ]
    finally:
        setup.dispose()
    barrier = threading.Barrier(2)
    taken: dict[str, list[int]] = {"ivan": [], "petr": []}
    errors: list[BaseException] = []

    def engineer(login: str, user_id: int) -> None:
        store = Store.open(url)
        try:
            for _ in range(3):
                barrier.wait(timeout=20)
                with store.write() as session:
                    ticket = taking.take_next(session, user_id=user_id, now=now)
                    assert ticket is not None
                    taken[login].append(ticket.id or 0)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
            barrier.abort()
        finally:
            store.dispose()

    threads = [
        threading.Thread(target=engineer, args=("ivan", w.engineer.id)),
        threading.Thread(target=engineer, args=("petr", w.engineer2.id)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    everything = taken["ivan"] + taken["petr"]
    assert sorted(everything) == sorted(ids)  # each ticket exactly once
    check = Store.open(url)
    try:
        with check.read() as session:
            events = session.exec(
                select(TicketEvent).where(
                    TicketEvent.kind == EventKind.assigned, col(TicketEvent.ticket_id).in_(ids)
                )
            ).all()
        assert len(events) == len(ids)  # nobody took a ticket twice
    finally:
        check.dispose()


def test_two_engineers_taking_next_at_once_on_sqlite(sqlite_url: str, now: datetime) -> None:
    _concurrent_take_next(sqlite_url, now)


@pytest.mark.postgres
def test_two_engineers_taking_next_at_once_on_postgres(pg_url: str, now: datetime) -> None:
    _concurrent_take_next(pg_url, now)


def test_ticket_view_has_thread_history_and_sla(store: Store, w: World, now: datetime) -> None:
    t = new_ticket(store, w, now=now)
    with store.write() as session:
        writes.add_message(
            session,
            ticket_id=t.id or 0,
            kind=MessageKind.note,
            body="checked the router",
            actor_id=w.engineer.id,
            now=now + timedelta(minutes=1),
        )
    with store.read() as session:
        view = reading.ticket_view(session, ticket_id=t.id or 0, now=now + timedelta(minutes=2))
        assert reading.ticket_version(session, ticket_id=t.id or 0) == view.detail.version
    assert [m.kind for m in view.messages] == [MessageKind.inbound, MessageKind.note]
    assert view.messages[0].author == "Anna Client"
    assert view.messages[1].author == "ivan"
    assert view.detail.client is not None
    assert view.detail.client.name == "Acme"
    assert view.detail.contract is not None
    assert view.detail.contract.name == "C-1"
    assert view.detail.plan == "premium"
    assert view.history[0].text == "created from phone"
    assert view.sla["plan"] == "premium"
    assert "first_response" in view.sla["targets"]


def test_deadline_preview_flags_an_expired_contract(store: Store, w: World, now: datetime) -> None:
    with store.read() as session:
        ok = reading.deadline_preview(
            session, client_id=w.client.id, priority=Priority.high, now=now
        )
    assert ok.covered
    assert ok.plan == "premium"
    assert ok.first_response_due == now + timedelta(minutes=60)  # 24x7 plan
    with store.write() as session:
        from dispatcher.store.models import Contract

        contract = session.get(Contract, w.contract.id)
        assert contract is not None
        contract.valid_to = now.date() - timedelta(days=1)
        session.add(contract)
    with store.read() as session:
        lapsed = reading.deadline_preview(
            session, client_id=w.client.id, priority=Priority.high, now=now
        )
    assert lapsed.expired
    assert not lapsed.covered
    assert "expired" in lapsed.contract
    assert lapsed.plan == "standard"  # the default plan applies
