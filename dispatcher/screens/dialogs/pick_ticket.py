"""Merge and link: type the other ticket's number, see a preview of it and of what will
happen, then confirm. The preview is read by a loader in a thread worker."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Label

from dispatcher import vocabulary
from dispatcher.domain.enums import LinkKind
from dispatcher.domain.errors import DispatcherError
from dispatcher.read_models.tickets import TicketBrief
from dispatcher.screens.dialogs._base import Dialog
from dispatcher.store.tickets.writes import parse_ref
from dispatcher.text import plain

BriefLoader = Callable[[int], TicketBrief]


@dataclass(frozen=True, slots=True)
class PickResult:
    other_id: int
    kind: LinkKind | None  # None for a merge


class PickTicketDialog(Dialog[PickResult | None]):
    """The shared form; `merge.MergeDialog` and `link.LinkDialog` say what it does."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "confirm", "Confirm", id="pick.confirm", tooltip="Do it"),
    ]
    verb = ""

    @dataclass
    class Previewed(Message):
        ref: str
        brief: TicketBrief | None
        error: str

    def __init__(self, *, ticket_id: int, subject: str, messages: int, load: BriefLoader) -> None:
        super().__init__()
        self.ticket_id = ticket_id
        self.subject = subject
        self.messages = messages
        self.load = load
        self.brief: TicketBrief | None = None

    def extra(self) -> ComposeResult:
        yield from ()

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label(Text(f"{self.verb} #{self.ticket_id}: {plain(self.subject)}"))
            yield Input(placeholder="the other ticket, e.g. #1042", id="other")
            yield from self.extra()
            yield Label(Text("type a ticket number"), id="preview")
            yield Label(Text("enter previews · ctrl+s confirms · escape cancels"), classes="hint")

    def on_mount(self) -> None:
        self.query_one("#other", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.brief = None
        self.preview(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.brief is not None:
            self.action_confirm()

    @work(thread=True, exclusive=True, exit_on_error=False, group="pick-preview")
    def preview(self, ref: str) -> None:
        if not ref.strip():
            self.post_message(self.Previewed(ref, None, "type a ticket number"))
            return
        try:
            other = parse_ref(ref)
            if other == self.ticket_id:
                raise DispatcherError(f"that is this ticket: pick another one to {self.verb}")
            brief = self.load(other)
        except DispatcherError as exc:
            self.post_message(self.Previewed(ref, None, str(exc)))
            return
        self.post_message(self.Previewed(ref, brief, ""))

    def on_pick_ticket_dialog_previewed(self, event: Previewed) -> None:
        if event.ref != self.query_one("#other", Input).value:
            return  # typed on since
        self.brief = event.brief
        label = self.query_one("#preview", Label)
        label.set_class(event.brief is None, "error")
        if event.brief is None:
            label.update(Text(plain(event.error)))
        else:
            label.update(Text(self.describe(event.brief)))

    def describe(self, brief: TicketBrief) -> str:
        b = brief
        messages = f"{b.messages} message" + ("" if b.messages == 1 else "s")
        return (
            f"{b.ref} {plain(b.subject)}\n"
            f"  {vocabulary.status(b.status)} · client {plain(b.client or '—')} · "
            f"assignee {plain(b.assignee or vocabulary.word('nobody'))} · {messages}"
        )

    def kind(self) -> LinkKind | None:
        return None

    def action_confirm(self) -> None:
        if self.brief is not None:
            self.dismiss(PickResult(self.brief.id, self.kind()))
