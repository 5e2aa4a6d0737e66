"""Snapshot of the new-ticket form with a caller found by a phone typed in another format
than it was saved in. Fixed size, frozen clock, a steady text cursor; update with
`pytest --snapshot-update` and review the .svg diff."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, OptionList

from dispatcher.screens.new_ticket import NewTicketScreen
from dispatcher.store.clients import contacts
from dispatcher.store.db.engine import Store
from tests.conftest import NOW
from tests.factories import world
from tests.ui.harness import settle
from tests.ui.ticket_side import Host, context

SIZE = (100, 40)
SnapCompare = Callable[..., bool]


def _clock() -> datetime:
    return NOW + timedelta(minutes=20)


def test_new_ticket_with_a_caller(snap_compare: SnapCompare, store: Store) -> None:
    w = world(store)
    with store.write() as session:
        contacts.add_contact(
            session,
            client_id=w.client.id or 0,
            name="Мария Звонкова",
            phones=["8 916 555-12-34"],
            emails=["maria@acme.example"],
        )
    app = Host(lambda: NewTicketScreen(context(store, "olga", clock=_clock)))

    async def fill(pilot: Pilot[Any]) -> None:
        form = pilot.app.screen
        assert isinstance(form, NewTicketScreen)
        for box in form.query(Input):
            box.cursor_blink = False  # a steady cursor: the picture is the same however slow
        form.query_one("#new-caller-search", Input).focus()
        await pilot.press(*"+7 916 555 12 34")
        form.caller_search.flush()  # the pause in typing (a timer in the console)
        await settle(pilot)
        assert form.query_one("#new-callers", OptionList).option_count == 2
        await pilot.press("enter")
        await settle(pilot)
        assert form.caller_id is not None
        assert form.preview is not None
        await pilot.press(*"Принтер не печатает [b]совсем[/b]")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=fill)
