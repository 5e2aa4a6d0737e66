"""The alerts panel: open SLA alerts for the signed-in person, with time left; Enter opens
the alert's ticket."""

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

from dispatcher.screens.context import ScreenContext
from dispatcher.screens.workers import WorkerErrors
from dispatcher.store.sla import alerts
from dispatcher.text import plain, time_left

SNOOZE = timedelta(minutes=30)


class AlertsScreen(WorkerErrors, Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open", id="alerts.open", tooltip="Open the alert's ticket"),
        Binding("a", "acknowledge", "Acknowledge", id="alerts.acknowledge"),
        Binding("s", "snooze", "Snooze 30 min", id="alerts.snooze"),
        Binding("escape", "app.pop_screen", "Back", id="alerts.back"),
        Binding("j", "cursor_down", "Down", id="alerts.down", show=False),
        Binding("k", "cursor_up", "Up", id="alerts.up", show=False),
    ]

    @dataclass
    class Loaded(Message):
        rows: list[alerts.AlertView]
        at: datetime

    def __init__(self, context: ScreenContext) -> None:
        super().__init__()
        self.context = context
        self.tickets: dict[int, int] | None = None  # alert id -> ticket id, once read

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Open SLA alerts", id="alerts-title")
        yield DataTable(id="alerts-table", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for column in ("Ticket", "Alert", "Subject", "Due", "Left"):
            table.add_column(column, key=column.lower())
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="alerts")
    def load(self) -> None:
        me, now = self.context.operator, self.context.clock()
        with self.context.store.read() as session:
            rows = alerts.open_alerts(session, user_id=me.id, role=me.role, now=now)
        self.post_message(self.Loaded(rows, now))

    def on_alerts_screen_loaded(self, event: Loaded) -> None:
        table = self.query_one(DataTable)
        table.clear()
        self.tickets = {row.id: row.ticket_id for row in event.rows}
        zone = self.context.operator.zone
        for row in event.rows:
            kind = Text(row.kind.value, style="bold" if row.kind == "breach" else "")
            table.add_row(
                Text(f"#{row.ticket_id}"),
                kind,
                Text(plain(row.subject)),
                Text(f"{row.due_at.astimezone(zone):%a %H:%M}"),
                Text(time_left(row.due_at, event.at)),
                key=str(row.id),
            )
        title = self.query_one("#alerts-title", Static)
        title.update(f"Open SLA alerts: {len(event.rows)}")

    def _selected(self) -> int | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return int(key) if key is not None else None

    def on_screen_resume(self) -> None:
        if self.tickets is not None:
            self.load()  # back from a ticket: what was done there may have closed alerts

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

        ticket_id = (self.tickets or {}).get(alert_id)
        if ticket_id is not None:
            self.app.push_screen(TicketScreen(self.context, ticket_id=ticket_id))

    def action_acknowledge(self) -> None:
        alert_id = self._selected()
        if alert_id is not None:
            self.change(alert_id, snooze=False)

    def action_snooze(self) -> None:
        alert_id = self._selected()
        if alert_id is not None:
            self.change(alert_id, snooze=True)

    @work(thread=True, exit_on_error=False, group="alerts-write")
    def change(self, alert_id: int, *, snooze: bool) -> None:
        now = self.context.clock()
        with self.context.store.write() as session:
            if snooze:
                alerts.snooze(session, alert_id=alert_id, until=now + SNOOZE, now=now)
            else:
                user_id = self.context.operator.id
                alerts.acknowledge(session, alert_id=alert_id, user_id=user_id, now=now)
        self.app.call_from_thread(self.load)

    def show_worker_error(self, worker: Worker[Any], text: str) -> None:
        self.notify(text, title="Alerts", severity="error", markup=False)

    def action_cursor_down(self) -> None:
        self.query_one(DataTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(DataTable).action_cursor_up()
