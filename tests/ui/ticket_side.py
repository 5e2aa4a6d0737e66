"""Helpers for the ticket side's UI tests: a bare host app around one screen."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import App
from textual.screen import Screen

from dispatcher.domain.clock import Clock
from dispatcher.screens.context import ScreenContext
from dispatcher.screens.ticket import TicketScreen
from dispatcher.store.db.engine import Store
from tests.ui.harness import screen_context

HOSTILE = "[@click=app.quit]Click me[/] [bold red]loud[/] \x1b]0;pwned\x07\x1b[31mred"


class Host(App[None]):
    """Only the screen under test: no queue, no scheduler, no alert polling."""

    def __init__(self, make: Callable[[], Screen[Any]]) -> None:
        super().__init__()
        self.make = make
        self.dismissed: list[object] = []

    def on_mount(self) -> None:
        self.push_screen(self.make(), self.dismissed.append)


def context(store: Store, login: str, *, clock: Clock | None = None) -> ScreenContext:
    return screen_context(store, login, clock=clock)


def ticket_host(
    store: Store,
    login: str,
    ticket_id: int,
    *,
    clock: Clock | None = None,
    live: bool = True,
) -> Host:
    ctx = context(store, login, clock=clock)
    return Host(lambda: TicketScreen(ctx, ticket_id=ticket_id, live=live))
