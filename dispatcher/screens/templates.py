"""Reply templates in the console: browse and preview for everyone, leads write.

The list filters as you type (`templates.fuzzy_rank`, in memory). The highlighted template
is rendered against a ticket (the one named in the ticket field, else the most recently
changed active ticket); a placeholder without a value shows as an error, by name.
Leads and admins create (`n`), edit (`e`) and deactivate or reactivate (`d`) templates;
a save renders the template against a sample context first and is refused for an unknown
placeholder, and an edit is refused if somebody saved the template since the form opened.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker

from dispatcher.domain.errors import DispatcherError
from dispatcher.domain.templating import Rendered, UnknownPlaceholderError, render_pair
from dispatcher.screens.context import ScreenContext
from dispatcher.screens.dialogs.editor import EditorScreen, FormField
from dispatcher.screens.workers import WorkerErrors
from dispatcher.store.replies import placeholders, templates
from dispatcher.store.replies.templates import TemplateInfo
from dispatcher.store.tickets.classification import resolve_category
from dispatcher.store.tickets.writes import parse_ref
from dispatcher.text import plain

WRITE_ACTIONS = frozenset({"new", "edit", "toggle_active"})


class TemplatesScreen(WorkerErrors, Screen[None]):
    CSS_PATH = "templates.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_filter", "Filter", id="templates.filter", tooltip="Type to filter"),
        Binding(
            "t",
            "focus_ticket",
            "Preview ticket",
            id="templates.ticket",
            tooltip="Name the ticket the preview renders against",
        ),
        Binding("n", "new", "New", id="templates.new", tooltip="Write a new template (leads)"),
        Binding("e", "edit", "Edit", id="templates.edit", tooltip="Edit this template (leads)"),
        Binding(
            "d",
            "toggle_active",
            "Deactivate/activate",
            id="templates.toggle_active",
            tooltip="Take this template out of the composer, or back (leads)",
        ),
        Binding("escape", "back", "Back", id="templates.back"),
    ]

    @dataclass
    class Loaded(Message):
        templates: list[TemplateInfo]

    @dataclass
    class Previewed(Message):
        template_id: int
        ticket_ref: str | None
        rendered: Rendered | None
        error: str | None

    @dataclass
    class Toggled(Message):
        name: str
        active: bool

    def __init__(self, context: ScreenContext) -> None:
        super().__init__()
        self.context = context
        self.templates: list[TemplateInfo] = []
        self.shown: list[TemplateInfo] = []
        self.current: TemplateInfo | None = None
        self.preview_error: str | None = None
        self.rendered: Rendered | None = None

    @property
    def is_lead(self) -> bool:
        return self.context.is_lead

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="filter templates (fuzzy)", id="templates-filter")
        with Horizontal(id="templates-body"):
            yield OptionList(id="templates-list")
            with Vertical(id="templates-side"):
                yield Input(
                    placeholder="preview against ticket #N (default: latest active)",
                    id="templates-ticket",
                )
                with VerticalScroll(id="templates-preview-pane"):
                    yield Static(id="templates-preview")
        with Horizontal(id="templates-bar"):
            yield Static(id="templates-count")
            yield Static(id="templates-status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#templates-filter", Input).focus()
        self.load()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in WRITE_ACTIONS:
            if not self.is_lead:
                return False  # hidden: dispatchers and engineers browse and preview only
            if action != "new" and self.current is None:
                return None  # shown, disabled: nothing to act on
        return True

    # --- loading and filtering ---------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="templates-load")
    def load(self) -> None:
        with self.context.store.read() as session:
            found = templates.list_templates(session, include_inactive=True)
        self.post_message(self.Loaded(found))

    def on_templates_screen_loaded(self, message: Loaded) -> None:
        self.templates = message.templates
        self._filter()

    @on(Input.Changed, "#templates-filter")
    def _typed(self) -> None:
        self._filter()

    @on(Input.Submitted, "#templates-filter")
    def _filter_submitted(self) -> None:
        self.query_one("#templates-list", OptionList).focus()

    @on(Input.Submitted, "#templates-ticket")
    def _ticket_submitted(self) -> None:
        if self.current is not None:
            self.preview(self.current, self._ticket_ref())

    def _filter(self) -> None:
        keep = self.current.id if self.current else None
        typed = self.query_one("#templates-filter", Input).value
        self.shown = templates.fuzzy_rank(self.templates, typed)
        options = self.query_one("#templates-list", OptionList)
        options.clear_options()
        for template in self.shown:
            options.add_option(Option(_row(template), id=str(template.id)))
        if not self.shown:
            self._select(None)
        else:
            ids = [t.id for t in self.shown]
            at = ids.index(keep) if keep in ids else 0
            options.highlighted = at
            self._select(self.shown[at])
        count = len(self.shown)
        self.query_one("#templates-count", Static).update(
            f"{count} template{'s' if count != 1 else ''} of {len(self.templates)}"
        )

    @on(OptionList.OptionHighlighted, "#templates-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        index = event.option_index
        if 0 <= index < len(self.shown):
            self._select(self.shown[index])

    def _select(self, template: TemplateInfo | None) -> None:
        same = self.current == template
        self.current = template
        self.refresh_bindings()
        if template is None:
            self.rendered, self.preview_error = None, None
            self.query_one("#templates-preview", Static).update("")
        elif not same or self.rendered is None and self.preview_error is None:
            self.preview(template, self._ticket_ref())

    def _ticket_ref(self) -> str | None:
        return self.query_one("#templates-ticket", Input).value.strip() or None

    # --- preview -----------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="templates-preview")
    def preview(self, template: TemplateInfo, ticket_ref: str | None) -> None:
        rendered: Rendered | None = None
        error: str | None = None
        context: dict[str, Any] | None = None
        with self.context.store.read() as session:
            ticket_id = (
                parse_ref(ticket_ref) if ticket_ref else placeholders.latest_active_ticket(session)
            )
            if ticket_id is None:
                error = "no active ticket to preview against: name one (t)"
            else:
                context = placeholders.ticket_context(
                    session, ticket_id=ticket_id, sender_id=self.context.operator.id
                )
        if context is not None:  # rendered once the session is closed, within the limits
            try:
                rendered = render_pair(
                    template.subject, template.body, context, known=placeholders.KNOWN
                )
            except UnknownPlaceholderError as exc:
                error = f"#{ticket_id}: {exc}"
            except DispatcherError as exc:
                error = str(exc)
        ref = f"#{ticket_id}" if ticket_id is not None else None
        self.post_message(self.Previewed(template.id, ref, rendered, error))

    def on_templates_screen_previewed(self, message: Previewed) -> None:
        if self.current is None or self.current.id != message.template_id:
            return  # the highlight moved on meanwhile
        self.rendered, self.preview_error = message.rendered, message.error
        pane = self.query_one("#templates-preview", Static)
        pane.set_class(message.error is not None, "-error")
        if message.rendered is None:
            pane.update(Text(plain(message.error or "")))
            return
        out = Text(plain(f"Preview against {message.ticket_ref}"), style="italic")
        out.append("\nSubject: ", "bold")
        out.append(plain(message.rendered.subject))
        out.append("\n\n")
        out.append(plain(message.rendered.body))
        pane.update(out)

    # --- writing (leads) ---------------------------------------------------------------

    def action_focus_filter(self) -> None:
        self.query_one("#templates-filter", Input).focus()

    def action_focus_ticket(self) -> None:
        self.query_one("#templates-ticket", Input).focus()

    def action_new(self) -> None:
        if self.is_lead:
            self._edit(None)

    def action_edit(self) -> None:
        if self.is_lead and self.current is not None:
            self._edit(self.current)

    def _edit(self, template: TemplateInfo | None) -> None:
        self.app.push_screen(template_editor(self.context, template), self._edited)

    def _edited(self, name: str | None) -> None:
        if name:
            self._status(f"saved {name}")
            self.rendered, self.preview_error = None, None
            self.load()

    def action_toggle_active(self) -> None:
        if self.is_lead and self.current is not None:
            self.toggle_active(self.current)

    @work(thread=True, exit_on_error=False, group="templates-write")
    def toggle_active(self, template: TemplateInfo) -> None:
        now = self.context.clock()
        with self.context.store.write() as session:
            changed = templates.edit_template(
                session,
                name=template.name,
                active=not template.active,
                expected_updated_at=template.updated_at,
                now=now,
            )
        self.post_message(self.Toggled(changed.name, changed.active))

    def on_templates_screen_toggled(self, message: Toggled) -> None:
        self.load()
        state = "active again" if message.active else "deactivated"
        self._status(f"{message.name}: {state}")

    def action_back(self) -> None:
        self.app.pop_screen()

    def show_worker_error(self, worker: Worker[Any], text: str) -> None:
        self._status(text, error=True)

    def _status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#templates-status", Static)
        status.update(Text(plain(text)))
        status.set_class(error, "-error")


def _row(template: TemplateInfo) -> Text:
    """One list line: name, category, channel, uses, active (all inert text)."""
    line = Text(plain(template.name), style="bold" if template.active else "dim strike")
    details = [
        template.category or "any category",
        template.channel.value if template.channel else "any channel",
        f"used {template.uses}×",
        "active" if template.active else "inactive",
    ]
    line.append("\n  " + plain(" · ".join(details)), "dim")
    return line


def template_editor(context: ScreenContext, original: TemplateInfo | None) -> EditorScreen:
    """The editor form for a template (None: a new one); dismisses with its name once
    saved. An edit names the version it started from: somebody's save since is refused."""
    store, clock = context.store, context.clock

    def save(values: dict[str, str], body: str) -> str:
        now = clock()
        channel = values["channel"].strip().lower() or None
        # Tried against a sample ticket before the write opens: one that fails is refused
        # with the reason, and the editor keeps the text.
        templates.check_template(subject=values["subject"], body=body)
        with store.write() as session:
            category = values["category"].strip()
            category_id = resolve_category(session, ref=category).id if category else None
            if original is None:
                saved = templates.add_template(
                    session,
                    name=values["name"],
                    subject=values["subject"],
                    body=body,
                    category_id=category_id,
                    channel=channel,
                    now=now,
                )
            else:
                saved = templates.edit_template(
                    session,
                    name=original.name,
                    new_name=values["name"],
                    subject=values["subject"],
                    body=body,
                    category_id=category_id,
                    channel=channel,
                    expected_updated_at=original.updated_at,
                    now=now,
                )
        return saved.name

    t = original
    fields = (
        FormField("name", t.name if t else "", "name"),
        FormField("category", (t.category or "") if t else "", "category (blank: any)"),
        FormField(
            "channel",
            t.channel.value if t and t.channel else "",
            "channel: email, phone, chat, web, walk_in (blank: any)",
        ),
        FormField("subject", t.subject if t else "", "subject"),
    )
    heading = f"Edit template {t.name}" if t else "New template"
    listed = "  ".join("{{ " + name + " }}" for name, _means in placeholders.PLACEHOLDERS)
    notes = f"placeholders (sign with {{{{ sender.name }}}}): {listed}"
    return EditorScreen(
        heading=heading, fields=fields, body=t.body if t else "", save=save, notes=notes
    )
