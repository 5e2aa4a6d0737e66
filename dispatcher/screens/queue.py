"""The live queue: active tickets, most urgent first, in sections, filtered, always current.

The screen holds the state (section, filters, sort, window, selection, marks); the table,
the tabs and the filter bar only draw what they are given. Every database call runs in a
thread worker that posts a typed message back. The app bumps `data_version` when another
process commits (`dispatcher.store.changes`), and the screen reloads its window, keeping
the cursor on the same ticket and the selection, and marking new and changed rows.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Static
from textual.worker import Worker, WorkerState, get_current_worker

from dispatcher.domain.enums import ACTIVE_STATUSES, Priority, Role, TicketStatus, can_transition
from dispatcher.domain.errors import DispatcherError, StaleVersionError
from dispatcher.identity import Operator
from dispatcher.read_models.queue import (
    QueueFilter,
    QueueSort,
    QueueWindow,
    SortKey,
    WindowKey,
    WindowRow,
)
from dispatcher.store.db.engine import Store
from dispatcher.store.tickets.queue import PAGE_SIZE, queue_window
from dispatcher.store.tickets.saved_views import ALL_KEY, Section
from dispatcher.text import plain
from dispatcher.widgets.filter_bar import FilterBar
from dispatcher.widgets.picker import ConfirmScreen, PickerScreen, PromptScreen
from dispatcher.widgets.queue_table import (
    COLUMNS,
    MARK_CHANGED,
    MARK_NEW,
    QueueHeader,
    QueueTable,
)
from dispatcher.widgets.view_tabs import ViewTabs

Clock = Callable[[], datetime]
MARK_SECONDS = 60.0  # how long a new or changed row stays marked
SORT_ORDER = [c.key for c in COLUMNS if c.key is not None]
ANY = "*"


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Query:
    """What the window shows: the reload after a change asks the same question."""

    section: str
    filters: QueueFilter
    sort: QueueSort


@dataclass
class Names:
    """Names for the filter line and the pickers, read once per screen."""

    queues: dict[int, str] = field(default_factory=dict)
    users: dict[int, tuple[str, Role]] = field(default_factory=dict)
    clients: dict[int, str] = field(default_factory=dict)


class QueueScreen(Screen[None]):
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
            tooltip="Filter by words in the subject",
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
        Binding(
            "space",
            "toggle_select",
            "Select",
            id="queue.select",
            tooltip="Select or unselect the ticket for a bulk action",
        ),
        Binding(
            "a",
            "bulk_assign",
            "Assign",
            id="queue.assign",
            tooltip="Assign the selected tickets (or the one under the cursor)",
        ),
        Binding(
            "s",
            "bulk_status",
            "Status",
            id="queue.status",
            tooltip="Change the status of the selected tickets",
        ),
        Binding(
            "p",
            "bulk_priority",
            "Priority",
            id="queue.priority",
            show=False,
            tooltip="Set the priority of the selected tickets",
        ),
        Binding(
            "asterisk",
            "select_all",
            "Select all",
            id="queue.select_all",
            show=False,
            tooltip="Select every ticket in this window",
        ),
        Binding(
            "escape",
            "clear_selection",
            "Unselect",
            id="queue.unselect",
            show=False,
            tooltip="Clear the selection",
        ),
        Binding(
            "Q",
            "filter_queue",
            "Queue",
            id="queue.filter_queue",
            show=False,
            tooltip="Filter by queue",
        ),
        Binding(
            "S",
            "filter_status",
            "By status",
            id="queue.filter_status",
            show=False,
            tooltip="Filter by status",
        ),
        Binding(
            "A",
            "filter_assignee",
            "By assignee",
            id="queue.filter_assignee",
            show=False,
            tooltip="Filter by assignee",
        ),
        Binding(
            "P",
            "filter_priority",
            "By priority",
            id="queue.filter_priority",
            show=False,
            tooltip="Filter by priority",
        ),
        Binding(
            "C",
            "filter_client",
            "By client",
            id="queue.filter_client",
            show=False,
            tooltip="Filter by client",
        ),
        Binding(
            "x",
            "clear_filters",
            "Clear filters",
            id="queue.clear_filters",
            show=False,
            tooltip="Drop the filters set with Q S A P C and /",
        ),
        Binding(
            "o", "sort_next", "Sort", id="queue.sort", show=False, tooltip="Sort by the next column"
        ),
        Binding(
            "O",
            "sort_reverse",
            "Reverse",
            id="queue.sort_reverse",
            show=False,
            tooltip="Reverse the sort order",
        ),
        Binding(
            "v",
            "save_view",
            "Save view",
            id="queue.save_view",
            show=False,
            tooltip="Save the filters as a named view",
        ),
        Binding(
            "R",
            "rename_view",
            "Rename view",
            id="queue.rename_view",
            show=False,
            tooltip="Rename this saved view",
        ),
        Binding(
            "D",
            "delete_view",
            "Delete view",
            id="queue.delete_view",
            show=False,
            tooltip="Delete this saved view",
        ),
        Binding(
            "less_than_sign",
            "move_view(-1)",
            "Move view left",
            id="queue.view_left",
            show=False,
            tooltip="Move this saved view left",
        ),
        Binding(
            "greater_than_sign",
            "move_view(1)",
            "Move view right",
            id="queue.view_right",
            show=False,
            tooltip="Move this saved view right",
        ),
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
        names: Names | None
        cursor_id: int | None
        cursor_at: int | None
        seconds: float

    @dataclass
    class Counted(Message):
        counts: dict[str, int]

    @dataclass
    class BulkDone(Message):
        done: list[str]
        refused: list[str]

    @dataclass
    class ViewsChanged(Message):
        sections: list[Section]
        current: str

    def __init__(
        self,
        *,
        store: Store,
        operator: Operator,
        competences_only: bool = False,
        clock: Clock = utcnow,
    ) -> None:
        super().__init__()
        self.store = store
        self.operator = operator
        self.competences_only = competences_only
        self.clock = clock
        self.scope: QueueFilter | None = None  # None until read (an engineer's categories)
        self.sections: list[Section] = []
        self.counts: dict[str, int] = {}
        self.names = Names()
        self.section = ALL_KEY
        self.extra = QueueFilter()  # the filters set with keys, on top of the section's
        self.sort = QueueSort()
        self.starts: list[WindowKey | None] = [None]  # where each window up to here began
        self.window: QueueWindow | None = None
        self.selected: dict[int, WindowRow] = {}
        self.marks: dict[int, tuple[str, float]] = {}
        self._seen: dict[int, int] = {}  # id -> version of the last window of this query
        self._seen_query: Query | None = None
        self.last_load_seconds = 0.0

    # --- layout --------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield ViewTabs(id="queue-tabs")
        yield FilterBar(id="queue-filters")
        yield QueueHeader(lambda: self.table, id="queue-header")
        yield QueueTable(id="queue-table")
        yield Static("loading…", id="queue-status")
        yield Footer()

    @property
    def table(self) -> QueueTable:
        return self.query_one(QueueTable)

    def on_mount(self) -> None:
        self.table.focus()
        self.query_one(FilterBar).show_summary([])
        self.setup()
        self.watch(self.app, "data_version", self._on_data_changed, init=False)
        self.set_interval(MARK_SECONDS / 4, self._expire_marks)

    def on_screen_resume(self) -> None:
        if self.window is not None:
            self.load()

    def _on_data_changed(self) -> None:
        if self.is_current:
            self.load()
            self.count()

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

    @work(thread=True, exit_on_error=False, group="queue-setup")
    def setup(self) -> None:
        """The first read: sections, the engineer's scope, names, and the first window."""
        from dispatcher.store.tickets import saved_views

        started = time.perf_counter()
        with self.store.read() as session:
            sections = saved_views.sections(session, user_id=self.operator.id)
            scope = QueueFilter()
            if self.competences_only:
                scope = QueueFilter(
                    category_ids=saved_views.competence_categories(
                        session, user_id=self.operator.id
                    )
                )
            query = self.query_now(scope=scope, sections=sections)
            window = queue_window(
                session, filters=query.filters, sort=query.sort, limit=self.window_size
            )
            names = _read_names(session)
        self.post_message(
            self.Loaded(
                query,
                None,
                window,
                self.clock(),
                sections,
                scope,
                names,
                None,
                None,
                time.perf_counter() - started,
            )
        )

    def load(self, *, cursor_id: int | None = None, cursor_at: int | None = None) -> None:
        """Read the current window again (once the first read has set the screen up)."""
        if self.scope is not None:
            self._load(self.query_now(), self.starts[-1], cursor_id, cursor_at)

    @work(thread=True, exclusive=True, exit_on_error=False, group="queue")
    def _load(
        self,
        query: Query,
        start: WindowKey | None,
        cursor_id: int | None,
        cursor_at: int | None,
    ) -> None:
        started = time.perf_counter()
        worker = get_current_worker()
        with self.store.read() as session:
            window = queue_window(
                session,
                filters=query.filters,
                sort=query.sort,
                after=start,
                limit=self.window_size,
            )
        if not worker.is_cancelled:
            self.post_message(
                self.Loaded(
                    query,
                    start,
                    window,
                    self.clock(),
                    None,
                    None,
                    None,
                    cursor_id,
                    cursor_at,
                    time.perf_counter() - started,
                )
            )

    @work(thread=True, exclusive=True, exit_on_error=False, group="queue-counts")
    def count(self) -> None:
        from dispatcher.store.tickets import saved_views

        if not self.sections:
            return
        with self.store.read() as session:
            counts = saved_views.section_counts(
                session, scope=self.scope or QueueFilter(), of=self.sections
            )
        self.post_message(self.Counted(counts))

    async def on_queue_screen_loaded(self, event: Loaded) -> None:
        if event.names is not None:
            self.names = event.names
        if event.scope is not None:
            self.scope = event.scope
        if event.sections is not None:
            self.sections = event.sections
            await self._show_tabs()
            self.count()
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
        self.last_load_seconds = event.seconds
        self.table.show(
            event.window.rows,
            now=event.at,
            marks={k: m for k, (m, _) in self.marks.items()},
            selected=set(self.selected),
            sort=self.sort,
            cursor_id=event.cursor_id,
            cursor_at=event.cursor_at,
        )
        self.query_one(QueueHeader).refresh()
        self._show_status()
        self._show_filters()

    async def on_queue_screen_counted(self, event: Counted) -> None:
        self.counts = event.counts
        await self._show_tabs()

    async def _show_tabs(self) -> None:
        await self.query_one(ViewTabs).show_sections(
            [(s.key, s.name, s.pinned) for s in self.sections], self.counts, self.section
        )

    def _show_status(self) -> None:
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
        status = self.query_one("#queue-status", Static)
        status.remove_class("-error")
        status.update(Content(f"{len(window.rows)} tickets shown ({where}{order}){more}{chosen}"))

    def _show_filters(self) -> None:
        f, names, parts = self.extra, self.names, []
        if f.queue_id is not None:
            parts.append(("queue", names.queues.get(f.queue_id, f"#{f.queue_id}")))
        if f.statuses:
            parts.append(("status", ", ".join(s.value for s in f.statuses)))
        if f.unassigned:
            parts.append(("assignee", "nobody"))
        elif f.assignee_id is not None:
            login = names.users.get(f.assignee_id, (f"#{f.assignee_id}", Role.engineer))[0]
            parts.append(("assignee", login))
        if f.priorities:
            parts.append(("priority", ", ".join(p.value for p in f.priorities)))
        if f.client_id is not None:
            parts.append(("client", names.clients.get(f.client_id, f"#{f.client_id}")))
        if f.text:
            parts.append(("subject", f.text))
        if self.scope and self.scope.category_ids is not None:
            parts.insert(0, ("scope", "your competences"))
        self.query_one(FilterBar).show_summary(parts)

    def _expire_marks(self) -> None:
        cutoff = time.monotonic() - MARK_SECONDS
        old = [k for k, (_, at) in self.marks.items() if at < cutoff]
        for key in old:
            del self.marks[key]
        if old:
            self.table.marks = {k: m for k, (m, _) in self.marks.items()}
            for key in old:
                self.table.restyle_row(key)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            error = event.worker.error
            text = str(error) if isinstance(error, DispatcherError) else repr(error)
            status = self.query_one("#queue-status", Static)
            status.add_class("-error")
            status.update(Content(f"could not read the queue: {plain(text)}"))

    def _requery(self, *, cursor_at: int | None = 0) -> None:
        self.starts = [None]
        self.load(cursor_at=cursor_at)
        self._show_filters()

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

    def on_queue_table_sort_requested(self, event: QueueTable.SortRequested) -> None:
        if self.sort.key == event.key:
            self.sort = replace(self.sort, descending=not self.sort.descending)
        else:
            self.sort = QueueSort(event.key)
        self._requery()

    def action_open(self) -> None:
        ticket_id = self.table.current_id
        if ticket_id is not None:
            self._open(ticket_id)

    def _open(self, ticket_id: int) -> None:
        from dispatcher.screens.ticket import TicketScreen

        self.app.push_screen(
            TicketScreen(store=self.store, operator=self.operator, ticket_id=ticket_id)
        )

    def action_new_ticket(self) -> None:
        from dispatcher.screens.new_ticket import NewTicketScreen

        def created(ticket_id: int | None) -> None:
            if ticket_id is not None:
                self.notify(f"#{ticket_id} registered", markup=False)
                self.load(cursor_id=ticket_id)

        self.app.push_screen(NewTicketScreen(store=self.store, operator=self.operator), created)

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

    # --- filters and sorting -------------------------------------------------------

    def _set_filter(self, **changes: Any) -> None:
        self.extra = replace(self.extra, **changes)
        self._requery()

    def action_filter_text(self) -> None:
        self.query_one(FilterBar).open_text(self.extra.text)

    def on_filter_bar_text_changed(self, event: FilterBar.TextChanged) -> None:
        if event.text.strip() != self.extra.text:
            self._set_filter(text=event.text.strip())

    def on_filter_bar_closed(self, event: FilterBar.Closed) -> None:
        self.table.focus()

    def _pick(
        self, title: str, options: list[tuple[str, str]], then: Callable[[str], None]
    ) -> None:
        def chosen(value: str | None) -> None:
            if value is not None:
                then(value)

        self.app.push_screen(PickerScreen(title, options), chosen)

    def action_filter_queue(self) -> None:
        options = [(ANY, "any queue")] + [(str(k), v) for k, v in self.names.queues.items()]
        self._pick(
            "Filter by queue",
            options,
            lambda v: self._set_filter(queue_id=None if v == ANY else int(v)),
        )

    def action_filter_status(self) -> None:
        options = [(ANY, "any status")] + [(s.value, s.value) for s in ACTIVE_STATUSES]
        self._pick(
            "Filter by status",
            options,
            lambda v: self._set_filter(statuses=() if v == ANY else (TicketStatus(v),)),
        )

    def action_filter_assignee(self) -> None:
        options = [(ANY, "anybody"), ("none", "nobody (unassigned)")]
        options.append((str(self.operator.id), f"me ({self.operator.login})"))
        options += [
            (str(k), login) for k, (login, _) in self.names.users.items() if k != self.operator.id
        ]

        def apply(value: str) -> None:
            if value == ANY:
                self._set_filter(assignee_id=None, unassigned=False)
            elif value == "none":
                self._set_filter(assignee_id=None, unassigned=True)
            else:
                self._set_filter(assignee_id=int(value), unassigned=False)

        self._pick("Filter by assignee", options, apply)

    def action_filter_priority(self) -> None:
        options = [(ANY, "any priority")] + [(p.value, p.value) for p in Priority]
        self._pick(
            "Filter by priority",
            options,
            lambda v: self._set_filter(priorities=() if v == ANY else (Priority(v),)),
        )

    def action_filter_client(self) -> None:
        options = [(ANY, "any client")] + [(str(k), v) for k, v in self.names.clients.items()]
        self._pick(
            "Filter by client",
            options,
            lambda v: self._set_filter(client_id=None if v == ANY else int(v)),
        )

    def filter_client(self, client_id: int) -> None:
        """Show one client's tickets (the command palette's client entries)."""
        self._set_filter(client_id=client_id)

    def action_clear_filters(self) -> None:
        self.extra = QueueFilter()
        self._requery()

    def action_sort_next(self) -> None:
        index = SORT_ORDER.index(self.sort.key)
        self.sort = QueueSort(SORT_ORDER[(index + 1) % len(SORT_ORDER)])
        self._requery()

    def action_sort_reverse(self) -> None:
        self.sort = replace(self.sort, descending=not self.sort.descending)
        self._requery()

    # --- saved views ---------------------------------------------------------------

    def action_save_view(self) -> None:
        filters = self.current_section().filters.merged(self.extra)

        def named(name: str | None) -> None:
            if name:
                self.change_views("create", name=name, filters=filters)

        self.app.push_screen(PromptScreen("Save these filters as a view named:"), named)

    def _own_view(self) -> Section | None:
        section = self.current_section()
        if section.view_id is None:
            self.notify("this is a built-in section; save a view with v", severity="warning")
            return None
        return section

    def action_rename_view(self) -> None:
        section = self._own_view()
        if section is None:
            return

        def named(name: str | None) -> None:
            if name:
                self.change_views("rename", view_id=section.view_id, name=name)

        self.app.push_screen(PromptScreen("Rename the view to:", section.name), named)

    def action_delete_view(self) -> None:
        section = self._own_view()
        if section is None:
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.change_views("delete", view_id=section.view_id)

        self.app.push_screen(ConfirmScreen("Delete this view?", [section.name]), confirmed)

    def action_move_view(self, offset: int) -> None:
        section = self._own_view()
        if section is not None:
            self.change_views("move", view_id=section.view_id, offset=offset)

    @work(thread=True, exclusive=True, exit_on_error=False, group="views-write")
    def change_views(self, what: str, **args: Any) -> None:
        from dispatcher.store.tickets import saved_views

        user_id = self.operator.id
        current = self.section
        try:
            with self.store.write() as session:
                if what == "create":
                    info = saved_views.create_view(
                        session, user_id=user_id, name=args["name"], filters=args["filters"]
                    )
                    current = f"view-{info.id}"
                elif what == "rename":
                    saved_views.rename_view(
                        session, user_id=user_id, view_id=args["view_id"], name=args["name"]
                    )
                elif what == "delete":
                    saved_views.delete_view(session, user_id=user_id, view_id=args["view_id"])
                    current = ALL_KEY
                else:
                    saved_views.move_view(
                        session, user_id=user_id, view_id=args["view_id"], offset=args["offset"]
                    )
        except DispatcherError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error", markup=False)
            return
        with self.store.read() as session:
            sections = saved_views.sections(session, user_id=user_id)
        self.post_message(self.ViewsChanged(sections, current))

    async def on_queue_screen_views_changed(self, event: ViewsChanged) -> None:
        self.sections = event.sections
        if event.current != self.section:
            self.section = event.current
            self.extra = QueueFilter()
            self._requery()
        await self._show_tabs()
        self.count()

    # --- selection and bulk actions ------------------------------------------------

    def action_toggle_select(self) -> None:
        row = self.table.current_row
        if row is None:
            return
        if row.id in self.selected:
            del self.selected[row.id]
        else:
            self.selected[row.id] = row
        self.table.selected = set(self.selected)
        self.table.restyle_row(row.id)
        self.table.action_cursor_down()
        self._show_status()

    def action_select_all(self) -> None:
        for row in self.table.rows:
            self.selected[row.id] = row
        self.table.selected = set(self.selected)
        self.table.refresh()
        self._show_status()

    def action_clear_selection(self) -> None:
        if self.selected:
            self.selected.clear()
            self.table.selected = set()
            self.table.refresh()
            self._show_status()

    def targets(self) -> list[WindowRow]:
        """The rows a bulk action acts on: the selection, or else the cursor's row."""
        if self.selected:
            return sorted(self.selected.values(), key=lambda r: r.id)
        row = self.table.current_row
        return [row] if row is not None else []

    def action_bulk_assign(self) -> None:
        options = [("none", "nobody (unassign)")] + [
            (str(k), login)
            for k, (login, role) in self.names.users.items()
            if role in (Role.engineer, Role.lead)
        ]

        def chosen(value: str) -> None:
            assignee = None if value == "none" else int(value)
            who = "nobody" if assignee is None else self.names.users[assignee][0]
            self._preview(
                f"Assign to {who}",
                lambda r: (
                    None if (r.assignee or "nobody") == who else f"{r.assignee or '—'} → {who}"
                ),
                {"action": "assign", "assignee_id": assignee},
            )

        self._pick("Assign to", options, chosen)

    def action_bulk_status(self) -> None:
        options = [(s.value, s.value) for s in TicketStatus if s != TicketStatus.merged]

        def chosen(value: str) -> None:
            target = TicketStatus(value)

            def change(r: WindowRow) -> str | None:
                if r.status == target:
                    return None
                if not can_transition(r.status, target):
                    return f"{r.status} → {target}: not allowed, will be refused"
                return f"{r.status} → {target}"

            self._preview(f"Status {target}", change, {"action": "status", "status": target})

        self._pick("Change status to", options, chosen)

    def action_bulk_priority(self) -> None:
        options = [(p.value, p.value) for p in Priority]

        def chosen(value: str) -> None:
            target = Priority(value)
            self._preview(
                f"Priority {target}",
                lambda r: None if r.priority == target else f"{r.priority} → {target}",
                {"action": "priority", "priority": target},
            )

        self._pick("Set priority to", options, chosen)

    def _preview(
        self, title: str, change: Callable[[WindowRow], str | None], plan: dict[str, Any]
    ) -> None:
        rows = self.targets()
        lines, acting = [], []
        for row in rows:
            what = change(row)
            if what is None:
                lines.append(f"{row.ref} {plain(row.subject)[:40]}: unchanged")
            else:
                lines.append(f"{row.ref} {plain(row.subject)[:40]}: {what}")
                acting.append(row)
        if not acting:
            self.notify("nothing to change", markup=False)
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.apply_bulk(acting, plan)

        self.app.push_screen(
            ConfirmScreen(f"{title}: {len(acting)} of {len(rows)} tickets change", lines),
            confirmed,
        )

    @work(thread=True, exit_on_error=False, group="bulk")
    def apply_bulk(self, rows: list[WindowRow], plan: dict[str, Any]) -> None:
        """Each ticket in its own transaction, with its own version check."""
        from dispatcher.store.tickets import writes

        done, refused = [], []
        for row in rows:
            now = self.clock()
            try:
                with self.store.write() as session:
                    common: dict[str, Any] = {
                        "ticket_id": row.id,
                        "expected_version": row.version,
                        "actor_id": self.operator.id,
                        "now": now,
                    }
                    if plan["action"] == "assign":
                        writes.assign(session, assignee_id=plan["assignee_id"], **common)
                    elif plan["action"] == "status":
                        writes.change_status(session, status=plan["status"], **common)
                    else:
                        writes.classify(session, priority=plan["priority"], **common)
                done.append(row.ref)
            except StaleVersionError as exc:
                refused.append(f"{row.ref}: {exc}")
            except DispatcherError as exc:
                refused.append(f"{row.ref}: {exc}")
        self.post_message(self.BulkDone(done, refused))

    def on_queue_screen_bulk_done(self, event: BulkDone) -> None:
        if event.done:
            self.notify(f"changed {', '.join(event.done)}", markup=False)
        if event.refused:
            self.notify(
                "refused:\n" + "\n".join(event.refused),
                severity="error",
                timeout=15,
                markup=False,
            )
        self.selected.clear()
        self.load()
        self.count()


def _read_names(session: Any) -> Names:
    from dispatcher.store.models import Client, Queue, User, table_of

    queue, user, client = table_of(Queue), table_of(User), table_of(Client)
    names = Names()
    names.queues = {r[0]: r[1] for r in session.execute(queue.select().order_by(queue.c.name))}
    names.users = {
        r.id: (r.login, Role(r.role))
        for r in session.execute(
            user.select().where(user.c.active.is_(True)).order_by(user.c.login)
        )
    }
    names.clients = {
        r.id: r.name
        for r in session.execute(
            client.select().where(client.c.active.is_(True)).order_by(client.c.name)
        )
    }
    return names
