"""Snapshots of the lead's dashboard: the first paint (placeholders), the figures read,
and "explain this number". Fixed size, a frozen clock (NOW: Wednesday 10:30 in Moscow,
the lead's zone), fixed data with a hostile client name; Textual pinned. Update with
`pytest --snapshot-update`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from dispatcher.screens.dashboard import DashboardScreen
from dispatcher.screens.dashboard_explain import ExplainScreen
from dispatcher.store.db.engine import Store
from tests.factories import World, world
from tests.ui.harness import settle
from tests.ui.queue_helpers import console
from tests.ui.test_dashboard import SIZE, fill, frozen, lead_in_moscow, tile

SnapCompare = Callable[..., bool]


@pytest.fixture
def w(store: Store) -> World:
    return world(store)


def test_dashboard_first_paint_shows_placeholders(
    snap_compare: SnapCompare, store: Store, w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    lead_in_moscow(store)
    # The layout as the first frame draws it, before any reading has answered.
    monkeypatch.setattr(DashboardScreen, "load", lambda self, *, watch=False: None)
    app = console(store, "lena", clock=frozen)

    async def first_paint(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        assert not app.screen.periods

    assert snap_compare(app, terminal_size=SIZE, run_before=first_paint)


def test_dashboard_with_figures(snap_compare: SnapCompare, store: Store, w: World) -> None:
    fill(store, w)
    app = console(store, "lena", clock=frozen)

    async def ready(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        assert app.screen.days is not None
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=ready)


def test_dashboard_explains_sla_resolution_this_week(
    snap_compare: SnapCompare, store: Store, w: World
) -> None:
    fill(store, w)
    app = console(store, "lena", clock=frozen)

    async def explained(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("w")
        tile(app, "first_response").focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ExplainScreen)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(160, 30), run_before=explained)
