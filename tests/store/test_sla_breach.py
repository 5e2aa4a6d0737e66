"""The SLA clock in the store: a breach that survives a pause, a resolution met twice."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import col, select

from dispatcher.domain.enums import EventKind, Priority, SlaTarget, TicketStatus
from dispatcher.domain.sla import TargetState
from dispatcher.store.db.engine import Store
from dispatcher.store.models import Ticket, TicketEvent
from dispatcher.store.sla import clock as sla_clock
from dispatcher.store.tickets import writes as repo
from tests.factories import new_ticket, world


def _status(store: Store, ticket: Ticket, status: TicketStatus, at: datetime) -> Ticket:
    assert ticket.id is not None
    with store.write() as session:
        return repo.change_status(
            session,
            ticket_id=ticket.id,
            expected_version=ticket.version,
            actor_id=None,
            status=status,
            now=at,
        )


def test_a_breached_first_response_keeps_its_due_time_through_waiting(
    store: Store, now: datetime
) -> None:
    w = world(store)
    ticket = new_ticket(store, w, now=now, priority=Priority.high)  # 24x7: FR 60 min
    breach = now + timedelta(minutes=60)
    assert ticket.first_response_due == breach
    waiting = _status(store, ticket, TicketStatus.waiting_client, now + timedelta(hours=7))
    assert waiting.first_response_due == breach
    assert waiting.next_due_at == breach  # still the most urgent thing about it
    back = _status(store, waiting, TicketStatus.open, now + timedelta(hours=9))
    assert back.first_response_due == breach
    assert back.next_due_at == breach
    assert back.sla_paused_since is None
    with store.read() as session:
        row = session.get(Ticket, back.id)
        assert row is not None
        clock = sla_clock.state(session, ticket=row, now=now + timedelta(hours=9))
    assert clock is not None
    assert clock.targets[SlaTarget.first_response].state == TargetState.breached


def test_resolved_reopened_and_resolved_again_is_met_not_paused(
    store: Store, now: datetime
) -> None:
    w = world(store)
    ticket = new_ticket(store, w, now=now, priority=Priority.high)
    resolved = _status(store, ticket, TicketStatus.resolved, now + timedelta(hours=1))
    reopened = _status(store, resolved, TicketStatus.open, now + timedelta(hours=2))
    again = _status(store, reopened, TicketStatus.resolved, now + timedelta(hours=3))
    with store.read() as session:
        row = session.get(Ticket, again.id)
        assert row is not None
        clock = sla_clock.state(session, ticket=row, now=now + timedelta(hours=4))
        met = session.exec(
            select(TicketEvent)
            .where(TicketEvent.ticket_id == again.id, TicketEvent.kind == EventKind.sla_met)
            .order_by(col(TicketEvent.id))
        ).all()
    assert clock is not None
    resolution = clock.targets[SlaTarget.resolution]
    assert resolution.state == TargetState.met
    assert resolution.met_at == now + timedelta(hours=3)
    assert [e.data["target"] for e in met] == ["resolution", "resolution"]
