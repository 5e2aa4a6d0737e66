"""Log a call with the client (what was said, with whom, which way, how long), and the
caller picker it shares with the classify dialog: contacts found as you type by name,
email or phone in any format.

The dialogs stay free of the store: the search is a loader handed in (`CallerFinder`),
run in a thread worker once typing pauses (`Debounce`, its delay handed in too, so tests
flush it by hand).
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
from textual.widgets import Input, Label, OptionList, Select, TextArea
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from dispatcher.read_models.tickets import Named
from dispatcher.screens.dialogs._base import Dialog
from dispatcher.store.clients.contacts import ContactMatch
from dispatcher.store.tickets.calls import MAX_CALL_MINUTES, CallDirection
from dispatcher.text import plain
from dispatcher.widgets.debounce import Debounce

# (text, client id or None) -> the contacts that match, best first
CallerFinder = Callable[[str, int | None], Sequence[ContactMatch]]
MAX_CALLERS = 8


def describe_contact(match: ContactMatch) -> str:
    line = plain(match.name)
    reach = [*match.phones[:1], *match.emails[:1]]
    if reach:
        line += f" ({plain(', '.join(reach))})"
    return line + f" — {plain(match.client_name)}"


class CallerPicker(Vertical):
    """A search box, its matches and the caller chosen; posts `Chosen` when one is."""

    DEFAULT_CSS = """
    CallerPicker { height: auto; }
    CallerPicker OptionList { height: auto; max-height: 10; }
    """

    @dataclass
    class Found(Message):
        text: str
        matches: list[ContactMatch]

    @dataclass
    class Chosen(Message):
        match: ContactMatch

    def __init__(
        self,
        *,
        find: CallerFinder,
        delay: float | None,
        client_id: int | None = None,
        current: Named | None = None,
        id: str | None = None,  # noqa: A002 - Textual's name for it
    ) -> None:
        super().__init__(id=id)
        self.find = find
        self.client_id = client_id
        self.current = current
        self.matches: list[ContactMatch] = []
        self.chosen: ContactMatch | None = None
        self.search = Debounce(self, delay)

    def compose(self) -> ComposeResult:
        yield Input(placeholder="caller: name, email or phone", id="caller-search")
        yield OptionList(id="caller-matches")
        now = f"caller: {plain(self.current.name)}" if self.current else "no caller"
        yield Label(Text(now), id="caller-chosen")

    @property
    def text(self) -> str:
        return " ".join(self.query_one("#caller-search", Input).value.split())

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        text = event.value
        self.search(lambda: self.run_search(text))

    @work(thread=True, exclusive=True, exit_on_error=False, group="caller-search")
    def run_search(self, text: str) -> None:
        found = list(self.find(text, self.client_id)) if text.strip() else []
        self.post_message(self.Found(text, found[:MAX_CALLERS]))

    def on_caller_picker_found(self, event: Found) -> None:
        event.stop()
        if event.text != self.query_one("#caller-search", Input).value:
            return  # typed on since
        self.matches = event.matches
        options = self.query_one("#caller-matches", OptionList)
        options.clear_options()
        options.add_options(
            Option(Text(describe_contact(m)), id=str(n)) for n, m in enumerate(event.matches)
        )
        if event.matches:
            options.highlighted = 0

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "caller-search" and event.state == WorkerState.ERROR:
            error = event.worker.error
            self.query_one("#caller-chosen", Label).update(Text(f"search failed: {error}"))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        options = self.query_one("#caller-matches", OptionList)
        if self.search.pending:
            event.stop()
            self.search.flush()  # Enter searches at once
            return
        if options.highlighted is not None and self.matches:
            event.stop()
            self.choose(self.matches[options.highlighted])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.choose(self.matches[int(event.option.id)])

    def choose(self, match: ContactMatch) -> None:
        self.chosen = match
        reach = "answered by email" if match.email else "no email: answer by phone"
        line = f"caller: {describe_contact(match)} · {reach}"
        self.query_one("#caller-chosen", Label).update(Text(line))
        self.post_message(self.Chosen(match))


@dataclass(frozen=True, slots=True)
class CallResult:
    summary: str
    contact_id: int | None  # the contact on the line, when they are one
    party: str  # whoever it was in words, when no contact was chosen
    direction: CallDirection
    minutes: int | None


def parse_minutes(text: str) -> int | None:
    """ "" → None; "5" or "5 min" → 5; else a ValueError saying what to type."""
    cleaned = text.strip().lower().removesuffix("min").strip()
    if not cleaned:
        return None
    if not (cleaned.isascii() and cleaned.isdigit()) or int(cleaned) > MAX_CALL_MINUTES:
        raise ValueError(f"minutes: a whole number from 0 to {MAX_CALL_MINUTES}, not {text!r}")
    return int(cleaned)


class CallDialog(Dialog[CallResult | None]):
    """The caller defaults to the ticket's contact; anybody else is found or typed."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Log call", id="call.save", tooltip="Log the call"),
    ]

    def __init__(
        self,
        *,
        ref: str,
        subject: str,
        contact: Named | None,
        client_id: int | None,
        find: CallerFinder,
        delay: float | None,
    ) -> None:
        super().__init__()
        self.ref = ref
        self.subject = subject
        self.contact = contact
        self.client_id = client_id
        self.find = find
        self.delay = delay

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label(Text(f"Log a call on {self.ref}: {plain(self.subject)}"))
            yield CallerPicker(
                find=self.find,
                delay=self.delay,
                client_id=self.client_id,
                current=self.contact,
                id="call-caller",
            )
            yield Select(
                [
                    (Text("we called the client"), CallDirection.outgoing),
                    (Text("the client called us"), CallDirection.incoming),
                ],
                value=CallDirection.outgoing,
                allow_blank=False,
                id="call-direction",
            )
            yield Input(placeholder="minutes (optional)", id="call-minutes")
            yield Label("What was said")
            yield TextArea(id="call-summary")
            yield Label(Text(""), id="call-error", classes="error")
            yield Label(
                Text("ctrl+s logs the call (it counts as a response) · escape cancels"),
                classes="hint",
            )

    def on_mount(self) -> None:
        self.query_one("#call-summary", TextArea).focus()

    def on_caller_picker_chosen(self, event: CallerPicker.Chosen) -> None:
        self.query_one("#call-summary", TextArea).focus()

    def _error(self, text: str) -> None:
        self.query_one("#call-error", Label).update(Text(plain(text)))

    def action_save(self) -> None:
        summary = self.query_one("#call-summary", TextArea).text
        if not summary.strip():
            self._error("what was said? the summary is needed")
            self.query_one("#call-summary", TextArea).focus()
            return
        try:
            minutes = parse_minutes(self.query_one("#call-minutes", Input).value)
        except ValueError as exc:
            self._error(str(exc))
            return
        picker = self.query_one(CallerPicker)
        contact_id: int | None = self.contact.id if self.contact else None
        party = ""
        if picker.chosen is not None:
            contact_id = picker.chosen.contact_id
        elif picker.text:
            contact_id, party = None, picker.text  # somebody who is not a contact
        if contact_id is None and not party:
            self._error("with whom? find the caller, or type who it was")
            picker.query_one("#caller-search", Input).focus()
            return
        direction: Any = self.query_one("#call-direction", Select).value
        self.dismiss(
            CallResult(
                summary=summary,
                contact_id=contact_id,
                party=party,
                direction=CallDirection(direction),
                minutes=minutes,
            )
        )
