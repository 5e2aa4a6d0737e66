"""An open composer of an account deactivated meanwhile cannot send: it says why."""

from __future__ import annotations

from datetime import UTC, datetime

from textual.widgets import Static, TextArea

from dispatcher.domain.enums import MessageKind
from dispatcher.screens.composer import ComposerScreen
from dispatcher.store.db.engine import Store
from dispatcher.store.people import users
from dispatcher.store.tickets import writes
from tests.factories import new_ticket, world
from tests.ui.harness import screen_context, settle
from tests.ui.kb_helpers import Host


async def test_a_deactivated_operator_cannot_send_from_an_open_composer(store: Store) -> None:
    w = world(store)
    ticket = new_ticket(store, w, now=datetime.now(UTC))
    context = screen_context(store, "olga")
    app = Host(
        lambda: ComposerScreen(
            context, ticket_id=ticket.id or 0, kind=MessageKind.note, opened_version=ticket.version
        )
    )
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ComposerScreen)
        screen.query_one(TextArea).text = "still here?"
        with store.write() as session:  # the admin, meanwhile
            users.deactivate_user(session, user_id=w.dispatcher.id or 0)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.results == []
        status = str(screen.query_one("#composer-status", Static).render())
        assert "your account was deactivated" in status
    with store.read() as session:
        notes = [m for m in writes.messages(session, ticket_id=ticket.id or 0) if m.kind == "note"]
    assert notes == []
