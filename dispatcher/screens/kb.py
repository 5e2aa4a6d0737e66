"""The knowledge base: search as you type, Markdown preview, filters; leads write articles.

Typing searches after a short pause (`Intervals.kb_search`; Enter searches at once), in a
thread worker, with the last word as a prefix: the same `search.search` the
`dispatcher kb search` command uses.
An empty query lists articles by slug. Leads and admins also see drafts, and may create
and edit articles, or start a draft from a solved ticket (`d`).
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
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Header, Input, Markdown, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker

from dispatcher.domain.enums import ArticleStatus, Visibility
from dispatcher.domain.errors import ValidationError
from dispatcher.domain.search_text import respelled_text
from dispatcher.screens.context import ScreenContext
from dispatcher.screens.dialogs.editor import EditorScreen, FormField
from dispatcher.screens.workers import WorkerErrors
from dispatcher.store.knowledge import articles, search
from dispatcher.store.tickets.writes import parse_ref
from dispatcher.text import plain
from dispatcher.widgets.debounce import Debounce

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
    """What the editor opens with: an existing article (at `version`), a new one (version
    0), or one from a ticket."""

    slug: str = ""
    title: str = ""
    body: str = ""
    tags: tuple[str, ...] = ()
    visibility: Visibility = Visibility.internal
    status: ArticleStatus = ArticleStatus.published
    source_ticket: int | None = None
    groups: tuple[str, ...] = ()
    version: int = 0


class KbScreen(WorkerErrors, Screen[None]):
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
        asked: int  # which search this answers: only the latest one is shown
        respelled: tuple[tuple[str, str], ...] = ()  # words the knowledge base lacks, and
        # what was searched for instead

    @dataclass
    class Shown(Message):
        article: articles.Article

    @dataclass
    class Voted(Message):
        slug: str
        votes: int

    def __init__(self, context: ScreenContext) -> None:
        super().__init__()
        self.context = context
        self.rows: list[Row] = []
        self.visibility: Visibility | None = None
        self.tag: str | None = None
        self.current: articles.Article | None = None
        self.typing = Debounce(self, context.intervals.kb_search)
        self.asked = 0  # searches started
        self.searches = 0  # searches shown (debounce leaves out the intermediate ones)

    @property
    def is_lead(self) -> bool:
        return self.context.is_lead

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
        self.find("")

    # --- searching --------------------------------------------------------------------

    @on(Input.Changed, "#kb-query")
    def _typed(self, event: Input.Changed) -> None:
        typed = event.value
        self.typing(lambda: self.find(typed))

    @on(Input.Submitted, "#kb-query")
    def _submitted(self) -> None:
        self.typing.flush()
        self.query_one("#kb-results", OptionList).focus()

    def refresh_results(self) -> None:
        self.typing.cancel()
        self.find(self.query_one("#kb-query", Input).value)

    def find(self, typed: str) -> None:
        self.asked += 1
        self.search(typed, self.asked)

    @work(thread=True, exclusive=True, exit_on_error=False, group="kb-search")
    def search(self, typed: str, asked: int) -> None:
        statuses = (
            (ArticleStatus.published, ArticleStatus.draft)
            if self.is_lead
            else (ArticleStatus.published,)
        )
        respelled: tuple[tuple[str, str], ...] = ()
        with self.context.store.read() as session:
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
                respelled = hits[0].respelled if hits else ()
            else:
                listed = articles.list_articles(
                    session, visibility=self.visibility, tag=self.tag, limit=LIST_LIMIT * 4
                )
                rows = [
                    Row(a.slug, a.title, a.visibility, a.status, "", a.uses, a.helpful_votes)
                    for a in listed
                    if a.status in statuses
                ][:LIST_LIMIT]
        self.post_message(self.Found(rows, typed, asked, respelled))

    def on_kb_screen_found(self, message: Found) -> None:
        if message.asked != self.asked:
            return  # a later search is on its way
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
        status = f"{count} article{'s' if count != 1 else ''}"
        if message.respelled:
            status += f" · searched as: {respelled_text(message.respelled)}"
        self._status(status)

    @on(OptionList.OptionHighlighted, "#kb-results")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id is not None:
            self.show(event.option.id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="kb-show")
    def show(self, slug: str) -> None:
        with self.context.store.read() as session:
            article = articles.get_article(session, slug=slug)
        self.post_message(self.Shown(article))

    def on_kb_screen_shown(self, message: Shown) -> None:
        highlighted = self.query_one("#kb-results", OptionList).highlighted_option
        if highlighted is None or highlighted.id != message.article.slug:
            return  # the highlight moved on meanwhile
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
        with self.context.store.read() as session:
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
        with self.context.store.write() as session:
            votes = articles.vote_helpful(session, article_id=article_id)
        self.post_message(self.Voted(slug, votes))

    def on_kb_screen_voted(self, message: Voted) -> None:
        self._status(f"thanks: {message.votes} helpful vote(s) for {message.slug}")
        if self.current is not None and self.current.slug == message.slug:
            self.show(message.slug)  # the preview's count too

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
        self._edit(
            Draft(
                a.slug,
                a.title,
                a.body,
                a.tags,
                a.visibility,
                a.status,
                groups=a.groups,
                version=a.version,
            )
        )

    def action_draft(self) -> None:
        if self._lead_only():
            self.app.push_screen(TicketPrompt(), self._draft_ticket_chosen)

    def _draft_ticket_chosen(self, ref: str | None) -> None:
        if ref:
            self.load_draft(ref)

    @work(thread=True, exit_on_error=False, group="kb-draft")
    def load_draft(self, ref: str) -> None:
        with self.context.store.read() as session:
            source = articles.draft_from_ticket(session, ticket_id=parse_ref(ref))
        draft = Draft(
            slug=source.slug,
            title=source.title,
            body=source.body,
            status=ArticleStatus.draft,
            source_ticket=source.ticket_id,
        )
        self.app.call_from_thread(self._edit, draft)

    def _edit(self, draft: Draft) -> None:
        self.app.push_screen(article_editor(self.context, draft), self._edited)

    def _edited(self, slug: str | None) -> None:
        if slug:
            self._status(f"saved {slug}")
            self.refresh_results()

    def action_back(self) -> None:
        self.app.pop_screen()

    def show_worker_error(self, worker: Worker[Any], text: str) -> None:
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


def article_editor(context: ScreenContext, draft: Draft) -> EditorScreen:
    """The editor form for an article; dismisses with its slug once saved.

    A save names the version the editor opened: an article somebody else saved since is
    refused with what changed, and the form keeps the text. The groups an article is
    limited to are shown and kept (blank: everyone may see it).
    """
    store, author, clock = context.store, context.operator.id, context.clock
    source_ticket = draft.source_ticket

    def save(values: dict[str, str], body: str) -> str:
        try:
            visibility = Visibility(values["visibility"].strip().lower())
            status = ArticleStatus(values["status"].strip().lower())
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        slug, title = values["slug"].strip(), values["title"]
        if draft.version and slug != draft.slug:
            raise ValidationError(f"the slug of {draft.slug!r} cannot be changed here")
        tags = [t for t in (part.strip() for part in values["tags"].split(",")) if t]
        groups = [g for g in (part.strip() for part in values["groups"].split(",")) if g]
        now = clock()
        with store.write() as session:
            if source_ticket is not None:
                articles.save_draft(
                    session,
                    draft=articles.DraftSource(source_ticket, slug, title, body),
                    title=title,
                    body=body,
                    tags=tags,
                    visibility=visibility,
                    author_id=author,
                    now=now,
                )
            else:
                articles.upsert_article(
                    session,
                    slug=values["slug"],
                    title=title,
                    body=body,
                    tags=tags,
                    visibility=visibility,
                    groups=groups,
                    status=status,
                    author_id=author,
                    now=now,
                    expected_version=draft.version,
                )
        return slug

    if source_ticket is not None:
        heading = f"Draft an article from #{source_ticket}"
    else:
        heading = f"Edit article {draft.slug}" if draft.slug else "New article"
    d = draft
    fields = (
        FormField("slug", d.slug, "slug (e.g. network/vpn-token)"),
        FormField("title", d.title, "title"),
        FormField("tags", ", ".join(d.tags), "tags, comma separated"),
        FormField("visibility", d.visibility.value, "internal or public"),
        FormField("status", d.status.value, "draft, published or archived"),
        FormField("groups", ", ".join(d.groups), "groups who may see it, comma separated"),
    )
    return EditorScreen(heading=heading, fields=fields, body=d.body, save=save)


def _escape_md(text: str) -> str:
    return "".join("\\" + c if c in "\\`*_{}[]()#+-.!<>|" else c for c in text)
