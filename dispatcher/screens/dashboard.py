"""The lead's dashboard: the KPIs of today, this week and this month, each against the
period before it to the same point; a trend plot of the tile under the cursor; backlog by
age; SLA at risk now; per-engineer and per-queue tables. Enter on a tile explains its
number (the rule in words, the tickets behind it); Enter on a ticket opens it.

The layout is drawn at once with placeholders; then one thread worker reads SLA at risk,
the tiles, the tables and the trend, in that order, posting each part as it is read.
Live like the queue: on every `Intervals.changes` the screen asks the store's change
watch whether anybody committed and, if so, reads everything again. Periods are days,
weeks and months of the operator's time zone.
"""

from __future__ import annotations

import gc
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Header, Static
from textual.worker import Worker

from dispatcher.domain.kpi.groups import GroupBy
from dispatcher.read_models.dashboard import (
    BACKLOG_TILES,
    TILES,
    AtRisk,
    DayFigures,
    GroupRow,
    PeriodFigures,
    PeriodName,
    Span,
    TileSpec,
    Unit,
    show,
    spans,
    value_at,
)
from dispatcher.screens.context import ScreenContext
from dispatcher.screens.workers import WorkerErrors
from dispatcher.store.db.commit_watch import ChangeWatcher
from dispatcher.store.reports import kpi
from dispatcher.text import plain, time_left
from dispatcher.widgets.kpi_tile import KpiTile
from dispatcher.widgets.kpi_trend import KpiTrend

GROUP_COLUMNS: tuple[tuple[str, TileSpec | None, str], ...] = (
    ("Created", None, "created.total"),
    ("Resolved", None, "resolution.count"),
    # NPS answers are a client's: not per engineer or queue.
    *((spec.label, spec, spec.path) for spec in TILES if spec.key not in ("created", "nps")),
)
GROUP_HEADINGS = {
    "First response": "1st resp.",
    "Resolution": "Resol.",
    "First-contact resolution": "FCR",
    "Reopen rate": "Reopen",
    "SLA first response": "SLA 1st",
    "SLA resolution": "SLA resol.",
    "SLA update": "SLA upd.",
}
# Fixed widths: the table keeps its layout when its rows arrive or change, instead of
# widening to them (and a header drawn before the rows came never disagrees with them).
RISK_COLUMNS = (
    ("Ref", 8),
    ("Pri", 6),
    ("Due in", 9),
    ("Client", 24),
    ("Engineer", 12),
    ("Subject", 60),
)
READS = ("dash-tiles", "dash-risk", "dash-groups", "dash-trend")


