"""The queue at 100x30: Due and the subject are never cut away, the columns add up to the
width exactly, and spare width goes to the columns that were cut (a snapshot too)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from textual.pilot import Pilot

from dispatcher.app import DispatcherApp
from dispatcher.domain.enums import Priority
from dispatcher.store.clients.clients import add_client
from dispatcher.store.db.engine import Store
from dispatcher.store.models import Ticket
from dispatcher.widgets.queue_table import COLUMNS, column_widths
from tests.conftest import NOW
from tests.factories import World, new_ticket, world
from tests.ui.harness import settle
from tests.ui.queue_helpers import console, line, queue

SnapCompare = Callable[..., bool]
LABELS = [c.label for c in COLUMNS]


def _widths(total: int) -> dict[str, int]:
    return dict(zip(LABELS, column_widths(total), strict=True))


@pytest.mark.parametrize("total", [80, 98, 100, 119, 140, 150, 200, 300])
def test_columns_fill_the_width_and_due_is_whole(total: int) -> None:
    widths = column_widths(total)
    if total >= 86:  # every column at its narrowest fits
        assert sum(widths) + len(widths) - 1 + 1 == total
    assert _widths(total)["Due"] == 12  # "1st -5d 13h": the target and the time
    assert _widths(total)["Subject"] >= 12


def test_spare_width_goes_to_cut_columns_before_blank_subject() -> None:
    narrow, wide = _widths(100), _widths(150)
    assert narrow["Subject"] >= 24  # readable at 100 columns
    assert wide["Client"] > 16  # the ones cut most often grow
    assert wide["Category"] > 12
    assert _widths(300)["Client"] == 24  # ... up to a point; then the subject takes it


@pytest.fixture
def w(store: Store) -> World:
    return world(store)


def test_queue_at_100x30(snap_compare: SnapCompare, store: Store, w: World) -> None:
    with store.write() as session:
        client = add_client(session, name="ООО «Альфа-Логистик»")
    for i, subject in enumerate(
        ["Не работает VPN у всего отдела продаж", "Printer on floor 3 offline", "Mail quota"]
    ):
        made = new_ticket(
            store, w, now=NOW - timedelta(minutes=90 * i), subject=subject, priority=Priority.high
        )
        if i == 0:
            with store.write() as session:
                row = session.get(Ticket, made.id)
                assert row is not None
                row.client_id = client.id
    app = console(store, clock=lambda: NOW)

    async def ready(pilot: Pilot[Any]) -> None:
        assert isinstance(pilot.app, DispatcherApp)
        await settle(pilot)
        assert len(queue(pilot.app).table.rows) == 3
        # Every row ends with its whole deadline, e.g. "-1h 30m" or "3h 12m".
        for index in range(3):
            text = line(pilot.app, index).rstrip()
            assert text.endswith(("m", "h", "d")), text
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 30), run_before=ready)
