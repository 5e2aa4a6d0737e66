"""The knowledge base: search as you type, Markdown preview, filters; leads write articles.

Typing searches after a short pause (`SEARCH_DEBOUNCE`), in a thread worker, with the last
word as a prefix: the same `search.search` the `dispatcher kb search` command uses.
An empty query lists articles by slug. Leads and admins also see drafts, and may create
and edit articles, or start a draft from a solved ticket (`d`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widgets import Footer, Header, Input, Markdown, OptionList, Static, TextArea
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from dispatcher.domain.enums import ArticleStatus, Role, Visibility
from dispatcher.domain.errors import DispatcherError, ValidationError
from dispatcher.identity import Operator
from dispatcher.store.db.engine import Store
from dispatcher.store.knowledge import articles, search
from dispatcher.store.tickets.writes import parse_ref
from dispatcher.text import plain

SEARCH_DEBOUNCE = 0.15
LIST_LIMIT = 50
ANY_TAG = "\x00any"  # the picker's value for "no tag filter" (no tag has a NUL)
VISIBILITY_CYCLE: tuple[Visibility | None, ...] = (None, Visibility.internal, Visibility.public)


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the result list."""

    slug: str
    title: str
    visibility: Visibility
    status: ArticleStatus
    snippet: str
    uses: int
    helpful_votes: int


@dataclass(frozen=True, slots=True)
class Draft:
    """What the editor opens with: an existing article, a new one, or one from a ticket."""

    slug: str = ""
    title: str = ""
    body: str = ""
    tags: tuple[str, ...] = ()
    visibility: Visibility = Visibility.internal
    status: ArticleStatus = ArticleStatus.published
    source_ticket: int | None = None


