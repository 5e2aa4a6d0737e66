"""The alerts panel: the open SLA alerts for the signed-in person, one row per ticket and
target, each naming the target, the ticket's owner, the deadline (in the operator's zone,
with the date) and the time left or how late it is. Enter opens the alert's ticket.

It reads again every `Intervals.alerts` seconds while it is shown, when it comes back from
a ticket, and after an acknowledge or a snooze; then it tells the app (`Changed`), whose
header count follows at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static
from textual.worker import Worker

from dispatcher import vocabulary
from dispatcher.domain.enums import AlertKind
from dispatcher.screens.context import ScreenContext
from dispatcher.screens.workers import WorkerErrors
from dispatcher.store.sla import alerts
from dispatcher.text import late_by, plain, time_left, when

SNOOZE = timedelta(minutes=30)
# Fixed widths; the subject takes what the terminal has left (each cell pads 1 a side).
COLUMNS = (
    ("Ticket", 6),
    ("Alert", 7),
    ("Target", 14),
    ("Owner", 14),
    ("Subject", 0),
    ("Due", 16),
    ("Left", 12),
)
MIN_SUBJECT = 14


def subject_width(total: int) -> int:
    fixed = sum(width + 2 for _, width in COLUMNS if width) + 2 + 2  # padding, scrollbar
    return max(MIN_SUBJECT, total - fixed)


def left_text(row: alerts.AlertView, now: datetime) -> str:
    """`2h 05m left`, or `6h 02m late` once the deadline has passed; mail to look at has
    no deadline, only the time it has waited (`2h 05m ago`)."""
    if row.kind == AlertKind.attention:
        return f"{late_by(row.due_at, now)} {vocabulary.word('ago')}"
    if row.due_at <= now:
        return f"{late_by(row.due_at, now)} late"
    return f"{time_left(row.due_at, now)} left"


def row_cells(row: alerts.AlertView, now: datetime, zone: Any) -> list[Text]:
    breach = row.is_breach
    # Mail to look at has no SLA target (the row's target is a placeholder): say what it is
    # in words that fit the columns.
    mail = row.kind == AlertKind.attention
    kind = vocabulary.word("mail") if mail else vocabulary.alert_kind(row.kind)
    return [
        Text(f"#{row.ticket_id}"),
        Text(kind, style="bold" if breach else ""),
        Text(vocabulary.word("to review") if mail else vocabulary.target(row.target)),
        Text(plain(row.owner) if row.owner else vocabulary.word("unassigned")),
        Text(plain(row.subject)),
        Text(when(row.due_at, zone, weekday=False)),
        Text(left_text(row, now), style="bold" if row.due_at <= now else ""),
    ]


class AlertsScreen(WorkerErrors, Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open", id="alerts.open", tooltip="Open the alert's ticket"),
        Binding("a", "acknowledge", "Acknowledge", id="alerts.acknowledge", tooltip="Dealt with"),
        Binding("s", "snooze", "Snooze 30 min", id="alerts.snooze", tooltip="Hide for 30 min"),
        Binding("g", "reload", "Reload", id="alerts.reload", show=False, tooltip="Read again"),
        Binding("escape", "app.pop_screen", "Back", id="alerts.back", tooltip="Back"),
        Binding("j", "cursor_down", "Down", id="alerts.down", show=False),
        Binding("k", "cursor_up", "Up", id="alerts.up", show=False),
    ]

    @dataclass
    class Loaded(Message):
        rows: list[alerts.AlertView]
        at: datetime

    class Changed(Message):
        """An alert was acknowledged or snoozed here: the app's count reads again."""

    def __init__(self, context: ScreenContext) -> None:
        super().__init__()
        self.context = context
        self.rows: dict[int, alerts.AlertView] | None = None  # by alert id, once read

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Open SLA alerts", id="alerts-title")
        yield DataTable(id="alerts-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for label, width in COLUMNS:
            width = width or subject_width(self.app.size.width)
            table.add_column(label, key=label.lower(), width=width)
        self.load()
        every = self.context.intervals.alerts
        if every is not None:
            self.set_interval(every, self.load)

    @work(thread=True, exclusive=True, exit_on_error=False, group="alerts")
    def load(self) -> None:
        me, now = self.context.operator, self.context.clock()
        with self.context.store.read() as session:
            rows = alerts.open_alerts(session, user_id=me.id, role=me.role, now=now)
        self.post_message(self.Loaded(rows, now))

    def on_alerts_screen_loaded(self, event: Loaded) -> None:
        table = self.query_one(DataTable)
        keep = self._selected()
        table.clear()
        self.rows = {row.id: row for row in event.rows}
        zone = self.context.operator.zone
        for row in event.rows:
            table.add_row(*row_cells(row, event.at, zone), key=str(row.id))
        for n, row in enumerate(event.rows):
            if row.id == keep:
                table.move_cursor(row=n)
        count = len(event.rows)
        zone_name = getattr(zone, "key", None) or str(zone)
        title = self.query_one("#alerts-title", Static)
        title.update(
            Text(f"Open SLA alerts: {count} · times in {zone_name}" if count else "No open alerts")
        )

    def _selected(self) -> int | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return int(key) if key is not None else None

    def on_screen_resume(self) -> None:
        if self.rows is not None:
            self.load()  # back from a ticket: what was done there may have closed alerts

    def action_reload(self) -> None:
        self.load()

    def action_open(self) -> None:
        alert_id = self._selected()
        if alert_id is not None:
            self._open(alert_id)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self._open(int(event.row_key.value))

    def _open(self, alert_id: int) -> None:
        from dispatcher.screens.ticket import TicketScreen

        row = (self.rows or {}).get(alert_id)
        if row is not None:
            self.app.push_screen(TicketScreen(self.context, ticket_id=row.ticket_id))

    def action_acknowledge(self) -> None:
        row = (self.rows or {}).get(self._selected() or 0)
        if row is not None:
            self.change(row.ids or (row.id,), snooze=False)

    def action_snooze(self) -> None:
        row = (self.rows or {}).get(self._selected() or 0)
        if row is not None:
            self.change(row.ids or (row.id,), snooze=True)

    @work(thread=True, exit_on_error=False, group="alerts-write")
    def change(self, alert_ids: tuple[int, ...], *, snooze: bool) -> None:
        now = self.context.clock()
        with self.context.store.write() as session:
            if snooze:
                alerts.snooze_all(session, alert_ids=alert_ids, until=now + SNOOZE, now=now)
            else:
                user_id = self.context.operator.id
                alerts.acknowledge_all(session, alert_ids=alert_ids, user_id=user_id, now=now)
        self.post_message(self.Changed())

    def on_alerts_screen_changed(self, event: Changed) -> None:
        self.load()  # the message goes on to the app, whose count reads again

    def show_worker_error(self, worker: Worker[Any], text: str) -> None:
        self.notify(text, title="Alerts", severity="error", markup=False)

    def action_cursor_down(self) -> None:
        self.query_one(DataTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(DataTable).action_cursor_up()
