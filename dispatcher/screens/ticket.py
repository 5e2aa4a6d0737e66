"""Ticket detail: every field, the thread, the history, the SLA panel with its timeline,
who else has it open; and every action on it from the keyboard.

Every database call runs in a thread worker that posts a typed message back. Each write
carries the version the operator saw when they started the action; a stale one is refused
by the store (`StaleVersionError`) and shown as a message naming what changed, and the view
reloads. The view also reloads by itself when someone else changes the ticket (its version
is polled every second: one indexed read), and beats a presence heartbeat so others see
who is looking at it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from sqlmodel import Session
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from dispatcher.domain.enums import MessageKind, TicketStatus
from dispatcher.domain.errors import DispatcherError, StaleVersionError
from dispatcher.domain.routing import Suggestion
from dispatcher.identity import Operator
from dispatcher.read_models.presence import Viewer
from dispatcher.read_models.tickets import TicketBrief, TicketDetail, TicketView
from dispatcher.screens.dialogs.assign import AssignDialog, AssignResult
from dispatcher.screens.dialogs.classify import ClassifyDialog, ClassifyResult
from dispatcher.screens.dialogs.escalate import EscalateDialog, EscalateResult
from dispatcher.screens.dialogs.link import LinkDialog
from dispatcher.screens.dialogs.merge import MergeDialog
from dispatcher.screens.dialogs.pick_ticket import PickResult
from dispatcher.screens.dialogs.status import StatusDialog, StatusResult
from dispatcher.store.db.engine import Store
from dispatcher.store.tickets import presence, reading, taking, writes
from dispatcher.store.tickets.routing import suggest_assignee
from dispatcher.text import plain
from dispatcher.widgets.presence_bar import PresenceBar
from dispatcher.widgets.sla_panel import SlaPanel
from dispatcher.widgets.thread import ThreadView
from dispatcher.widgets.ticket_fields import TicketFields

Clock = Callable[[], datetime]
POLL_SECONDS = 1.0
# Write = what a write does, given the session and the version the operator acted on.
Write = Callable[[Session, int], object]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class TicketScreen(Screen[None]):
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
        Binding("z", "fold", "Quotes", id="ticket.fold", show=False, tooltip="Fold quoted text"),
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
    class Ready(Message):
        """Data an action's dialog needs was read; push the dialog."""

        dialog: Any
        then: Callable[[Any], None]

    def __init__(
        self,
        *,
        store: Store,
        operator: Operator,
        ticket_id: int,
        clock: Clock | None = None,
        live: bool = True,
    ) -> None:
        super().__init__()
        self.store = store
        self.operator = operator
        self.ticket_id = ticket_id
        self.clock = clock or _utcnow
        self.live = live  # poll and beat; snapshot tests turn it off
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
        for label, width in (("When", 16), ("Who", 10), ("What", 48), ("Why", 30), ("v", 4)):
            table.add_column(label, key=label.lower(), width=width)
        self.load()
        if self.live:
            self.beat()
            self.set_interval(POLL_SECONDS, self.poll)
            self.set_interval(presence.HEARTBEAT_SECONDS, self.beat)

    def on_unmount(self) -> None:
        if self.live:
            store, user_id, ticket_id = self.store, self.operator.id, self.ticket_id

            def leave() -> None:
                with store.write() as session:
                    presence.leave(session, user_id=user_id, ticket_id=ticket_id)

            self.app.run_worker(leave, thread=True, exit_on_error=False, group="presence-leave")

    # --- reading ----------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="ticket-load")
    def load(self) -> None:
        now = self.clock()
        with self.store.read() as session:
            view = reading.ticket_view(session, ticket_id=self.ticket_id, now=now)
        self.post_message(self.Loaded(view, now))

    @work(thread=True, exclusive=True, exit_on_error=False, group="ticket-poll")
    def poll(self) -> None:
        with self.store.read() as session:
            version = reading.ticket_version(session, ticket_id=self.ticket_id)
        self.post_message(self.Polled(version))

    @work(thread=True, exclusive=True, exit_on_error=False, group="ticket-presence")
    def beat(self) -> None:
        now = self.clock()
        with self.store.write() as session:
            presence.heartbeat(session, user_id=self.operator.id, ticket_id=self.ticket_id, now=now)
        with self.store.read() as session:
            others = presence.viewers(
                session, ticket_id=self.ticket_id, now=now, exclude_user_id=self.operator.id
            )
        self.post_message(self.Viewers(others))

    def on_ticket_screen_loaded(self, event: Loaded) -> None:
        view = self.view = event.view
        d = view.detail
        title = Text(f"{d.ref} ", style="bold")
        title.append(plain(d.subject))
        title.append(f"  [{d.status.value} · {d.priority.value}]", style="dim")
        self.query_one("#ticket-title", Static).update(title)
        self.sub_title = f"{d.ref} · v{d.version}"
        self.query_one(TicketFields).show(d, event.at, self.operator.zone)
        self.query_one(ThreadView).show(
            view.messages, expand=self.expand_quotes, zone=self.operator.zone
        )
        self.query_one(SlaPanel).show(view.sla)
        table = self.query_one("#ticket-history", DataTable)
        table.clear()
        for n, h in enumerate(view.history):
            table.add_row(
                Text(f"{h.at:%Y-%m-%d %H:%M}"),
                Text(plain(h.actor)),
                Text(plain(h.text)),
                Text(plain(h.reason)),
                Text(str(h.version)),
                key=str(n),
            )
        for status in TicketStatus:
            self.set_class(d.status == status, f"-{status.value}")

    def on_ticket_screen_polled(self, event: Polled) -> None:
        if self.view is None or self.writing or event.version == self.view.detail.version:
            return
        self._say("the ticket was changed by someone else; shown as it is now", error=False)
        self.load()

    def on_ticket_screen_viewers(self, event: Viewers) -> None:
        self.query_one(PresenceBar).show(event.viewers)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            if event.worker.group == "ticket-write":
                self.writing = max(0, self.writing - 1)
            self._say(f"could not do that: {event.worker.error}", error=True)

    def _say(self, text: str, *, error: bool) -> None:
        line = self.query_one("#ticket-message", Static)
        line.set_class(error, "-error")
        line.update(Text(plain(text)))

    # --- writing ----------------------------------------------------------------------

    @work(thread=True, exit_on_error=False, group="ticket-write")
    def write(self, what: str, version: int, change: Write) -> None:
        try:
            with self.store.write() as session:
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

    def on_ticket_screen_ready(self, event: Ready) -> None:
        self.app.push_screen(event.dialog, event.then)

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
                self.view.messages, expand=self.expand_quotes, zone=self.operator.zone
            )

    def _compose_message(self, kind: MessageKind) -> None:
        from dispatcher.screens.composer import ComposerScreen

        opened = self._opened()
        if opened is None:
            return
        self.app.push_screen(
            ComposerScreen(
                store=self.store,
                operator=self.operator,
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
        user_id, now = self.operator.id, self.clock()

        def change(session: Session, version: int) -> None:
            taking.take(
                session,
                ticket_id=self.ticket_id,
                expected_version=version,
                user_id=user_id,
                now=now,
            )

        self._write(f"taken by {self.operator.login}", opened[1], change)

    def action_classify(self) -> None:
        opened = self._opened()
        if opened is not None:
            self.prepare_classify(*opened)

    @work(thread=True, exit_on_error=False, group="ticket-prepare")
    def prepare_classify(self, detail: TicketDetail, version: int) -> None:
        with self.store.read() as session:
            choices = reading.classify_choices(
                session, client_id=detail.client.id if detail.client else None
            )

        def then(result: ClassifyResult | None) -> None:
            if result is None or not result.changes:
                return
            now, actor = self.clock(), self.operator.id

            def change(session: Session, v: int) -> None:
                writes.classify(
                    session,
                    ticket_id=self.ticket_id,
                    expected_version=v,
                    actor_id=actor,
                    now=now,
                    **result.changes,
                )

            fields = ", ".join(k.removesuffix("_id") for k in result.changes)
            self._write(f"classified: {fields}", version, change)

        self.post_message(self.Ready(ClassifyDialog(detail=detail, choices=choices), then))

    def action_assign(self) -> None:
        opened = self._opened()
        if opened is not None:
            self.prepare_assign(*opened)

    @work(thread=True, exit_on_error=False, group="ticket-prepare")
    def prepare_assign(self, detail: TicketDetail, version: int) -> None:
        now = self.clock()
        with self.store.read() as session:
            suggestion: Suggestion = suggest_assignee(session, ticket_id=self.ticket_id, now=now)
            people = reading.colleagues(session)

        def then(result: AssignResult | None) -> None:
            if result is None:
                return
            actor = self.operator.id

            def change(session: Session, v: int) -> None:
                writes.assign(
                    session,
                    ticket_id=self.ticket_id,
                    expected_version=v,
                    actor_id=actor,
                    assignee_id=result.assignee_id,
                    suggested_id=result.suggested_id,
                    reason=result.reason,
                    now=self.clock(),
                )

            self._write(f"assigned: {result.reason}", version, change)

        self.post_message(self.Ready(AssignDialog(suggestion=suggestion, people=people), then))

    def action_status(self) -> None:
        opened = self._opened()
        if opened is None:
            return
        detail, version = opened

        def then(result: StatusResult | None) -> None:
            if result is None:
                return
            actor = self.operator.id

            def change(session: Session, v: int) -> None:
                writes.change_status(
                    session,
                    ticket_id=self.ticket_id,
                    expected_version=v,
                    actor_id=actor,
                    status=result.status,
                    reason=result.reason,
                    now=self.clock(),
                )

            self._write(f"status: {result.status.value}", version, change)

        self.app.push_screen(StatusDialog(current=detail.status), then)

    def action_escalate(self) -> None:
        opened = self._opened()
        if opened is not None:
            self.prepare_escalate(*opened)

    @work(thread=True, exit_on_error=False, group="ticket-prepare")
    def prepare_escalate(self, detail: TicketDetail, version: int) -> None:
        with self.store.read() as session:
            people = [p for p in reading.colleagues(session) if p.id != self.operator.id]

        def then(result: EscalateResult | None) -> None:
            if result is None:
                return
            actor = self.operator.id

            def change(session: Session, v: int) -> None:
                writes.escalate(
                    session,
                    ticket_id=self.ticket_id,
                    expected_version=v,
                    actor_id=actor,
                    target=result.target,
                    to_user_id=result.to_user_id,
                    vendor=result.vendor,
                    vendor_ref=result.vendor_ref,
                    promised_at=result.promised_at,
                    next_checkin_at=result.next_checkin_at,
                    note=result.note,
                    now=self.clock(),
                )

            self._write(f"escalated to a {result.target.value}", version, change)

        dialog = EscalateDialog(ref=detail.ref, people=people, now=self.clock())
        self.post_message(self.Ready(dialog, then))

    def _brief_loader(self) -> Callable[[int], TicketBrief]:
        store = self.store

        def load(ticket_id: int) -> TicketBrief:
            with store.read() as session:
                return reading.ticket_brief(session, ticket_id=ticket_id)

        return load

    def action_merge(self) -> None:
        opened = self._opened()
        if opened is None or self.view is None:
            return
        detail, version = opened

        def then(result: PickResult | None) -> None:
            if result is None:
                return
            actor = self.operator.id

            def change(session: Session, v: int) -> None:
                writes.merge(
                    session,
                    ticket_id=self.ticket_id,
                    into_id=result.other_id,
                    expected_version=v,
                    actor_id=actor,
                    now=self.clock(),
                )

            self._write(f"merged into #{result.other_id}", version, change)

        dialog = MergeDialog(
            ticket_id=self.ticket_id,
            subject=detail.subject,
            messages=len(self.view.messages),
            load=self._brief_loader(),
        )
        self.app.push_screen(dialog, then)

    def action_link(self) -> None:
        opened = self._opened()
        if opened is None or self.view is None:
            return
        detail, version = opened

        def then(result: PickResult | None) -> None:
            if result is None or result.kind is None:
                return
            actor, kind = self.operator.id, result.kind

            def change(session: Session, v: int) -> None:
                # Linking changes no field, so the repository takes no version; refuse a
                # stale view here all the same, so the preview the operator saw holds.
                writes.lock_for_write(session, ticket_id=self.ticket_id, expected_version=v)
                writes.link(
                    session,
                    ticket_id=self.ticket_id,
                    other_id=result.other_id,
                    kind=kind,
                    actor_id=actor,
                    now=self.clock(),
                )

            self._write(f"linked to #{result.other_id} ({kind.value})", version, change)

        dialog = LinkDialog(
            ticket_id=self.ticket_id,
            subject=detail.subject,
            messages=len(self.view.messages),
            load=self._brief_loader(),
        )
        self.app.push_screen(dialog, then)
