"""Every field of a ticket, as a two-column grid of label and value."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from dispatcher import vocabulary
from dispatcher.read_models.tickets import Named, TicketDetail
from dispatcher.text import due_text, late_by, plain, time_left, when


def _at(value: datetime | None, zone: tzinfo) -> str:
    return when(value, zone, weekday=False, year=True)


def _name(value: Named | None) -> str:
    return plain(value.name) if value else "—"


def field_rows(d: TicketDetail, now: datetime, zone: tzinfo = UTC) -> list[tuple[str, str]]:
    """Label and value of every field; times in `zone` (the operator's)."""
    rows = [
        ("Status", vocabulary.status(d.status)),
        ("Priority", vocabulary.priority(d.priority)),
        ("Channel", vocabulary.channel(d.channel)),
        ("Queue", _name(d.queue)),
        ("Category", _name(d.category)),
        ("Client", _name(d.client)),
        ("Contact", _name(d.contact)),
        *(("Failing mail", plain(a.describe(zone))) for a in d.contact_addresses if a.failing),
        ("Contract", plain(d.contract_text(now.astimezone(zone).date()))),
        ("Equipment", _name(d.equipment)),
        ("SLA plan", plain(d.plan) if d.plan else "—"),
        ("Assignee", _name(d.assignee)),
        ("Created", f"{_at(d.created_at, zone)} by {plain(d.created_by or 'the system')}"),
        ("Updated", _at(d.updated_at, zone)),
        ("1st response", _due(d.first_response_due, d.first_responded_at, d, now, zone)),
        ("Resolution", _due(d.resolution_due, d.resolved_at, d, now, zone)),
        ("Next due", _next_due(d, now)),
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
        to = vocabulary.escalation_target(e.target)
        rows.append(("Escalated", f"{to} {who}{ref}{promised}{checkin}"))
    for link in d.links:
        rows.append(
            (
                "Linked",
                f"#{link.other_id} {vocabulary.link_kind(link.kind)}: {plain(link.subject)}"
                f" ({vocabulary.status(link.status)})",
            )
        )
    return rows


def _next_due(d: TicketDetail, now: datetime) -> str:
    """The nearest deadline, named: "resolution in 3h 10m", "update: 1d 21h overdue"."""
    text = due_text(d.next_due_at, d.sla_paused_since, now)
    candidates = (
        ("first response", None if d.first_responded_at else d.first_response_due),
        ("resolution", None if d.resolved_at else d.resolution_due),
        ("update", d.next_update_due),
    )
    target = next((name for name, at in candidates if at is not None and at == d.next_due_at), None)
    if target is None or not text[:1].isdigit() and not text.startswith("-"):
        return text  # no deadline, or paused
    return f"{target}: {text[1:]} overdue" if text.startswith("-") else f"{target} in {text}"


def _due(
    due: datetime | None, done: datetime | None, d: TicketDetail, now: datetime, zone: tzinfo
) -> str:
    """A target's line: when it was met (and how late), or its deadline and what is left;
    a breached deadline says so and how late it is, paused or not."""
    if done is not None:
        late = f", {late_by(due, done)} late" if due is not None and done > due else ""
        return f"done {_at(done, zone)}{late}"
    if due is None:
        return "—"
    if due <= now:
        return f"{_at(due, zone)} (breached, {late_by(due, now)} late)"
    if d.sla_paused_since is not None:
        return f"{_at(due, zone)} (paused: moves on when the clock runs again)"
    return f"{_at(due, zone)} ({time_left(due, now)} left)"


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
