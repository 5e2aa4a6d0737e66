"""Change status: one key per status the ticket may go to now (waiting on the client
pauses the SLA clock), with an optional reason typed first (Tab to the field)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from dispatcher import vocabulary
from dispatcher.domain.enums import TicketStatus, can_transition
from dispatcher.screens.dialogs._base import Dialog

# (key, status, label) in the order a dispatcher reaches for them.
CHOICES: tuple[tuple[str, TicketStatus, str], ...] = (
    ("p", TicketStatus.in_progress, "in progress"),
    ("w", TicketStatus.waiting_client, "waiting on the client (pauses the SLA)"),
    ("v", TicketStatus.resolved, "resolved (the client confirms, or it closes itself)"),
    ("x", TicketStatus.closed, "closed"),
    ("o", TicketStatus.open, "open (reopens a resolved or closed ticket)"),
)


@dataclass(frozen=True, slots=True)
class StatusResult:
    status: TicketStatus
    reason: str


def allowed(current: TicketStatus) -> list[tuple[str, TicketStatus, str]]:
    return [c for c in CHOICES if c[1] != current and can_transition(current, c[1])]


class StatusDialog(Dialog[StatusResult | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(key, f"choose('{status.value}')", label.split(" (")[0], id=f"status.{status}")
        for key, status, label in CHOICES
    ]

    def __init__(self, *, current: TicketStatus) -> None:
        super().__init__()
        self.current = current
        self.choices = allowed(current)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            now = vocabulary.status(self.current)
            yield Label(Text(f"Status now: {now}"))
            if not self.choices:
                yield Label(Text(f"a ticket that is {now} cannot change status"))
            yield OptionList(
                *[
                    Option(Text(f"{key}  {label}"), id=status.value)
                    for key, status, label in self.choices
                ],
                id="status-choices",
            )
            yield Input(placeholder="reason (optional)", id="status-reason")
            yield Label(Text("a key or enter chooses · tab to the reason · escape"), classes="hint")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "choose":
            return any(s.value == parameters[0] for _k, s, _l in self.choices)
        return True

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.action_choose(event.option.id)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one(OptionList).focus()

    def action_choose(self, status: str) -> None:
        reason = self.query_one(Input).value.strip()
        self.dismiss(StatusResult(TicketStatus(status), reason))
