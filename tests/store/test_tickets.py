"""The ticket repository: events with every change, stale writes refused, the SLA clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from dispatcher.domain.enums import (
    EscalationTarget,
    EventKind,
    MessageKind,
    Priority,
    TicketStatus,
)
from dispatcher.domain.errors import (
    ConflictError,
    NotFoundError,
    StaleVersionError,
    ValidationError,
)
from dispatcher.domain.sla import NO_DEADLINE
from dispatcher.store.db.engine import Store
from dispatcher.store.models import Message, SlaPlanTarget, Ticket, TicketEvent
from dispatcher.store.sla.clock import CLOCK_EVENTS
from dispatcher.store.tickets import writes as repo
from dispatcher.store.tickets.relations import escalate, merge
from tests.factories import World, new_ticket, world


def _events(store: Store, ticket_id: int) -> list[TicketEvent]:
    with store.read() as session:
        return list(
            session.exec(
                select(TicketEvent)
                .where(TicketEvent.ticket_id == ticket_id)
                .order_by(col(TicketEvent.id))
            ).all()
        )


def _ticket(store: Store, ticket_id: int) -> Ticket:
    with store.read() as session:
        return repo.get_ticket(session, ticket_id=ticket_id)


# Events that say what a person or the system changed, as opposed to what the change
# caused (SLA clock events, queued notifications).
_CHANGES = frozenset(EventKind) - frozenset(CLOCK_EVENTS) - {EventKind.notification_queued}
_CHANGES_AND_CLOCK = _CHANGES | frozenset(CLOCK_EVENTS)


@pytest.fixture
def w(store: Store) -> World:
    return world(store)


def test_create_registers_ticket_message_clock_and_history(
    store: Store, w: World, now: datetime
) -> None:
    ticket = new_ticket(store, w, now=now, priority=Priority.high)
    assert ticket.id is not None
    assert ticket.ref == f"#{ticket.id}"
    assert ticket.status == TicketStatus.new
    assert ticket.contract_id == w.contract.id  # the client's valid contract
    assert ticket.sla_plan_id == w.plan.id  # premium, 24x7: high = 60 / 480 minutes
    assert ticket.first_response_due == now + timedelta(minutes=60)
    assert ticket.resolution_due == now + timedelta(minutes=480)
    assert ticket.next_due_at == ticket.first_response_due
    kinds = [e.kind for e in _events(store, ticket.id) if e.kind in _CHANGES_AND_CLOCK]
    assert kinds == [EventKind.created, EventKind.sla_started]
    with store.read() as session:
        (message,) = repo.messages(session, ticket_id=ticket.id)
    assert message.kind == MessageKind.inbound
    assert message.message_id.startswith("<")
    assert message.message_id.endswith(">")


def test_a_client_without_contract_gets_the_default_plan(
    store: Store, w: World, now: datetime
) -> None:
    with store.write() as session:
        ticket = repo.create_ticket(
            session, data=repo.NewTicket(subject="No contract"), actor_id=None, now=now
        )
    assert ticket.contract_id is None
    assert ticket.sla_plan_id == w.default_plan.id


def test_every_change_bumps_the_version_and_appends_its_event(
    store: Store, w: World, now: datetime
) -> None:
    ticket = new_ticket(store, w, now=now)
    assert ticket.id is not None
    tid = ticket.id
    steps: list[Callable[[Session, int], object]] = [
        lambda s, v: repo.classify(
            s, ticket_id=tid, expected_version=v, actor_id=w.dispatcher.id, priority=Priority.urgent
        ),
        lambda s, v: repo.assign(
            s,
            ticket_id=tid,
            expected_version=v,
            actor_id=w.dispatcher.id,
            assignee_id=w.engineer.id,
        ),
        lambda s, v: repo.change_status(
            s,
            ticket_id=tid,
            expected_version=v,
            actor_id=w.engineer.id,
            status=TicketStatus.in_progress,
        ),
        lambda s, v: repo.add_message(
            s,
            ticket_id=tid,
            expected_version=v,
            kind=MessageKind.note,
            body="checked the router",
            actor_id=w.engineer.id,
        ),
    ]
    version = ticket.version
    for step in steps:
        before = len(_events(store, tid))
        with store.write() as session:
            step(session, version)
        after = _ticket(store, tid)
        assert after.version == version + 1
        new_events = _events(store, tid)[before:]
        # One event says what changed; the SLA clock events and notifications it caused
        # share its version.
        changing = [e for e in new_events if e.kind in _CHANGES]
        assert len(changing) == 1, [e.kind for e in new_events]
        assert all(e.version == after.version for e in new_events)
        version = after.version
    final = _ticket(store, tid)
    assert final.priority == Priority.urgent
    assert final.assignee_id == w.engineer.id
    assert final.status == TicketStatus.in_progress


def test_stale_write_is_refused_and_says_what_changed(
    store: Store, w: World, now: datetime
) -> None:
    ticket = new_ticket(store, w, now=now)
    assert ticket.id is not None
    opened_at = ticket.version  # both dispatchers opened the ticket at this version
    with store.write() as session:
        repo.assign(
            session,
            ticket_id=ticket.id,
            expected_version=opened_at,
            actor_id=w.dispatcher.id,
            assignee_id=w.engineer.id,
        )
    events_before = len(_events(store, ticket.id))
    with pytest.raises(StaleVersionError) as refused, store.write() as session:
        repo.assign(
            session,
            ticket_id=ticket.id,
            expected_version=opened_at,
            actor_id=w.lead.id,
            assignee_id=w.engineer2.id,
        )
    message = str(refused.value)
    assert ticket.ref in message
    assert "assigned to ivan by olga" in message
    after = _ticket(store, ticket.id)
    assert after.assignee_id == w.engineer.id  # nothing overwritten
    assert after.version == opened_at + 1
    assert len(_events(store, ticket.id)) == events_before


def test_two_stores_on_one_database_cannot_overwrite_each_other(
    db_url: str, w: World, now: datetime
) -> None:
    first, second = Store.open(db_url), Store.open(db_url)
    try:
        ticket = new_ticket(first, w, now=now)
        assert ticket.id is not None
        seen_by_second = _ticket(second, ticket.id).version
        with first.write() as session:
            repo.change_status(
                session,
                ticket_id=ticket.id,
                expected_version=ticket.version,
                actor_id=w.dispatcher.id,
                status=TicketStatus.spam,
            )
        with pytest.raises(StaleVersionError, match="status: new → spam"), second.write() as s:
            repo.classify(
                s,
                ticket_id=ticket.id,
                expected_version=seen_by_second,
                actor_id=w.lead.id,
                priority=Priority.low,
            )
        assert _ticket(second, ticket.id).priority == Priority.high
    finally:
        first.dispose()
        second.dispose()


def test_forbidden_transitions_are_refused(store: Store, w: World, now: datetime) -> None:
    ticket = new_ticket(store, w, now=now)
    assert ticket.id is not None
    with store.write() as session:
        repo.change_status(
            session,
            ticket_id=ticket.id,
            expected_version=ticket.version,
            actor_id=None,
            status=TicketStatus.spam,
        )
    with pytest.raises(ConflictError, match="cannot go from spam to open"), store.write() as s:
        repo.change_status(
            s, ticket_id=ticket.id, expected_version=None, actor_id=None, status=TicketStatus.open
        )


def test_waiting_on_the_client_pauses_the_clock_and_resuming_shifts_the_deadline(
    store: Store, w: World, now: datetime
) -> None:
    ticket = new_ticket(store, w, now=now, priority=Priority.high)
    assert ticket.id is not None
    assert ticket.resolution_due is not None
    with store.write() as session:
        paused = repo.change_status(
            session,
            ticket_id=ticket.id,
            expected_version=ticket.version,
            actor_id=w.dispatcher.id,
            status=TicketStatus.waiting_client,
            now=now + timedelta(minutes=10),
        )
    assert paused.next_due_at == NO_DEADLINE
    assert paused.sla_paused_since == now + timedelta(minutes=10)
    with store.write() as session:
        resumed = repo.change_status(
            session,
            ticket_id=ticket.id,
            expected_version=paused.version,
            actor_id=None,
            status=TicketStatus.open,
            now=now + timedelta(minutes=130),
        )
    # 24x7: two hours of waiting move both deadlines by two hours.
    assert resumed.first_response_due == now + timedelta(minutes=60 + 120)
    assert resumed.resolution_due == ticket.resolution_due + timedelta(minutes=120)
    assert resumed.sla_paused_since is None
    kinds = [e.kind for e in _events(store, ticket.id)]
    assert EventKind.sla_paused in kinds
    assert EventKind.sla_resumed in kinds


def test_a_public_reply_meets_first_response_but_a_note_does_not(
    store: Store, w: World, now: datetime
) -> None:
    ticket = new_ticket(store, w, now=now)
    assert ticket.id is not None
    with store.write() as session:
        repo.add_message(
            session,
            ticket_id=ticket.id,
            kind=MessageKind.note,
            body="internal: looks like the ISP",
            actor_id=w.engineer.id,
            now=now + timedelta(minutes=5),
        )
    assert _ticket(store, ticket.id).first_responded_at is None
    with store.write() as session:
        repo.add_message(
            session,
            ticket_id=ticket.id,
            kind=MessageKind.reply,
            body="We are on it.",
            actor_id=w.engineer.id,
            now=now + timedelta(minutes=20),
        )
    after = _ticket(store, ticket.id)
    assert after.first_responded_at == now + timedelta(minutes=20)
    assert after.next_due_at == after.resolution_due  # only resolution is pending now
    met = [e for e in _events(store, ticket.id) if e.kind == EventKind.sla_met]
    assert [(e.data["target"], e.data["late"]) for e in met] == [("first_response", False)]


def test_resolve_then_reopen_counts_the_reopen(store: Store, w: World, now: datetime) -> None:
    ticket = new_ticket(store, w, now=now)
    assert ticket.id is not None
    with store.write() as session:
        resolved = repo.change_status(
            session,
            ticket_id=ticket.id,
            expected_version=ticket.version,
            actor_id=w.engineer.id,
            status=TicketStatus.resolved,
            now=now + timedelta(hours=1),
        )
    assert resolved.resolved_at == now + timedelta(hours=1)
    with store.write() as session:
        reopened = repo.change_status(
            session,
            ticket_id=ticket.id,
            expected_version=resolved.version,
            actor_id=None,
            status=TicketStatus.open,
            reason="client: still broken",
            now=now + timedelta(hours=2),
        )
    assert reopened.reopen_count == 1
    assert reopened.resolved_at is None
    assert _events(store, ticket.id)[-2].kind == EventKind.reopened
    # The resolution clock runs again with what was left: 60 business minutes were used
    # before the resolution, the hour spent resolved was a pause (premium high: 480).
    assert reopened.resolution_due == now + timedelta(hours=2) + timedelta(minutes=420)
    # No public reply was ever sent: the (overdue) first response is still the next deadline.
    assert reopened.next_due_at == reopened.first_response_due


def test_escalate_to_vendor_records_who_reference_and_promise(
    store: Store, w: World, now: datetime
) -> None:
    ticket = new_ticket(store, w, now=now)
    assert ticket.id is not None
    with store.write() as session:
        escalate(
            session,
            ticket_id=ticket.id,
            expected_version=ticket.version,
            actor_id=w.engineer.id,
            target=EscalationTarget.vendor,
            vendor="Cisco TAC",
            vendor_ref="SR-6891",
            promised_at=now + timedelta(days=1),
            next_checkin_at=now + timedelta(hours=4),
        )
    assert _ticket(store, ticket.id).status == TicketStatus.escalated
    last = [e for e in _events(store, ticket.id) if e.kind == EventKind.escalated][-1]
    assert last.data["vendor"] == "Cisco TAC"
    assert last.data["vendor_ref"] == "SR-6891"
    with pytest.raises(ValidationError), store.write() as session:
        escalate(
            session,
            ticket_id=ticket.id,
            expected_version=None,
            actor_id=None,
            target=EscalationTarget.vendor,
        )


def test_merge_moves_messages_and_records_both_sides(store: Store, w: World, now: datetime) -> None:
    first = new_ticket(store, w, now=now, subject="Printer jammed")
    dup = new_ticket(store, w, now=now, subject="printer jammed again", body="same thing")
    assert first.id is not None
    assert dup.id is not None
    with store.write() as session:
        merge(
            session,
            ticket_id=dup.id,
            into_id=first.id,
            expected_version=dup.version,
            actor_id=w.dispatcher.id,
        )
    merged = _ticket(store, dup.id)
    assert merged.status == TicketStatus.merged
    assert merged.merged_into_id == first.id
    with store.read() as session:
        bodies = [m.body for m in repo.messages(session, ticket_id=first.id)]
    assert "same thing" in bodies
    assert _events(store, first.id)[-1].data == {"from": dup.id, "messages": 1}
    with pytest.raises(ValidationError), store.write() as session:
        merge(session, ticket_id=first.id, into_id=first.id, expected_version=1, actor_id=None)


def test_unknown_ticket_and_refs(store: Store, w: World) -> None:
    with pytest.raises(NotFoundError, match="no ticket #999"), store.read() as session:
        repo.get_ticket(session, ticket_id=999)
    assert repo.parse_ref("[#1042]") == 1042
    with pytest.raises(ValidationError):
        repo.parse_ref("ticket one")


def test_history_is_append_only_in_the_database(store: Store, w: World, now: datetime) -> None:
    ticket = new_ticket(store, w, now=now)
    assert ticket.id is not None
    before = _events(store, ticket.id)
    with pytest.raises(DBAPIError, match="append-only"), store.write() as session:
        session.connection().execute(text("UPDATE ticket_event SET reason = 'rewritten'"))
    with pytest.raises(DBAPIError, match="append-only"), store.write() as session:
        session.connection().execute(text("DELETE FROM ticket_event"))
    assert _events(store, ticket.id) == before


def test_same_message_id_is_one_message(store: Store, w: World, now: datetime) -> None:
    ticket = new_ticket(store, w, now=now)
    assert ticket.id is not None
    with store.write() as session:
        repo.add_message(
            session,
            ticket_id=ticket.id,
            kind=MessageKind.inbound,
            body="hello",
            actor_id=None,
            message_id="<m1@acme.example>",
        )
    with pytest.raises(DBAPIError), store.write() as session:
        repo.add_message(
            session,
            ticket_id=ticket.id,
            kind=MessageKind.inbound,
            body="hello",
            actor_id=None,
            message_id="<m1@acme.example>",
        )
    with store.read() as session:
        count = len(
            session.exec(select(Message).where(Message.message_id == "<m1@acme.example>")).all()
        )
    assert count == 1


def test_each_public_reply_restarts_the_regular_update_target(
    store: Store, w: World, now: datetime
) -> None:
    with store.write() as session:
        target = session.exec(
            select(SlaPlanTarget).where(
                SlaPlanTarget.plan_id == w.plan.id, SlaPlanTarget.priority == Priority.high
            )
        ).one()
        target.update_minutes = 120  # premium is 24x7: business minutes are wall minutes
        session.add(target)
    ticket = new_ticket(store, w, now=now, priority=Priority.high)
    assert ticket.id is not None
    assert ticket.next_update_due is None  # no update is owed before the first response

    def reply(minutes: int) -> Ticket:
        with store.write() as session:
            repo.add_message(
                session,
                ticket_id=ticket.id or 0,
                kind=MessageKind.reply,
                body="progress",
                actor_id=w.engineer.id,
                now=now + timedelta(minutes=minutes),
            )
        return _ticket(store, ticket.id or 0)

    assert reply(10).next_update_due == now + timedelta(minutes=130)
    with store.write() as session:
        repo.add_message(
            session,
            ticket_id=ticket.id,
            kind=MessageKind.note,
            body="a note is no update to the client",
            actor_id=w.engineer.id,
            now=now + timedelta(minutes=40),
        )
    assert _ticket(store, ticket.id).next_update_due == now + timedelta(minutes=130)
    after = reply(60)
    assert after.next_update_due == now + timedelta(minutes=180)
    assert after.next_due_at == after.next_update_due  # sooner than resolution (480)
    with store.write() as session:
        paused = repo.change_status(
            session,
            ticket_id=ticket.id,
            expected_version=after.version,
            actor_id=w.engineer.id,
            status=TicketStatus.waiting_client,
            now=now + timedelta(minutes=70),
        )
    assert paused.next_update_due is None  # waiting on the client owes no update
