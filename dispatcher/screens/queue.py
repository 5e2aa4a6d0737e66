"""The live queue: active tickets, most urgent first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static
from textual.worker import Worker, WorkerState

from dispatcher.identity import Operator
from dispatcher.store.engine import Store
from dispatcher.store.queue import QueueRow, queue_page
from dispatcher.text import plain, time_left

PAGE_SIZE = 200
# (label, width): fixed widths, so a refresh never re-measures every cell.
COLUMNS = (
    ("Ref", 7),
    ("Pri", 7),
    ("Client", 24),
    ("Subject", 52),
    ("Assignee", 10),
    ("Status", 15),
    ("Due", 9),
)


class QueueScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "reload", "Reload", id="queue.reload", tooltip="Read the queue again"),
        Binding("j", "cursor_down", "Down", id="queue.down", show=False),
        Binding("k", "cursor_up", "Up", id="queue.up", show=False),
    ]

    @dataclass
    class Loaded(Message):
        rows: list[QueueRow]
        at: datetime

    def __init__(self, *, store: Store, operator: Operator) -> None:
        super().__init__()
        self.store = store
        self.operator = operator

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(id="queue-table", cursor_type="row", zebra_stripes=True)
        yield Static("loading…", id="queue-status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for label, width in COLUMNS:
            table.add_column(label, key=label.lower(), width=width)
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="queue")
    def load(self) -> None:
        with self.store.read() as session:
            page = queue_page(session, queue_id=None, limit=PAGE_SIZE)
        self.post_message(self.Loaded(page.rows, datetime.now(UTC)))

    def on_queue_screen_loaded(self, event: Loaded) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for row in event.rows:
            table.add_row(
                Text(row.ref),
                Text(row.priority),
                Text(plain(row.client or "—")),
                Text(plain(row.subject)),
                Text(plain(row.assignee or "—")),
                Text(row.status),
                Text(time_left(row.next_due_at, event.at)),
                key=str(row.id),
            )
        status = self.query_one("#queue-status", Static)
        status.remove_class("-error")
        status.update(f"{len(event.rows)} active tickets, most urgent first")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            status = self.query_one("#queue-status", Static)
            status.add_class("-error")
            status.update(Text(f"could not read the queue: {plain(str(event.worker.error))}"))

    def action_reload(self) -> None:
        self.load()

    def action_cursor_down(self) -> None:
        self.query_one(DataTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(DataTable).action_cursor_up()
