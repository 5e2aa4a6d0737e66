"""Drafts under Pilot: typed text survives Escape and a reopen, sending forgets it, and
Escape on unsent text asks first (keep as draft / discard / go back)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from textual.widgets import Input, TextArea

from dispatcher.domain.enums import MessageKind
from dispatcher.screens.composer import ComposerScreen
from dispatcher.screens.dialogs.keep_draft import KeepDraftDialog
from dispatcher.screens.new_ticket import NewTicketScreen
from dispatcher.store.db.engine import Store
from dispatcher.store.models import Ticket
from dispatcher.store.tickets import drafts
from tests.factories import World, new_ticket, world
from tests.ui.harness import screen_context, settle
from tests.ui.kb_helpers import Host


@pytest.fixture
def w(store: Store) -> World:
    return world(store)


def _composer(store: Store, ticket: Ticket, login: str = "olga") -> Host:
    context = screen_context(store, login)
    return Host(
        lambda: ComposerScreen(
            context,
            ticket_id=ticket.id or 0,
            kind=MessageKind.reply,
            opened_version=ticket.version,
        )
    )


def _draft(store: Store, user_id: int, scope: str) -> drafts.DraftView | None:
    with store.read() as session:
        return drafts.get_draft(session, user_id=user_id, scope=scope)


async def _type_reply(pilot: object, screen: ComposerScreen, text: str) -> None:
    area = screen.query_one(TextArea)
    area.focus()
    for char in text:
        await pilot.press("space" if char == " " else char)  # type: ignore[attr-defined]


async def test_escape_asks_and_keep_brings_the_reply_back(store: Store, w: World) -> None:
    ticket = new_ticket(store, w, now=datetime.now(UTC))
    scope = drafts.ticket_scope(MessageKind.reply, ticket.id or 0)
    app = _composer(store, ticket)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ComposerScreen)
        await _type_reply(pilot, screen, "fixed it")
        assert screen.draft_save.pending  # saved once typing pauses
        screen.draft_save.flush()
        await settle(pilot)
        saved = _draft(store, w.dispatcher.id or 0, scope)
        assert saved is not None
        assert saved.body == "fixed it"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, KeepDraftDialog)  # asked, not thrown away
        await pilot.press("b")  # go back: still writing
        await settle(pilot)
        current: object = app.screen
        assert current is screen
        assert app.results == []
        await pilot.press("escape", "k")
        await settle(pilot)
        assert app.results == [False]
    # Another console of olga opens the composer again: the reply is back; ivan sees nothing.
    again = _composer(store, ticket)
    async with again.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        screen = again.screen
        assert isinstance(screen, ComposerScreen)
        assert screen.query_one(TextArea).text == "fixed it"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert again.results == [True]
    assert _draft(store, w.dispatcher.id or 0, scope) is None  # sent: the draft is gone
    other = _composer(store, ticket, login="ivan")
    async with other.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        assert other.screen.query_one(TextArea).text == ""


async def test_discard_forgets_the_draft_and_an_empty_composer_just_closes(
    store: Store, w: World
) -> None:
    ticket = new_ticket(store, w, now=datetime.now(UTC))
    scope = drafts.ticket_scope(MessageKind.reply, ticket.id or 0)
    app = _composer(store, ticket)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ComposerScreen)
        await _type_reply(pilot, screen, "maybe")
        screen.draft_save.flush()
        await settle(pilot)
        assert _draft(store, w.dispatcher.id or 0, scope) is not None
        await pilot.press("escape", "d")
        await settle(pilot)
        assert app.results == [False]
    assert _draft(store, w.dispatcher.id or 0, scope) is None
    empty = _composer(store, ticket)
    async with empty.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert empty.results == [False]  # nothing typed: no question


async def test_the_new_ticket_form_keeps_its_text(store: Store, w: World) -> None:
    olga = w.dispatcher.id or 0
    app = Host(lambda: NewTicketScreen(screen_context(store, "olga")))
    async with app.run_test(size=(120, 50)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, NewTicketScreen)
        screen.query_one("#new-subject", Input).value = "Printer jams"
        screen.query_one("#new-body", TextArea).text = "Floor 3, every page"
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, KeepDraftDialog)
        await pilot.press("k")
        await settle(pilot)
        assert app.results == [None]
    kept = _draft(store, olga, drafts.NEW_TICKET)
    assert kept is not None
    assert (kept.subject, kept.body) == ("Printer jams", "Floor 3, every page")
    again = Host(lambda: NewTicketScreen(screen_context(store, "olga")))
    async with again.run_test(size=(120, 50)) as pilot:
        await settle(pilot)
        screen = again.screen
        assert isinstance(screen, NewTicketScreen)
        assert screen.query_one("#new-subject", Input).value == "Printer jams"
        assert screen.query_one("#new-body", TextArea).text == "Floor 3, every page"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert again.results
        assert isinstance(again.results[0], int)
    assert _draft(store, olga, drafts.NEW_TICKET) is None  # registered: the draft is gone
