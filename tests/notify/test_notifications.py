"""What goes in the outbox on which change, in the same transaction, shown in the history."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from dispatcher.domain.enums import EventKind, TicketStatus
from dispatcher.store.db.engine import Store
from dispatcher.store.models import OutboxItem, TicketEvent
from dispatcher.store.sla import alerts
from dispatcher.store.tickets.writes import assign, change_status
from tests.factories import new_ticket, world


def _outbox(store: Store) -> list[OutboxItem]:
    with store.read() as session:
        return list(session.exec(select(OutboxItem).order_by(OutboxItem.id)).all())  # type: ignore[arg-type]


def test_acknowledgement_names_the_ticket_and_the_first_response_time_in_local_time(
    store: Store, now: datetime
) -> None:
    w = world(store)
    with store.write() as session:
        # The office calendar (Moscow) applies: move Acme's contract to the standard plan.
        contract = w.contract
        contract.sla_plan_id = w.default_plan.id or 0
        session.add(contract)
    ticket = new_ticket(store, w, now=now)  # 07:30 UTC = 10:30 MSK, high: 60 business min
    [item] = _outbox(store)
    assert (item.kind, item.to_addresses, item.ticket_id) == (
        "acknowledgement",
        "anna@acme.example",
        ticket.id,
    )
    assert item.subject == f"[#{ticket.id}] We have your request: VPN is down"
    assert f"ticket #{ticket.id}" in item.body
    assert "by Wed 18 Nov 2026 11:30 MSK" in item.body
    assert item.headers["X-Dispatcher-Ticket"] == str(ticket.id)
    with store.read() as session:
        events = session.exec(
            select(TicketEvent).where(TicketEvent.kind == EventKind.notification_queued)
        ).all()
        assert [(e.ticket_id, e.data["kind"], e.data["outbox"]) for e in events] == [
            (ticket.id, "acknowledgement", item.id)
        ]


def test_assignment_tells_the_engineer_unless_they_took_it(store: Store, now: datetime) -> None:
    w = world(store)
    ticket = new_ticket(store, w, now=now)
    with store.write() as session:
        assign(
            session,
            ticket_id=ticket.id or 0,
            expected_version=None,
            actor_id=w.dispatcher.id,
            assignee_id=w.engineer.id,
            now=now,
        )
        assign(
            session,
            ticket_id=ticket.id or 0,
            expected_version=None,
            actor_id=w.engineer2.id,
            assignee_id=w.engineer2.id,
            now=now,
        )
    kinds = [(i.kind, i.to_addresses) for i in _outbox(store)]
    assert kinds == [("acknowledgement", "anna@acme.example"), ("assignment", "ivan@example.com")]


def test_resolution_and_auto_close_go_to_the_client(store: Store, now: datetime) -> None:
    w = world(store)
    ticket = new_ticket(store, w, now=now)
    with store.write() as session:
        change_status(
            session,
            ticket_id=ticket.id or 0,
            expected_version=None,
            actor_id=w.engineer.id,
            status=TicketStatus.resolved,
            now=now,
        )
    with store.write() as session:
        closed = alerts.auto_close(session, now=now + timedelta(days=30))
    assert closed == [ticket.id]
    items = _outbox(store)
    assert [i.kind for i in items] == ["acknowledgement", "resolution", "auto_close"]
    assert "confirm" in items[1].body
    assert "1 (poor) to 5" in items[1].body
    assert all(i.to_addresses == "anna@acme.example" for i in items)
    assert all(i.headers["In-Reply-To"] for i in items)  # the ticket's first message


def test_the_outbox_row_rolls_back_with_its_change(store: Store, now: datetime) -> None:
    w = world(store)
    ticket = new_ticket(store, w, now=now)
    queued: list[str] = []

    def resolve_then_fail() -> None:
        with store.write() as session:
            change_status(
                session,
                ticket_id=ticket.id or 0,
                expected_version=None,
                actor_id=w.engineer.id,
                status=TicketStatus.resolved,
                now=now,
            )
            queued.extend(session.exec(select(OutboxItem.kind)).all())
            raise RuntimeError("the change fails after the notification was queued")

    with pytest.raises(RuntimeError):
        resolve_then_fail()
    assert queued == ["acknowledgement", "resolution"]
    assert [i.kind for i in _outbox(store)] == ["acknowledgement"]


def test_no_address_no_notification(store: Store, now: datetime) -> None:
    from dispatcher.store.tickets.writes import NewTicket, create_ticket

    world(store)
    with store.write() as session:
        create_ticket(session, data=NewTicket(subject="walk-in"), actor_id=None, now=now)
    assert _outbox(store) == []
