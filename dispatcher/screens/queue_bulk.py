"""The queue's selection and bulk actions: select with space (or * for the window), then
assign, change the status or set the priority of every selected ticket (or the one under
the cursor) after a preview of what changes for each.

Assign offers everybody by fit for all the tickets at once (the competence each needs, on
shift now, the load), marks anyone on leave or off shift or lacking a competence, and puts
that warning at the top of the preview, so nobody is given work without a word.

Each ticket is written in its own transaction with the version the queue showed, so one
that somebody else changed meanwhile is refused and named, never overwritten, and the
others still go through.

A slice of `QueueScreen`: the actions live here, the keys in `BULK_KEYS`, the selection
on the screen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual import work
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen

from dispatcher.domain.enums import Priority, TicketStatus, can_transition
from dispatcher.domain.errors import DispatcherError
from dispatcher.domain.routing import Fit, caution
from dispatcher.read_models.queue import QueueNames, WindowRow
from dispatcher.screens.context import ScreenContext
from dispatcher.text import plain
from dispatcher.widgets.picker import ConfirmScreen
from dispatcher.widgets.queue_table import QueueTable

Change = Callable[[WindowRow], str | None]  # what changes for a row; None: nothing

BULK_KEYS: list[BindingType] = [
    Binding(
        "space",
        "toggle_select",
        "Select",
        id="queue.select",
        tooltip="Select or unselect the ticket for a bulk action",
    ),
    Binding(
        "a",
        "bulk_assign",
        "Assign",
        id="queue.assign",
        tooltip="Assign the selected tickets (or the one under the cursor)",
    ),
    Binding(
        "s",
        "bulk_status",
        "Status",
        id="queue.status",
        tooltip="Change the status of the selected tickets",
    ),
    Binding(
        "p",
        "bulk_priority",
        "Priority",
        id="queue.priority",
        show=False,
        tooltip="Set the priority of the selected tickets",
    ),
    Binding(
        "asterisk",
        "select_all",
        "Select all",
        id="queue.select_all",
        show=False,
        tooltip="Select every ticket in this window",
    ),
    Binding(
        "escape",
        "clear_selection",
        "Unselect",
        id="queue.unselect",
        show=False,
        tooltip="Clear the selection",
    ),
]


@dataclass(frozen=True, slots=True)
class BulkPlan:
    """What a bulk action does to each ticket."""

    action: str  # "assign", "status" or "priority"
    assignee_id: int | None = None
    status: TicketStatus | None = None
    priority: Priority | None = None


def preview(rows: list[WindowRow], change: Change) -> tuple[list[str], list[WindowRow]]:
    """A line per row saying what changes, and the rows that do change."""
    lines, acting = [], []
    for row in rows:
        what = change(row)
        lines.append(f"{row.ref} {plain(row.subject)[:40]}: {what or 'unchanged'}")
        if what is not None:
            acting.append(row)
    return lines, acting


class QueueBulk(Screen[None]):
    """The selection and bulk actions of `QueueScreen`."""

    context: ScreenContext
    names: QueueNames
    selected: dict[int, WindowRow]

    if TYPE_CHECKING:

        @property
        def table(self) -> QueueTable: ...

        def pick(
            self, title: str, options: list[tuple[str, str]], then: Callable[[str], None]
        ) -> None: ...

        def show_status(self) -> None: ...

        def action_reload(self) -> None: ...

    @dataclass
    class Done(Message):
        done: list[str]
        refused: list[str]

    @dataclass
    class Fits(Message):
        """Who may get the targeted tickets, by fit, read for a bulk assign."""

        rows: list[WindowRow]
        fits: list[Fit]

    # --- selection ---------------------------------------------------------------------

    def action_toggle_select(self) -> None:
        row = self.table.current_row
        if row is None:
            return
        if row.id in self.selected:
            del self.selected[row.id]
        else:
            self.selected[row.id] = row
        self.table.selected = set(self.selected)
        self.table.restyle_row(row.id)
        self.table.action_cursor_down()
        self.show_status()

    def action_select_all(self) -> None:
        for row in self.table.rows:
            self.selected[row.id] = row
        self.table.selected = set(self.selected)
        self.table.refresh()
        self.show_status()

    def action_clear_selection(self) -> None:
        if self.selected:
            self.selected.clear()
            self.table.selected = set()
            self.table.refresh()
            self.show_status()

    def targets(self) -> list[WindowRow]:
        """The rows a bulk action acts on: the selection, or else the cursor's row."""
        if self.selected:
            return sorted(self.selected.values(), key=lambda r: r.id)
        row = self.table.current_row
        return [row] if row is not None else []

    # --- bulk actions ------------------------------------------------------------------

    def action_bulk_assign(self) -> None:
        rows = self.targets()
        if rows:
            self.read_fits(rows)

    @work(thread=True, exclusive=True, exit_on_error=False, group="bulk-fits")
    def read_fits(self, rows: list[WindowRow]) -> None:
        from dispatcher.store.tickets.routing import fits_for_tickets

        with self.context.store.read() as session:
            fits = fits_for_tickets(
                session, ticket_ids=[r.id for r in rows], now=self.context.clock()
            )
        self.post_message(self.Fits(rows, fits))

    def on_queue_bulk_fits(self, event: Fits) -> None:
        now, tz = self.context.clock(), self.context.operator.zone
        by_id = {f.candidate.user_id: f for f in event.fits}
        names = {f.candidate.user_id: f.candidate.login for f in event.fits}
        options = [("none", "nobody (unassign)")] + [
            (
                str(f.candidate.user_id),
                f"{f.candidate.login} ({f.candidate.name}) · {f.describe(now=now, tz=tz)}",
            )
            for f in event.fits
        ]

        def chosen(value: str) -> None:
            assignee = None if value == "none" else int(value)
            who = "nobody" if assignee is None else names[assignee]
            warnings = []
            fit = by_id.get(assignee) if assignee is not None else None
            if fit is not None:
                away = caution(fit.candidate, now=now, tz=tz)
                if away is not None:
                    warnings.append(f"⚠ {away}: assign anyway?")
                if fit.lacking:
                    warnings.append(
                        f"⚠ {who} lacks the competence for {fit.lacking} of {fit.of} tickets"
                    )
            self._confirm(
                f"Assign to {who}",
                lambda r: (
                    None if (r.assignee or "nobody") == who else f"{r.assignee or '—'} → {who}"
                ),
                BulkPlan("assign", assignee_id=assignee),
                warnings=warnings,
            )

        self.pick("Assign to (best fit first)", options, chosen)

    def action_bulk_status(self) -> None:
        options = [(s.value, s.value) for s in TicketStatus if s != TicketStatus.merged]

        def chosen(value: str) -> None:
            target = TicketStatus(value)

            def change(r: WindowRow) -> str | None:
                if r.status == target:
                    return None
                if not can_transition(r.status, target):
                    return f"{r.status} → {target}: not allowed, will be refused"
                return f"{r.status} → {target}"

            self._confirm(f"Status {target}", change, BulkPlan("status", status=target))

        self.pick("Change status to", options, chosen)

    def action_bulk_priority(self) -> None:
        options = [(p.value, p.value) for p in Priority]

        def chosen(value: str) -> None:
            target = Priority(value)
            self._confirm(
                f"Priority {target}",
                lambda r: None if r.priority == target else f"{r.priority} → {target}",
                BulkPlan("priority", priority=target),
            )

        self.pick("Set priority to", options, chosen)

    def _confirm(
        self, title: str, change: Change, plan: BulkPlan, *, warnings: list[str] | None = None
    ) -> None:
        rows = self.targets()
        lines, acting = preview(rows, change)
        lines = [*(warnings or []), *lines]
        if not acting:
            self.notify("nothing to change", markup=False)
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.apply_bulk(acting, plan)

        self.app.push_screen(
            ConfirmScreen(f"{title}: {len(acting)} of {len(rows)} tickets change", lines),
            confirmed,
        )

    @work(thread=True, exit_on_error=False, group="bulk")
    def apply_bulk(self, rows: list[WindowRow], plan: BulkPlan) -> None:
        """Each ticket in its own transaction, with its own version check."""
        from dispatcher.store.tickets import writes

        store, clock, actor = self.context.store, self.context.clock, self.context.operator.id
        done, refused = [], []
        for row in rows:
            common: dict[str, Any] = {
                "ticket_id": row.id,
                "expected_version": row.version,
                "actor_id": actor,
                "now": clock(),
            }
            try:
                with store.write() as session:
                    if plan.action == "assign":
                        writes.assign(session, assignee_id=plan.assignee_id, **common)
                    elif plan.action == "status":
                        assert plan.status is not None
                        writes.change_status(session, status=plan.status, **common)
                    else:
                        assert plan.priority is not None
                        writes.classify(session, priority=plan.priority, **common)
                done.append(row.ref)
            except DispatcherError as exc:  # a stale version among them
                refused.append(f"{row.ref}: {exc}")
        self.post_message(self.Done(done, refused))

    def on_queue_bulk_done(self, event: Done) -> None:
        if event.done:
            self.notify(f"changed {', '.join(event.done)}", markup=False)
        if event.refused:
            self.notify(
                "refused:\n" + "\n".join(event.refused),
                severity="error",
                timeout=15,
                markup=False,
            )
        self.selected.clear()
        self.action_reload()
