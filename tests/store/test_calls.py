"""Logging a call: a public response that stops the first-response clock as a reply does,
shown in the thread as a call; and finding a caller by a phone number in any format."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from dispatcher.domain.enums import EventKind, MessageKind
from dispatcher.domain.errors import StaleVersionError, ValidationError
from dispatcher.store.clients.contacts import (
    add_contact,
    phone_key,
    search_contacts,
)
from dispatcher.store.db.engine import Store
from dispatcher.store.models import Client, Message, Ticket, TicketEvent, TicketFact
from dispatcher.store.tickets import calls, reading, writes
from tests.factories import new_ticket, world


def _ticket(store: Store, ticket_id: int | None) -> Ticket:
    with store.read() as session:
        return writes.get_ticket(session, ticket_id=ticket_id or 0)


def test_a_call_stops_the_first_response_clock_like_a_reply(store: Store, now: datetime) -> None:
    w = world(store)
    ticket = new_ticket(store, w, now=now)
    assert ticket.first_responded_at is None
    at = now + timedelta(minutes=20)
    with store.write() as session:
        logged = calls.log_call(
            session,
            ticket_id=ticket.id or 0,
            expected_version=ticket.version,
            actor_id=w.dispatcher.id,
            contact_id=w.contact.id,
            summary="Перезагрузили маршрутизатор, VPN поднялся",
            minutes=4,
            now=at,
        )
    after = _ticket(store, ticket.id)
    assert after.first_responded_at == at
    assert after.version == logged.version == ticket.version + 1
    with store.read() as session:
        met = session.exec(
            select(TicketEvent).where(
                TicketEvent.ticket_id == ticket.id, TicketEvent.kind == EventKind.sla_met
            )
        ).all()
        fact = session.get(TicketFact, ticket.id)
        thread = reading.thread(session, ticket_id=ticket.id or 0)
    assert [(e.data["target"], e.data["late"]) for e in met] == [("first_response", False)]
    assert fact is not None
    assert fact.first_response_at == at
    call = thread[-1]
    assert call.kind == MessageKind.call
    assert call.subject == "Call to Anna Client · 4 min"
    assert call.body == "Перезагрузили маршрутизатор, VPN поднялся"


def test_a_note_does_not_stop_the_clock_but_a_call_after_it_does(
    store: Store, now: datetime
) -> None:
    w = world(store)
    ticket = new_ticket(store, w, now=now)
    with store.write() as session:
        writes.add_message(
            session,
            ticket_id=ticket.id or 0,
            kind=MessageKind.note,
            body="called, no answer",
            actor_id=w.dispatcher.id,
            now=now + timedelta(minutes=5),
        )
    assert _ticket(store, ticket.id).first_responded_at is None
    with store.write() as session:
        calls.log_call(
            session,
            ticket_id=ticket.id or 0,
            expected_version=None,
            actor_id=w.dispatcher.id,
            party="front desk",
            direction="incoming",
            summary="The client called back",
            now=now + timedelta(minutes=90),
        )
    after = _ticket(store, ticket.id)
    assert after.first_responded_at == now + timedelta(minutes=90)
    with store.read() as session:
        (call,) = calls.calls(session, ticket_id=ticket.id or 0)
    assert call.subject == "Call from front desk"
    assert call.from_address == "front desk"


def test_a_call_is_refused_when_stale_empty_or_with_nobody(store: Store, now: datetime) -> None:
    w = world(store)
    ticket = new_ticket(store, w, now=now)
    base: dict[str, Any] = {"ticket_id": ticket.id or 0, "actor_id": w.dispatcher.id, "now": now}
    with pytest.raises(StaleVersionError), store.write() as session:
        calls.log_call(session, expected_version=ticket.version + 1, summary="x", party="y", **base)
    with pytest.raises(ValidationError, match="summary"), store.write() as session:
        calls.log_call(session, expected_version=None, summary="  ", party="y", **base)
    with pytest.raises(ValidationError, match="whom"), store.write() as session:
        calls.log_call(session, expected_version=None, summary="hello", **base)
    with pytest.raises(ValidationError, match="minutes"), store.write() as session:
        calls.log_call(
            session, expected_version=None, summary="hello", party="y", minutes=-1, **base
        )
    with pytest.raises(ValidationError, match="direction"), store.write() as session:
        calls.log_call(
            session, expected_version=None, summary="hi", party="y", direction="sideways", **base
        )
    with store.write() as session:
        other = Client(name="Other")
        session.add(other)
        session.flush()
        stranger = add_contact(session, client_id=other.id or 0, name="Stranger")
    with pytest.raises(ValidationError, match="not a contact"), store.write() as session:
        calls.log_call(session, expected_version=None, summary="hi", contact_id=stranger.id, **base)
    assert _ticket(store, ticket.id).first_responded_at is None


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("+7 916 555 12 34", "9165551234"),
        ("8 916 555-12-34", "9165551234"),
        ("8 (916) 555-12-34", "9165551234"),
        ("7 916 5551234", "9165551234"),
        ("+7(916)555.12.34", "9165551234"),
        ("916 555 12 34", "9165551234"),
        ("00 7 916 555 12 34", "9165551234"),
        ("+44 20 7946 0958", "442079460958"),
        ("0044 20 7946 0958", "442079460958"),
        ("8 800", "8800"),  # not eleven digits: kept as typed
        ("12-34", "1234"),
        ("phone", ""),
        ("", ""),
    ],
)
def test_phone_key(typed: str, key: str) -> None:
    assert phone_key(typed) == key


@pytest.mark.parametrize(
    ("saved", "typed"),
    [
        ("8 916 555-12-34", "+7 916 555 12 34"),
        ("+7 916 555 12 34", "8 916 555-12-34"),
        ("+7 (916) 555-12-34", "916 555"),
        ("89165551234", "8 916 55"),
        ("8 916 555-12-34", "+7 916"),
        ("+44 20 7946 0958", "0044 20 7946"),
    ],
)
def test_a_caller_is_found_by_a_phone_in_another_format(
    store: Store, saved: str, typed: str
) -> None:
    w = world(store)
    with store.write() as session:
        caller = add_contact(
            session, client_id=w.client.id or 0, name="Пётр Звонков", phones=[saved]
        )
        add_contact(session, client_id=w.client.id or 0, name="Other", phones=["+1 212 555 0100"])
    with store.read() as session:
        found = search_contacts(session, text=typed)
    assert [m.contact_id for m in found] == [caller.id]
    assert found[0].matched_on == "phone"
    assert found[0].phones == (saved,)
    assert found[0].client_name == "Acme"


def test_callers_are_found_by_name_in_any_script_and_by_email(store: Store) -> None:
    w = world(store)
    with store.write() as session:
        other = Client(name="Globex")
        session.add(other)
        session.flush()
        petr = add_contact(
            session, client_id=w.client.id or 0, name="Пётр Звонков", emails=["petr@acme.example"]
        )
        elsewhere = add_contact(session, client_id=other.id or 0, name="Петр Другой")
    with store.read() as session:
        by_name = search_contacts(session, text="петр")
        only_acme = search_contacts(session, text="петр", client_id=w.client.id)
        by_email = search_contacts(session, text="PETR@acme")
        anna = search_contacts(session, text="anna@")
    assert {m.contact_id for m in by_name} == {petr.id, elsewhere.id}
    assert [m.contact_id for m in only_acme] == [petr.id]
    assert [(m.contact_id, m.matched_on) for m in by_email] == [(petr.id, "email")]
    assert by_email[0].email == "petr@acme.example"
    assert [m.contact_id for m in anna] == [w.contact.id]


def test_classify_sets_the_caller_and_a_reply_then_goes_to_their_email(
    store: Store, now: datetime
) -> None:
    from dispatcher.store.replies.compose import send

    w = world(store)
    with store.write() as session:
        ticket = writes.create_ticket(
            session, data=writes.NewTicket(subject="Printer"), actor_id=w.dispatcher.id, now=now
        )
        caller = add_contact(
            session,
            client_id=w.client.id or 0,
            name="Мария Звонит",
            emails=["maria@acme.example"],
            phones=["8 916 555-12-34"],
        )
    with pytest.raises(ValidationError, match="no contact email"), store.write() as session:
        send(
            session,
            ticket_id=ticket.id or 0,
            kind=MessageKind.reply,
            subject="",
            body="Hello",
            sender_id=w.dispatcher.id or 0,
            expected_version=ticket.version,
            now=now,
        )
    with store.write() as session:
        classified = writes.classify(
            session,
            ticket_id=ticket.id or 0,
            expected_version=ticket.version,
            actor_id=w.dispatcher.id,
            contact_id=caller.id,
            now=now,
        )
        assert classified.client_id == w.client.id  # the caller names the client
        send(
            session,
            ticket_id=ticket.id or 0,
            kind=MessageKind.reply,
            subject="",
            body="Здравствуйте, {{ contact.name }}",
            sender_id=w.dispatcher.id or 0,
            expected_version=classified.version,
            now=now,
        )
    with store.read() as session:
        reply = reading.thread(session, ticket_id=ticket.id or 0)[-1]
        message = session.get(Message, reply.id)
    assert message is not None
    assert message.to_addresses == "maria@acme.example"
