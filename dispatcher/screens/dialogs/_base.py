"""What every ticket dialog shares: Escape cancels, the styles of the ticket side."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, TypeVar

from textual.binding import Binding, BindingType
from textual.screen import ModalScreen

R = TypeVar("R")

TICKET_CSS = Path(__file__).parent.parent / "ticket.tcss"


class Dialog(ModalScreen[R]):
    CSS_PATH = TICKET_CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel", tooltip="Close, change nothing"),
    ]

    def action_cancel(self) -> None:
        self.dismiss(None)
