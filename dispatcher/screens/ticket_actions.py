"""The ticket's actions that go through a dialog: classify, assign (with the routing
suggestion), status, escalate, merge, link and log a call. A dialog gets what it shows read first
(in a thread worker), or a loader it runs itself (merge, link); what it returns becomes
one write, with the version the operator saw (`TicketScreen._write`).

A slice of `TicketScreen`: the actions live here, the keys and the write path on the
screen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlmodel import Session
from textual import work
from textual.message import Message
from textual.screen import Screen

from dispatcher.domain.routing import Suggestion
from dispatcher.read_models.tickets import TicketBrief, TicketDetail, TicketView
from dispatcher.screens.context import ScreenContext
from dispatcher.screens.dialogs.assign import AssignDialog, AssignResult
from dispatcher.screens.dialogs.call import CallDialog, CallerFinder, CallResult
from dispatcher.screens.dialogs.classify import ClassifyDialog, ClassifyResult
from dispatcher.screens.dialogs.escalate import EscalateDialog, EscalateResult
from dispatcher.screens.dialogs.link import LinkDialog
from dispatcher.screens.dialogs.merge import MergeDialog
from dispatcher.screens.dialogs.pick_ticket import PickResult
from dispatcher.screens.dialogs.status import StatusDialog, StatusResult
from dispatcher.store.clients.contacts import search_contacts
from dispatcher.store.tickets import reading, writes
from dispatcher.store.tickets.calls import log_call
from dispatcher.store.tickets.relations import escalate, link, merge
from dispatcher.store.tickets.routing import suggest_assignee

# Write = what a write does, given the session and the version the operator acted on.
Write = Callable[[Session, int], object]


class TicketActions(Screen[None]):
    """The dialog actions of `TicketScreen`."""

    context: ScreenContext
    ticket_id: int
    view: TicketView | None

    if TYPE_CHECKING:

        def _opened(self) -> tuple[TicketDetail, int] | None: ...

        def _write(self, what: str, version: int, change: Write) -> None: ...

    @dataclass
    class Ready(Message):
        """Data an action's dialog needs was read; push the dialog."""

        dialog: Any
        then: Callable[[Any], None]

    def on_ticket_actions_ready(self, event: Ready) -> None:
        self.app.push_screen(event.dialog, event.then)

    def action_classify(self) -> None:
        opened = self._opened()
        if opened is not None:
            self.prepare_classify(*opened)

    @work(thread=True, exit_on_error=False, group="ticket-prepare")
    def prepare_classify(self, detail: TicketDetail, version: int) -> None:
        with self.context.store.read() as session:
            choices = reading.classify_choices(
                session, client_id=detail.client.id if detail.client else None
            )

        def then(result: ClassifyResult | None) -> None:
            if result is None or not result.changes:
                return
            now, actor = self.context.clock(), self.context.operator.id

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

        dialog = ClassifyDialog(
            detail=detail,
            choices=choices,
            find_callers=self._caller_finder(),
            search_delay=self.context.intervals.client_search,
        )
        self.post_message(self.Ready(dialog, then))

    def action_assign(self) -> None:
        opened = self._opened()
        if opened is not None:
            self.prepare_assign(*opened)

    @work(thread=True, exit_on_error=False, group="ticket-prepare")
    def prepare_assign(self, detail: TicketDetail, version: int) -> None:
        now = self.context.clock()
        with self.context.store.read() as session:
            suggestion: Suggestion = suggest_assignee(
                session, ticket_id=self.ticket_id, now=now, tz=self.context.operator.zone
            )
            people = reading.colleagues(session)

        def then(result: AssignResult | None) -> None:
            if result is None:
                return
            actor = self.context.operator.id

            def change(session: Session, v: int) -> None:
                writes.assign(
                    session,
                    ticket_id=self.ticket_id,
                    expected_version=v,
                    actor_id=actor,
                    assignee_id=result.assignee_id,
                    suggested_id=result.suggested_id,
                    reason=result.reason,
                    now=self.context.clock(),
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
            actor = self.context.operator.id

            def change(session: Session, v: int) -> None:
                writes.change_status(
                    session,
                    ticket_id=self.ticket_id,
                    expected_version=v,
                    actor_id=actor,
                    status=result.status,
                    reason=result.reason,
                    now=self.context.clock(),
                )

            self._write(f"status: {result.status.value}", version, change)

        self.app.push_screen(StatusDialog(current=detail.status), then)

    def action_escalate(self) -> None:
        opened = self._opened()
        if opened is not None:
            self.prepare_escalate(*opened)

    @work(thread=True, exit_on_error=False, group="ticket-prepare")
    def prepare_escalate(self, detail: TicketDetail, version: int) -> None:
        with self.context.store.read() as session:
            people = [p for p in reading.colleagues(session) if p.id != self.context.operator.id]

        def then(result: EscalateResult | None) -> None:
            if result is None:
                return
            actor = self.context.operator.id

            def change(session: Session, v: int) -> None:
                escalate(
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
                    now=self.context.clock(),
                )

            self._write(f"escalated to a {result.target.value}", version, change)

        dialog = EscalateDialog(
            ref=detail.ref, people=people, now=self.context.clock(), zone=self.context.operator.zone
        )
        self.post_message(self.Ready(dialog, then))

    def _caller_finder(self) -> CallerFinder:
        store = self.context.store

        def find(text: str, client_id: int | None) -> list[Any]:
            with store.read() as session:
                return search_contacts(session, text=text, client_id=client_id, limit=8)

        return find

    def action_log_call(self) -> None:
        opened = self._opened()
        if opened is None:
            return
        detail, version = opened

        def then(result: CallResult | None) -> None:
            if result is None:
                return
            actor = self.context.operator.id

            def change(session: Session, v: int) -> None:
                log_call(
                    session,
                    ticket_id=self.ticket_id,
                    expected_version=v,
                    actor_id=actor,
                    summary=result.summary,
                    contact_id=result.contact_id,
                    party=result.party,
                    direction=result.direction,
                    minutes=result.minutes,
                    now=self.context.clock(),
                )

            self._write("call logged", version, change)

        dialog = CallDialog(
            ref=detail.ref,
            subject=detail.subject,
            contact=detail.contact,
            client_id=detail.client.id if detail.client else None,
            find=self._caller_finder(),
            delay=self.context.intervals.client_search,
        )
        self.app.push_screen(dialog, then)

    def _brief_loader(self) -> Callable[[int], TicketBrief]:
        store = self.context.store

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
            actor = self.context.operator.id

            def change(session: Session, v: int) -> None:
                merge(
                    session,
                    ticket_id=self.ticket_id,
                    into_id=result.other_id,
                    expected_version=v,
                    actor_id=actor,
                    now=self.context.clock(),
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
            actor, kind = self.context.operator.id, result.kind

            def change(session: Session, v: int) -> None:
                # Linking changes no field, so the repository takes no version; refuse a
                # stale view here all the same, so the preview the operator saw holds.
                writes.lock_for_write(session, ticket_id=self.ticket_id, expected_version=v)
                link(
                    session,
                    ticket_id=self.ticket_id,
                    other_id=result.other_id,
                    kind=kind,
                    actor_id=actor,
                    now=self.context.clock(),
                )

            self._write(f"linked to #{result.other_id} ({kind.value})", version, change)

        dialog = LinkDialog(
            ticket_id=self.ticket_id,
            subject=detail.subject,
            messages=len(self.view.messages),
            load=self._brief_loader(),
        )
        self.app.push_screen(dialog, then)
