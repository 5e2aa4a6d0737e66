"""A deactivated account's open console can no longer change tickets: every write checks
the operator is still active and refuses with a clear message; nothing is written."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from sqlmodel import Session

from dispatcher.domain.enums import EscalationTarget, MessageKind, Priority, TicketStatus
from dispatcher.domain.errors import ConflictError
from dispatcher.store.db.engine import Store
from dispatcher.store.models import Ticket
from dispatcher.store.people import users
from dispatcher.store.tickets import relations, writes
from tests.factories import World, new_ticket, world


@pytest.fixture
def w(store: Store) -> World:
    return world(store)


def test_every_ticket_write_refuses_a_deactivated_operator(
    store: Store, w: World, now: datetime
) -> None:
    ticket = new_ticket(store, w, now=now)
    tid, olga = ticket.id or 0, w.dispatcher.id or 0
    with store.write() as session:
        users.deactivate_user(session, user_id=olga)
    version = ticket.version
    attempts: dict[str, Callable[[Session], object]] = {
        "note": lambda s: writes.add_message(
            s, ticket_id=tid, kind=MessageKind.note, body="x", actor_id=olga, now=now
        ),
        "status": lambda s: writes.change_status(
            s,
            ticket_id=tid,
            expected_version=version,
            actor_id=olga,
            status=TicketStatus.open,
            now=now,
        ),
        "assign": lambda s: writes.assign(
            s,
            ticket_id=tid,
            expected_version=version,
            actor_id=olga,
            assignee_id=w.engineer.id,
            now=now,
        ),
        "classify": lambda s: writes.classify(
            s,
            ticket_id=tid,
            expected_version=version,
            actor_id=olga,
            priority=Priority.high,
            now=now,
        ),
        "create": lambda s: writes.create_ticket(
            s, data=writes.NewTicket(subject="new"), actor_id=olga, now=now
        ),
        "escalate": lambda s: relations.escalate(
            s,
            ticket_id=tid,
            expected_version=version,
            actor_id=olga,
            target=EscalationTarget.vendor,
            vendor="Cisco",
            now=now,
        ),
    }
    for name, attempt in attempts.items():
        with pytest.raises(ConflictError, match="your account was deactivated"), store.write() as s:
            attempt(s)
        with store.read() as session:
            after = session.get(Ticket, tid)
            assert after is not None
            assert after.version == version, name
    # Active again: the same write goes through.
    with store.write() as session:
        users.activate_user(session, user_id=olga)
    with store.write() as session:
        writes.add_message(
            session, ticket_id=tid, kind=MessageKind.note, body="x", actor_id=olga, now=now
        )
