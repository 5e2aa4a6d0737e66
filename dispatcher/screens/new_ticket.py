"""New ticket form for phone and walk-in requests (placeholder until the console issue)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import ModalScreen
from textual.widgets import Static

from dispatcher.identity import Operator
from dispatcher.store.engine import Store


class NewTicketScreen(ModalScreen[int | None]):
    """Dismisses with the new ticket's id, or None when cancelled."""

    def __init__(self, *, store: Store, operator: Operator) -> None:
        super().__init__()
        self.store = store
        self.operator = operator

    def compose(self) -> ComposeResult:
        yield Static("new ticket")
