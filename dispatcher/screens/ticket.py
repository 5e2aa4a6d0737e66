"""Ticket detail: every field, the thread, the history, the SLA panel with its timeline,
who else has it open; and every action on it from the keyboard.

Every database call runs in a thread worker that posts a typed message back. Each write
carries the version the operator saw when they started the action; a stale one is refused
by the store (`StaleVersionError`) and shown as a message naming what changed, and the view
reloads. The view also reloads by itself when someone else changes the ticket (its version
is polled every `Intervals.ticket_poll` seconds: one indexed read), and beats a presence
heartbeat so others see who is looking at it. The actions that go through a dialog are in
`ticket_actions`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from sqlmodel import Session
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Static, TabbedContent, TabPane
from textual.worker import Worker

from dispatcher import vocabulary
from dispatcher.domain.enums import MessageKind, TicketStatus
from dispatcher.domain.errors import DispatcherError, StaleVersionError
from dispatcher.read_models.presence import Viewer
from dispatcher.read_models.tickets import ThreadMessage, TicketDetail, TicketView
from dispatcher.screens.context import ScreenContext
from dispatcher.screens.ticket_actions import TicketActions, Write
from dispatcher.screens.workers import WorkerErrors
from dispatcher.store.mail import attachments
from dispatcher.store.tickets import presence, reading, taking
from dispatcher.store.tickets.history import changed_by_others
from dispatcher.text import plain, when
from dispatcher.widgets.folder_dialog import FolderDialog, default_folder
from dispatcher.widgets.presence_bar import PresenceBar
from dispatcher.widgets.sla_panel import SlaPanel
from dispatcher.widgets.thread import MessageView, ThreadView
from dispatcher.widgets.ticket_fields import TicketFields

WRITE = "ticket-write"  # the worker group of the one write path


class TicketScreen(WorkerErrors, TicketActions):
    CSS_PATH = Path(__file__).parent / "ticket.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", id="ticket.back", tooltip="Back"),
        Binding("r", "reply", "Reply", id="ticket.reply", tooltip="Public reply to the client"),
        Binding("n", "note", "Note", id="ticket.note", tooltip="Internal note for the team"),
        Binding("c", "classify", "Classify", id="ticket.classify", tooltip="Category, priority…"),
        Binding("a", "assign", "Assign", id="ticket.assign", tooltip="Assign, with a suggestion"),
        Binding("t", "take", "Take", id="ticket.take", tooltip="Assign to me and start"),
        Binding("s", "status", "Status", id="ticket.status", tooltip="Waiting, resolved, …"),
        Binding("e", "escalate", "Escalate", id="ticket.escalate", tooltip="Colleague or vendor"),
        Binding("m", "merge", "Merge", id="ticket.merge", show=False, tooltip="Merge into another"),
        Binding("l", "link", "Link", id="ticket.link", show=False, tooltip="Link to another"),
        Binding("p", "log_call", "Call", id="ticket.call", show=False, tooltip="Log a phone call"),
        Binding("z", "fold", "Quotes", id="ticket.fold", show=False, tooltip="Fold quoted text"),
        Binding(
            "d",
            "save_attachments",
            "Save files",
            id="ticket.save_attachments",
            show=False,
            tooltip="Save the focused message's attachments to a folder",
        ),
        Binding("g", "reload", "Reload", id="ticket.reload", show=False, tooltip="Read again"),
        Binding("1", "tab('thread')", "Thread", id="ticket.tab.thread", show=False),
        Binding("2", "tab('history')", "History", id="ticket.tab.history", show=False),
        Binding("3", "tab('sla')", "SLA", id="ticket.tab.sla", show=False),
    ]

    @dataclass
    class Loaded(Message):
        view: TicketView
        at: datetime

    @dataclass
    class Polled(Message):
        version: int
        by_others: bool = True  # a version after the one shown was made by someone else

    @dataclass
    class Viewers(Message):
        viewers: list[Viewer]

    @dataclass
    class Done(Message):
        text: str

    @dataclass
    class Refused(Message):
        text: str
        stale: bool

    @dataclass
    class Saved(Message):
        paths: list[Path]
        folder: Path

    def __init__(self, context: ScreenContext, *, ticket_id: int, live: bool = True) -> None:
        super().__init__()
        self.context = context
        self.ticket_id = ticket_id
        self.live = live  # poll and show presence; snapshot tests turn it off
        self.view: TicketView | None = None
        self.expand_quotes = False
        self.writing = 0  # own writes in flight: their version bumps are not "someone else"

    # --- layout -----------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text(f"#{self.ticket_id} loading…"), id="ticket-title")
        yield PresenceBar(id="ticket-presence")
        with Horizontal(id="ticket-body"):
            with VerticalScroll(id="ticket-side"):
                yield TicketFields(id="ticket-fields")
            with TabbedContent(id="ticket-tabs", initial="thread"):
                with TabPane("Thread", id="thread"):
                    yield ThreadView(id="ticket-thread")
                with TabPane("History", id="history"):
                    yield DataTable(id="ticket-history", cursor_type="row", zebra_stripes=True)
                with TabPane("SLA", id="sla"), VerticalScroll():
                    yield SlaPanel(id="ticket-sla")
        yield Static("", id="ticket-message")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#ticket-history", DataTable)
        for label, width in (("When", 20), ("Who", 10), ("What", 48), ("Why", 30), ("v", 4)):
            table.add_column(label, key=label.lower(), width=width)
        self.load()
        if self.live:
            self.beat()
            intervals = self.context.intervals
            if intervals.ticket_poll is not None:
                self.set_interval(intervals.ticket_poll, self.poll)
            if intervals.heartbeat is not None:
                self.set_interval(intervals.heartbeat, self.beat)

    def on_unmount(self) -> None:
        if self.live:
            store, user_id, ticket_id = self.context.store, self.context.operator.id, self.ticket_id

            def leave() -> None:
                with store.write() as session:
                    presence.leave(session, user_id=user_id, ticket_id=ticket_id)

            self.app.run_worker(leave, thread=True, exit_on_error=False, group="presence-leave")

    # --- reading ----------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="ticket-load")
    def load(self) -> None:
        now = self.context.clock()
        with self.context.store.read() as session:
            view = reading.ticket_view(session, ticket_id=self.ticket_id, now=now)
        self.post_message(self.Loaded(view, now))

    @work(thread=True, exclusive=True, exit_on_error=False, group="ticket-poll")
    def poll(self) -> None:
        """Has anybody changed the ticket, and who else has it open? (every `ticket_poll`
        seconds, or by hand: a colleague who opens it shows within a poll, not a beat)"""
        seen = self.view.detail.version if self.view is not None else None
        me, now = self.context.operator.id, self.context.clock()
        with self.context.store.read() as session:
            version = reading.ticket_version(session, ticket_id=self.ticket_id)
            by_others = seen is not None and changed_by_others(
                session,
                ticket_id=self.ticket_id,
                seen=seen,
                current=version,
                user_id=me,
            )
            others = presence.viewers(
                session, ticket_id=self.ticket_id, now=now, exclude_user_id=me
            )
        self.post_message(self.Polled(version, by_others))
        self.post_message(self.Viewers(others))

    @work(thread=True, exclusive=True, exit_on_error=False, group="ticket-presence")
    def beat(self) -> None:
        """Say we are looking, and see who else is (every `heartbeat` seconds, or by hand)."""
        store, me, now = self.context.store, self.context.operator.id, self.context.clock()
        with store.write() as session:
            presence.heartbeat(session, user_id=me, ticket_id=self.ticket_id, now=now)
        with store.read() as session:
            others = presence.viewers(
                session, ticket_id=self.ticket_id, now=now, exclude_user_id=me
            )
        self.post_message(self.Viewers(others))

    def on_ticket_screen_loaded(self, event: Loaded) -> None:
        if self.view is not None and event.view.detail.version < self.view.detail.version:
            return  # an older read that arrived late (a cancelled load's thread ran on)
        view = self.view = event.view
        d = view.detail
        zone = self.context.operator.zone
        title = Text(f"{d.ref} ", style="bold")
        title.append(plain(d.subject))
        status, priority = vocabulary.status(d.status), vocabulary.priority(d.priority)
        title.append(f"  [{status} · {priority}]", style="dim")
        self.query_one("#ticket-title", Static).update(title)
        self.sub_title = f"{d.ref} · v{d.version}"
        self.query_one(TicketFields).show(d, event.at, zone)
        self.query_one(ThreadView).show(view.messages, expand=self.expand_quotes, zone=zone)
        self.query_one(SlaPanel).show(view.sla, zone)
        table = self.query_one("#ticket-history", DataTable)
        table.clear()
        for n, h in enumerate(view.history):
            table.add_row(
                Text(when(h.at, zone)),
                Text(plain(h.actor)),
                Text(plain(h.text)),
                Text(plain(h.reason)),
                Text(str(h.version)),
                key=str(n),
            )
        for status in TicketStatus:
            self.set_class(d.status == status, f"-{status.value}")

    def on_ticket_screen_polled(self, event: Polled) -> None:
        if self.view is None or self.writing or event.version <= self.view.detail.version:
            return  # nothing new (or an older answer that arrived late)
        if event.by_others:
            self._say("the ticket was changed by someone else; shown as it is now", error=False)
        self.load()

    def on_ticket_screen_viewers(self, event: Viewers) -> None:
        self.query_one(PresenceBar).show(event.viewers)

    def show_worker_error(self, worker: Worker[Any], text: str) -> None:
        if worker.group == WRITE:
            self.writing = max(0, self.writing - 1)
        self._say(f"could not do that: {text}", error=True)

    def _say(self, text: str, *, error: bool) -> None:
        line = self.query_one("#ticket-message", Static)
        line.set_class(error, "-error")
        line.update(Text(plain(text)))

    # --- writing ----------------------------------------------------------------------

    @work(thread=True, exit_on_error=False, group=WRITE)
    def write(self, what: str, version: int, change: Write) -> None:
        try:
            with self.context.store.write() as session:
                change(session, version)
        except StaleVersionError as exc:
            self.post_message(self.Refused(str(exc), stale=True))
            return
        except DispatcherError as exc:
            self.post_message(self.Refused(str(exc), stale=False))
            return
        self.post_message(self.Done(what))

    def _write(self, what: str, version: int, change: Write) -> None:
        self.writing += 1
        self.write(what, version, change)

    def on_ticket_screen_done(self, event: Done) -> None:
        self.writing = max(0, self.writing - 1)
        self._say(event.text, error=False)
        self.load()

    def on_ticket_screen_refused(self, event: Refused) -> None:
        self.writing = max(0, self.writing - 1)
        text = event.text
        if event.stale:
            text += ". Nothing was saved; the ticket is reloaded: check it and try again."
        self._say(text, error=True)
        self.notify(
            text,
            title="Not saved" if event.stale else "Refused",
            severity="error",
            markup=False,
        )
        if event.stale:
            self.load()

    def _opened(self) -> tuple[TicketDetail, int] | None:
        """The ticket as the operator sees it, and its version: what an action acts on."""
        if self.view is None:
            return None
        return self.view.detail, self.view.detail.version

    # --- actions ----------------------------------------------------------------------

    def action_reload(self) -> None:
        self.load()

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    def action_fold(self) -> None:
        self.expand_quotes = not self.expand_quotes
        if self.view is not None:
            self.query_one(ThreadView).show(
                self.view.messages, expand=self.expand_quotes, zone=self.context.operator.zone
            )

    # --- attachments --------------------------------------------------------------------

    def _attachments_message(self) -> ThreadMessage | None:
        """The focused message, else the latest one with attachments."""
        focused = self.focused
        if isinstance(focused, MessageView):
            return focused.message
        if self.view is None:
            return None
        return next((m for m in reversed(self.view.messages) if m.attachments), None)

    def action_save_attachments(self) -> None:
        message = self._attachments_message()
        if message is None or not message.attachments:
            self._say("no attachments on this message", error=True)
            return
        names = [a.name for a in message.attachments]

        def chosen(folder: Path | None) -> None:
            if folder is not None:
                self.save_attachments(message.id, names, folder)

        self.app.push_screen(FolderDialog(names=names, folder=default_folder()), chosen)

    @work(thread=True, exit_on_error=False, group="ticket-save")
    def save_attachments(self, message_id: int, names: list[str], folder: Path) -> None:
        saved: list[Path] = []
        with self.context.store.read() as session:
            for name in dict.fromkeys(names):
                saved.append(
                    attachments.save_attachment(
                        session,
                        ticket_id=self.ticket_id,
                        name=name,
                        to_dir=folder,
                        message_id=message_id,
                    )
                )
        self.post_message(self.Saved(saved, folder))

    def on_ticket_screen_saved(self, event: Saved) -> None:
        count = len(event.paths)
        noun = "attachment" if count == 1 else "attachments"
        names = ", ".join(p.name for p in event.paths)
        self._say(f"saved {count} {noun} to {event.folder}: {names}", error=False)

    def _compose_message(self, kind: MessageKind) -> None:
        from dispatcher.screens.composer import ComposerScreen

        opened = self._opened()
        if opened is None:
            return
        self.app.push_screen(
            ComposerScreen(
                self.context,
                ticket_id=self.ticket_id,
                kind=kind,
                opened_version=opened[1],
            ),
            self._after_compose,
        )

    def _after_compose(self, _sent: bool | None) -> None:
        self.load()

    def action_reply(self) -> None:
        self._compose_message(MessageKind.reply)

    def action_note(self) -> None:
        self._compose_message(MessageKind.note)

    def action_take(self) -> None:
        opened = self._opened()
        if opened is None:
            return
        user_id, now = self.context.operator.id, self.context.clock()

        def change(session: Session, version: int) -> None:
            taking.take(
                session,
                ticket_id=self.ticket_id,
                expected_version=version,
                user_id=user_id,
                now=now,
            )

        self._write(f"taken by {self.context.operator.login}", opened[1], change)