class KbScreen(Screen[None]):
    CSS_PATH = "kb_composer.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_search", "Search", id="kb.search", tooltip="Type to search"),
        Binding(
            "v",
            "visibility",
            "Visibility",
            id="kb.visibility",
            tooltip="All, internal only, public only",
        ),
        Binding("t", "tag", "Tag", id="kb.tag", tooltip="Only articles with a tag"),
        Binding(
            "plus",
            "helpful",
            "Helpful",
            id="kb.helpful",
            tooltip="This article helped: count a vote",
        ),
        Binding("n", "new", "New", id="kb.new", tooltip="Write a new article (leads)"),
        Binding("e", "edit", "Edit", id="kb.edit", tooltip="Edit this article (leads)"),
        Binding(
            "d",
            "draft",
            "From ticket",
            id="kb.draft",
            tooltip="Draft an article from a solved ticket (leads)",
        ),
        Binding("escape", "back", "Back", id="kb.back"),
    ]

    @dataclass
    class Found(Message):
        rows: list[Row]
        query: str

    @dataclass
    class Shown(Message):
        article: articles.Article

    @dataclass
    class Voted(Message):
        slug: str
        votes: int

    def __init__(self, *, store: Store, operator: Operator) -> None:
        super().__init__()
        self.store = store
        self.operator = operator
        self.rows: list[Row] = []
        self.visibility: Visibility | None = None
        self.tag: str | None = None
        self.current: articles.Article | None = None
        self._timer: Timer | None = None
        self.searches = 0  # how many searches ran (debounce leaves out the intermediate ones)

    @property
    def is_lead(self) -> bool:
        return self.operator.role in (Role.lead, Role.admin)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="search the knowledge base (any language, any form)", id="kb-query")
        yield Static(id="kb-filters")
        with Horizontal(id="kb-body"):
            yield OptionList(id="kb-results")
            with VerticalScroll(id="kb-preview"):
                yield Markdown(id="kb-article")
        yield Static(id="kb-status")
        yield Footer()

    def on_mount(self) -> None:
        self._show_filters()
        self.query_one("#kb-query", Input).focus()
        self.search("")

    # --- searching --------------------------------------------------------------------

    @on(Input.Changed, "#kb-query")
    def _typed(self, event: Input.Changed) -> None:
        if self._timer is not None:
            self._timer.stop()
        typed = event.value
        self._timer = self.set_timer(SEARCH_DEBOUNCE, lambda: self.search(typed))

    @on(Input.Submitted, "#kb-query")
    def _submitted(self) -> None:
        self.query_one("#kb-results", OptionList).focus()

    def refresh_results(self) -> None:
        self.search(self.query_one("#kb-query", Input).value)

    @work(thread=True, exclusive=True, exit_on_error=False, group="kb-search")
    def search(self, typed: str) -> None:
        statuses = (
            (ArticleStatus.published, ArticleStatus.draft)
            if self.is_lead
            else (ArticleStatus.published,)
        )
        with self.store.read() as session:
            if typed.strip():
                hits = search.search(
                    session,
                    query=typed,
                    typing=True,
                    limit=LIST_LIMIT,
                    visibility=self.visibility,
                    tag=self.tag,
                    statuses=statuses,
                )
                rows = [
                    Row(h.slug, h.title, h.visibility, h.status, h.snippet, h.uses, h.helpful_votes)
                    for h in hits
                ]
            else:
                listed = articles.list_articles(
                    session, visibility=self.visibility, tag=self.tag, limit=LIST_LIMIT * 4
                )
                rows = [
                    Row(a.slug, a.title, a.visibility, a.status, "", a.uses, a.helpful_votes)
                    for a in listed
                    if a.status in statuses
                ][:LIST_LIMIT]
        self.post_message(self.Found(rows, typed))

    def on_kb_screen_found(self, message: Found) -> None:
        self.searches += 1
        self.rows = message.rows
        options = self.query_one("#kb-results", OptionList)
        options.clear_options()
        for row in message.rows:
            label = Text(plain(row.title), style="bold")
            marks = [row.visibility.value]
            if row.status != ArticleStatus.published:
                marks.append(row.status.value)
            label.append(f"  {', '.join(marks)}", "dim")
            if row.snippet:
                label.append("\n" + plain(row.snippet), "italic")
            options.add_option(Option(label, id=row.slug))
        if options.option_count:
            options.highlighted = 0
        count = len(message.rows)
        self._status(f"{count} article{'s' if count != 1 else ''}")

    @on(OptionList.OptionHighlighted, "#kb-results")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id is not None:
            self.show(event.option.id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="kb-show")
    def show(self, slug: str) -> None:
        with self.store.read() as session:
            article = articles.get_article(session, slug=slug)
        self.post_message(self.Shown(article))

    def on_kb_screen_shown(self, message: Shown) -> None:
        self.current = message.article
        article = message.article
        meta = f"*{article.visibility.value} · {article.status.value}"
        if article.tags:
            meta += " · tags: " + ", ".join(article.tags)
        meta += f" · used {article.uses}× · helpful {article.helpful_votes}*"
        # Markdown renders Markdown, never Rich markup; control characters are removed.
        self.query_one("#kb-article", Markdown).update(
            plain(f"# {_escape_md(article.title)}\n\n{meta}\n\n{article.body}")
        )

    # --- filters ----------------------------------------------------------------------

    def action_focus_search(self) -> None:
        self.query_one("#kb-query", Input).focus()

    def action_visibility(self) -> None:
        at = VISIBILITY_CYCLE.index(self.visibility)
        self.visibility = VISIBILITY_CYCLE[(at + 1) % len(VISIBILITY_CYCLE)]
        self._show_filters()
        self.refresh_results()

    def action_tag(self) -> None:
        self.load_tags()

    @work(thread=True, exclusive=True, exit_on_error=False, group="kb-tags")
    def load_tags(self) -> None:
        with self.store.read() as session:
            tags = sorted({t for a in articles.list_articles(session) for t in a.tags})
        self.app.call_from_thread(self._pick_tag, tags)

    def _pick_tag(self, tags: list[str]) -> None:
        from dispatcher.widgets.picker import PickerScreen

        options = [(ANY_TAG, "(any tag)"), *((t, t) for t in tags)]
        self.app.push_screen(PickerScreen("Only articles tagged", options), self._tag_chosen)

    def _tag_chosen(self, tag: str | None) -> None:
        if tag is None:
            return
        self.tag = None if tag == ANY_TAG else tag
        self._show_filters()
        self.refresh_results()

    def _show_filters(self) -> None:
        visibility = self.visibility.value if self.visibility else "all"
        self.query_one("#kb-filters", Static).update(
            Text(plain(f"visibility: {visibility} (v) · tag: {self.tag or 'any'} (t)"))
        )

    # --- votes ------------------------------------------------------------------------

    def action_helpful(self) -> None:
        if self.current is not None:
            self.vote(self.current.id, self.current.slug)

    @work(thread=True, exit_on_error=False, group="kb-write")
    def vote(self, article_id: int, slug: str) -> None:
        with self.store.write() as session:
            votes = search.vote_helpful(session, article_id=article_id)
        self.post_message(self.Voted(slug, votes))

    def on_kb_screen_voted(self, message: Voted) -> None:
        self._status(f"thanks: {message.votes} helpful vote(s) for {message.slug}")

    # --- writing (leads) ----------------------------------------------------------------

    def _lead_only(self) -> bool:
        if not self.is_lead:
            self._status("only leads and admins write articles", error=True)
        return self.is_lead

    def action_new(self) -> None:
        if self._lead_only():
            self._edit(Draft())

    def action_edit(self) -> None:
        if not self._lead_only() or self.current is None:
            return
        a = self.current
        self._edit(Draft(a.slug, a.title, a.body, a.tags, a.visibility, a.status))

    def action_draft(self) -> None:
        if self._lead_only():
            self.app.push_screen(TicketPrompt(), self._draft_ticket_chosen)

    def _draft_ticket_chosen(self, ref: str | None) -> None:
        if ref:
            self.load_draft(ref)

    @work(thread=True, exit_on_error=False, group="kb-draft")
    def load_draft(self, ref: str) -> None:
        with self.store.read() as session:
            source = search.draft_from_ticket(session, ticket_id=parse_ref(ref))
        draft = Draft(
            slug=source.slug,
            title=source.title,
            body=source.body,
            status=ArticleStatus.draft,
            source_ticket=source.ticket_id,
        )
        self.app.call_from_thread(self._edit, draft)

    def _edit(self, draft: Draft) -> None:
        self.app.push_screen(
            ArticleEditor(store=self.store, operator=self.operator, draft=draft), self._edited
        )

    def _edited(self, slug: str | None) -> None:
        if slug:
            self._status(f"saved {slug}")
            self.refresh_results()

    def action_back(self) -> None:
        self.app.pop_screen()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            text = str(error) if isinstance(error, DispatcherError) else f"failed: {error!r}"
            self._status(text, error=True)

    def _status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#kb-status", Static)
        status.update(Text(plain(text)))
        status.set_class(error, "-error")


