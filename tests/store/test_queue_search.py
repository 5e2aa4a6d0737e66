"""The queue's `/` search: the reference (`#123`, `123`), the client, the contact (name,
email) and the subject, in English and Russian, on both backends; and the plan still
walks the due-date index, with the client and contact sides run once, not per ticket."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import text

from dispatcher.demo.generate import generate
from dispatcher.read_models.queue import QueueFilter
from dispatcher.store.clients.clients import add_client
from dispatcher.store.clients.contacts import add_contact
from dispatcher.store.db.engine import Store
from dispatcher.store.models import Ticket
from dispatcher.store.tickets.queue import count_queue, explain_queue_window, queue_window
from tests.factories import World, new_ticket, world


def _found(store: Store, words: str) -> set[int]:
    with store.read() as session:
        rows = queue_window(session, filters=QueueFilter(text=words)).rows
        assert count_queue(session, filters=QueueFilter(text=words)) == len(rows)
        return {r.id for r in rows}


@pytest.fixture
def made(store: Store, now: datetime) -> tuple[World, Ticket, Ticket, Ticket]:
    w = world(store)
    vpn = new_ticket(store, w, now=now, subject="VPN is down")
    with store.write() as session:
        client = add_client(session, name="Ромашка ООО")
        contact = add_contact(
            session, client_id=client.id or 0, name="Пётр Сидоров", emails=["p.sidorov@romashka.ru"]
        )
    printer = new_ticket(store, w, now=now, subject="Принтер не печатает")
    other = new_ticket(store, w, now=now, subject="Mail quota")
    with store.write() as session:
        for ticket in (printer, other):
            row = session.get(Ticket, ticket.id)
            assert row is not None
            row.client_id, row.contact_id = client.id, contact.id
    return w, vpn, printer, other


def test_reference_with_and_without_hash(
    store: Store, made: tuple[World, Ticket, Ticket, Ticket]
) -> None:
    _, vpn, printer, _ = made
    assert _found(store, f"#{printer.id}") == {printer.id}
    assert printer.id in _found(store, f"{printer.id}")
    assert _found(store, f"[#{vpn.id}]") == {vpn.id}
    assert _found(store, "#999999") == set()
    # Among other words a number is just a word of the text, not a reference.
    assert _found(store, f"vpn {printer.id}") == set()


def test_client_contact_and_subject_in_both_languages(
    store: Store, made: tuple[World, Ticket, Ticket, Ticket]
) -> None:
    w, vpn, printer, other = made
    both = {printer.id, other.id}
    assert _found(store, "ромашка") == both  # client, lower case typed
    assert _found(store, "РОМАШКА") == both
    assert _found(store, "сидоров") == both  # contact's name
    assert _found(store, "romashka.ru") == both  # contact's email
    assert _found(store, "P.SIDOROV") == both
    assert _found(store, "принтер") == {printer.id}  # subject
    assert _found(store, "vpn") == {vpn.id}
    assert _found(store, w.client.name.split()[0].lower()) == {vpn.id}
    assert _found(store, "сидоров quota") == {other.id}  # every word must match somewhere
    assert _found(store, "100%") == set()


def test_search_plan_walks_the_due_index_with_lists_run_once(store: Store, now: datetime) -> None:
    if not store.is_sqlite:
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's; PostgreSQL is checked by running it")
    generate(store, tickets=300, seed=3, now=now, batch=150)
    with store.write() as session:
        session.execute(text("ANALYZE"))
    with store.read() as session:
        plan = " ".join(explain_queue_window(session, filters=QueueFilter(text="ромашка 12")))
    assert "ticket USING INDEX ix_ticket_active_due" in plan, plan
    assert "TEMP B-TREE FOR ORDER BY" not in plan, plan  # the index gives the order
    assert not re.search(r"SCAN ticket(?! USING (COVERING )?INDEX ix_ticket_active_due)", plan)
    # The client and contact sides are lists built once (LIST SUBQUERY), not correlated.
    assert "CORRELATED LIST" not in plan, plan
    assert plan.count("LIST SUBQUERY") >= 2, plan
    assert "SCAN ticket " not in plan.replace("SCAN ticket USING INDEX", ""), plan


def test_search_explains_on_every_backend(store: Store) -> None:
    with store.read() as session:
        assert explain_queue_window(session, filters=QueueFilter(text="#12 ромашка a@b"))
