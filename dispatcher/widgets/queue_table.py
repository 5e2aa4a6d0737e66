"""The queue's table: a window of rows drawn line by line, only what is on screen.

Textual's DataTable measures every cell through Rich and repaints its whole page on any
change (measured here at about 0.15 ms a cell). The queue changes every time anybody
touches a ticket, so this widget draws each visible line straight into segments, cut to
fixed column widths: a repaint of a full window costs a few milliseconds.

Dumb: the screen hands it rows, marks and the selection (attributes down); it posts
`Opened`, `EdgeReached` and `SortRequested` (messages up).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from dispatcher import vocabulary
from dispatcher.domain.sla import NO_DEADLINE
from dispatcher.read_models.queue import QueueSort, SortKey, WindowRow
from dispatcher.text import due_cell, plain

# Wall time left under which a running deadline shows as a warning even before the
# sweep has fired one (the default plans warn 60 and 15 minutes ahead).
WARNING_WINDOW = timedelta(hours=1)


def sla_state(row: WindowRow, now: datetime) -> str:
    """`breached` (paused or not: a breach stays visible), `paused`, `warning`, `ok`, or
    `none` (no deadline)."""
    if row.next_due_at < NO_DEADLINE and row.next_due_at <= now:
        return "breached"
    if row.sla_paused_since is not None:
        return "paused"
    if row.next_due_at >= NO_DEADLINE:
        return "none"
    if row.warned or row.next_due_at - now <= WARNING_WINDOW:
        return "warning"
    return "ok"


@dataclass(frozen=True, slots=True)
class Column:
    key: SortKey | None  # None: not sortable (the mark column)
    label: str
    width: int  # 0: takes the width that is left


COLUMNS: tuple[Column, ...] = (
    Column(None, "", 2),
    Column(SortKey.ref, "Ref", 8),
    Column(SortKey.priority, "Pri", 7),
    Column(SortKey.client, "Client", 16),
    Column(SortKey.subject, "Subject", 0),
    Column(SortKey.category, "Category", 12),
    Column(SortKey.assignee, "Assignee", 10),
    Column(SortKey.status, "Status", 17),
    Column(SortKey.urgency, "Due", 12),
)
MIN_SUBJECT = 12
MARK_NEW, MARK_CHANGED, MARK_SELECTED = "new", "changed", "selected"

# How narrow each column may get, by index into COLUMNS (the mark and Due never shrink:
# a deadline cut to "-6d 1" misleads), and how wide the often-cut ones may grow.
_MIN = (2, 7, 6, 10, MIN_SUBJECT, 8, 8, 12, 12)
_MOST = {3: 24, 5: 22}  # client, category
_SUBJECT = 4
# Spare width, in turns: back to the usual widths of the reference and priority, a readable
# subject, the rest back to their usual widths, a longer subject, then the client and the
# category (cut most often) up to `_MOST`; whatever is left goes to the subject.
_STEPS: tuple[tuple[tuple[int, int], ...], ...] = (
    ((1, 8), (2, 7)),
    ((_SUBJECT, 24),),
    ((7, 17), (6, 10), (3, 16), (5, 12)),
    ((_SUBJECT, 48),),
    ((3, _MOST[3]), (5, _MOST[5])),
)


def column_widths(total: int) -> list[int]:
    """Widths that fit `total` cells (one space between columns and at the left): Due is
    never cut, and spare width goes to the columns that were cut before the subject
    stretches into blank space."""
    widths = list(_MIN)
    spare = total - (len(COLUMNS) - 1) - 1 - sum(widths)
    for step in _STEPS:
        growing = True
        while spare > 0 and growing:
            growing = False
            for index, most in step:  # one cell each in turn, so a step shares fairly
                if spare > 0 and widths[index] < most:
                    widths[index] += 1
                    spare -= 1
                    growing = True
    widths[_SUBJECT] += max(0, spare)
    return widths


def cells(row: WindowRow, now: datetime, mark: str | None, selected: bool) -> list[str]:
    """The row's texts, control characters removed (Segments never parse markup)."""
    return [*_fixed_cells(row, _flag(mark, selected)), _due_cell(row, now)]


def _flag(mark: str | None, selected: bool) -> str:
    return "✓" if selected else {MARK_NEW: "+", MARK_CHANGED: "*"}.get(mark or "", " ")


def _fixed_cells(row: WindowRow, flag: str) -> tuple[str, ...]:
    """Every cell but Due: they change only when the row or its flag does."""
    return (
        flag,
        row.ref,
        vocabulary.priority(row.priority),
        plain(row.client or "—"),
        plain(row.subject),
        plain(row.category or "—"),
        plain(row.assignee or "—"),
        vocabulary.status(row.status),
    )


