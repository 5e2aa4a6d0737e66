"""Assign: the suggested engineer with the reason, everyone left out with theirs, and a
one-key override (a digit, or move and Enter).

The list is ordered by fit (the competence, on shift now, the load), so digits 1-9 offer
the best first. Anyone on leave or off shift is marked with when they are next on shift,
and picking them asks for a confirmation first. At night, when nobody may take the ticket,
the one next on shift is offered as the suggestion (`s`), with when.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from dispatcher.domain.routing import Candidate, Suggestion
from dispatcher.read_models.tickets import Named
from dispatcher.screens.dialogs._base import Dialog
from dispatcher.text import plain
from dispatcher.widgets.picker import ConfirmScreen


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
        # Everybody who may get work by fit, then anyone else (an override may pick anyone).
        by_id = {p.id: p for p in people}
        best = [c.user_id for c in suggestion.ranked if c.user_id in by_id]
        self.order = best + [p.id for p in people if p.id not in best]
        self.people = by_id
        self.candidates: dict[int, Candidate] = {c.user_id: c for c in suggestion.ranked}

    @property
    def offered(self) -> Candidate | None:
        """Who `s` assigns: the one chosen, or at night the one next on shift."""
        return self.suggestion.chosen or self.suggestion.next_up

    def compose(self) -> ComposeResult:
        s = self.suggestion
        with Vertical(id="dialog", classes="dialog"):
            head = Text("Suggested: ", style="bold")
            if s.chosen is not None:
                head.append(plain(s.chosen.login))
            elif s.next_up is not None:
                head.append("nobody on shift now; next: ")
                head.append(plain(s.next_up.login))
            else:
                head.append("nobody")
            yield Label(head, id="assign-head")
            yield Label(Text(plain(s.reason)), id="assign-reason")
            if s.excluded:
                lines = "\n".join(f"  {plain(e.login)}: {plain(e.reason)}" for e in s.excluded)
                yield Label(Text("Left out:\n" + lines), id="assign-excluded", classes="hint")
            yield OptionList(*self._options(), id="assign-people")
            yield Label(
                Text("enter assigns · s the suggestion · 1-9 picks · escape cancels"),
                classes="hint",
            )

    def _options(self) -> list[Option]:
        offered = self.offered.user_id if self.offered else None
        options = []
        for n, user_id in enumerate(self.order, start=1):
            key = f"{n} " if n < 10 else "  "
            line = Text(f"{key}{plain(self.people[user_id].name)}")
            candidate = self.candidates.get(user_id)
            if candidate is not None:
                where = self.suggestion.standing(candidate)
                load = candidate.sla_active_tickets
                line.append(
                    f" · {where} · {load} active",
                    style="" if candidate.available else "italic",
                )
            if user_id == offered:
                line.append(" ← suggested" if self.suggestion.chosen else " ← next on shift")
            options.append(Option(line, id=str(user_id)))
        return options

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.focus()
        if self.order:
            options.highlighted = 0

    def _done(self, user_id: int) -> None:
        s = self.suggestion
        candidate = self.candidates.get(user_id)
        warning = s.caution(candidate) if candidate is not None else None
        offered = self.offered.user_id if self.offered else None
        if user_id == offered:
            reason = s.reason
        else:
            picked = self.people[user_id].name
            reason = f"override: {picked} instead of " + (
                s.chosen.login if s.chosen else "no suggestion"
            )
        if warning is None:
            self.dismiss(AssignResult(user_id, offered, reason))
            return
        confirmed_reason = f"{reason}; confirmed: {warning}"

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.dismiss(AssignResult(user_id, offered, confirmed_reason))

        self.app.push_screen(
            ConfirmScreen(
                f"Assign to {self.people[user_id].name} anyway?",
                [f"{warning}.", "They will see the ticket when they are back on shift."],
            ),
            confirmed,
        )

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self._done(int(event.option.id))

    def action_accept(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None:
            self._done(self.order[options.highlighted])

    def action_suggested(self) -> None:
        if self.offered is not None and self.offered.user_id in self.people:
            self._done(self.offered.user_id)

    def action_pick(self, n: int) -> None:
        if 1 <= n <= len(self.order):
            self._done(self.order[n - 1])