class TicketPrompt(ModalScreen[str | None]):
    """Ask for a ticket reference (#N)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="kb.ticket_prompt.cancel"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("Draft an article from the solved ticket:", classes="dialog-title")
            yield Input(placeholder="#1042", id="ticket-ref")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ArticleEditor(ModalScreen[str | None]):
    """Create or edit an article; dismisses with its slug once saved."""

    CSS_PATH = "kb_composer.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="kb.editor.save", priority=True),
        Binding("escape", "cancel", "Cancel", id="kb.editor.cancel"),
    ]

    def __init__(self, *, store: Store, operator: Operator, draft: Draft) -> None:
        super().__init__()
        self.store = store
        self.operator = operator
        self.draft = draft

    def compose(self) -> ComposeResult:
        d = self.draft
        with Vertical(id="editor"):
            yield Input(d.slug, placeholder="slug (e.g. network/vpn-token)", id="editor-slug")
            yield Input(d.title, placeholder="title", id="editor-title")
            yield Input(", ".join(d.tags), placeholder="tags, comma separated", id="editor-tags")
            yield Input(
                d.visibility.value, placeholder="internal or public", id="editor-visibility"
            )
            yield Input(
                d.status.value, placeholder="draft, published or archived", id="editor-status"
            )
            yield TextArea(d.body, id="editor-body", soft_wrap=True, tab_behavior="focus")
            yield Static(id="editor-status-line")
        yield Footer()

    def action_save(self) -> None:
        values = {
            name: self.query_one(f"#editor-{name}", Input).value
            for name in ("slug", "title", "tags", "visibility", "status")
        }
        self.save(values, self.query_one("#editor-body", TextArea).text)

    @work(thread=True, exclusive=True, exit_on_error=False, group="kb-editor")
    def save(self, values: dict[str, str], body: str) -> None:
        try:
            visibility = Visibility(values["visibility"].strip().lower())
            status = ArticleStatus(values["status"].strip().lower())
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        tags = [t for t in (part.strip() for part in values["tags"].split(",")) if t]
        now = datetime.now(UTC)
        with self.store.write() as session:
            if self.draft.source_ticket is not None:
                source = search.DraftSource(
                    self.draft.source_ticket, values["slug"].strip(), values["title"], body
                )
                search.save_draft(
                    session,
                    draft=source,
                    title=values["title"],
                    body=body,
                    tags=tags,
                    visibility=visibility,
                    author_id=self.operator.id,
                    now=now,
                )
            else:
                articles.upsert_article(
                    session,
                    slug=values["slug"],
                    title=values["title"],
                    body=body,
                    tags=tags,
                    visibility=visibility,
                    groups=(),
                    status=status,
                    author_id=self.operator.id,
                    now=now,
                )
        self.app.call_from_thread(self.dismiss, values["slug"].strip())

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            text = str(error) if isinstance(error, DispatcherError) else f"failed: {error!r}"
            line = self.query_one("#editor-status-line", Static)
            line.update(Text(plain(text)))
            line.add_class("-error")

    def action_cancel(self) -> None:
        self.dismiss(None)


def _escape_md(text: str) -> str:
    return "".join("\\" + c if c in "\\`*_{}[]()#+-.!<>|" else c for c in text)
