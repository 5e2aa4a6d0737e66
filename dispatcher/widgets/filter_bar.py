"""The queue's filter line: what narrows the queue now, and the free-text box."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Static

from dispatcher.text import plain
from dispatcher.widgets.debounce import Debounce

DEBOUNCE = 0.25  # seconds of quiet typing before the text filter applies


class FilterBar(Horizontal):
    """Dumb: `summary` down; `TextChanged` up as the dispatcher types (debounced by
    `debounce` seconds; None: only on Enter, or `typing.flush()`)."""

    DEFAULT_CSS = """
    FilterBar { height: 1; }
    FilterBar #filter-summary { width: 1fr; height: 1; }
    /* By id, so Input's own `:focus` border (3 rows tall) never hides the typed text. */
    FilterBar #filter-text {
        width: 40; height: 1; border: none; padding: 0 1; display: none;
    }
    FilterBar #filter-text:focus { border: none; }
    FilterBar.-typing #filter-text { display: block; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="filter.close", tooltip="Clear the text filter"),
    ]

    @dataclass
    class TextChanged(Message):
        text: str

    @dataclass
    class Closed(Message):
        pass

    def __init__(
        self,
        *,
        debounce: float | None = DEBOUNCE,
        id: str | None = None,  # noqa: A002 - Textual's name
    ) -> None:
        super().__init__(id=id)
        self.typing = Debounce(self, debounce)

    def compose(self) -> ComposeResult:
        yield Static("", id="filter-summary")
        yield Input(placeholder="#ref, client, contact or subject…", id="filter-text")

    def show_summary(self, parts: list[tuple[str, str]]) -> None:
        """`parts` are (what, value) pairs: values are data, shown literally."""
        text = "  ".join(f"{what}: {plain(value)}" for what, value in parts)
        self.query_one("#filter-summary", Static).update(
            Content(text or "no filter — f1 or ? for the keys")
        )

    def open_text(self, current: str) -> None:
        self.add_class("-typing")
        box = self.query_one(Input)
        box.value = current
        box.focus()

    def action_close(self) -> None:
        box = self.query_one(Input)
        if box.value:
            box.value = ""
            self.post_message(self.TextChanged(""))
        self.remove_class("-typing")
        self.post_message(self.Closed())

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        text = event.value
        self.typing(lambda: self.post_message(self.TextChanged(text)))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.typing.cancel()
        self.post_message(self.TextChanged(event.value))
        if not event.value:
            self.remove_class("-typing")
        self.post_message(self.Closed())
