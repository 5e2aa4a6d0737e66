"""Keys: bindings with ids and tooltips, help generated from them, `[keymap]` overrides,
the Ctrl+P palette's providers (tickets, clients, actions), modes by role."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from textual.binding import Binding
from textual.command import CommandPalette, Hit
from textual.widgets import DataTable

from dispatcher.app import DispatcherApp
from dispatcher.commands import ActionCommands, ClientCommands, TicketCommands
from dispatcher.config import load_settings
from dispatcher.screens.alerts import AlertsScreen
from dispatcher.screens.help import HelpScreen, key_help
from dispatcher.screens.queue import QueueScreen
from dispatcher.screens.ticket import TicketScreen
from dispatcher.store.db.engine import Store
from dispatcher.widgets.queue_table import QueueTable
from tests.factories import World, new_ticket, world
from tests.ui.harness import settle
from tests.ui.queue_helpers import console, ids, queue

HOSTILE = "[@click=app.quit]Click[/] \x1b[31mred"


@pytest.fixture
def w(store: Store) -> World:
    return world(store)


def test_every_binding_has_an_id_and_the_shown_ones_a_tooltip() -> None:
    for owner in (DispatcherApp, QueueScreen, QueueTable, HelpScreen):
        for binding in owner.BINDINGS:
            assert not isinstance(binding, tuple), owner
            assert isinstance(binding, Binding)
            assert binding.id, (owner, binding.key)
            if binding.show:
                assert binding.tooltip, (owner, binding.key)


async def test_help_lists_the_active_keys_with_ids_and_tooltips(store: Store, w: World) -> None:
    app = console(store)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        lines = {line.id: line for line in key_help(app.screen)}
        assert lines["queue.assign"].keys == "a"
        assert lines["queue.assign"].tooltip.startswith("Assign")
        assert lines["queue.down"].keys == "↓ / j"  # the table's keys too, when it has focus
        assert "app.help" in lines
        assert "app.quit" in lines
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one(DataTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert ["n", "New", "queue.new", "Register a phone or walk-in request"] in rows
        widths = [c.content_width for c in table.ordered_columns]  # no column cut short
        assert widths == [max(len(row[n]) for row in rows) for n in range(4)]
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)


async def test_keymap_overrides_from_the_config(
    store: Store, w: World, tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket = new_ticket(store, w, now=datetime.now(UTC))
    settings = load_settings(keymap={"queue.open": "o", "queue.sort": "ctrl+o"})
    app = console(store, settings=settings)
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot)
        assert len(ids(app)) == 1
        assert {line.id: line.keys for line in key_help(app.screen)}["queue.open"] == "o"
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        screen = app.screen
        assert isinstance(screen, TicketScreen)
        assert screen.ticket_id == ticket.id


async def test_palette_finds_tickets_clients_and_actions_and_shows_data_literally(
    store: Store, w: World
) -> None:
    ticket = new_ticket(store, w, now=datetime.now(UTC), subject=HOSTILE)
    app = console(store)
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot)
        assert len(ids(app)) == 1
        screen = app.screen
        tickets = TicketCommands(screen)
        hits = [hit async for hit in tickets.search(f"#{ticket.id}")]
        assert len(hits) == 1
        assert hits[0].text == f"#{ticket.id} [@click=app.quit]Click[/] [31mred"
        assert isinstance(hits[0], Hit)
        assert str(hits[0].match_display) == hits[0].text  # not parsed as markup
        words = [hit async for hit in tickets.search("click")]
        assert [h.text for h in words] == [hits[0].text]
        clients = [hit async for hit in ClientCommands(screen).search("acm")]
        assert [h.text for h in clients][0] == "client: Acme"
        actions = [hit async for hit in ActionCommands(screen).search("assign")]
        assert any(h.text == "Assign" for h in actions)
        discovered = [hit async for hit in ActionCommands(screen).discover()]
        assert len(discovered) > 10
        # Choosing a client filters the queue to it.
        clients[0].command()
        await settle(pilot)
        assert queue(app).extra.client_id == w.client.id
        # Choosing a ticket opens it.
        hits[0].command()
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert isinstance(app.screen, CommandPalette)


async def test_a_lead_has_the_alerts_panel_and_the_knowledge_base_key_is_safe(
    store: Store, w: World
) -> None:
    app = console(store, "lena")
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot)
        assert app.current_mode == "dashboard"  # the lead's start screen
        await pilot.press("f5")
        await settle(pilot)
        assert isinstance(app.screen, AlertsScreen)
        assert app.current_mode == "alerts"
        await pilot.press("escape")  # back from a mode's own screen: to the queue
        await settle(pilot)
        assert app.current_mode == "queue"
        await pilot.press("f3")
        await pilot.pause()
        try:
            import dispatcher.screens.kb  # type: ignore[import-not-found,import-untyped,unused-ignore]  # noqa: F401
        except ImportError:
            assert any("knowledge base" in n.message for n in app._notifications)
        else:
            assert type(app.screen).__name__ == "KbScreen"
