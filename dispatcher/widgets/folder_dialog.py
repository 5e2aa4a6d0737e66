"""Ask for a folder: where a message's attachments are saved. Dumb: it is handed the files'
names and a starting folder, and dismisses with the folder typed (`~` expanded) or None."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from dispatcher.text import plain


def default_folder() -> Path:
    """~/Downloads when there is one, else the current folder."""
    downloads = Path.home() / "Downloads"
    return downloads if downloads.is_dir() else Path.cwd()


class FolderDialog(ModalScreen[Path | None]):
    DEFAULT_CSS = """
    FolderDialog { align: center middle; }
    FolderDialog > #folder-dialog {
        width: 84; height: auto; max-height: 90%; padding: 1 2;
        border: thick $primary; background: $surface;
    }
    FolderDialog .hint { color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="folder.cancel", tooltip="Close, save nothing"),
    ]

    def __init__(self, *, names: Sequence[str], folder: Path) -> None:
        super().__init__()
        self.names = list(names)
        self.folder = folder

    def compose(self) -> ComposeResult:
        count = len(self.names)
        noun = "attachment" if count == 1 else "attachments"
        with Vertical(id="folder-dialog"):
            yield Label(Text(f"Save {count} {noun}:", style="bold"))
            yield Label(Text(plain(", ".join(self.names))))
            yield Input(str(self.folder), id="folder", placeholder="folder")
            yield Label(
                Text("Enter saves; a file already there is kept (the copy gets a number)."),
                classes="hint",
            )

    def on_input_submitted(self, event: Input.Submitted) -> None:
        typed = event.value.strip()
        self.dismiss(Path(typed).expanduser() if typed else None)

    def action_cancel(self) -> None:
        self.dismiss(None)
