"""Needs review: mail held because its sender may not write to the ticket it claims.

Each row says who sent it, its subject, which ticket it claims and why it was held, and
when it came in (in the operator's zone). Accept lets it onto the ticket (`c` also makes
the sender a contact of the ticket's client first), reject keeps it out for good, Enter
opens the claimed ticket. The same store functions as `admin intake review` do the work
(`dispatcher.store.mail.review`), each in a thread worker.

The list is live: every `Intervals.changes` seconds (or by hand, `poll()`) one indexed
read asks how many messages wait and which is the newest; the list is read again only
when that changed, keeping the cursor on the message it was on.
"""

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

from dispatcher.domain.errors import DispatcherError
from dispatcher.screens.context import ScreenContext
from dispatcher.screens.workers import WorkerErrors
from dispatcher.store.mail import review
from dispatcher.store.mail.review import HeldView
from dispatcher.text import plain

BODY_LINES = 12  # of the highlighted message's text, under the list


class ReviewScreen(WorkerErrors, Screen[None]):
    CSS_PATH = Path(__file__).parent / "review.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="review.back", tooltip="Back"),
        Binding("a", "accept", "Accept", id="review.accept", tooltip="Let it onto its ticket"),
        Binding(
            "c",
            "accept_contact",
            "Accept + contact",
            id="review.accept_contact",
            tooltip="Make the sender a contact of the ticket's client, then let it in",
        ),
        Binding("x", "reject", "Reject", id="review.reject", tooltip="Keep it out for good"),
        Binding("enter", "open", "Open ticket", id="review.open", tooltip="The ticket it claims"),
        Binding("g", "reload", "Reload", id="review.reload", show=False, tooltip="Read again"),
        Binding("j", "cursor_down", "Down", id="review.down", show=False),
        Binding("k", "cursor_up", "Up", id="review.up", show=False),
    ]

    @dataclass
    class Loaded(Message):
        rows: list[HeldView]
        signature: tuple[int, int]

    @dataclass
    class Polled(Message):
        signature: tuple[int, int]

    @dataclass
    class Decided(Message):
        text: str

    @dataclass
    class Refused(Message):
        text: str

    def __init__(self, context: ScreenContext) -> None:
        super().__init__()
        self.context = context
        self.rows: list[HeldView] | None = None  # None until first read
        self.signature: tuple[int, int] | None = None
        self.rejecting: int | None = None  # the held id `x` was pressed on once

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text("Needs review: loading…"), id="review-title")
        yield DataTable(id="review-table", cursor_type="row", zebra_stripes=True)
        yield Static(Text(""), id="review-detail")
        yield Static(Text(""), id="review-message")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for label, width in (
            ("Received", 16),
            ("From", 28),
            ("Subject", 30),
            ("Claims", 7),
            ("Why held", 60),
        ):
            table.add_column(label, key=label.lower(), width=width)
        table.focus()
        self.load()
        every = self.context.intervals.changes
        if every is not None:
            self.set_interval(every, self.poll)

    # --- reading ----------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="review-load")
    def load(self) -> None:
        with self.context.store.read() as session:
            rows = review.held_mail(session)
            signature = review.waiting(session)
        self.post_message(self.Loaded(rows, signature))

    @work(thread=True, exclusive=True, exit_on_error=False, group="review-poll")
    def poll(self) -> None:
        """Has held mail come or gone? (every `Intervals.changes` seconds, or by hand)"""
        with self.context.store.read() as session:
            signature = review.waiting(session)
        self.post_message(self.Polled(signature))

    def on_review_screen_polled(self, event: Polled) -> None:
        if self.signature is not None and event.signature != self.signature:
            self.load()

    def on_review_screen_loaded(self, event: Loaded) -> None:
        table = self.query_one(DataTable)
        was = self._selected()
        self.rows, self.signature = event.rows, event.signature
        zone = self.context.operator.zone
        table.clear()
        for row in event.rows:
            sender = f"{row.from_name} <{row.from_address}>" if row.from_name else row.from_address
            table.add_row(
                Text(f"{row.received_at.astimezone(zone):%Y-%m-%d %H:%M}"),
                Text(plain(sender)),
                Text(plain(row.subject)),
                Text(f"#{row.ticket_id}"),
                Text(plain(row.reason)),
                key=str(row.id),
            )
        keys = [r.id for r in event.rows]
        if was is not None and was.id in keys:
            table.move_cursor(row=keys.index(was.id))
        count = len(event.rows)
        noun = "message" if count == 1 else "messages"
        title = f"Needs review: {count} held {noun}" if count else "Needs review: nothing held"
        self.query_one("#review-title", Static).update(Text(title, style="bold"))
        self.set_class(count == 0, "-empty")
        self._show_detail()

    def _selected(self) -> HeldView | None:
        table = self.query_one(DataTable)
        if not self.rows or table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((r for r in self.rows if str(r.id) == key), None)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.rejecting = None
        self._show_detail()

    def _show_detail(self) -> None:
        row = self._selected()
        detail = self.query_one("#review-detail", Static)
        if row is None:
            detail.update(Text(""))
            return
        zone = self.context.operator.zone
        text = Text()
        text.append("From: ", style="bold")
        text.append(plain(row.from_address))
        text.append("   Claims: ", style="bold")
        text.append(f"#{row.ticket_id}")
        text.append("   Received: ", style="bold")
        text.append(f"{row.received_at.astimezone(zone):%Y-%m-%d %H:%M %Z}")
        if row.attachments:
            text.append(f"   {row.attachments} attached", style="dim")
        text.append("\nWhy held: ", style="bold")
        text.append(plain(row.reason))
        text.append("\n\n")
        lines = row.body.splitlines()
        text.append(plain("\n".join(lines[:BODY_LINES])))
        if len(lines) > BODY_LINES:
            text.append(f"\n⋯ {len(lines) - BODY_LINES} more lines", style="dim")
        detail.update(text)

    # --- deciding ---------------------------------------------------------------------

    def action_accept(self) -> None:
        row = self._selected()
        if row is not None:
            self.decide(row.id, accept=True, add_contact=False)

    def action_accept_contact(self) -> None:
        row = self._selected()
        if row is not None:
            self.decide(row.id, accept=True, add_contact=True)

    def action_reject(self) -> None:
        """Twice on the same message: rejecting is for good."""
        row = self._selected()
        if row is None:
            return
        if self.rejecting != row.id:
            self.rejecting = row.id
            self._say(
                f"press x again to reject the mail from {row.from_address} for good", error=True
            )
            return
        self.rejecting = None
        self.decide(row.id, accept=False, add_contact=False)

    @work(thread=True, exit_on_error=False, group="review-write")
    def decide(self, held_id: int, *, accept: bool, add_contact: bool) -> None:
        me, now = self.context.operator.id, self.context.clock()
        try:
            with self.context.store.write() as session:
                if accept:
                    result = review.accept(
                        session, held_id=held_id, actor_id=me, now=now, add_contact=add_contact
                    )
                    text = f"accepted onto #{result.ticket_id}"
                    if add_contact:
                        text += "; the sender is now a contact of its client"
                else:
                    row = review.reject(session, held_id=held_id, actor_id=me, now=now)
                    text = f"rejected the mail from {row.from_address}"
        except DispatcherError as exc:
            self.post_message(self.Refused(str(exc)))
        else:
            self.post_message(self.Decided(text))

    def on_review_screen_decided(self, event: Decided) -> None:
        self._say(event.text, error=False)
        self.load()

    def on_review_screen_refused(self, event: Refused) -> None:
        self._say(event.text, error=True)
        self.load()  # it may have been decided by someone else meanwhile

    # --- moving about -----------------------------------------------------------------

    def action_open(self) -> None:
        from dispatcher.screens.ticket import TicketScreen

        row = self._selected()
        if row is not None:
            self.app.push_screen(TicketScreen(self.context, ticket_id=row.ticket_id))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def on_screen_resume(self) -> None:
        if self.rows is not None:
            self.load()

    def action_reload(self) -> None:
        self.load()

    def action_cursor_down(self) -> None:
        self.query_one(DataTable).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(DataTable).action_cursor_up()

    def show_worker_error(self, worker: Worker[Any], text: str) -> None:
        self._say(f"could not do that: {text}", error=True)

    def _say(self, text: str, *, error: bool) -> None:
        line = self.query_one("#review-message", Static)
        line.set_class(error, "-error")
        line.update(Text(plain(text)))
