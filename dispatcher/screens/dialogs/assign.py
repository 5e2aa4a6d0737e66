"""Assign: the suggested engineer with the reason, everyone left out with theirs, and a
one-key override (a digit, or move and Enter)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from dispatcher.domain.routing import Suggestion
from dispatcher.read_models.tickets import Named
from dispatcher.screens.dialogs._base import Dialog
from dispatcher.text import plain


@dataclass(frozen=True, slots=True)
class AssignResult:
    assignee_id: int
    suggested_id: int | None
    reason: str


class AssignDialog(Dialog[AssignResult | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "accept", "Assign", id="assign.accept", tooltip="Assign the one shown"),
        Binding("s", "suggested", "Suggested", id="assign.suggested", tooltip="Take suggestion"),
        *[
            Binding(str(n), f"pick({n})", f"Pick {n}", id=f"assign.pick{n}", show=False)
            for n in range(1, 10)
        ],
    ]

    def __init__(self, *, suggestion: Suggestion, people: list[Named]) -> None:
        super().__init__()
        self.suggestion = suggestion
        # The eligible ones best first, then everybody else (an override may pick anyone).
        best = [c.user_id for c in suggestion.eligible]
        by_id = {p.id: p for p in people}
        self.order = [i for i in best if i in by_id] + [p.id for p in people if p.id not in best]
        self.people = by_id

    def compose(self) -> ComposeResult:
        s = self.suggestion
        with Vertical(id="dialog", classes="dialog"):
            head = Text("Suggested: ", style="bold")
            head.append(plain(s.chosen.login) if s.chosen else "nobody")
            yield Label(head)
            yield Label(Text(plain(s.reason)), id="assign-reason")
            if s.excluded:
                lines = "\n".join(f"  {plain(e.login)}: {plain(e.reason)}" for e in s.excluded)
                yield Label(Text("Left out:\n" + lines), id="assign-excluded", classes="hint")
            options = []
            for n, user_id in enumerate(self.order, start=1):
                key = f"{n} " if n < 10 else "  "
                mark = " ← suggested" if user_id == s.chosen_id else ""
                options.append(
                    Option(Text(f"{key}{plain(self.people[user_id].name)}{mark}"), id=str(user_id))
                )
            yield OptionList(*options, id="assign-people")
            yield Label(
                Text("enter assigns · s the suggestion · 1-9 picks · escape cancels"),
                classes="hint",
            )

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.focus()
        if self.order:
            options.highlighted = 0

    def _done(self, user_id: int) -> None:
        s = self.suggestion
        if user_id == s.chosen_id:
            reason = s.reason
        else:
            picked = self.people[user_id].name
            reason = f"override: {picked} instead of " + (
                s.chosen.login if s.chosen else "no suggestion"
            )
        self.dismiss(AssignResult(user_id, s.chosen_id, reason))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self._done(int(event.option.id))

    def action_accept(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None:
            self._done(self.order[options.highlighted])

    def action_suggested(self) -> None:
        if self.suggestion.chosen_id is not None:
            self._done(self.suggestion.chosen_id)

    def action_pick(self, n: int) -> None:
        if 1 <= n <= len(self.order):
            self._done(self.order[n - 1])
