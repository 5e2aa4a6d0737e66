"""Explain this number: a dashboard figure's rule in words (`DEFINITIONS`, the README's
wording), its period, its value against the previous period, and the tickets behind it
(`report tickets`: the same rows under the same rules). Enter opens a ticket."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static
from textual.worker import Worker

from dispatcher.read_models.dashboard import (
    DEFINITIONS,
    ExplainRow,
    Span,
    TileSpec,
    Unit,
    show,
)
from dispatcher.screens.context import ScreenContext
from dispatcher.screens.workers import WorkerErrors
from dispatcher.store.reports import kpi
from dispatcher.text import plain

COLUMNS = ("", "Ref", "Pri", "Status", "Client", "Engineer", "Value", "Subject")
LIMIT = 500  # tickets listed; the count says how many there are in all


def value_label(spec: TileSpec) -> str:
    """What the listing's value column holds for this figure's tickets."""
    population = (spec.tickets or "").split(".")[0]
    if spec.counted is not None and population == "resolution":
        return "Reopens"
    return {
        "created": "Channel",
        "first_response": "Business min",
        "resolution": "Business min",
        "sla": "Outcome",
        "csat": "Score",
        "backlog": "Age (days)",
    }.get(population, "Value")


class ExplainScreen(WorkerErrors, Screen[None]):
    CSS_PATH = Path(__file__).parent / "dashboard.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open", id="explain.open", tooltip="Open the ticket"),
        Binding("escape", "app.pop_screen", "Back", id="explain.back", tooltip="The dashboard"),
        Binding("j", "cursor_down", "Down", id="explain.down", show=False, tooltip="Next ticket"),
        Binding("k", "cursor_up", "Up", id="explain.up", show=False, tooltip="Previous ticket"),
    ]

    @dataclass
    class Loaded(Message):
        rows: list[ExplainRow]
        total: int

    def __init__(
        self,
        context: ScreenContext,
        *,
        spec: TileSpec,
        span: Span,
        values: tuple[Any, Any] | None,
    ) -> None:
        super().__init__()
        self.context = context
        self.spec = spec
        self.span = span
        self.values = values
        self.rows: list[ExplainRow] | None = None
        self.total = 0

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(self._heading(), id="explain-title")
        yield Static(Text(self._rule()), id="explain-rule")
        yield Static(Text("the tickets behind it: loading…"), id="explain-count")
        yield DataTable(id="explain-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def _heading(self) -> Text:
        zone = self.context.operator.zone
        fmt = "%a %d %b %Y %H:%M"
        span = self.span
        current, previous = self.values if self.values is not None else (None, None)
        period = (
            f"{span.name.label}: {span.start.astimezone(zone).strftime(fmt)} to "
            f"{span.end.astimezone(zone).strftime(fmt)}; before it: "
            f"{span.previous_start.astimezone(zone).strftime(fmt)} to "
            f"{span.previous_end.astimezone(zone).strftime(fmt)} ({getattr(zone, 'key', zone)})"
        )
        value = f"{show(current, self.spec.unit)} (before: {show(previous, self.spec.unit)})"
        note = f" · {self.spec.note}" if self.spec.note else ""
        return Text(f"{self.spec.label}{note}: {value}\n{period}")

    def _rule(self) -> str:
        definition = DEFINITIONS[self.spec.definition]
        extra = ""
        if self.spec.unit == Unit.minutes:
            extra = " The tile shows the median in business minutes (nearest rank)."
        if self.spec.counted is not None:
            extra += " Listed: the whole population; ✓ marks the tickets the share counts."
        if self.spec.key.startswith("backlog"):
            extra += " Here `to` is the end of the period: now."
        return f"How it is counted: {definition.text}{extra}"

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for column in COLUMNS:
            label = value_label(self.spec) if column == "Value" else column
            table.add_column(label, key=column.lower() or "counted")
        table.focus()
        if self.spec.tickets is None:
            self.query_one("#explain-count", Static).update(
                Text("NPS answers are a client's, not a ticket's: no tickets to list.")
            )
            return
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="explain")
    def load(self) -> None:
        period = kpi.Period(self.span.start, self.span.end)
        zone = self.context.operator.zone
        with self.context.store.read() as session:
            rows, total = kpi.explain_tickets(
                session, spec=self.spec, period=period, zone=zone, limit=LIMIT
            )
        self.post_message(self.Loaded(rows, total))

    def on_explain_screen_loaded(self, event: Loaded) -> None:
        self.rows, self.total = event.rows, event.total
        counted = sum(row.counted for row in event.rows)
        line = f"{event.total} ticket{'s' if event.total != 1 else ''} behind it"
        if self.spec.counted is not None:
            line += f", {counted} of those listed counted (✓)"
        if event.total > len(event.rows):
            line += f" · the first {len(event.rows)} by number shown"
        self.query_one("#explain-count", Static).update(Text(line + " · Enter opens a ticket"))
        table = self.query_one(DataTable)
        table.clear()
        for row in event.rows:
            table.add_row(
                Text("✓" if row.counted and self.spec.counted is not None else ""),
                Text(f"#{row.id}"),
                Text(row.priority),
                Text(row.status),
                Text(plain(row.client or "—")),
                Text(plain(row.engineer or "—")),
                Text(plain(str(row.value))),
                Text(plain(row.subject)),
                key=str(row.id),
            )

    def show_worker_error(self, worker: Worker[Any], text: str) -> None:
        count = self.query_one("#explain-count", Static)
        count.add_class("-error")
        count.update(Text(f"could not read the tickets: {plain(text)}"))

    def selected(self) -> int | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return int(key) if key is not None else None

    def action_open(self) -> None:
        ticket_id = self.selected()
        if ticket_id is not None:
            from dispatcher.screens.ticket import TicketScreen

            self.app.push_screen(TicketScreen(self.context, ticket_id=ticket_id))

    def action_cursor_down(self) -> None:
        self.query_one(DataTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(DataTable).action_cursor_up()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()
