"""New ticket for phone and walk-in requests: find the client as you type (name, email or
phone), pick the caller (found as you type by name, email or phone in any format, or added
on the spot with a name, a phone and an email if they have one), see the contract and the
deadlines the ticket will get, be told before saving when the contract has expired, save in
one keystroke. A caller with an email can be answered by mail.

What is typed is the operator's draft, kept in the database: saved once typing pauses
(`Intervals.draft_save`) and on Escape, restored when the form opens again (on any console
of the same operator, also after a crash), deleted with the ticket it registers. Escape on
typed text asks first: keep as draft, discard, or go back."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Select, TextArea
from textual.widgets.option_list import Option
from textual.worker import Worker

from dispatcher.domain.enums import Channel, Priority
from dispatcher.read_models.tickets import DeadlinePreview, Named
from dispatcher.screens.context import ScreenContext
from dispatcher.screens.dialogs.call import describe_contact
from dispatcher.screens.dialogs.keep_draft import DraftChoice, KeepDraftDialog
from dispatcher.screens.workers import WorkerErrors
from dispatcher.store.clients import clients, contacts
from dispatcher.store.tickets import drafts, reading, writes
from dispatcher.store.tickets.drafts import DraftView
from dispatcher.text import plain, when
from dispatcher.widgets.debounce import Debounce

MAX_MATCHES = 8
NEW_CALLER = "new"  # the option that adds the typed caller as a new contact


@dataclass(frozen=True, slots=True)
class NewCaller:
    """A caller to add as a contact of the chosen client, with the ticket."""

    name: str
    phone: str
    email: str


def _guess(text: str) -> NewCaller:
    """The typed search as the new caller's name, phone or email."""
    text = " ".join(text.split())
    if "@" in text:
        return NewCaller("", "", text)
    if contacts.phone_key(text):
        return NewCaller("", text, "")
    return NewCaller(text, "", "")


