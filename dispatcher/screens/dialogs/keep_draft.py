"""Closing on unsent text: keep it as a draft, discard it, or go back to it. One key each;
Escape goes back (the text is never lost by a second Escape)."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from dispatcher.screens.dialogs._base import Dialog


class DraftChoice(StrEnum):
    keep = "keep"
    discard = "discard"
    back = "back"


CHOICES: tuple[tuple[str, DraftChoice, str], ...] = (
    ("k", DraftChoice.keep, "keep as draft (it is here when you open this again)"),
    ("d", DraftChoice.discard, "discard the text"),
    ("b", DraftChoice.back, "go back to writing"),
)


class KeepDraftDialog(Dialog[DraftChoice]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "choose('back')", "Go back", id="draft.back", tooltip="Back to the text"),
        *[
            Binding(key, f"choose('{choice.value}')", label.split(" (")[0], id=f"draft.{choice}")
            for key, choice, label in CHOICES
        ],
    ]

    def __init__(self, *, what: str) -> None:
        super().__init__()
        self.what = what

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label(Text(f"The {self.what} is not sent. Keep it?", style="bold"))
            yield OptionList(
                *[
                    Option(Text(f"{key}  {label}"), id=choice.value)
                    for key, choice, label in CHOICES
                ],
                id="draft-choices",
            )
            yield Label(Text("a key or enter chooses · escape goes back"), classes="hint")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.action_choose(event.option.id)

    def action_choose(self, choice: str) -> None:
        self.dismiss(DraftChoice(choice))

    def action_cancel(self) -> None:
        self.dismiss(DraftChoice.back)
