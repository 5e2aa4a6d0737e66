"""A lapsed contract is named in the ticket detail with its day, never left as "—"."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from dispatcher.store.db.engine import Store
from dispatcher.store.models import Contract
from dispatcher.store.tickets import reading
from dispatcher.widgets.ticket_fields import field_rows
from tests.factories import World, new_ticket, world


@pytest.fixture
def w(store: Store) -> World:
    return world(store)


def _contract_row(store: Store, ticket_id: int, now: datetime) -> str:
    with store.read() as session:
        detail = reading.ticket_detail(session, ticket_id=ticket_id)
    return dict(field_rows(detail, now))["Contract"]


def _end_contract(store: Store, w: World, last_day: object) -> None:
    with store.write() as session:
        contract = session.get(Contract, w.contract.id)
        assert contract is not None
        contract.valid_to = last_day  # type: ignore[assignment]
        session.add(contract)


def test_a_ticket_registered_after_the_contract_lapsed_says_so(
    store: Store, w: World, now: datetime
) -> None:
    last_day = now.date() - timedelta(days=3)
    _end_contract(store, w, last_day)
    ticket = new_ticket(store, w, now=now)
    assert ticket.contract_id is None  # the default plan
    row = _contract_row(store, ticket.id or 0, now)
    assert row == (
        f"{w.contract.number} expired on {last_day.isoformat()}: the default SLA plan applies"
    )


def test_a_contract_that_lapsed_since_is_marked_expired(
    store: Store, w: World, now: datetime
) -> None:
    ticket = new_ticket(store, w, now=now)
    assert ticket.contract_id == w.contract.id
    assert _contract_row(store, ticket.id or 0, now) == w.contract.number
    last_day = now.date() + timedelta(days=1)
    _end_contract(store, w, last_day)
    later = now + timedelta(days=5)
    assert _contract_row(store, ticket.id or 0, later) == (
        f"{w.contract.number} (expired on {last_day.isoformat()})"
    )
