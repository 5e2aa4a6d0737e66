"""An engineer's own work (placeholder until the console issue builds it)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from dispatcher.identity import Operator
from dispatcher.store.engine import Store


class MyWorkScreen(Screen[None]):
    def __init__(self, *, store: Store, operator: Operator) -> None:
        super().__init__()
        self.store = store
        self.operator = operator

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("my work")
        yield Footer()
