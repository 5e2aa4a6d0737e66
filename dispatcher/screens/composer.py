"""Reply and note composer (placeholder until the replies issue builds it)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import ModalScreen
from textual.widgets import Static

from dispatcher.domain.enums import MessageKind
from dispatcher.identity import Operator
from dispatcher.store.engine import Store


class ComposerScreen(ModalScreen[bool]):
    """Dismisses with True when a message was sent or saved."""

    def __init__(
        self,
        *,
        store: Store,
        operator: Operator,
        ticket_id: int,
        kind: MessageKind,
        opened_version: int,
    ) -> None:
        super().__init__()
        self.store = store
        self.operator = operator
        self.ticket_id = ticket_id
        self.kind = kind
        self.opened_version = opened_version

    def compose(self) -> ComposeResult:
        yield Static(f"{self.kind} on #{self.ticket_id}")
