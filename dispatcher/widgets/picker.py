"""Modal helpers for the queue: pick one of a list, type a name, confirm a preview."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from dispatcher.text import plain


class PickerScreen(ModalScreen[str | None]):
    """Choose one of `options` ((value, label) pairs); type to narrow the list.

    Dismisses with the chosen value, or None when cancelled.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="picker.cancel", tooltip="Choose nothing"),
        Binding("down", "down", "Down", id="picker.down", show=False),
        Binding("up", "up", "Up", id="picker.up", show=False),
    ]

    def __init__(self, title: str, options: list[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.options = list(dict(reversed(options)).items())[::-1]  # each value once, first wins

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Content(self.title_text), classes="dialog-title")
            yield Input(placeholder="type to narrow", id="picker-filter")
            yield OptionList(*self._matching(""), id="picker-options")

    def _matching(self, needle: str) -> list[Option]:
        needle = needle.casefold()
        return [
            Option(Content(plain(label)), id=value)
            for value, label in self.options
            if needle in label.casefold()
        ]

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        if options.option_count:
            options.highlighted = 0

    def on_input_changed(self, event: Input.Changed) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options(self._matching(event.value))
        if options.option_count:
            options.highlighted = 0

    def on_input_submitted(self, event: Input.Submitted) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None:
            self.dismiss(options.get_option_at_index(options.highlighted).id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_down(self) -> None:
        self.query_one(OptionList).action_cursor_down()

    def action_up(self) -> None:
        self.query_one(OptionList).action_cursor_up()

    def action_cancel(self) -> None:
        self.dismiss(None)


class PromptScreen(ModalScreen[str | None]):
    """Ask for one line of text (a view's name); None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape", "cancel", "Cancel", id="prompt.cancel", tooltip="Keep things as they are"
        ),
    ]

    def __init__(self, title: str, value: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Content(self.title_text), classes="dialog-title")
            yield Input(value=self.value, id="prompt-input")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmScreen(ModalScreen[bool]):
    """A preview of what will change, line by line; `y` or enter applies it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,enter", "yes", "Apply", id="confirm.yes", tooltip="Make these changes"),
        Binding("n,escape", "no", "Cancel", id="confirm.no", tooltip="Change nothing"),
    ]

    def __init__(self, title: str, lines: list[str]) -> None:
        super().__init__()
        self.title_text = title
        self.lines = lines

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Content(self.title_text), classes="dialog-title")
            with VerticalScroll(id="confirm-lines"):
                for line in self.lines:
                    yield Static(Content(plain(line)))
            yield Static(Content("y / enter: apply    n / esc: cancel"), classes="dialog-keys")

    def action_yes(self) -> None:
        self.dismiss(True)

    def action_no(self) -> None:
        self.dismiss(False)
