"""The new-ticket form's caller: found as you type by a phone in another format (or by
name in Russian), added on the spot when new, and a phone ticket whose caller has an
email can then be answered."""

from __future__ import annotations

import pytest
from rich.console import Console
from sqlmodel import select
from textual.widgets import Input, Label, OptionList

from dispatcher.domain.enums import MessageKind
from dispatcher.screens.new_ticket import NewTicketScreen
from dispatcher.store.clients import contacts
from dispatcher.store.db.engine import Store
from dispatcher.store.models import Contact, Message, OutboxItem, Ticket
from dispatcher.store.replies.compose import send
from tests.factories import World, world
from tests.ui.harness import settle
from tests.ui.ticket_side import Host, context

SIZE = (120, 50)


@pytest.fixture
def w(store: Store) -> World:
    w = world(store)
    with store.write() as session:
        contacts.add_contact(
            session,
            client_id=w.client.id or 0,
            name="Мария Звонкова",
            phones=["8 916 555-12-34"],
            emails=["maria@acme.example"],
        )
    return w


def _text(label: Label) -> str:
    console = Console(width=200, record=True)
    console.print(label.content)
    return console.export_text()


def _form(app: Host) -> NewTicketScreen:
    assert isinstance(app.screen, NewTicketScreen)
    return app.screen


async def test_a_caller_found_by_a_differently_formatted_phone_can_be_answered(
    store: Store, w: World
) -> None:
    app = Host(lambda: NewTicketScreen(context(store, "olga")))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        form = _form(app)
        form.query_one("#new-caller-search", Input).focus()
        await pilot.press(*"+7 916 555 12 34")
        assert form.caller_search.pending  # one search once typing pauses, not one per key
        form.caller_search.flush()
        await settle(pilot)
        callers = form.query_one("#new-callers", OptionList)
        assert callers.option_count == 2  # the match, and "new caller"
        assert "Мария Звонкова (8 916 555-12-34, maria@acme.example)" in str(
            callers.get_option_at_index(0).prompt
        )
        await pilot.press("enter")
        await settle(pilot)
        assert "answered by email" in _text(form.query_one("#new-caller", Label))
        assert "Acme" in _text(form.query_one("#new-client", Label))  # the caller's client
        assert form.preview is not None
        assert "C-1" in form.preview.contract
        await pilot.press(*"Не печатает принтер")
        await pilot.press("ctrl+s")
        await settle(pilot)
    (ticket_id,) = app.dismissed
    assert isinstance(ticket_id, int)
    with store.write() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        caller = session.get(Contact, ticket.contact_id)
        assert caller is not None
        assert caller.name == "Мария Звонкова"
        assert ticket.client_id == w.client.id
        send(
            session,
            ticket_id=ticket_id,
            kind=MessageKind.reply,
            subject="",
            body="Здравствуйте! Перезагрузите принтер.",
            sender_id=w.dispatcher.id or 0,
            expected_version=ticket.version,
            now=ticket.created_at,
        )
    with store.read() as session:
        mail = session.exec(select(OutboxItem).where(OutboxItem.kind == "reply")).one()
    assert mail.to_addresses == "maria@acme.example"


async def test_a_new_caller_is_added_with_the_ticket(store: Store, w: World) -> None:
    app = Host(lambda: NewTicketScreen(context(store, "olga")))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        form = _form(app)
        await pilot.press(*"acme")
        form.client_search.flush()
        await settle(pilot)
        await pilot.press("enter")  # the client; focus moves to the caller
        await settle(pilot)
        assert form.focused is form.query_one("#new-caller-search", Input)
        await pilot.press(*"8 903 111 22 33")
        form.caller_search.flush()
        await settle(pilot)
        callers = form.query_one("#new-callers", OptionList)
        assert callers.option_count == 1
        assert "new caller “8 903 111 22 33” at Acme" in str(callers.get_option_at_index(0).prompt)
        await pilot.press("enter")
        await settle(pilot)
        assert form.query_one("#new-caller-phone", Input).value == "8 903 111 22 33"
        assert form.focused is form.query_one("#new-caller-name", Input)
        form.query_one("#new-subject", Input).value = "Нет связи"
        await pilot.press("ctrl+s")  # no name yet
        await settle(pilot)
        assert "needs a name and a phone" in _text(form.query_one("#new-error", Label))
        assert not app.dismissed
        form.query_one("#new-caller-name", Input).focus()
        await pilot.press(*"Семён Новый")
        await pilot.press("ctrl+s")
        await settle(pilot)
    (ticket_id,) = app.dismissed
    with store.read() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        assert ticket.contact_id is not None
        found = contacts.search_contacts(session, text="+7 903 111-22-33")
        messages = session.exec(select(Message).where(Message.ticket_id == ticket_id)).all()
    assert [m.contact_id for m in found] == [ticket.contact_id]
    assert found[0].name == "Семён Новый"
    assert found[0].client_id == w.client.id
    assert messages == []  # no body typed: no message


async def test_a_refused_new_caller_saves_nothing(store: Store, w: World) -> None:
    app = Host(lambda: NewTicketScreen(context(store, "olga")))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        form = _form(app)
        await pilot.press(*"acme")
        form.client_search.flush()
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press(*"Тот же номер")
        form.caller_search.flush()
        await settle(pilot)
        callers = form.query_one("#new-callers", OptionList)
        callers.highlighted = callers.option_count - 1
        await pilot.press("enter")
        await settle(pilot)
        assert form.query_one("#new-caller-name", Input).value == "Тот же номер"
        form.query_one("#new-caller-phone", Input).value = "8 916 555-12-34 x"  # not a phone
        form.query_one("#new-subject", Input).value = "Дубль"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "not a phone number" in _text(form.query_one("#new-error", Label))
        assert not app.dismissed
    with store.read() as session:
        assert session.exec(select(Ticket)).all() == []
        assert [c.name for c in session.exec(select(Contact)).all()] == [
            "Anna Client",
            "Мария Звонкова",
        ]
