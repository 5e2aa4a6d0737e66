"""New ticket for phone and walk-in requests: find the client as you type (name, email or
phone), see the contract and the deadlines the ticket will get, be told before saving when
the contract has expired, save in one keystroke."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Select, TextArea
from textual.widgets.option_list import Option
from textual.worker import Worker

from dispatcher.domain.enums import Channel, Priority
from dispatcher.read_models.tickets import DeadlinePreview, Named
from dispatcher.screens.context import ScreenContext
from dispatcher.screens.workers import WorkerErrors
from dispatcher.store.clients import clients
from dispatcher.store.tickets import reading, writes
from dispatcher.text import plain
from dispatcher.widgets.debounce import Debounce

MAX_MATCHES = 8


def describe_match(match: clients.ClientMatch) -> str:
    line = plain(match.client_name)
    if match.contact_name:
        line += f" — {plain(match.contact_name)}"
    if match.matched_on in ("email", "phone"):
        line += f" ({match.matched_on} {plain(match.matched)})"
    if not match.client_active:
        line += " [inactive]"
    return line


class NewTicketScreen(WorkerErrors, ModalScreen[int | None]):
    """Dismisses with the new ticket's id, or None when cancelled."""

    CSS_PATH = Path(__file__).parent / "ticket.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="new_ticket.save", tooltip="Register the ticket"),
        Binding(
            "escape", "cancel", "Cancel", id="new_ticket.cancel", tooltip="Close, save nothing"
        ),
    ]

    @dataclass
    class Found(Message):
        text: str
        matches: list[clients.ClientMatch]

    @dataclass
    class Choices(Message):
        categories: list[Named]

    @dataclass
    class Previewed(Message):
        client_id: int | None
        priority: Priority
        preview: DeadlinePreview

    @dataclass
    class Saved(Message):
        ticket_id: int

    def __init__(self, context: ScreenContext) -> None:
        super().__init__()
        self.context = context
        self.matches: list[clients.ClientMatch] = []
        self.chosen: clients.ClientMatch | None = None
        self.preview: DeadlinePreview | None = None
        self.confirm_expired = False
        # The client search runs once typing pauses (`Intervals.client_search`).
        self.client_search = Debounce(self, context.intervals.client_search)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label(Text("New ticket (phone or walk-in)", style="bold"))
            yield Input(placeholder="client: name, email or phone", id="new-client-search")
            yield OptionList(id="new-matches")
            yield Label(Text("no client chosen"), id="new-client")
            yield Label(Text(""), id="new-contract")
            yield Label(Text(""), id="new-deadlines")
            yield Select(
                [(Text(p.value), p) for p in Priority],
                value=Priority.normal,
                allow_blank=False,
                id="new-priority",
            )
            yield Select(
                [(Text("phone"), Channel.phone), (Text("walk-in"), Channel.walk_in)],
                value=Channel.phone,
                allow_blank=False,
                id="new-channel",
            )
            yield Select([], prompt="category", id="new-category")
            yield Input(placeholder="subject", id="new-subject")
            yield TextArea(id="new-body")
            yield Label(Text(""), id="new-error", classes="error")
            yield Label(Text("ctrl+s saves · escape cancels"), classes="hint")

    def on_mount(self) -> None:
        self.query_one("#new-client-search", Input).focus()
        self.load_choices()
        self.refresh_preview()

    # --- reads ------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="new-choices")
    def load_choices(self) -> None:
        with self.context.store.read() as session:
            categories = reading.classify_choices(session, client_id=None).categories
        self.post_message(self.Choices(list(categories)))

    def on_new_ticket_screen_choices(self, event: Choices) -> None:
        self.query_one("#new-category", Select).set_options(
            [(Text(plain(c.name)), c.id) for c in event.categories]
        )

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "new-client-search":
            return
        text = event.value
        self.client_search(lambda: self.search(text))

    @work(thread=True, exclusive=True, exit_on_error=False, group="new-search")
    def search(self, text: str) -> None:
        with self.context.store.read() as session:
            found = clients.find_clients(session, text=text, limit=MAX_MATCHES)
        self.post_message(self.Found(text, found))

    def on_new_ticket_screen_found(self, event: Found) -> None:
        if event.text != self.query_one("#new-client-search", Input).value:
            return  # typed on since
        self.matches = event.matches
        options = self.query_one("#new-matches", OptionList)
        options.clear_options()
        options.add_options(
            Option(Text(describe_match(m)), id=str(n)) for n, m in enumerate(event.matches)
        )
        if event.matches:
            options.highlighted = 0

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "new-client-search":
            event.stop()
            options = self.query_one("#new-matches", OptionList)
            if options.highlighted is not None and self.matches:
                self._choose(self.matches[options.highlighted])
                self.query_one("#new-subject", Input).focus()
            else:
                options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self._choose(self.matches[int(event.option.id)])
            self.query_one("#new-subject", Input).focus()

    def _choose(self, match: clients.ClientMatch) -> None:
        self.chosen = match
        self.confirm_expired = False
        self.query_one("#new-client", Label).update(Text("client: " + describe_match(match)))
        self.refresh_preview()

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "new-priority":
            self.refresh_preview()

    def _priority(self) -> Priority:
        value = self.query_one("#new-priority", Select).value
        return value if isinstance(value, Priority) else Priority.normal

    def refresh_preview(self) -> None:
        self.read_preview(self.chosen.client_id if self.chosen else None, self._priority())

    @work(thread=True, exclusive=True, exit_on_error=False, group="new-preview")
    def read_preview(self, client_id: int | None, priority: Priority) -> None:
        now = self.context.clock()
        with self.context.store.read() as session:
            preview = reading.deadline_preview(
                session, client_id=client_id, priority=priority, now=now
            )
        self.post_message(self.Previewed(client_id, priority, preview))

    def on_new_ticket_screen_previewed(self, event: Previewed) -> None:
        chosen = self.chosen.client_id if self.chosen else None
        if (event.client_id, event.priority) != (chosen, self._priority()):
            return  # the client or the priority changed meanwhile
        self.preview = p = event.preview
        contract = self.query_one("#new-contract", Label)
        contract.set_class(p.expired, "-expired")
        line = plain(p.contract)
        if p.expired:
            line = "⚠ " + line
        contract.update(Text(line))
        parts = [f"plan {plain(p.plan or 'none')}"]
        if p.first_response_due:
            parts.append(
                f"first response by {p.first_response_due.astimezone(UTC):%a %d %b %H:%M} UTC"
            )
        if p.resolution_due:
            parts.append(f"resolution by {p.resolution_due.astimezone(UTC):%a %d %b %H:%M} UTC")
        self.query_one("#new-deadlines", Label).update(Text(" · ".join(parts)))

    # --- saving -----------------------------------------------------------------------

    def _error(self, text: str) -> None:
        self.query_one("#new-error", Label).update(Text(plain(text)))

    def action_save(self) -> None:
        subject = self.query_one("#new-subject", Input).value
        if not subject.strip():
            self._error("a ticket needs a subject")
            self.query_one("#new-subject", Input).focus()
            return
        if self.preview is not None and self.preview.expired and not self.confirm_expired:
            self.confirm_expired = True
            self._error(
                f"{self.preview.contract}. Press ctrl+s again to register it under that plan."
            )
            return
        priority = self.query_one("#new-priority", Select).value
        channel = self.query_one("#new-channel", Select).value
        category = self.query_one("#new-category", Select).value
        data = writes.NewTicket(
            subject=subject,
            body=self.query_one("#new-body", TextArea).text,
            client_id=self.chosen.client_id if self.chosen else None,
            contact_id=self.chosen.contact_id if self.chosen else None,
            priority=priority if isinstance(priority, Priority) else Priority.normal,
            channel=channel if isinstance(channel, Channel) else Channel.phone,
            category_id=category if isinstance(category, int) else None,
        )
        self.save(data)

    @work(thread=True, exclusive=True, exit_on_error=False, group="new-save")
    def save(self, data: writes.NewTicket) -> None:
        actor, now = self.context.operator.id, self.context.clock()
        with self.context.store.write() as session:
            ticket = writes.create_ticket(session, data=data, actor_id=actor, now=now)
            ticket_id = ticket.id or 0
        self.post_message(self.Saved(ticket_id))

    def on_new_ticket_screen_saved(self, event: Saved) -> None:
        self.dismiss(event.ticket_id)

    def show_worker_error(self, worker: Worker[Any], text: str) -> None:
        self._error(text)

    def action_cancel(self) -> None:
        self.dismiss(None)
