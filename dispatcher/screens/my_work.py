"""An engineer's own work: their assigned active tickets, most urgent first, then a section
of the unassigned tickets nobody has classified yet ("take next" matches categories to
competences, so it never offers those); `t` takes the next most urgent ticket they are
eligible for, Enter opens one."""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static
from textual.widgets.data_table import RowDoesNotExist
from textual.worker import Worker

from dispatcher import vocabulary
from dispatcher.screens.context import ScreenContext
from dispatcher.screens.workers import WorkerErrors
from dispatcher.store.tickets import taking
from dispatcher.text import due_cell, plain

UNCLASSIFIED = "Not yet classified"
SECTION_KEY = "section:unclassified"  # the section's heading row: opens nothing
# Fixed widths; the subject takes what the terminal has left (each cell pads 1 a side), so
# Due is on screen at 100 columns.
COLUMNS = (("Ref", 7), ("Pri", 7), ("Client", 18), ("Subject", 0), ("Status", 17), ("Due", 12))
MIN_SUBJECT = 20


def subject_width(total: int) -> int:
    fixed = sum(width + 2 for _, width in COLUMNS if width) + 2 + 2  # padding, scrollbar
    return max(MIN_SUBJECT, total - fixed)


def _cells(row: taking.WorkRow, now: datetime) -> list[Text]:
    return [
        Text(row.ref),
        Text(vocabulary.priority(row.priority)),
        Text(plain(row.client or "—")),
        Text(plain(row.subject)),
        Text(vocabulary.status(row.status)),
        Text(due_cell(row.due_target, row.next_due_at, row.sla_paused_since, now)),
    ]


class MyWorkScreen(WorkerErrors, Screen[None]):
    CSS_PATH = Path(__file__).parent / "ticket.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "t", "take_next", "Take next", id="my_work.take_next", tooltip="Most urgent for me"
        ),
        Binding("enter", "open", "Open", id="my_work.open", tooltip="Open the ticket"),
        Binding("g", "reload", "Reload", id="my_work.reload", tooltip="Read the list again"),
        Binding("j", "cursor_down", "Down", id="my_work.down", show=False),
        Binding("k", "cursor_up", "Up", id="my_work.up", show=False),
    ]

    @dataclass
    class Loaded(Message):
        rows: list[taking.WorkRow]
        unclassified: list[taking.WorkRow]
        at: datetime

    @dataclass
    class Took(Message):
        ticket_id: int | None

    def __init__(self, context: ScreenContext) -> None:
        super().__init__()
        self.context = context
        self.rows: list[taking.WorkRow] = []
        self.unclassified: list[taking.WorkRow] = []
        self.note = ""  # what the last action said, kept across refreshes
        self.last_row = 0  # the row the cursor was on before it moved, to step over headings

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text(f"My work: {plain(self.context.operator.name)}"), id="work-title")
        yield DataTable(id="work-table", cursor_type="row", zebra_stripes=True)
        yield Static(Text("loading…"), id="work-status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for label, width in COLUMNS:
            width = width or subject_width(self.app.size.width)
            table.add_column(label, key=label.lower(), width=width)
        self.load()
        every = self.context.intervals.my_work
        if every is not None:
            self.set_interval(every, self.load)

    def on_screen_resume(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="my-work")
    def load(self) -> None:
        with self.context.store.read() as session:
            rows = taking.my_work(session, user_id=self.context.operator.id)
            unclassified = taking.unclassified(session)
        self.post_message(self.Loaded(rows, unclassified, self.context.clock()))

    def on_my_work_screen_loaded(self, event: Loaded) -> None:
        table = self.query_one(DataTable)
        selected = self._selected()
        row_before = table.cursor_row
        self.rows = event.rows
        self.unclassified = event.unclassified
        table.clear()
        for row in event.rows:
            table.add_row(*_cells(row, event.at), key=str(row.id))
        if event.unclassified:
            heading = Text(f"{UNCLASSIFIED}: {len(event.unclassified)}", style="bold")
            table.add_row(
                Text(""), Text(""), Text(""), heading, Text(""), Text(""), key=SECTION_KEY
            )
            for row in event.unclassified:
                table.add_row(*_cells(row, event.at), key=str(row.id))
        if selected is not None:
            with suppress(RowDoesNotExist):
                table.move_cursor(row=table.get_row_index(str(selected)))
        elif table.row_count:  # the place is kept when no ticket row was under the cursor
            table.move_cursor(row=min(row_before, table.row_count - 1))
        self._show_status()

    def _show_status(self) -> None:
        """The count, and the last action's outcome, which a routine refresh keeps."""
        status = self.query_one("#work-status", Static)
        status.remove_class("-error")
        count = len(self.rows)
        line = f"{count} active ticket{'s' if count != 1 else ''}, most urgent first"
        if self.unclassified:
            line += f" · {len(self.unclassified)} not yet classified (below)"
        status.update(Text(f"{line} · {self.note}" if self.note else line))

    def _selected(self) -> int | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return int(key) if key is not None and key.isdigit() else None

    @work(thread=True, exclusive=True, exit_on_error=False, group="my-work-take")
    def take_next(self) -> None:
        me, now = self.context.operator.id, self.context.clock()
        with self.context.store.write() as session:
            ticket = taking.take_next(session, user_id=me, now=now)
            taken = ticket.id if ticket is not None else None
        self.post_message(self.Took(taken))

    def on_my_work_screen_took(self, event: Took) -> None:
        if event.ticket_id is None:
            self.note = "nothing to take: no unassigned ticket fits your competences"
            self._show_status()
            return
        self.note = f"took #{event.ticket_id}"
        self._show_status()
        self.open_ticket(event.ticket_id)

    def open_ticket(self, ticket_id: int) -> None:
        from dispatcher.screens.ticket import TicketScreen

        self.app.push_screen(TicketScreen(self.context, ticket_id=ticket_id))

    def show_worker_error(self, worker: Worker[Any], text: str) -> None:
        status = self.query_one("#work-status", Static)
        status.add_class("-error")
        status.update(Text(f"could not do that: {plain(text)}"))

    def action_take_next(self) -> None:
        self.take_next()

    def action_open(self) -> None:
        selected = self._selected()
        if selected is not None:
            self.open_ticket(selected)

    def action_reload(self) -> None:
        self.load()

    def action_cursor_down(self) -> None:
        self.query_one(DataTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(DataTable).action_cursor_up()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """The section's heading is no stop: the cursor goes on in the way it was going
        (up from the heading's first ticket, down from the last assigned one)."""
        if event.row_key.value != SECTION_KEY:
            self.last_row = event.cursor_row
            return
        table = event.data_table
        going_up = self.last_row > event.cursor_row and event.cursor_row > 0
        target = event.cursor_row - 1 if going_up else event.cursor_row + 1
        if 0 <= target < table.row_count:
            table.move_cursor(row=target)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        key = event.row_key.value
        if key is not None and key.isdigit():
            self.open_ticket(int(key))
