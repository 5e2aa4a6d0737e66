"""Helpers for the ticket side's UI tests: a bare host app around one screen, waiting."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any

from textual.app import App
from textual.screen import Screen

from dispatcher.identity import Operator, sign_in
from dispatcher.screens.ticket import TicketScreen
from dispatcher.store.db.engine import Store

HOSTILE = "[@click=app.quit]Click me[/] [bold red]loud[/] \x1b]0;pwned\x07\x1b[31mred"


class Host(App[None]):
    """Only the screen under test: no queue, no scheduler, no alert polling."""

    def __init__(self, make: Callable[[], Screen[Any]]) -> None:
        super().__init__()
        self.make = make
        self.dismissed: list[object] = []

    def on_mount(self) -> None:
        self.push_screen(self.make(), self.dismissed.append)


def operator(store: Store, login: str) -> Operator:
    return sign_in(store, login)


def ticket_host(
    store: Store,
    login: str,
    ticket_id: int,
    *,
    clock: Callable[[], datetime] | None = None,
    live: bool = True,
) -> Host:
    who = operator(store, login)
    return Host(
        lambda: TicketScreen(store=store, operator=who, ticket_id=ticket_id, clock=clock, live=live)
    )


async def until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    """Poll a condition the screen's workers will make true."""
    async with asyncio.timeout(seconds):
        while True:
            if condition():
                return
            await asyncio.sleep(0.02)
