"""The new-ticket form: the client found as you type, the contract and deadlines shown,
an expired contract flagged before saving, the ticket created."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rich.console import Console
from sqlmodel import select
from textual.widgets import Label, OptionList, Select, TextArea

from dispatcher.domain.enums import Channel, EventKind, Priority
from dispatcher.screens.new_ticket import NewTicketScreen
from dispatcher.store.clients import contacts
from dispatcher.store.db.engine import Store
from dispatcher.store.models import Contract, Ticket, TicketEvent
from tests.factories import World, world
from tests.ui.harness import settle
from tests.ui.ticket_side import Host, context

SIZE = (120, 45)


@pytest.fixture
def w(store: Store) -> World:
    w = world(store)
    with store.write() as session:
        contacts.add_contact(
            session, client_id=w.client.id or 0, name="Boris Admin", phones=["+7 916 555-12-34"]
        )
    return w


def _host(store: Store) -> Host:
    ctx = context(store, "olga")
    return Host(lambda: NewTicketScreen(ctx))


def _text(label: Label) -> str:
    console = Console(width=200, record=True)
    console.print(label.content)
    return console.export_text()


def _form(app: Host) -> NewTicketScreen:
    screen = app.screen
    assert isinstance(screen, NewTicketScreen)
    return screen


async def test_find_by_phone_see_deadlines_and_save(store: Store, w: World) -> None:
    app = _host(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, NewTicketScreen)
        form = _form(app)
        await pilot.press(*"916 555")
        form.client_search.flush()  # the pause in typing (a timer in the console)
        await settle(pilot)
        assert form.query_one("#new-matches", OptionList).option_count == 1
        assert "Boris Admin" in str(
            form.query_one("#new-matches", OptionList).get_option_at_index(0).prompt
        )
        await pilot.press("enter")  # the highlighted match; focus moves to the subject
        await settle(pilot)
        assert "valid" in _text(form.query_one("#new-contract", Label))
        assert "contract C-1 valid" in _text(form.query_one("#new-contract", Label))
        deadlines = form.query_one("#new-deadlines", Label)
        assert "plan premium" in _text(deadlines)
        assert "first response by" in _text(deadlines)
        form.query_one("#new-priority", Select).value = Priority.urgent
        form.query_one("#new-channel", Select).value = Channel.walk_in
        await pilot.press(*"[b]Server[/b] room is hot")
        form.query_one("#new-body", TextArea).text = "Came to the desk."
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert len(app.dismissed) == 1
    ticket_id = app.dismissed[0]
    assert isinstance(ticket_id, int)
    with store.read() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        assert ticket.subject == "[b]Server[/b] room is hot"
        assert ticket.client_id == w.client.id
        assert ticket.contact_id is not None
        assert (ticket.priority, ticket.channel) == (Priority.urgent, Channel.walk_in)
        assert ticket.first_response_due is not None
        created = session.exec(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket_id)
        ).first()
        assert created is not None
        assert created.kind == EventKind.created


async def test_find_by_name_and_by_email(store: Store, w: World) -> None:
    app = _host(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, NewTicketScreen)
        form = _form(app)
        options = form.query_one("#new-matches", OptionList)
        await pilot.press(*"acm")
        form.client_search.flush()  # the pause in typing (a timer in the console)
        await settle(pilot)
        assert options.option_count >= 1
        assert "Acme" in str(options.get_option_at_index(0).prompt)
        await pilot.press("backspace", "backspace", "backspace", *"anna@acme")
        form.client_search.flush()  # the pause in typing (a timer in the console)
        await settle(pilot)
        assert options.option_count >= 1
        assert "anna@acme.example" in str(options.get_option_at_index(0).prompt)


async def test_an_expired_contract_is_flagged_before_saving(store: Store, w: World) -> None:
    with store.write() as session:
        contract = session.get(Contract, w.contract.id)
        assert contract is not None
        contract.valid_to = datetime.now(UTC).date() - timedelta(days=3)
        session.add(contract)
    app = _host(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, NewTicketScreen)
        form = _form(app)
        await pilot.press(*"Acme")
        form.client_search.flush()  # the pause in typing (a timer in the console)
        await settle(pilot)
        assert form.query_one("#new-matches", OptionList).option_count >= 1
        await pilot.press("enter")
        contract_line = form.query_one("#new-contract", Label)
        await settle(pilot)
        assert f"expired on {contract.valid_to.isoformat()}" in _text(contract_line)
        assert contract_line.has_class("-expired")
        assert "default SLA plan applies" in _text(contract_line)
        assert "plan standard" in _text(form.query_one("#new-deadlines", Label))
        assert form.focused is form.query_one("#new-caller-search")  # no caller yet
        form.query_one("#new-subject").focus()
        await pilot.press(*"Mail is slow")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "ctrl+s again" in _text(form.query_one("#new-error", Label))
        assert app.dismissed == []  # not saved on the first press
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert len(app.dismissed) == 1
    assert isinstance(app.dismissed[0], int)


async def test_no_subject_is_refused_and_escape_cancels(store: Store, w: World) -> None:
    app = _host(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, NewTicketScreen)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "needs a subject" in _text(_form(app).query_one("#new-error", Label))
        await pilot.press("escape")
        await settle(pilot)
        assert app.dismissed == [None]
    with store.read() as session:
        assert session.get(Ticket, 1) is None