class DashboardScreen(WorkerErrors, Screen[None]):
    CSS_PATH = Path(__file__).parent / "dashboard.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "period('today')", "Today", id="dashboard.today", tooltip="Today so far"),
        Binding("w", "period('week')", "Week", id="dashboard.week", tooltip="This week so far"),
        Binding("m", "period('month')", "Month", id="dashboard.month", tooltip="This month so far"),
        Binding("r", "reload", "Reload", id="dashboard.reload", tooltip="Read every figure again"),
        Binding(
            "right,l",
            "app.focus_next",
            "Next",
            id="dashboard.next",
            show=False,
            tooltip="The next tile or table",
        ),
        Binding(
            "left,h",
            "app.focus_previous",
            "Previous",
            id="dashboard.previous",
            show=False,
            tooltip="The previous tile or table",
        ),
    ]

    @dataclass
    class TilesLoaded(Message):
        periods: list[PeriodFigures]
        asked: int

    @dataclass
    class RiskLoaded(Message):
        at_risk: AtRisk
        at: datetime
        asked: int

    @dataclass
    class GroupsLoaded(Message):
        engineers: list[GroupRow]
        queues: list[GroupRow]
        span: Span
        asked: int

    @dataclass
    class TrendLoaded(Message):
        days: list[DayFigures]
        asked: int

    class Committed(Message):
        """Somebody (any process) committed since the last look."""

    def __init__(self, context: ScreenContext) -> None:
        super().__init__()
        self.context = context
        self.zone = context.operator.zone
        self.period = PeriodName.today
        self.spans: dict[PeriodName, Span] = {}
        self.periods: dict[PeriodName, PeriodFigures] = {}
        self.at_risk: AtRisk | None = None
        self.days: list[DayFigures] | None = None
        # Which reading of each part is the latest: an older answer is dropped.
        self._asked: dict[str, int] = dict.fromkeys(READS, 0)
        self._watcher: ChangeWatcher | None = None
        self._watch_lock = threading.Lock()
        self._watching: Worker[None] | None = None
        self._closed = False
        self.change_poll: Timer | None = None
        # The screen is made when its key is pressed, and mounted at once. Building and
        # styling its widgets allocates enough for the cyclic garbage collector to run,
        # and a full collection walks the console's whole heap (a few hundred ms at 1M
        # tickets): it runs after the first frame instead (`_first_frame_drawn`).
        self._collector_paused = gc.isenabled()
        if self._collector_paused:
            gc.disable()

    # --- layout --------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text("Lead's dashboard"), id="dash-title")
        with VerticalScroll(id="dash-body"):
            with Grid(id="dash-tiles"):
                for spec in TILES:
                    yield KpiTile(spec, id=_tile_id(spec))
            with Horizontal(id="dash-middle"):
                yield KpiTrend(id="dash-trend")
                with Vertical(id="dash-backlog"):
                    yield Static(Text("Backlog by age"), classes="dash-heading")
                    for spec in BACKLOG_TILES:
                        yield KpiTile(
                            spec,
                            periods=(PeriodName.today,),
                            id=_tile_id(spec),
                            classes="-compact",
                        )
            yield Static(Text("SLA at risk now: loading…"), id="dash-risk-title")
            yield DataTable(id="dash-risk", cursor_type="row", zebra_stripes=True)
            with Vertical(id="dash-groups"):
                yield Static(Text("Per engineer"), id="dash-engineers-title")
                yield DataTable(id="dash-engineers", cursor_type="row")
                yield Static(Text("Per queue"), id="dash-queues-title")
                yield DataTable(id="dash-queues", cursor_type="row")
        yield Static(Text("loading…"), id="dash-status")
        yield Footer()

    def on_mount(self) -> None:
        risk = self.query_one("#dash-risk", DataTable)
        for column, width in RISK_COLUMNS:
            risk.add_column(column, key=column.lower(), width=width)
        for table_id in ("#dash-engineers", "#dash-queues"):
            table = self.query_one(table_id, DataTable)
            table.add_column("Name", key="name", width=24)
            for label, _, path in GROUP_COLUMNS:
                table.add_column(GROUP_HEADINGS.get(label, label), key=path)
        self.query_one(KpiTile).focus()
        self.query_one(KpiTrend).spec = TILES[0]
        self._show_title()
        # The first frame (the layout, placeholders) is drawn before any reading starts:
        # a reading thread computing figures holds the GIL for most of its time.
        self.call_after_refresh(self._first_frame_drawn)
        every = self.context.intervals.changes
        if every is not None:
            self.change_poll = self.set_interval(every, self.poll_changes)

    def _first_frame_drawn(self) -> None:
        self._resume_collector()
        self.load(watch=True)

    def _resume_collector(self) -> None:
        if self._collector_paused:
            self._collector_paused = False
            gc.enable()

    def on_unmount(self) -> None:
        self._resume_collector()
        with self._watch_lock:
            self._closed = True
            if self._watcher is not None:
                self._watcher.close()
                self._watcher = None

    def on_screen_resume(self) -> None:
        if self.periods:
            self.load()

    def _show_title(self) -> None:
        zone = getattr(self.zone, "key", str(self.zone))
        span = self.spans.get(self.period)
        since = ""
        if span is not None:
            start = span.start.astimezone(self.zone).strftime("%a %d %b %H:%M")
            now = span.end.astimezone(self.zone).strftime("%a %d %b %H:%M")
            since = f" · {self.period.label.lower()}: {start} to {now}"
        self.query_one("#dash-title", Static).update(
            Text(
                f"Lead's dashboard · {zone}{since} · ▲▼ against the period before, "
                "to the same point"
            )
        )

    # --- reading ---------------------------------------------------------------------

    def load(self, *, watch: bool = False) -> None:
        """Read every part again: the tiles, SLA at risk, the tables and the trend."""
        now = self.context.clock()
        self.spans = spans(now, self.zone)
        self._show_title()
        self._read_all(
            {part: self._ask(part) for part in READS},
            list(self.spans.values()),
            self.spans[self.period],
            now,
            watch,
        )

    def _ask(self, part: str) -> int:
        self._asked[part] += 1
        return self._asked[part]

    @work(thread=True, exclusive=True, exit_on_error=False, group="dash-read")
    def _read_all(
        self, asked: dict[str, int], periods_of: list[Span], span: Span, now: datetime, watch: bool
    ) -> None:
        """Every part in one thread, the quickest first, each shown as soon as it is read
        (one thread, not four: the UI keeps its share of the GIL and answers keys)."""
        if watch:
            self._open_watcher()
        store = self.context.store
        with store.read() as session:
            found = kpi.sla_at_risk(session, now=now)
        self.post_message(self.RiskLoaded(found, now, asked["dash-risk"]))
        with store.read() as session:
            periods = kpi.dashboard_periods(session, spans=periods_of, zone=self.zone)
        self.post_message(self.TilesLoaded(periods, asked["dash-tiles"]))
        self._groups(asked["dash-groups"], span)
        with store.read() as session:
            days = kpi.dashboard_trend(session, end=now, zone=self.zone)
        self.post_message(self.TrendLoaded(days, asked["dash-trend"]))

    def _open_watcher(self) -> None:
        """Before the first read, so nothing committed after it is missed."""
        from dispatcher.store.db.commit_watch import open_watcher

        watcher = open_watcher(self.context.store)
        with self._watch_lock:
            if self._closed or self._watcher is not None:
                watcher.close()
            else:
                self._watcher = watcher

    @work(thread=True, exclusive=True, exit_on_error=False, group="dash-groups")
    def _read_groups(self, asked: int, span: Span) -> None:
        """The tables again, for another period."""
        self._groups(asked, span)

    def _groups(self, asked: int, span: Span) -> None:
        period = kpi.Period(span.start, span.end)
        with self.context.store.read() as session:
            engineers = kpi.dashboard_groups(
                session, period=period, by=GroupBy.engineer, zone=self.zone
            )
            queues = kpi.dashboard_groups(session, period=period, by=GroupBy.queue, zone=self.zone)
        self.post_message(self.GroupsLoaded(engineers, queues, span, asked))

    # --- showing -----------------------------------------------------------------------

    def on_dashboard_screen_tiles_loaded(self, event: TilesLoaded) -> None:
        if event.asked != self._asked["dash-tiles"]:
            return
        self.periods = {p.span.name: p for p in event.periods}
        for tile in self.query(KpiTile):
            path = tile.spec.path
            tile.values = {
                name: (value_at(p.current, path), value_at(p.previous, path))
                for name, p in self.periods.items()
            }
        self._show_backlog_period()
        self._show_status()

    def _show_backlog_period(self) -> None:
        """The age tiles show the backlog at the end of the selected period (now) against
        its value at the end of the previous one."""
        for tile in self.query(KpiTile):
            if len(tile.periods) == 1 and self.period in self.periods:
                figures = self.periods[self.period]
                tile.values = {
                    PeriodName.today: (
                        value_at(figures.current, tile.spec.path),
                        value_at(figures.previous, tile.spec.path),
                    )
                }

    def on_dashboard_screen_risk_loaded(self, event: RiskLoaded) -> None:
        if event.asked != self._asked["dash-risk"]:
            return
        self.at_risk = event.at_risk
        found = event.at_risk
        counted = f"{found.at_risk}{'+' if found.more else ''}"
        self.query_one("#dash-risk-title", Static).update(
            Text(
                f"SLA at risk now: {counted} near their deadline (a warning raised), "
                f"{found.breached} past it · nearest first"
            )
        )
        table = self.query_one("#dash-risk", DataTable)
        cursor = _row_key(table)
        table.clear()
        for row in found.rows:
            table.add_row(
                Text(f"#{row.id}"),
                Text(row.priority.value),
                Text(time_left(row.due_at, event.at)),
                Text(plain(row.client or "—")),
                Text(plain(row.engineer or "—")),
                Text(plain(row.subject)),
                key=str(row.id),
            )
        _restore(table, cursor)

    def on_dashboard_screen_groups_loaded(self, event: GroupsLoaded) -> None:
        if event.asked != self._asked["dash-groups"]:
            return
        label = event.span.name.label.lower()
        for table_id, title, rows in (
            ("dash-engineers", "Per engineer", event.engineers),
            ("dash-queues", "Per queue", event.queues),
        ):
            self.query_one(f"#{table_id}-title", Static).update(Text(f"{title}, {label}"))
            table = self.query_one(f"#{table_id}", DataTable)
            cursor = _row_key(table)
            table.clear()
            for n, row in enumerate(rows):
                cells = [Text(plain(row.group))]
                for _, spec, path in GROUP_COLUMNS:
                    value = value_at(row.figures, path)
                    cells.append(Text(show(value, spec.unit if spec else Unit.tickets)))
                table.add_row(*cells, key=f"{n}")
            _restore(table, cursor)

    def on_dashboard_screen_trend_loaded(self, event: TrendLoaded) -> None:
        if event.asked != self._asked["dash-trend"]:
            return
        self.days = event.days
        self.query_one(KpiTrend).days = event.days

    def _show_status(self) -> None:
        status = self.query_one("#dash-status", Static)
        status.remove_class("-error")
        at = self.context.clock().astimezone(self.zone).strftime("%H:%M")
        status.update(
            Text(
                f"as of {at} · {self.period.label.lower()} selected (d, w, m) · "
                "Enter explains a tile, opens a ticket"
            )
        )

    def show_worker_error(self, worker: Worker[Any], text: str) -> None:
        status = self.query_one("#dash-status", Static)
        status.add_class("-error")
        status.update(Text(f"could not read the figures: {plain(text)}"))

    # --- changes by others -----------------------------------------------------------

    def poll_changes(self) -> None:
        """Ask whether anybody committed: every `Intervals.changes`, or by hand."""
        if self._watching is None or self._watching.is_finished:
            self._watching = self._ask_watcher()

    @work(thread=True, exit_on_error=False, group="dash-changes")
    def _ask_watcher(self) -> None:
        with self._watch_lock:
            changed = self._watcher is not None and self._watcher.changed()
        if changed:
            self.post_message(self.Committed())

    def on_dashboard_screen_committed(self, event: Committed) -> None:
        if self.is_current:  # otherwise everything is read again when the screen resumes
            self.load()

    # --- keys ----------------------------------------------------------------------------

    def action_period(self, name: str) -> None:
        self.period = PeriodName(name)
        for tile in self.query(KpiTile):
            tile.period = self.period
        self._show_backlog_period()
        self._show_title()
        self._show_status()
        # Only the tables depend on the period: the tiles show all three already.
        self._read_groups(self._ask("dash-groups"), self.spans[self.period])

    def action_reload(self) -> None:
        self.load()

    def on_descendant_focus(self) -> None:
        focused = self.focused
        if isinstance(focused, KpiTile):
            self.query_one(KpiTrend).spec = focused.spec

    @on(KpiTile.Explain)
    def explain(self, event: KpiTile.Explain) -> None:
        from dispatcher.screens.dashboard_explain import ExplainScreen

        span = self.spans.get(self.period)
        if span is None:
            return
        values = event.tile.values or {}
        value = values.get(event.tile.period if len(event.tile.periods) > 1 else PeriodName.today)
        self.app.push_screen(
            ExplainScreen(self.context, spec=event.tile.spec, span=span, values=value)
        )

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id != "dash-risk":
            return
        event.stop()
        if event.row_key.value is not None:
            self.open_ticket(int(event.row_key.value))

    def open_ticket(self, ticket_id: int) -> None:
        from dispatcher.screens.ticket import TicketScreen

        self.app.push_screen(TicketScreen(self.context, ticket_id=ticket_id))


def _tile_id(spec: TileSpec) -> str:
    return "tile-" + spec.key.replace(".", "-")


def _row_key(table: DataTable[Any]) -> str | None:
    if table.row_count == 0:
        return None
    return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value


def _restore(table: DataTable[Any], key: str | None) -> None:
    if key is None:
        return
    for n, row_key in enumerate(table.rows):
        if row_key.value == key:
            table.move_cursor(row=n)
            return
