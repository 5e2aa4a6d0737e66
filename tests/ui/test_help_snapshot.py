"""Help (F1, `?`) at 100x30: every key, description and id in full, grouped, scrollable."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable

from dispatcher.screens.help import GROUPS, HelpScreen
from dispatcher.store.db.engine import Store
from tests.conftest import NOW
from tests.factories import world
from tests.ui.harness import settle
from tests.ui.queue_helpers import console

SnapCompare = Callable[..., bool]


async def _help(pilot: Pilot[Any]) -> HelpScreen:
    await settle(pilot)
    await pilot.press("f1")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, HelpScreen)
    return screen


async def test_help_at_100_columns_is_grouped_whole_and_scrolls(store: Store) -> None:
    world(store)
    app = console(store, clock=lambda: NOW)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _help(pilot)
        table = screen.query_one(DataTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        groups = [row[0] for row in rows if row[0] in GROUPS]
        assert groups == [GROUPS[0], GROUPS[1], GROUPS[2]]
        # Every id and description whole; the table is narrower than its content and
        # scrolls to the rest rather than cutting it.
        widths = [c.content_width for c in table.ordered_columns]
        assert widths == [max(len(row[n]) for row in rows) for n in range(4)]
        assert ["f1 / ?", "Help", "app.help", "Every key on this screen"] in rows
        assert table.region.right <= 100
        assert table.region.bottom <= 30
        assert table.max_scroll_y > 0 or table.row_count < table.region.height
        await pilot.press("ctrl+end")  # the last key is reachable
        await settle(pilot)
        assert table.cursor_row == table.row_count - 1
        assert table.scroll_y == table.max_scroll_y > 0


def test_help_snapshot(snap_compare: SnapCompare, store: Store) -> None:
    world(store)
    app = console(store, clock=lambda: NOW)

    async def ready(pilot: Pilot[Any]) -> None:
        await _help(pilot)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 30), run_before=ready)