def _due_cell(row: WindowRow, now: datetime) -> str:
    """The Due cell, which moves with the clock."""
    return due_cell(row.due_target, row.next_due_at, row.sla_paused_since, now)


def _fit(text: str, width: int) -> str:
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…"
    return set_cell_size(text, width)


class QueueTable(ScrollView, can_focus=True):
    """Rows of the live queue; the cursor and the selection follow tickets, not positions."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "queue-table--header",
        "queue-table--cursor",
        "queue-table--selected",
        "queue-table--ok",
        "queue-table--none",
        "queue-table--warning",
        "queue-table--breached",
        "queue-table--paused",
        "queue-table--new",
        "queue-table--changed",
    }
    DEFAULT_CSS = """
    QueueTable { height: 1fr; overflow-x: hidden; }
    QueueTable > .queue-table--header { text-style: bold; }
    QueueTable > .queue-table--cursor { background: $block-cursor-background; }
    QueueTable > .queue-table--selected { text-style: bold; }
    QueueTable > .queue-table--new { text-style: bold; }
    QueueTable > .queue-table--changed { text-style: italic; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down,j", "cursor_down", "Down", id="queue.down", show=False),
        Binding("up,k", "cursor_up", "Up", id="queue.up", show=False),
        Binding("pagedown", "page_down", "Page down", id="queue.page_down", show=False),
        Binding("pageup", "page_up", "Page up", id="queue.page_up", show=False),
        Binding("home,g", "first", "First", id="queue.first", show=False),
        Binding("end,G", "last", "Last", id="queue.last", show=False),
    ]

    cursor: reactive[int] = reactive(0, always_update=True)

    @dataclass
    class Opened(Message):
        ticket_id: int

    @dataclass
    class EdgeReached(Message):
        """The cursor tried to leave the window: +1 past the bottom, -1 above the top."""

        direction: int

    @dataclass
    class SortRequested(Message):
        key: SortKey

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self.rows: list[WindowRow] = []
        self.now: datetime = datetime.min.replace(tzinfo=UTC)
        self.marks: dict[int, str] = {}
        self.selected: set[int] = set()
        self.sort = QueueSort()
        self._texts: list[list[str]] = []
        # Ticket id -> (row, flag, every cell but Due) as last drawn.
        self._fixed: dict[int, tuple[WindowRow, str, tuple[str, ...]]] = {}
        self._states: list[str] = []
        self._styles: dict[str, Style] = {}
        # Lines drawn since the table was made: how a test (and the console bench) tells
        # a refresh that drew one changed row from one that drew the page.
        self.lines_drawn = 0

    # --- attributes down -----------------------------------------------------------

    def show(
        self,
        rows: list[WindowRow],
        *,
        now: datetime,
        marks: dict[int, str],
        selected: set[int],
        sort: QueueSort,
        cursor_id: int | None = None,
        cursor_at: int | None = None,
    ) -> None:
        """Show a new window; the cursor goes to `cursor_id` if it is there, else to the
        row index `cursor_at`, else stays on the ticket it is on."""
        keep = cursor_id if cursor_id is not None else self.current_id
        old_texts, old_states = self._texts, self._states
        self.rows, self.now, self.marks, self.selected, self.sort = (
            rows,
            now,
            marks,
            selected,
            sort,
        )
        self._texts = [self._cells(r, now) for r in rows]
        if len(self._fixed) > 2 * len(rows):  # tickets that left the window
            shown = {r.id for r in rows}
            self._fixed = {k: v for k, v in self._fixed.items() if k in shown}
        self._states = [sla_state(r, now) for r in rows]
        index = next((i for i, r in enumerate(rows) if r.id == keep), None)
        if index is None:
            index = cursor_at if cursor_at is not None else self.cursor
        self.virtual_size = Size(self.size.width, len(rows))
        cursor = max(0, min(index, len(rows) - 1))
        if cursor != self.cursor:
            self.cursor = cursor  # redraws the two lines and scrolls the cursor into view
        # Only the lines that read differently are drawn again: a window where nothing
        # changed costs no drawing, one changed ticket one line, a move the lines between.
        for i in range(max(len(old_texts), len(rows))):
            if (
                i >= len(rows)
                or i >= len(old_texts)
                or old_texts[i] != self._texts[i]
                or old_states[i] != self._states[i]
            ):
                self.refresh_line(i)

    def _cells(self, row: WindowRow, now: datetime) -> list[str]:
        """`cells`, with every cell but Due kept from the last window while the row and
        its flag are the same (a refresh mostly brings the same rows again)."""
        flag = _flag(self.marks.get(row.id), row.id in self.selected)
        kept = self._fixed.get(row.id)
        if kept is None or kept[0] != row or kept[1] != flag:
            kept = self._fixed[row.id] = (row, flag, _fixed_cells(row, flag))
        return [*kept[2], _due_cell(row, now)]

    def restyle_row(self, ticket_id: int) -> None:
        """Redraw one row after its mark or selection changed."""
        for i, row in enumerate(self.rows):
            if row.id == ticket_id:
                self._texts[i] = self._cells(row, self.now)
                self.refresh_line(i)

    @property
    def current_id(self) -> int | None:
        if 0 <= self.cursor < len(self.rows):
            return self.rows[self.cursor].id
        return None

    @property
    def current_row(self) -> WindowRow | None:
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None

    # --- drawing -------------------------------------------------------------------

    def notify_style_update(self) -> None:
        self._styles.clear()
        super().notify_style_update()

    def _style(self, name: str) -> Style:
        if name not in self._styles:
            self._styles[name] = self.get_component_rich_style(f"queue-table--{name}")
        return self._styles[name]

    def header_strip(self, width: int) -> Strip:
        widths = column_widths(width)
        parts = []
        for column, w in zip(COLUMNS, widths, strict=True):
            label = column.label
            if column.key is not None and column.key == self.sort.key:
                label += " ▼" if self.sort.descending else " ▲"
            parts.append(_fit(label, w))
        return Strip(
            [Segment(" " + " ".join(parts) + " ", self._style("header"))]
        ).adjust_cell_length(width)

    def render_line(self, y: int) -> Strip:
        self.lines_drawn += 1
        width = self.scrollable_content_region.width
        index = y + self.scroll_offset.y
        if index >= len(self.rows):
            return Strip.blank(width, self.rich_style)
        texts = self._texts[index]
        row_id = self.rows[index].id
        style = self.rich_style + self._style(self._states[index])
        mark = self.marks.get(row_id)
        if mark:
            style += self._style(mark)
        if row_id in self.selected:
            style += self._style("selected")
        if index == self.cursor and self.has_focus_within:
            style += self._style("cursor")
        elif index == self.cursor:
            style += self._style("cursor") + Style(dim=True)
        widths = column_widths(width)
        line = " " + " ".join(_fit(t, w) for t, w in zip(texts, widths, strict=True)) + " "
        return Strip([Segment(line, style)]).adjust_cell_length(width, style)

    def refresh_line(self, index: int) -> None:
        y = index - self.scroll_offset.y
        if 0 <= y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(event.size.width, len(self.rows))

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    # --- the cursor ----------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        self.refresh_line(old)
        self.refresh_line(new)
        self.scroll_to_region(Region(0, new, 1, 1), animate=False, force=True, immediate=True)

    def _move(self, delta: int) -> None:
        if not self.rows:
            return
        target = self.cursor + delta
        if target >= len(self.rows):
            if self.cursor == len(self.rows) - 1:
                self.post_message(self.EdgeReached(+1))
            target = len(self.rows) - 1
        elif target < 0:
            if self.cursor == 0:
                self.post_message(self.EdgeReached(-1))
            target = 0
        self.cursor = target

    def action_cursor_down(self) -> None:
        self._move(1)

    def action_cursor_up(self) -> None:
        self._move(-1)

    def action_page_down(self) -> None:
        self._move(max(1, self.size.height - 1))

    def action_page_up(self) -> None:
        self._move(-max(1, self.size.height - 1))

    def action_first(self) -> None:
        self.cursor = 0

    def action_last(self) -> None:
        self.cursor = max(0, len(self.rows) - 1)

    async def on_click(self, event: events.Click) -> None:
        index = event.y + self.scroll_offset.y
        if 0 <= index < len(self.rows):
            self.cursor = index
            if event.chain >= 2:
                self.post_message(self.Opened(self.rows[index].id))


class QueueHeader(Widget):
    """The column titles above a `QueueTable`; a click sorts by that column."""

    DEFAULT_CSS = "QueueHeader { height: 1; }"

    def __init__(self, table: Callable[[], QueueTable], *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self._table = table

    def render_line(self, y: int) -> Strip:
        return self._table().header_strip(self.size.width)

    def on_click(self, event: events.Click) -> None:
        x = 1
        for column, width in zip(COLUMNS, column_widths(self.size.width), strict=True):
            if x <= event.x < x + width and column.key is not None:
                self.post_message(QueueTable.SortRequested(column.key))
                return
            x += width + 1


def visible_ids(rows: Iterable[WindowRow]) -> dict[int, int]:
    """Ticket id → version of a window, to tell new and changed rows on the next one."""
    return {r.id: r.version for r in rows}
