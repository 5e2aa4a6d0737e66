"""Every field of a ticket, as a two-column grid of label and value."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from dispatcher.read_models.tickets import Named, TicketDetail
from dispatcher.text import plain, time_left


def _at(value: datetime | None, zone: tzinfo) -> str:
    return f"{value.astimezone(zone):%Y-%m-%d %H:%M %Z}" if value else "—"


def _name(value: Named | None) -> str:
    return plain(value.name) if value else "—"


def field_rows(d: TicketDetail, now: datetime, zone: tzinfo = UTC) -> list[tuple[str, str]]:
    """Label and value of every field; times in `zone` (the operator's)."""
    rows = [
        ("Status", d.status.value),
        ("Priority", d.priority.value),
        ("Channel", d.channel.value),
        ("Queue", _name(d.queue)),
        ("Category", _name(d.category)),
        ("Client", _name(d.client)),
        ("Contact", _name(d.contact)),
        ("Contract", _name(d.contract)),
        ("Equipment", _name(d.equipment)),
        ("SLA plan", plain(d.plan) if d.plan else "—"),
        ("Assignee", _name(d.assignee)),
        ("Created", f"{_at(d.created_at, zone)} by {plain(d.created_by or 'the system')}"),
        ("Updated", _at(d.updated_at, zone)),
        ("1st response", _due(d.first_response_due, d.first_responded_at, now, zone)),
        ("Resolution", _due(d.resolution_due, d.resolved_at, now, zone)),
        ("Next due", "paused" if d.sla_paused_since else time_left(d.next_due_at, now)),
        ("Reopened", str(d.reopen_count)),
        ("Version", str(d.version)),
    ]
    if d.next_update_due:
        rows.append(("Next update", _at(d.next_update_due, zone)))
    if d.closed_at:
        rows.append(("Closed", _at(d.closed_at, zone)))
    if d.merged_into_id:
        rows.append(("Merged into", f"#{d.merged_into_id}"))
    for e in d.escalations:
        who = plain(e.to or e.vendor or "?")
        ref = f" ref {plain(e.vendor_ref)}" if e.vendor_ref else ""
        promised = f", promised {_at(e.promised_at, zone)}" if e.promised_at else ""
        checkin = f", check in {_at(e.next_checkin_at, zone)}" if e.next_checkin_at else ""
        rows.append(("Escalated", f"{e.target} {who}{ref}{promised}{checkin}"))
    for link in d.links:
        rows.append(
            ("Linked", f"#{link.other_id} {link.kind.value}: {plain(link.subject)} ({link.status})")
        )
    return rows


def _due(due: datetime | None, done: datetime | None, now: datetime, zone: tzinfo) -> str:
    if done is not None:
        return f"done {_at(done, zone)}"
    if due is None:
        return "—"
    return f"{_at(due, zone)} ({time_left(due, now)})"


class TicketFields(Static):
    """Dumb: `show()` with a detail and the instant its times are relative to."""

    DEFAULT_CSS = "TicketFields { padding: 0 1; }"

    def show(self, detail: TicketDetail, now: datetime, zone: tzinfo = UTC) -> None:
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column()
        for label, value in field_rows(detail, now, zone):
            grid.add_row(Text(label), Text(value))
        self.update(grid)
