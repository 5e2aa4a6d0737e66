"""The queue's filters and sort order, one key each: pickers over the names the screen
read once (Q S A P C, x clears, / finds by reference, client, contact or subject), the
sort by column (o O, or a click on a header), and the filter line that says what is
applied.

A slice of `QueueScreen`: the actions live here, the keys in `FILTER_KEYS`, the state
(`extra`, `sort`, `names`) on the screen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from textual.binding import Binding, BindingType
from textual.screen import Screen

from dispatcher.domain.enums import ACTIVE_STATUSES, Priority, Role, TicketStatus
from dispatcher.read_models.queue import QueueFilter, QueueNames, QueueSort
from dispatcher.screens.context import ScreenContext
from dispatcher.widgets.filter_bar import FilterBar
from dispatcher.widgets.picker import PickerScreen
from dispatcher.widgets.queue_table import COLUMNS, QueueTable

ANY = "*"
SORT_ORDER = [c.key for c in COLUMNS if c.key is not None]

FILTER_KEYS: list[BindingType] = [
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
]


class QueueFilters(Screen[None]):
    """The filter and sort actions of `QueueScreen`."""

    context: ScreenContext
    names: QueueNames
    extra: QueueFilter  # the filters set with keys, on top of the section's
    scope: QueueFilter | None
    sort: QueueSort
    _filters_shown: list[tuple[str, str]] | None = None  # what the filter line says now

    if TYPE_CHECKING:

        @property
        def table(self) -> QueueTable: ...

        def _requery(self, *, cursor_at: int | None = 0) -> None: ...

    def pick(self, title: str, options: list[tuple[str, str]], then: Callable[[str], None]) -> None:
        """Ask for one of `options`; `then` gets the value (nothing happens on Escape)."""

        def chosen(value: str | None) -> None:
            if value is not None:
                then(value)

        self.app.push_screen(PickerScreen(title, options), chosen)

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

    def action_filter_queue(self) -> None:
        options = [(ANY, "any queue")] + [(str(k), v) for k, v in self.names.queues.items()]
        self.pick(
            "Filter by queue",
            options,
            lambda v: self._set_filter(queue_id=None if v == ANY else int(v)),
        )

    def action_filter_status(self) -> None:
        options = [(ANY, "any status")] + [(s.value, s.value) for s in ACTIVE_STATUSES]
        self.pick(
            "Filter by status",
            options,
            lambda v: self._set_filter(statuses=() if v == ANY else (TicketStatus(v),)),
        )

    def action_filter_assignee(self) -> None:
        me = self.context.operator
        options = [(ANY, "anybody"), ("none", "nobody (unassigned)")]
        options.append((str(me.id), f"me ({me.login})"))
        options += [(str(k), login) for k, (login, _) in self.names.users.items() if k != me.id]

        def apply(value: str) -> None:
            if value == ANY:
                self._set_filter(assignee_id=None, unassigned=False)
            elif value == "none":
                self._set_filter(assignee_id=None, unassigned=True)
            else:
                self._set_filter(assignee_id=int(value), unassigned=False)

        self.pick("Filter by assignee", options, apply)

    def action_filter_priority(self) -> None:
        options = [(ANY, "any priority")] + [(p.value, p.value) for p in Priority]
        self.pick(
            "Filter by priority",
            options,
            lambda v: self._set_filter(priorities=() if v == ANY else (Priority(v),)),
        )

    def action_filter_client(self) -> None:
        options = [(ANY, "any client")] + [(str(k), v) for k, v in self.names.clients.items()]
        self.pick(
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

    # --- sorting -----------------------------------------------------------------------

    def action_sort_next(self) -> None:
        index = SORT_ORDER.index(self.sort.key)
        self.sort = QueueSort(SORT_ORDER[(index + 1) % len(SORT_ORDER)])
        self._requery()

    def action_sort_reverse(self) -> None:
        self.sort = replace(self.sort, descending=not self.sort.descending)
        self._requery()

    def on_queue_table_sort_requested(self, event: QueueTable.SortRequested) -> None:
        if self.sort.key == event.key:
            self.sort = replace(self.sort, descending=not self.sort.descending)
        else:
            self.sort = QueueSort(event.key)
        self._requery()

    # --- the filter line ---------------------------------------------------------------

    def show_filters(self) -> None:
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
        if parts != self._filters_shown:  # a summary update lays the screen out again
            self._filters_shown = parts
            self.query_one(FilterBar).show_summary(parts)
