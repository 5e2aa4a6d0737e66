"""Ticket detail (placeholder until the console issue builds it)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from dispatcher.identity import Operator
from dispatcher.store.engine import Store


class TicketScreen(Screen[None]):
    def __init__(self, *, store: Store, operator: Operator, ticket_id: int) -> None:
        super().__init__()
        self.store = store
        self.operator = operator
        self.ticket_id = ticket_id

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"#{self.ticket_id}")
        yield Footer()
