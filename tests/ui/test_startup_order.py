"""A dispatcher's console draws the queue first: the background work (the alert and review
polls, the scheduler) starts only once the first window has arrived, so none of it
competes with the first read and frame."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from dispatcher.app import DispatcherApp
from dispatcher.config import load_settings
from dispatcher.identity import sign_in
from dispatcher.screens.context import Intervals
from dispatcher.screens.queue import QueueScreen
from dispatcher.store.db.engine import Store
from tests.factories import new_ticket, world
from tests.ui.harness import settle

MAX_FRAMES = 200  # a console that never starts its background work is a bug


class Watched(DispatcherApp):
    """Notes how many queue rows were on the table when the first alert poll began."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rows_at_first_poll: list[int] = []

    def poll_alerts(self) -> None:
        if not self.rows_at_first_poll:
            screen = self.screen
            rows = len(screen.table.rows) if isinstance(screen, QueueScreen) else -1
            self.rows_at_first_poll.append(rows)
        super().poll_alerts()


def _app(store: Store, intervals: Intervals) -> Watched:
    return Watched(
        settings=load_settings(),
        store=store,
        operator=sign_in(store, "olga"),
        run_scheduler=False,
        intervals=intervals,
    )


async def test_polls_driven_by_hand_start_with_the_first_window(store: Store) -> None:
    new_ticket(store, world(store), now=datetime.now(UTC), subject="Printer offline")
    app = _app(store, Intervals.manual())
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        assert app.rows_at_first_poll == [1]


async def test_the_consoles_own_polls_start_after_the_first_rows(store: Store) -> None:
    new_ticket(store, world(store), now=datetime.now(UTC), subject="Printer offline")
    app = _app(store, replace(Intervals.manual(), alerts=3600.0))  # never again in the test
    async with app.run_test(size=(120, 30)) as pilot:
        for _ in range(MAX_FRAMES):
            if app.rows_at_first_poll:
                break
            await pilot.pause()
        await settle(pilot)
        assert app.rows_at_first_poll == [1]
