"""The editor the KB and the templates screens share: a heading, one-line fields, a body,
Ctrl+S to save, Escape to leave.

What differs between an article and a template is handed in: the fields, and `save`,
which runs in a thread worker (it writes; the form never touches the store) and returns
what the form dismisses with. A `DispatcherError` it raises (an unknown placeholder, an
edit somebody else saved first) is shown on the form, which stays open, nothing lost.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Static, TextArea
from textual.worker import Worker

from dispatcher.screens.workers import WorkerErrors
from dispatcher.text import plain

# (field values by name, body) -> what the form dismisses with; runs in a thread.
Save = Callable[[dict[str, str], str], str]


@dataclass(frozen=True, slots=True)
class FormField:
    """One line of the form: `#field-<name>`, its value handed to `save` by name."""

    name: str
    value: str = ""
    placeholder: str = ""


class EditorScreen(WorkerErrors, ModalScreen[str | None]):
    """Dismisses with what `save` returned once it saved, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="editor.save", priority=True, tooltip="Save"),
        Binding("escape", "cancel", "Cancel", id="editor.cancel", tooltip="Close, save nothing"),
    ]

    @dataclass
    class Saved(Message):
        result: str

    def __init__(
        self,
        *,
        heading: str,
        fields: Sequence[FormField],
        body: str,
        save: Save,
        notes: str = "",
    ) -> None:
        """`notes` is shown under the body as plain text (the templates' placeholders)."""
        super().__init__()
        self.heading = heading
        self.notes = notes
        self.fields = tuple(fields)
        self.body = body
        self.save = save

    def compose(self) -> ComposeResult:
        with Vertical(id="editor"):
            yield Static(Text(plain(self.heading)), id="editor-heading")
            for field in self.fields:
                yield Input(field.value, placeholder=field.placeholder, id=f"field-{field.name}")
            yield TextArea(self.body, id="editor-body", soft_wrap=True, tab_behavior="focus")
            if self.notes:
                yield Static(Text(plain(self.notes)), id="editor-notes")
            yield Static(id="editor-message")
        yield Footer()

    def values(self) -> dict[str, str]:
        return {f.name: self.query_one(f"#field-{f.name}", Input).value for f in self.fields}

    def action_save(self) -> None:
        self.run_save(self.values(), self.query_one("#editor-body", TextArea).text)

    @work(thread=True, exclusive=True, exit_on_error=False, group="editor-save")
    def run_save(self, values: dict[str, str], body: str) -> None:
        self.post_message(self.Saved(self.save(values, body)))

    def on_editor_screen_saved(self, event: Saved) -> None:
        self.dismiss(event.result)

    def show_worker_error(self, worker: Worker[Any], text: str) -> None:
        line = self.query_one("#editor-message", Static)
        line.update(Text(plain(text)))
        line.add_class("-error")

    def action_cancel(self) -> None:
        self.dismiss(None)