@dataclass(frozen=True, slots=True)
class FormDraft:
    """What of the form is kept as a draft: the typed text and what was chosen."""

    subject: str = ""
    body: str = ""
    client_id: int | None = None
    client_name: str = ""
    caller_id: int | None = None
    caller_line: str = ""
    priority: str | None = None
    channel: str | None = None
    category_id: int | None = None

    @property
    def is_empty(self) -> bool:
        """Nothing a person typed or chose (the default priority and channel are not)."""
        return not (
            self.subject.strip()
            or self.body.strip()
            or self.client_id is not None
            or self.caller_id is not None
            or self.category_id is not None
        )

    def fields(self) -> dict[str, Any]:
        return {
            "client_id": self.client_id,
            "client_name": self.client_name,
            "caller_id": self.caller_id,
            "caller_line": self.caller_line,
            "priority": self.priority,
            "channel": self.channel,
            "category_id": self.category_id,
        }

    @classmethod
    def of(cls, draft: DraftView) -> FormDraft:
        f = draft.fields

        def number(key: str) -> int | None:
            value = f.get(key)
            return value if isinstance(value, int) else None

        def text(key: str) -> str:
            value = f.get(key)
            return value if isinstance(value, str) else ""

        return cls(
            subject=draft.subject,
            body=draft.body,
            client_id=number("client_id"),
            client_name=text("client_name"),
            caller_id=number("caller_id"),
            caller_line=text("caller_line"),
            priority=text("priority") or None,
            channel=text("channel") or None,
            category_id=number("category_id"),
        )


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
            "escape",
            "cancel",
            "Cancel",
            id="new_ticket.cancel",
            tooltip="Close (typed text: keep as draft, discard or go back)",
        ),
    ]

    @dataclass
    class Found(Message):
        text: str
        matches: list[clients.ClientMatch]

    @dataclass
    class CallersFound(Message):
        text: str
        client_id: int | None
        matches: list[contacts.ContactMatch]

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

    @dataclass
    class DraftRead(Message):
        draft: DraftView | None

    @dataclass
    class DraftKept(Message):
        kept: FormDraft
        close: bool

    def __init__(self, context: ScreenContext) -> None:
        super().__init__()
        self.context = context
        self.matches: list[clients.ClientMatch] = []
        self.chosen: clients.ClientMatch | None = None
        self.preview: DeadlinePreview | None = None
        self.confirm_expired = False
        self.callers: list[contacts.ContactMatch] = []
        self.caller_id: int | None = None  # the contact who called, once chosen
        self.caller_client_id: int | None = None
        self.adding_caller = False  # the caller is new: added with the ticket
        # The client and caller searches run once typing pauses (`Intervals.client_search`).
        self.client_search = Debounce(self, context.intervals.client_search)
        self.caller_search = Debounce(self, context.intervals.client_search)
        # What is typed is kept as a draft once typing pauses (`Intervals.draft_save`).
        self.draft_save = Debounce(self, context.intervals.draft_save)
        self.kept = FormDraft()  # the draft as the database has it
        self.draft_read = False  # typing before the draft is read never overwrites it
        self.restore_category: int | None = None
        self.categories_read = False

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="dialog", classes="dialog"):
            yield Label(Text("New ticket (phone or walk-in)", style="bold"))
            yield Input(placeholder="client: name, email or phone", id="new-client-search")
            yield OptionList(id="new-matches")
            yield Label(Text("no client chosen"), id="new-client")
            yield Input(placeholder="caller: name, email or phone", id="new-caller-search")
            yield OptionList(id="new-callers")
            with Horizontal(id="new-caller-new"):
                yield Input(placeholder="new caller's name", id="new-caller-name")
                yield Input(placeholder="phone", id="new-caller-phone")
                yield Input(placeholder="email (optional)", id="new-caller-email")
            yield Label(Text("no caller chosen"), id="new-caller")
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
        self.query_one("#new-caller-new").display = False
        callers = self.query_one("#new-callers", OptionList)
        callers.styles.max_height = MAX_MATCHES + 2
        callers.styles.height = "auto"
        for box in ("#new-caller-name", "#new-caller-phone", "#new-caller-email"):
            self.query_one(box, Input).styles.width = "1fr"
        self.query_one("#new-caller-new").styles.height = "auto"
        self.load_choices()
        self.refresh_preview()
        self.read_draft()

    # --- reads ------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="new-choices")
    def load_choices(self) -> None:
        with self.context.store.read() as session:
            categories = reading.classify_choices(session, client_id=None).categories
        self.post_message(self.Choices(list(categories)))

    def on_new_ticket_screen_choices(self, event: Choices) -> None:
        select: Select[int] = self.query_one("#new-category", Select)
        select.set_options([(Text(plain(c.name)), c.id) for c in event.categories])
        self.categories_read = True
        if self.restore_category is not None:  # a draft's category, read before the choices
            if any(c.id == self.restore_category for c in event.categories):
                select.value = self.restore_category
            self.restore_category = None

    def on_input_changed(self, event: Input.Changed) -> None:
        self._form_changed()
        text = event.value
        if event.input.id == "new-client-search":
            self.client_search(lambda: self.search(text))
        elif event.input.id == "new-caller-search":
            client_id = self.chosen.client_id if self.chosen else None
            self.caller_search(lambda: self.search_callers(text, client_id))

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
                self._focus_after_client()
            else:
                options.focus()
        elif event.input.id == "new-caller-search":
            event.stop()
            callers = self.query_one("#new-callers", OptionList)
            if callers.highlighted is not None and callers.option_count:
                option = callers.get_option_at_index(callers.highlighted)
                self._caller_option(option.id)
            else:
                callers.focus()
        elif event.input.id in ("new-caller-name", "new-caller-phone", "new-caller-email"):
            event.stop()
            self.focus_next()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_list.id == "new-callers":
            self._caller_option(event.option.id)
        elif event.option.id is not None:
            self._choose(self.matches[int(event.option.id)])
            self._focus_after_client()

    def _choose(self, match: clients.ClientMatch) -> None:
        self.chosen = match
        self.confirm_expired = False
        self.query_one("#new-client", Label).update(Text("client: " + describe_match(match)))
        if match.contact_id is not None:  # a contact of the client matched: the caller
            self._set_caller(
                match.contact_id, match.client_id, f"caller: {plain(match.contact_name or '')}"
            )
        elif self.caller_client_id not in (None, match.client_id):
            self._set_caller(None, None, "no caller chosen")  # the other client's caller
        self.refresh_preview()

    def _focus_after_client(self) -> None:
        """On to the subject when the caller is known, else to the caller."""
        box = "#new-subject" if self.caller_id is not None else "#new-caller-search"
        self.query_one(box, Input).focus()

    # --- the caller -------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="new-callers")
    def search_callers(self, text: str, client_id: int | None) -> None:
        with self.context.store.read() as session:
            found = contacts.search_contacts(
                session, text=text, client_id=client_id, limit=MAX_MATCHES
            )
        self.post_message(self.CallersFound(text, client_id, found))

    def on_new_ticket_screen_callers_found(self, event: CallersFound) -> None:
        if event.text != self.query_one("#new-caller-search", Input).value:
            return  # typed on since
        self.callers = event.matches
        options = self.query_one("#new-callers", OptionList)
        options.clear_options()
        options.add_options(
            Option(Text(describe_contact(m)), id=str(n)) for n, m in enumerate(event.matches)
        )
        typed = " ".join(event.text.split())
        if typed:
            where = f" at {plain(self.chosen.client_name)}" if self.chosen else ""
            options.add_option(Option(Text(f"+ new caller “{plain(typed)}”{where}"), NEW_CALLER))
        if options.option_count:
            options.highlighted = 0

    def _caller_option(self, option_id: str | None) -> None:
        if option_id == NEW_CALLER:
            self._start_new_caller()
        elif option_id is not None:
            self._choose_caller(self.callers[int(option_id)])
            self.query_one("#new-subject", Input).focus()

    def _choose_caller(self, match: contacts.ContactMatch) -> None:
        self.adding_caller = False
        self.query_one("#new-caller-new").display = False
        if self.chosen is None or self.chosen.client_id != match.client_id:
            self._choose(
                clients.ClientMatch(
                    match.client_id,
                    match.client_name,
                    True,
                    match.contact_id,
                    match.name,
                    match.matched_on,
                    match.matched,
                )
            )
        reach = "answered by email" if match.email else "no email: answer by phone, log the call"
        self._set_caller(
            match.contact_id, match.client_id, f"caller: {describe_contact(match)} · {reach}"
        )

    def _set_caller(self, contact_id: int | None, client_id: int | None, line: str) -> None:
        self.caller_id, self.caller_client_id = contact_id, client_id
        self.query_one("#new-caller", Label).update(Text(line))

    def _start_new_caller(self) -> None:
        if self.chosen is None:
            self._error("choose the client first: a new caller is added to a client")
            self.query_one("#new-client-search", Input).focus()
            return
        guess = _guess(self.query_one("#new-caller-search", Input).value)
        self._set_caller(None, None, f"new caller at {plain(self.chosen.client_name)}")
        self.adding_caller = True
        self.query_one("#new-caller-new").display = True
        for box, value in (
            ("#new-caller-name", guess.name),
            ("#new-caller-phone", guess.phone),
            ("#new-caller-email", guess.email),
        ):
            self.query_one(box, Input).value = value
        self.query_one("#new-caller-name" if not guess.name else "#new-caller-phone").focus()

    def _new_caller(self) -> NewCaller | None:
        if not self.adding_caller:
            return None
        return NewCaller(
            name=self.query_one("#new-caller-name", Input).value,
            phone=self.query_one("#new-caller-phone", Input).value,
            email=self.query_one("#new-caller-email", Input).value,
        )

    def on_text_area_changed(self, _event: TextArea.Changed) -> None:
        self._form_changed()

    def on_select_changed(self, event: Select.Changed) -> None:
        self._form_changed()
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
        zone = self.context.operator.zone
        if p.first_response_due:
            parts.append(f"first response by {when(p.first_response_due, zone)}")
        if p.resolution_due:
            parts.append(f"resolution by {when(p.resolution_due, zone)}")
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
        caller = self._new_caller()
        if caller is not None and not (caller.name.strip() and caller.phone.strip()):
            self._error("a new caller needs a name and a phone (the email is optional)")
            self.query_one(
                "#new-caller-name" if not caller.name.strip() else "#new-caller-phone"
            ).focus()
            return
        priority = self.query_one("#new-priority", Select).value
        channel = self.query_one("#new-channel", Select).value
        category = self.query_one("#new-category", Select).value
        self.draft_save.cancel()
        data = writes.NewTicket(
            subject=subject,
            body=self.query_one("#new-body", TextArea).text,
            client_id=self.chosen.client_id if self.chosen else None,
            contact_id=None if caller is not None else self.caller_id,
            priority=priority if isinstance(priority, Priority) else Priority.normal,
            channel=channel if isinstance(channel, Channel) else Channel.phone,
            category_id=category if isinstance(category, int) else None,
        )
        self.save(data, caller)

    @work(thread=True, exclusive=True, exit_on_error=False, group="new-save")
    def save(self, data: writes.NewTicket, caller: NewCaller | None = None) -> None:
        """The ticket, and the new caller with it: both or neither."""
        actor, now = self.context.operator.id, self.context.clock()
        with self.context.store.write() as session:
            if caller is not None and data.client_id is not None:
                contact = contacts.add_contact(
                    session,
                    client_id=data.client_id,
                    name=caller.name,
                    phones=[caller.phone],
                    emails=[caller.email] if caller.email.strip() else [],
                )
                data = replace(data, contact_id=contact.id)
            ticket = writes.create_ticket(session, data=data, actor_id=actor, now=now)
            ticket_id = ticket.id or 0
            drafts.delete_draft(session, user_id=actor, scope=drafts.NEW_TICKET)
        self.post_message(self.Saved(ticket_id))

    def on_new_ticket_screen_saved(self, event: Saved) -> None:
        self.dismiss(event.ticket_id)

    def show_worker_error(self, worker: Worker[Any], text: str) -> None:
        self._error(text)

    # --- the draft --------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="new-draft-read")
    def read_draft(self) -> None:
        with self.context.store.read() as session:
            draft = drafts.get_draft(
                session, user_id=self.context.operator.id, scope=drafts.NEW_TICKET
            )
        self.post_message(self.DraftRead(draft))

    def on_new_ticket_screen_draft_read(self, event: DraftRead) -> None:
        self.draft_read = True
        if event.draft is None or not self._form().is_empty:
            return
        draft = FormDraft.of(event.draft)
        self.kept = draft
        self.query_one("#new-subject", Input).value = draft.subject
        self.query_one("#new-body", TextArea).text = draft.body
        if draft.client_id is not None:
            self._choose(
                clients.ClientMatch(
                    draft.client_id, draft.client_name, True, None, None, "client", ""
                )
            )
        if draft.caller_id is not None:
            self._set_caller(draft.caller_id, draft.client_id, draft.caller_line)
        for box, value in (
            ("#new-priority", draft.priority),
            ("#new-channel", draft.channel),
            ("#new-category", draft.category_id),
        ):
            self._restore_select(box, value)
        saved = event.draft.updated_at.astimezone(self.context.operator.zone)
        self._error(f"your draft from {saved.strftime('%d %b %H:%M')} is back")

    def _restore_select(self, box: str, value: Any) -> None:
        if value is None:
            return
        select: Select[Any] = self.query_one(box, Select)
        if box == "#new-priority":
            value = Priority(value)
        elif box == "#new-channel":
            value = Channel(value)
        if box == "#new-category" and not self.categories_read:
            self.restore_category = value  # set once the choices are read
            return
        select.value = value

    def _form(self) -> FormDraft:
        priority = self.query_one("#new-priority", Select).value
        channel = self.query_one("#new-channel", Select).value
        category = self.query_one("#new-category", Select).value
        return FormDraft(
            subject=self.query_one("#new-subject", Input).value,
            body=self.query_one("#new-body", TextArea).text,
            client_id=self.chosen.client_id if self.chosen else None,
            client_name=self.chosen.client_name if self.chosen else "",
            caller_id=self.caller_id,
            caller_line=str(self.query_one("#new-caller", Label).content),
            priority=priority.value if isinstance(priority, Priority) else None,
            channel=channel.value if isinstance(channel, Channel) else None,
            category_id=category if isinstance(category, int) else None,
        )

    def _form_changed(self) -> None:
        if not self.draft_read or not self.is_mounted:
            return
        form = self._form()
        if form != self.kept:
            self.draft_save(lambda: self.keep_draft(form, close=False))

    @work(thread=True, exclusive=True, exit_on_error=False, group="new-draft")
    def keep_draft(self, form: FormDraft, *, close: bool) -> None:
        with self.context.store.write() as session:
            drafts.save_draft(
                session,
                user_id=self.context.operator.id,
                scope=drafts.NEW_TICKET,
                subject=form.subject,
                body=form.body,
                fields=form.fields() if not form.is_empty else {},
                now=self.context.clock(),
            )
        self.post_message(self.DraftKept(form, close))

    def on_new_ticket_screen_draft_kept(self, event: DraftKept) -> None:
        self.kept = event.kept
        if event.close:
            self.dismiss(None)

    def action_cancel(self) -> None:
        """Close; typed text asks first (keep as draft / discard / go back)."""
        self.draft_save.cancel()
        form = self._form()
        if form.is_empty:
            if not self.kept.is_empty:
                self.keep_draft(FormDraft(), close=True)  # cleared by hand: no draft left
            else:
                self.dismiss(None)
            return
        self.app.push_screen(KeepDraftDialog(what="new ticket"), lambda c: self._answered(c, form))

    def _answered(self, choice: DraftChoice | None, form: FormDraft) -> None:
        if choice == DraftChoice.keep:
            self.keep_draft(form, close=True)
        elif choice == DraftChoice.discard:
            self.keep_draft(FormDraft(), close=True)
        else:
            self.query_one("#new-subject", Input).focus()
