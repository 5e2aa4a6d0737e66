"""The live queue: active tickets, most urgent first, in sections, filtered, always current.

The screen holds the state (section, filters, sort, window, selection, marks); the table,
the tabs and the filter bar only draw what they are given. Every database call runs in a
thread worker that posts a typed message back. Every `refresh_seconds` the screen asks
the database whether anybody committed (`store.db.commit_watch`) and, if so, reloads its
window, keeping the cursor on the same ticket and the selection, and marking new and
changed rows.

Three slices of the screen live in their own modules, each with its keys: the filters and
the sort (`queue_filters`), the selection and bulk actions (`queue_bulk`), and the saved
views (`queue_views`).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Footer, Header, Static
from textual.worker import Worker

from dispatcher.read_models.queue import (
    ALL_KEY,
    BUILT_IN,
    PAGE_SIZE,
    QueueFilter,
    QueueNames,
    QueueSort,
    QueueWindow,
    Section,
    SortKey,
    WindowKey,
    WindowRow,
)
from dispatcher.screens.context import ScreenContext
from dispatcher.screens.queue_bulk import BULK_KEYS, QueueBulk
from dispatcher.screens.queue_filters import FILTER_KEYS, QueueFilters
from dispatcher.screens.queue_views import VIEW_KEYS, VIEWS_WRITE, QueueViews
from dispatcher.screens.workers import WorkerErrors
from dispatcher.text import plain
from dispatcher.widgets.filter_bar import FilterBar
from dispatcher.widgets.queue_table import MARK_CHANGED, MARK_NEW, QueueHeader, QueueTable
from dispatcher.widgets.view_tabs import ViewTabs

if TYPE_CHECKING:
    from dispatcher.store.db.commit_watch import ChangeWatcher

MARK_SECONDS = 60.0  # how long a new or changed row stays marked
READS = frozenset({"queue-setup", "queue", "queue-counts", "queue-changes"})


@dataclass(frozen=True, slots=True)
class Query:
    """What the window shows: the reload after a change asks the same question."""

    section: str
    filters: QueueFilter
    sort: QueueSort


class QueueScreen(WorkerErrors, QueueFilters, QueueBulk, QueueViews):
    window_size = PAGE_SIZE  # rows read at a time: a keyset window, never the whole queue
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter", "open", "Open", id="queue.open", tooltip="Open the ticket under the cursor"
        ),
        Binding(
            "n", "new_ticket", "New", id="queue.new", tooltip="Register a phone or walk-in request"
        ),
        Binding(
            "slash",
            "filter_text",
            "Search",
            id="queue.filter_text",
            tooltip="Find by #ref or number, client, contact (name, email) or subject",
        ),
        Binding(
            "tab",
            "next_section",
            "Next view",
            id="queue.next_section",
            priority=True,
            tooltip="Flip to the next section",
        ),
        Binding(
            "shift+tab",
            "previous_section",
            "Previous view",
            id="queue.previous_section",
            priority=True,
            show=False,
            tooltip="Flip to the previous section",
        ),
        *BULK_KEYS,
        *FILTER_KEYS,
        *VIEW_KEYS,
        Binding(
            "r", "reload", "Reload", id="queue.reload", show=False, tooltip="Read the queue again"
        ),
    ]

    @dataclass
    class Loaded(Message):
        query: Query
        start: WindowKey | None
        window: QueueWindow
        at: datetime
        sections: list[Section] | None
        scope: QueueFilter | None
        names: QueueNames | None
        cursor_id: int | None
        cursor_at: int | None
        asked: int  # which read this answers: only the latest one is shown

    @dataclass
    class Counted(Message):
        counts: dict[str, int]
        asked: int

    class Committed(Message):
        """Somebody (any process) committed since the last look."""

    def __init__(self, context: ScreenContext, *, competences_only: bool = False) -> None:
        super().__init__()
        self.context = context
        self.competences_only = competences_only
        self.scope: QueueFilter | None = None  # None until read (an engineer's categories)
        self.sections: list[Section] = []
        self.counts: dict[str, int] = {}
        self.names = QueueNames()
        self.section = ALL_KEY
        self.extra = QueueFilter()
        self.sort = QueueSort()
        self.starts: list[WindowKey | None] = [None]  # where each window up to here began
        self.window: QueueWindow | None = None
        self.selected: dict[int, WindowRow] = {}
        self.marks: dict[int, tuple[str, float]] = {}
        self._seen: dict[int, int] = {}  # id -> version of the last window of this query
        self._seen_query: Query | None = None
        # The change watcher: opened by the first read, asked by one worker at a time.
        self._watcher: ChangeWatcher | None = None
        self._watch_lock = threading.Lock()
        self._watching: Worker[None] | None = None
        self._closed = False
        # Reads asked for: an exclusive worker that was cancelled still runs to its end in
        # its thread, so an answer is shown only when it is the latest one asked for.
        self._reads = 0
        self._counts = 0
        self.change_poll: Timer | None = None  # every `refresh_seconds`; None: by hand
        # What the status line and the header show, so a refresh that changes neither
        # leaves them alone.
        self._status_text: str | None = None
        self._header_sort: QueueSort | None = None

    # --- layout --------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield ViewTabs(id="queue-tabs")
        yield FilterBar(debounce=self.context.intervals.filter_text, id="queue-filters")
        yield QueueHeader(lambda: self.table, id="queue-header")
        yield QueueTable(id="queue-table")
        yield Static("loading…", id="queue-status")
        yield Footer()

    @property
    def table(self) -> QueueTable:
        return self.query_one(QueueTable)

    def on_mount(self) -> None:
        self.table.focus()
        self.show_filters()
        self._show_first_window()
        self.setup()
        self.set_interval(MARK_SECONDS / 4, self._expire_marks)
        every = self.context.intervals.changes
        if every is not None:
            self.change_poll = self.set_interval(every, self.poll_changes)

    def on_unmount(self) -> None:
        with self._watch_lock:
            self._closed = True
            if self._watcher is not None:
                self._watcher.close()
                self._watcher = None

    def on_screen_resume(self) -> None:
        if self.window is not None:
            self.load()

    # --- what the window shows -----------------------------------------------------

    def current_section(self, sections: list[Section] | None = None) -> Section:
        for section in self.sections if sections is None else sections:
            if section.key == self.section:
                return section
        return Section(ALL_KEY, "All active", QueueFilter())

    def query_now(
        self, *, scope: QueueFilter | None = None, sections: list[Section] | None = None
    ) -> Query:
        scope = scope or self.scope or QueueFilter()
        filters = scope.merged(self.current_section(sections).filters).merged(self.extra)
        return Query(self.section, filters, self.sort)

    def _show_first_window(self) -> None:
        """The window the quick start read before the console drew anything, when it is
        what this screen shows first (the whole queue, not an engineer's competences): it
        is drawn at once, and `setup`'s answer follows as an ordinary reload."""
        first = self.context.first_window
        if first is None or self.competences_only:
            return
        query = self.query_now(scope=QueueFilter(), sections=list(BUILT_IN))
        if query.filters != QueueFilter() or query.sort != QueueSort():
            return
        self.post_message(
            self.Loaded(query, None, first.window, first.read_at, None, None, None, None, None, 0)
        )

    @work(thread=True, exit_on_error=False, group="queue-setup")
    def setup(self) -> None:
        """The first read: sections, the engineer's scope, names, and the first window.

        The change watcher opens first, so nothing committed after this read is missed.
        """
        store, user_id = self.context.store, self.context.operator.id  # once it is open
        from dispatcher.store.db.commit_watch import open_watcher
        from dispatcher.store.tickets import saved_views
        from dispatcher.store.tickets.queue import queue_window
        from dispatcher.store.tickets.queue_names import queue_names

        watcher = open_watcher(store)
        with self._watch_lock:
            if self._closed:
                watcher.close()
            else:
                self._watcher = watcher
        with store.read() as session:
            sections = saved_views.sections(session, user_id=user_id)
            scope = QueueFilter()
            if self.competences_only:
                scope = QueueFilter(
                    category_ids=saved_views.competence_categories(session, user_id=user_id)
                )
            query = self.query_now(scope=scope, sections=sections)
            window = queue_window(
                session, filters=query.filters, sort=query.sort, limit=self.window_size
            )
            names = queue_names(session)
        at = self.context.clock()
        loaded = self.Loaded(query, None, window, at, sections, scope, names, None, None, 0)
        self.post_message(loaded)

    def load(self, *, cursor_id: int | None = None, cursor_at: int | None = None) -> None:
        """Read the current window again (once the first read has set the screen up)."""
        if self.scope is not None:
            self._reads += 1
            self._load(self.query_now(), self.starts[-1], cursor_id, cursor_at, self._reads)

    @work(thread=True, exclusive=True, exit_on_error=False, group="queue")
    def _load(
        self,
        query: Query,
        start: WindowKey | None,
        cursor_id: int | None,
        cursor_at: int | None,
        asked: int,
    ) -> None:
        from dispatcher.store.tickets.queue import queue_window

        with self.context.store.read() as session:
            window = queue_window(
                session,
                filters=query.filters,
                sort=query.sort,
                after=start,
                limit=self.window_size,
            )
        at = self.context.clock()
        self.post_message(
            self.Loaded(query, start, window, at, None, None, None, cursor_id, cursor_at, asked)
        )

    def count(self) -> None:
        """Count every section's tickets again (the tabs' numbers)."""
        if self.sections:
            self._counts += 1
            self._count(self.scope or QueueFilter(), list(self.sections), self._counts)

    @work(thread=True, exclusive=True, exit_on_error=False, group="queue-counts")
    def _count(self, scope: QueueFilter, sections: list[Section], asked: int) -> None:
        from dispatcher.store.tickets import saved_views

        with self.context.store.read() as session:
            counts = saved_views.section_counts(session, scope=scope, of=sections)
        self.post_message(self.Counted(counts, asked))

    async def on_queue_screen_loaded(self, event: Loaded) -> None:
        if not self.is_attached:
            return  # the console is quitting: nothing more to draw or read
        if event.names is not None:
            self.names = event.names
        if event.scope is not None:
            self.scope = event.scope
        if event.sections is not None:
            self.sections = event.sections
            await self.show_tabs()
            self.count()
        if event.asked != self._reads:
            return  # a later read is on its way
        if event.query != self.query_now() or event.start != self.starts[-1]:
            return  # the question changed while this answer was on its way
        now = time.monotonic()
        if self._seen_query == event.query:
            for row in event.window.rows:
                before = self._seen.get(row.id)
                if before is None:
                    self.marks[row.id] = (MARK_NEW, now)
                elif before != row.version:
                    self.marks[row.id] = (MARK_CHANGED, now)
        if self._seen_query != event.query or event.start is None:
            self._seen = {}
        self._seen.update({r.id: r.version for r in event.window.rows})
        self._seen_query = event.query
        for row in event.window.rows:
            if row.id in self.selected:
                self.selected[row.id] = row  # the version a bulk action will check
        self.window = event.window
        self.table.show(
            event.window.rows,
            now=event.at,
            marks={k: m for k, (m, _) in self.marks.items()},
            selected=set(self.selected),
            sort=self.sort,
            cursor_id=event.cursor_id,
            cursor_at=event.cursor_at,
        )
        if self._header_sort != self.sort:
            self._header_sort = self.sort
            self.query_one(QueueHeader).refresh()
        self.show_status()
        self.show_filters()

    async def on_queue_screen_counted(self, event: Counted) -> None:
        if not self.is_attached:
            return  # the console is quitting
        if event.asked != self._counts:
            return  # a later count is on its way
        self.counts = event.counts
        await self.show_tabs()

    async def show_tabs(self) -> None:
        await self.query_one(ViewTabs).show_sections(
            [(s.key, s.name, s.pinned) for s in self.sections], self.counts, self.section
        )

    def show_status(self) -> None:
        window = self.window
        if window is None:
            return
        depth = len(self.starts) - 1
        where = f"window {depth + 1}, " if depth else ""
        more = ", more below (↓ at the end)" if window.has_more else ""
        chosen = f" · {len(self.selected)} selected" if self.selected else ""
        order = "most urgent first" if self.sort.key == SortKey.urgency else f"by {self.sort.key}"
        if self.sort.descending:
            order += ", reversed"
        text = f"{len(window.rows)} tickets shown ({where}{order}){more}{chosen}"
        status = self.query_one("#queue-status", Static)
        if text != self._status_text or status.has_class("-error"):
            # Only when it reads differently: an update lays the whole screen out again.
            self._status_text = text
            status.remove_class("-error")
            status.update(Content(text))

    def _expire_marks(self) -> None:
        cutoff = time.monotonic() - MARK_SECONDS
        old = [k for k, (_, at) in self.marks.items() if at < cutoff]
        for key in old:
            del self.marks[key]
        if old:
            self.table.marks = {k: m for k, (m, _) in self.marks.items()}
            for key in old:
                self.table.restyle_row(key)

    def show_worker_error(self, worker: Worker[Any], text: str) -> None:
        if worker.group == VIEWS_WRITE:
            self.notify(text, severity="error", markup=False)
            return
        what = "read the queue" if worker.group in READS else "do that"
        status = self.query_one("#queue-status", Static)
        self._status_text = None
        status.add_class("-error")
        status.update(Content(f"could not {what}: {plain(text)}"))

    def _requery(self, *, cursor_at: int | None = 0) -> None:
        self.starts = [None]
        self.load(cursor_at=cursor_at)
        self.show_filters()

    # --- changes by others -----------------------------------------------------------

    def poll_changes(self) -> None:
        """Ask whether anybody committed: every `refresh_seconds`, or by hand. A question
        still on its way is not asked again."""
        if self._watching is None or self._watching.is_finished:
            self._watching = self._ask_watcher()

    @work(thread=True, exit_on_error=False, group="queue-changes")
    def _ask_watcher(self) -> None:
        with self._watch_lock:
            changed = self._watcher is not None and self._watcher.changed()
        if changed:
            self.post_message(self.Committed())

    def on_queue_screen_committed(self, event: Committed) -> None:
        if self.is_current:  # otherwise the window is read again when the screen resumes
            self.load()
            self.count()

    # --- moving about --------------------------------------------------------------

    def on_queue_table_edge_reached(self, event: QueueTable.EdgeReached) -> None:
        window = self.window
        if window is None:
            return
        if event.direction > 0 and window.next_key is not None:
            self.starts.append(window.next_key)
            self.load(cursor_at=0)
        elif event.direction < 0 and len(self.starts) > 1:
            self.starts.pop()
            self.load(cursor_at=self.window_size - 1)

    def on_queue_table_opened(self, event: QueueTable.Opened) -> None:
        self._open(event.ticket_id)

    def action_open(self) -> None:
        ticket_id = self.table.current_id
        if ticket_id is not None:
            self._open(ticket_id)

    def _open(self, ticket_id: int) -> None:
        from dispatcher.screens.ticket import TicketScreen

        self.app.push_screen(TicketScreen(self.context, ticket_id=ticket_id))

    def action_new_ticket(self) -> None:
        from dispatcher.screens.new_ticket import NewTicketScreen

        def created(ticket_id: int | None) -> None:
            if ticket_id is not None:
                self.notify(f"#{ticket_id} registered", markup=False)
                self.load(cursor_id=ticket_id)

        self.app.push_screen(NewTicketScreen(self.context), created)

    def action_reload(self) -> None:
        self.load()
        self.count()

    def action_next_section(self) -> None:
        self._flip(1)

    def action_previous_section(self) -> None:
        self._flip(-1)

    def _flip(self, step: int) -> None:
        if not self.sections:
            return
        keys = [s.key for s in self.sections]
        index = keys.index(self.section) if self.section in keys else 0
        self._choose_section(keys[(index + step) % len(keys)])

    def _choose_section(self, key: str) -> None:
        if key == self.section:
            return
        self.section = key
        self.query_one(ViewTabs).active = key
        self._requery()

    def on_view_tabs_chosen(self, event: ViewTabs.Chosen) -> None:
        self._choose_section(event.key)
