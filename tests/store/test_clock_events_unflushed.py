"""The SLA clock inside a write sees the clock events that write has not flushed yet.

A replan records its event and computes the new due times in the same transaction, with
no flush between (a flush under SQLite's write lock is time every other writer waits):
the clock reads the events in the database and then those the session still holds.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from dispatcher.domain.enums import EventKind, Priority, SlaTarget, TicketStatus
from dispatcher.domain.sla import compute
from dispatcher.store.db.engine import Store
from dispatcher.store.models import Ticket, TicketEvent
from dispatcher.store.sla import clock
from dispatcher.store.tickets import writes
from dispatcher.store.tickets.history import record
from tests.factories import TARGETS, world


def test_a_replan_counts_the_new_budgets_from_its_own_unflushed_event(
    store: Store, now: datetime
) -> None:
    w = world(store)
    with store.write() as session:  # on the premium plan: 24x7, so due times are plain sums
        created = writes.create_ticket(
            session,
            data=writes.NewTicket(subject="VPN is down", client_id=w.client.id),
            actor_id=w.dispatcher.id,
            now=now,
        )
    assert created.id is not None
    later = now + timedelta(minutes=10)
    with store.write() as session:
        changed = writes.classify(
            session,
            ticket_id=created.id,
            expected_version=created.version,
            actor_id=w.dispatcher.id,
            priority=Priority.urgent,
            now=later,
        )
        due = (changed.first_response_due, changed.resolution_due)
    first, resolution = TARGETS[Priority.urgent]
    assert due == (now + timedelta(minutes=first), now + timedelta(minutes=resolution))
    # The same as the clock computed afresh from the committed history.
    with store.read() as session:
        ticket = session.get(Ticket, created.id)
        assert ticket is not None
        clock.refresh_due(session, ticket=ticket, now=later)
        assert (ticket.first_response_due, ticket.resolution_due) == due
        session.rollback()


def test_current_clock_events_are_the_stored_ones_then_the_pending_ones_in_order(
    store: Store, now: datetime
) -> None:
    w = world(store)
    with store.write() as session:
        created = writes.create_ticket(
            session,
            data=writes.NewTicket(subject="Printer", client_id=w.client.id),
            actor_id=w.dispatcher.id,
            now=now,
        )
    assert created.id is not None
    paused, resumed = now + timedelta(minutes=5), now + timedelta(minutes=65)
    with store.write() as session:
        ticket = session.get(Ticket, created.id)
        assert ticket is not None
        for kind, at in ((EventKind.sla_paused, paused), (EventKind.sla_resumed, resumed)):
            data = {"status": TicketStatus.waiting_client.value}
            record(session, ticket=ticket, kind=kind, actor_id=None, now=at, data=data, bump=False)
        record(session, ticket=ticket, kind=EventKind.classified, actor_id=None, now=resumed)
        stored = clock.clock_events(session, ticket_id=created.id)
        current = clock.current_clock_events(session, ticket_id=created.id)
        pending = [e for e in session.new if isinstance(e, TicketEvent)]
        assert len(pending) == 3  # nothing was flushed: the events are the session's alone
        session.rollback()
    assert [e.kind for e in stored] == [EventKind.sla_started]
    assert [(e.kind, e.at) for e in current] == [
        (EventKind.sla_started, now),
        (EventKind.sla_paused, paused),
        (EventKind.sla_resumed, resumed),
    ]
    # Computed over them, the hour paused moves the first response on by that hour.
    with store.read() as session:
        ticket = session.get(Ticket, created.id)
        assert ticket is not None
        terms = clock.plan_terms(session, plan_id=ticket.sla_plan_id, priority=ticket.priority)
        assert terms is not None
        state = compute(current, terms.calendar, now=resumed)
    first, _ = TARGETS[ticket.priority]
    due = state.targets[SlaTarget.first_response].due_at
    assert due == now + timedelta(minutes=first + 60)
