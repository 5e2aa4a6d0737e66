"""The reply and note composer: templates, KB articles, preview, and a careful send.

A reply goes to the client and a note stays in the team: they open from different keys,
are framed in different colours (`-reply` / `-note`), and the header names who will read
it before anything is sent. What is typed is sent as typed, never evaluated; a template
picked from the list is rendered against the ticket (and the articles inserted so far)
into the subject and body, once, and one that fails is refused with the reason. If the ticket
moved on since the composer opened, the first send only shows what changed ("2 new
messages since you opened"); review it, then send anyway.

Nothing typed is thrown away: the subject and body are kept as the operator's draft in the
database, saved once typing pauses (`Intervals.draft_save`) and on Escape, restored when
the composer opens on the ticket again (on any console of the same operator, also after a
crash), and deleted in the transaction that sends. Escape on unsent text asks first: keep
as draft, discard, or go back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, OptionList, Static, TextArea
from textual.widgets.option_list import Option
from textual.worker import Worker

from dispatcher.domain import templating
from dispatcher.domain.enums import MessageKind, Visibility
from dispatcher.domain.errors import DispatcherError
from dispatcher.read_models.tickets import AddressView
from dispatcher.screens.context import ScreenContext
from dispatcher.screens.dialogs.keep_draft import DraftChoice, KeepDraftDialog
from dispatcher.screens.workers import WorkerErrors
from dispatcher.store.knowledge import articles, search
from dispatcher.store.knowledge.search import SearchHit
from dispatcher.store.replies import compose, placeholders, templates
from dispatcher.store.replies.compose import ComposeInfo, NewSince
from dispatcher.store.replies.placeholders import ArticleLink
from dispatcher.store.replies.templates import TemplateInfo
from dispatcher.store.tickets import drafts, reading
from dispatcher.store.tickets.drafts import DraftView
from dispatcher.text import plain
from dispatcher.widgets.debounce import Debounce


def insertion_point(text: str, cursor: tuple[int, int]) -> tuple[int, int]:
    """Where an inserted article goes: at the cursor, except in the greeting. The greeting
    is the first line of a text that goes on below it (a template's "Hello Anna,"); with the
    cursor there the article goes below it, at the start of the first line of text after
    the greeting and its blank lines, never above or into it."""
    lines = text.split("\n")
    row = cursor[0]
    if row != 0 or len(lines) < 2 or not lines[0].strip():
        return cursor
    target = 1
    while target < len(lines) and not lines[target].strip():
        target += 1
    if target == len(lines):  # nothing below the greeting yet: on the line after it
        return (1, 0)
    return (target, 0)


class ComposerScreen(WorkerErrors, ModalScreen[bool]):
    """Dismisses with True when a message was sent or saved."""

    CSS_PATH = "kb_composer.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+s",
            "send",
            "Send",
            id="composer.send",
            priority=True,
            tooltip="Send the reply or save the note",
        ),
        Binding(
            "f2",
            "preview",
            "Preview",
            id="composer.preview",
            tooltip="Show the text as it will be sent",
        ),
        Binding(
            "f3",
            "templates",
            "Templates",
            id="composer.templates",
            tooltip="Find a template (fuzzy)",
        ),
        Binding("f4", "articles", "Articles", id="composer.articles", tooltip="Find a KB article"),
        Binding(
            "f5",
            "insert_link",
            "Insert link",
            id="composer.insert_link",
            tooltip="Insert the highlighted article's link",
        ),
        Binding(
            "f8",
            "insert_article",
            "Insert text",
            id="composer.insert_article",
            tooltip="Insert the highlighted article's text",
        ),
        Binding(
            "escape",
            "cancel",
            "Cancel",
            id="composer.cancel",
            tooltip="Close without sending (unsent text: keep as draft, discard or go back)",
        ),
    ]

    @dataclass
    class Loaded(Message):
        info: ComposeInfo
        suggestions: list[SearchHit]
        addresses: list[AddressView]
        draft: DraftView | None

    @dataclass
    class DraftKept(Message):
        """The draft is saved (or deleted, when nothing is typed); `close` ends the composer."""

        text: tuple[str, str]
        close: bool

    @dataclass
    class Found(Message):
        hits: list[SearchHit]

    @dataclass
    class Checked(Message):
        since: NewSince

    @dataclass
    class Inserted(Message):
        text: str
        link: ArticleLink

    @dataclass
    class Sent(Message):
        message_id: int

    @dataclass
    class TemplateRendered(Message):
        template: TemplateInfo
        rendered: templating.Rendered

    def __init__(
        self,
        context: ScreenContext,
        *,
        ticket_id: int,
        kind: MessageKind,
        opened_version: int,
    ) -> None:
        super().__init__()
        self.context = context
        self.ticket_id = ticket_id
        self.kind = MessageKind(kind)
        self.opened_version = opened_version
        self.info: ComposeInfo | None = None
        self.hits: list[SearchHit] = []
        self.shown_templates: list[TemplateInfo] = []
        self.template: TemplateInfo | None = None
        self.links: list[ArticleLink] = []
        self.acknowledged_version: int | None = None  # "send anyway" at this version
        self.sending = False
        # The article search runs once typing pauses (`Intervals.article_search`).
        self.article_search = Debounce(self, context.intervals.article_search)
        # Unsent text is kept as a draft once typing pauses (`Intervals.draft_save`).
        self.draft_save = Debounce(self, context.intervals.draft_save)
        self.draft_scope = drafts.ticket_scope(self.kind, ticket_id)
        self.kept_text: tuple[str, str] = ("", "")  # (subject, body) as the database has it
        self.restored: DraftView | None = None

    @property
    def is_reply(self) -> bool:
        return self.kind == MessageKind.reply

    # --- layout ---------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        kind_class = "-reply" if self.is_reply else "-note"
        with Vertical(id="composer", classes=kind_class):
            yield Static(id="composer-recipients")
            with Horizontal(id="composer-body"):
                with Vertical(id="composer-side"):
                    yield Input(placeholder="template (fuzzy)", id="template-filter")
                    yield OptionList(id="template-list")
                    yield Input(placeholder="search articles", id="article-filter")
                    yield OptionList(id="article-list")
                with Vertical(id="composer-main"):
                    yield Input(placeholder="subject (default: Re: the ticket's)", id="subject")
                    yield TextArea(id="body", soft_wrap=True, tab_behavior="focus")
                    yield Static(id="preview", classes="-hidden")
                    yield Static(id="composer-warning", classes="-hidden")
                    yield Static(id="composer-status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#composer-recipients", Static).update(Text("loading…"))
        self.query_one("#subject", Input).display = self.is_reply
        self.query_one(TextArea).focus()
        self.load()

    # --- loading ----------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="composer-load")
    def load(self) -> None:
        with self.context.store.read() as session:
            info = compose.compose_info(
                session, ticket_id=self.ticket_id, sender_id=self.context.operator.id
            )
            suggestions = search.suggest_for_ticket(
                session, ticket_id=self.ticket_id, visibility=self._article_visibility()
            )
            addresses = reading.recipient_addresses(session, ticket_id=self.ticket_id)
            draft = drafts.get_draft(
                session, user_id=self.context.operator.id, scope=self.draft_scope
            )
        self.post_message(self.Loaded(info, suggestions, addresses, draft))

    def on_composer_screen_loaded(self, message: Loaded) -> None:
        self.info = message.info
        header = self.query_one("#composer-recipients", Static)
        ref = f"{message.info.ref} {message.info.subject}"
        if self.is_reply:
            if message.info.recipient_email:
                who = f"{message.info.recipient_name} <{message.info.recipient_email}>"
                line = Text(plain(f"Reply to the client — To: {who} — {ref}"))
                failing = self._failing(message.info.recipient_email, message.addresses)
                if failing is not None:
                    warning = failing.describe(self.context.operator.zone)
                    line.append(f"\n⚠ to: {plain(warning)}", style="bold")
                    line.append(" — the reply may not arrive")
                header.set_class(failing is not None, "-failing")
                header.update(line)
            else:
                header.update(Text(plain(f"Reply — no contact email: cannot send — {ref}")))
        else:
            header.update(Text(plain(f"Internal note — only the team sees it — {ref}")))
        self._show_templates("")
        self._show_articles(message.suggestions)
        if message.draft is not None:
            self._restore(message.draft)

    # --- the draft --------------------------------------------------------------------

    def _typed(self) -> tuple[str, str]:
        subject = self.query_one("#subject", Input).value if self.is_reply else ""
        return subject, self.query_one(TextArea).text

    def _restore(self, draft: DraftView) -> None:
        """Put the kept text back, unless something was typed before it was read."""
        if any(part.strip() for part in self._typed()):
            return
        self.restored = draft
        self.kept_text = (draft.subject if self.is_reply else "", draft.body)
        if self.is_reply:
            self.query_one("#subject", Input).value = draft.subject
        area = self.query_one(TextArea)
        area.text = draft.body
        area.move_cursor(area.document.end)
        saved = draft.updated_at.astimezone(self.context.operator.zone).strftime("%d %b %H:%M")
        self._status(f"your draft from {saved} is back")

    def _text_changed(self) -> None:
        if self.info is None or self.sending:
            return
        typed = self._typed()
        if typed != self.kept_text:
            self.draft_save(lambda: self.keep_draft(typed, close=False))

    @work(thread=True, exclusive=True, exit_on_error=False, group="composer-draft")
    def keep_draft(self, text: tuple[str, str], *, close: bool) -> None:
        subject, body = text
        with self.context.store.write() as session:
            drafts.save_draft(
                session,
                user_id=self.context.operator.id,
                scope=self.draft_scope,
                ticket_id=self.ticket_id,
                subject=subject,
                body=body,
                now=self.context.clock(),
            )
        self.post_message(self.DraftKept(text, close))

    @work(thread=True, exclusive=True, exit_on_error=False, group="composer-draft")
    def discard_draft(self) -> None:
        with self.context.store.write() as session:
            drafts.delete_draft(session, user_id=self.context.operator.id, scope=self.draft_scope)
        self.post_message(self.DraftKept(("", ""), True))

    def on_composer_screen_draft_kept(self, message: DraftKept) -> None:
        self.kept_text = message.text
        if message.close:
            self.dismiss(False)

    @staticmethod
    def _failing(address: str, addresses: list[AddressView]) -> AddressView | None:
        """The recipient's address, when mail to it bounces (sending is still allowed)."""
        return next((a for a in addresses if a.address == address and a.failing), None)

    # --- templates --------------------------------------------------------------------

    def _show_templates(self, typed: str) -> None:
        if self.info is None:
            return
        self.shown_templates = templates.fuzzy_rank(
            self.info.templates, typed, language=self.info.language
        )
        options = self.query_one("#template-list", OptionList)
        options.clear_options()
        options.add_options(
            [Option(Text(plain(t.name)), id=str(t.id)) for t in self.shown_templates]
        )
        if options.option_count:
            options.highlighted = 0

    @on(Input.Changed, "#template-filter")
    def _template_typed(self, event: Input.Changed) -> None:
        self._show_templates(event.value)

    @on(Input.Submitted, "#template-filter")
    def _template_submitted(self) -> None:
        options = self.query_one("#template-list", OptionList)
        if options.highlighted is not None:
            self._apply_template(options.highlighted)

    @on(OptionList.OptionSelected, "#template-list")
    def _template_selected(self, event: OptionList.OptionSelected) -> None:
        self._apply_template(event.option_index)

    def _apply_template(self, index: int) -> None:
        if not 0 <= index < len(self.shown_templates) or self.info is None:
            return
        context = dict(self.info.context)
        context.update(placeholders.ticket_context_articles(self.links))
        self.render_template(self.shown_templates[index], context)

    @work(thread=True, exclusive=True, exit_on_error=False, group="composer-template")
    def render_template(self, template: TemplateInfo, context: dict[str, Any]) -> None:
        """Render the template once, in the sandbox (within its limits), off the UI thread;
        a missing placeholder or a failure is shown as the status, the body left alone."""
        rendered = templating.render_pair(
            template.subject, template.body, context, known=placeholders.KNOWN
        )
        self.post_message(self.TemplateRendered(template, rendered))

    def on_composer_screen_template_rendered(self, message: TemplateRendered) -> None:
        self.template = message.template
        self.query_one(TextArea).text = message.rendered.body
        if message.rendered.subject:
            self.query_one("#subject", Input).value = message.rendered.subject
        self._status(f"template {self.template.name} — F2 to preview")
        self.query_one(TextArea).focus()
        self._refresh_preview()

    # --- articles ---------------------------------------------------------------------

    def _article_visibility(self) -> Visibility | None:
        return Visibility.public if self.is_reply else None  # public ones only into replies

    @on(Input.Changed, "#article-filter")
    def _article_typed(self, event: Input.Changed) -> None:
        typed = event.value
        self.article_search(lambda: self.search(typed))

    @on(Input.Submitted, "#article-filter")
    def _article_submitted(self) -> None:
        self.article_search.flush()  # Enter searches at once

    @work(thread=True, exclusive=True, exit_on_error=False, group="composer-search")
    def search(self, typed: str) -> None:
        with self.context.store.read() as session:
            if typed.strip():
                hits = search.search(
                    session,
                    query=typed,
                    typing=True,
                    limit=20,
                    visibility=self._article_visibility(),
                )
            else:
                hits = search.suggest_for_ticket(
                    session, ticket_id=self.ticket_id, visibility=self._article_visibility()
                )
        self.post_message(self.Found(hits))

    def on_composer_screen_found(self, message: Found) -> None:
        self._show_articles(message.hits)

    def _show_articles(self, hits: list[SearchHit]) -> None:
        self.hits = hits
        options = self.query_one("#article-list", OptionList)
        options.clear_options()
        options.add_options([Option(_article_prompt(h), id=str(h.id)) for h in hits])
        if options.option_count:
            options.highlighted = 0

    def _highlighted_hit(self) -> SearchHit | None:
        index = self.query_one("#article-list", OptionList).highlighted
        if index is None or not 0 <= index < len(self.hits):
            self._status("no article highlighted: F4 to find one", error=True)
            return None
        return self.hits[index]

    def action_insert_link(self) -> None:
        hit = self._highlighted_hit()
        if hit is not None:
            self.insert_article(hit, whole=False)

    def action_insert_article(self) -> None:
        hit = self._highlighted_hit()
        if hit is not None:
            self.insert_article(hit, whole=True)

    @work(thread=True, exit_on_error=False, group="composer-insert")
    def insert_article(self, hit: SearchHit, whole: bool) -> None:
        if self.is_reply and hit.visibility != Visibility.public:
            raise DispatcherError(f"{hit.title!r} is internal: only public articles go to clients")
        with self.context.store.write() as session:
            article = articles.get_article(session, slug=hit.slug)
            articles.record_use(session, article_id=article.id)
        kb_url = self.context.settings.kb_url
        link = placeholders.article_link(article.slug, article.title, kb_url=kb_url)
        text = article.body.strip() if whole else f"{article.title}: {link.url}"
        self.post_message(self.Inserted(text, link))

    def on_composer_screen_inserted(self, message: Inserted) -> None:
        if message.link not in self.links:
            self.links.append(message.link)
        area = self.query_one(TextArea)
        at = insertion_point(area.text, area.cursor_location)
        if at == area.cursor_location:
            area.insert(message.text + "\n")
        else:
            area.insert(message.text + "\n\n", location=at)
        area.focus()
        self._status(f"inserted {message.link.title}")
        self._refresh_preview()

    # --- preview --------------------------------------------------------------------

    def action_preview(self) -> None:
        preview = self.query_one("#preview", Static)
        preview.set_class(not preview.has_class("-hidden"), "-hidden")
        self._refresh_preview()

    def _rendered(self) -> templating.Rendered:
        """The subject and body as they will be sent: as typed, never evaluated."""
        if self.info is None:
            raise DispatcherError("still loading the ticket")
        subject = self.query_one("#subject", Input).value if self.is_reply else ""
        return templating.Rendered(" ".join(subject.split()), self.query_one(TextArea).text)

    def _refresh_preview(self) -> None:
        preview = self.query_one("#preview", Static)
        if preview.has_class("-hidden"):
            return
        try:
            rendered = self._rendered()
        except DispatcherError as exc:
            preview.update(Text(plain(str(exc))))
            return
        head = f"Subject: {rendered.subject}\n\n" if self.is_reply and rendered.subject else ""
        preview.update(Text(plain(head + rendered.body)))

    @on(TextArea.Changed, "#body")
    def _body_changed(self) -> None:
        self._refresh_preview()
        self._text_changed()

    @on(Input.Changed, "#subject")
    def _subject_changed(self) -> None:
        self._text_changed()

    # --- sending --------------------------------------------------------------------

    def action_send(self) -> None:
        if self.sending or self.info is None:
            return
        if self.is_reply and not self.info.recipient_email:
            self._status("the contact has no email: a reply cannot be sent", error=True)
            return
        self.sending = True
        self.draft_save.cancel()
        self.check_and_send(
            subject=self.query_one("#subject", Input).value if self.is_reply else "",
            body=self.query_one(TextArea).text,
            links=list(self.links),
            template_name=self.template.name if self.template else None,
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="composer-send")
    def check_and_send(
        self, *, subject: str, body: str, links: list[ArticleLink], template_name: str | None
    ) -> None:
        store = self.context.store
        with store.read() as session:
            since = compose.new_since(
                session, ticket_id=self.ticket_id, version=self.opened_version
            )
        moved = since.version != self.opened_version
        if moved and self.acknowledged_version != since.version:
            self.post_message(self.Checked(since))
            return
        now = self.context.clock()
        with store.write() as session:
            message_id = compose.send(
                session,
                ticket_id=self.ticket_id,
                kind=self.kind,
                subject=subject,
                body=body,
                sender_id=self.context.operator.id,
                expected_version=since.version,
                articles=links,
                template_name=template_name,
                now=now,
            )
            drafts.delete_draft(session, user_id=self.context.operator.id, scope=self.draft_scope)
        self.post_message(self.Sent(message_id))

    def on_composer_screen_checked(self, message: Checked) -> None:
        self.sending = False
        self.acknowledged_version = message.since.version
        count = message.since.messages
        noun = "message" if count == 1 else "messages"
        lines = [
            f"{count} new {noun} since you opened: review below / Ctrl+S to send anyway",
            *message.since.changes,
        ]
        warning = self.query_one("#composer-warning", Static)
        warning.update(Text(plain("\n".join(lines))))
        warning.remove_class("-hidden")

    def on_composer_screen_sent(self, _message: Sent) -> None:
        self.dismiss(True)

    def show_worker_error(self, worker: Worker[Any], text: str) -> None:
        self.sending = False
        self._status(text, error=True)

    def action_templates(self) -> None:
        self.query_one("#template-filter", Input).focus()

    def action_articles(self) -> None:
        self.query_one("#article-filter", Input).focus()

    def action_cancel(self) -> None:
        """Close; unsent text asks first (keep as draft / discard / go back)."""
        self.draft_save.cancel()
        typed = self._typed() if self.info is not None else ("", "")
        if not any(part.strip() for part in typed):
            if any(part.strip() for part in self.kept_text):
                self.discard_draft()  # everything was deleted by hand: no draft is left
            else:
                self.dismiss(False)
            return
        what = "reply" if self.is_reply else "note"
        self.app.push_screen(KeepDraftDialog(what=what), lambda c: self._draft_answered(c, typed))

    def _draft_answered(self, choice: DraftChoice | None, typed: tuple[str, str]) -> None:
        if choice == DraftChoice.keep:
            self.keep_draft(typed, close=True)
        elif choice == DraftChoice.discard:
            self.discard_draft()
        else:
            self.query_one(TextArea).focus()

    def _status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#composer-status", Static)
        status.update(Text(plain(text)))
        status.set_class(error, "-error")


def _article_prompt(hit: SearchHit) -> Text:
    """A found article: its title and visibility, and under it the words it matched."""
    prompt = Text(plain(f"{hit.title} ({hit.visibility.value})"))
    words = hit.matched()
    if words:
        prompt.append("\n  matched: " + plain(", ".join(words)), style="dim")
    return prompt
