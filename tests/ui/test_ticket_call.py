"""The ticket screen's phone side: `p` logs a call (a public response that meets the first
response, shown in the thread as a call), and the classify dialog picks the caller of a
phone ticket found by a phone in another format, so the ticket can then be answered."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rich.console import Console
from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import Input, Label, OptionList, Static, TextArea

from dispatcher.domain.enums import MessageKind
from dispatcher.screens.dialogs.call import CallDialog, CallerPicker
from dispatcher.screens.dialogs.classify import ClassifyDialog
from dispatcher.screens.ticket import TicketScreen
from dispatcher.store.clients import contacts
from dispatcher.store.db.engine import Store
from dispatcher.store.models import Message, Ticket
from dispatcher.store.replies.compose import contact_email
from dispatcher.store.tickets import writes
from dispatcher.widgets.thread import MessageView
from tests.factories import new_ticket, world
from tests.ui.harness import settle
from tests.ui.ticket_side import Host, ticket_host

SIZE = (140, 45)


def _text(widget: Static) -> str:
    console = Console(width=200, record=True)
    console.print(widget.content)
    return console.export_text()


async def _loaded(pilot: Pilot[Any]) -> TicketScreen:
    await settle(pilot)
    app = pilot.app
    assert isinstance(app, Host)
    screen = app.screen_stack[1]
    assert isinstance(screen, TicketScreen)
    assert screen.view is not None
    return screen


def _ticket(store: Store, ticket_id: int) -> Ticket:
    with store.read() as session:
        return writes.get_ticket(session, ticket_id=ticket_id)


async def test_log_a_call_from_the_ticket_screen(store: Store) -> None:
    w = world(store)
    t = new_ticket(store, w, now=datetime.now(UTC))
    with store.write() as session:
        contacts.add_contact(
            session, client_id=w.client.id or 0, name="Борис Бухгалтер", phones=["8 495 111-22-33"]
        )
    app = ticket_host(store, "olga", t.id or 0, live=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _loaded(pilot)
        await pilot.press("p")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, CallDialog)
        await pilot.press("ctrl+s")  # nothing said yet
        await settle(pilot)
        assert "summary is needed" in _text(dialog.query_one("#call-error", Label))
        picker = dialog.query_one(CallerPicker)
        picker.query_one("#caller-search", Input).focus()
        await pilot.press(*"+7 495 111")
        picker.search.flush()
        await settle(pilot)
        matches = picker.query_one("#caller-matches", OptionList)
        assert matches.option_count == 1
        await pilot.press("enter")
        await settle(pilot)
        assert picker.chosen is not None
        assert picker.chosen.name == "Борис Бухгалтер"
        assert dialog.focused is dialog.query_one("#call-summary", TextArea)
        await pilot.press(*"Счёт оплачен [bold]сегодня[/]")
        dialog.query_one("#call-minutes", Input).value = "7"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert "call logged" in _text(screen.query_one("#ticket-message", Static))
        views = list(screen.query(MessageView))
        assert views[-1].has_class("-call")
        shown = _text(views[-1])
        assert "Call to Борис Бухгалтер · 7 min" in shown
        assert "Счёт оплачен [bold]сегодня[/]" in shown  # markup shows as text
    after = _ticket(store, t.id or 0)
    assert after.first_responded_at is not None  # the call is the first response
    with store.read() as session:
        call = session.exec(
            select(Message).where(Message.ticket_id == t.id, Message.kind == MessageKind.call)
        ).one()
    assert call.author_id == w.dispatcher.id


async def test_a_phone_ticket_gets_its_caller_in_classify_and_can_be_answered(
    store: Store,
) -> None:
    w = world(store)
    with store.write() as session:
        ticket = writes.create_ticket(
            session, data=writes.NewTicket(subject="Звонок без номера"), actor_id=None
        )
        caller = contacts.add_contact(
            session,
            client_id=w.client.id or 0,
            name="Мария Звонкова",
            phones=["8 916 555-12-34"],
            emails=["maria@acme.example"],
        )
    app = ticket_host(store, "olga", ticket.id or 0, live=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _loaded(pilot)
        await pilot.press("c")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ClassifyDialog)
        picker = dialog.query_one(CallerPicker)
        picker.query_one("#caller-search", Input).focus()
        await pilot.press(*"+7 916 555 12 34")
        picker.search.flush()
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert "answered by email" in _text(picker.query_one("#caller-chosen", Label))
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "classified: client, contact" in _text(screen.query_one("#ticket-message", Static))
    after = _ticket(store, ticket.id or 0)
    assert (after.client_id, after.contact_id) == (w.client.id, caller.id)
    with store.read() as session:
        assert contact_email(session, contact_id=after.contact_id) == "maria@acme.example"
