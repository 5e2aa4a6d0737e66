"""The SLA panel: each target's budget, time used and deadline, and the explain timeline
(what was counted, when the clock paused and why, which days were skipped)."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from dispatcher import vocabulary
from dispatcher.text import plain, when

MAX_TIMELINE = 50


def _minutes(value: Any) -> str:
    if value is None:
        return "—"
    minutes = int(round(float(value)))
    sign = "-" if minutes < 0 else ""
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours}h{rest:02d}m" if hours else f"{sign}{rest}m"


def _left(value: Any) -> str:
    """Business time left, or how late once it is used up."""
    if value is None:
        return "—"
    if float(value) < 0:
        return f"{_minutes(-float(value))} late"
    return _minutes(value)


def _short(at: Any, zone: tzinfo) -> str:
    """An explain timestamp (ISO, in the calendar's zone) in the operator's zone."""
    if not at:
        return "—"
    try:
        instant = datetime.fromisoformat(str(at))
    except ValueError:
        return plain(str(at))
    return when(instant, zone)


def render_sla(sla: dict[str, Any], zone: tzinfo = UTC) -> Group:
    """The panel's content; every time in `zone` (the operator's), with its name."""
    parts: list[Any] = []
    head = Text()
    head.append("Plan ", style="bold")
    head.append(plain(str(sla.get("plan") or "none")))
    if sla.get("calendar"):
        head.append(f" · calendar {plain(str(sla['calendar']))} ({sla.get('timezone')})")
    head.append(f" · times in {getattr(zone, 'key', None) or zone}")
    parts.append(head)
    if sla.get("note"):
        parts.append(Text(plain(str(sla["note"]))))
    targets = sla.get("targets") or {}
    if targets:
        table = Table(box=None, padding=(0, 1), show_edge=False)
        for column in ("Target", "Budget", "Used", "Left", "Due", "State"):
            table.add_column(column, no_wrap=True)
        for name, t in targets.items():
            due = (
                f"met {_short(t['met_at'], zone)}"
                if t.get("met_at")
                else _short(t.get("due_at"), zone)
            )
            state = str(t.get("state"))
            table.add_row(
                Text(vocabulary.target(name)),
                Text(_minutes(t.get("budget_minutes"))),
                Text(_minutes(t.get("elapsed_minutes"))),
                Text(_left(t.get("remaining_minutes"))),
                Text(due),
                Text(vocabulary.sla_state(state), style="bold" if state == "breached" else ""),
            )
        parts.append(table)
    timeline = Table(box=None, padding=(0, 1), show_edge=False, title_justify="left")
    timeline.add_column("From", no_wrap=True)
    timeline.add_column("To", no_wrap=True)
    timeline.add_column("Clock")
    for segment in (sla.get("segments") or [])[:MAX_TIMELINE]:
        running = segment.get("running")
        what = (
            f"counted {_minutes(segment.get('business_minutes'))} business time"
            if running
            else f"paused: {plain(str(segment.get('paused_because', 'paused')))}"
        )
        timeline.add_row(
            Text(_short(segment.get("from"), zone)),
            Text(_short(segment.get("to"), zone)),
            Text(what),
        )
    if timeline.row_count:
        parts.append(Text("Timeline", style="bold"))
        parts.append(timeline)
    events = sla.get("events") or []
    if events:
        parts.append(Text("Clock events", style="bold"))
        for e in events[:MAX_TIMELINE]:
            line = f"{_short(e.get('at'), zone)}  {vocabulary.event_kind(str(e.get('kind', '')))}"
            if e.get("target"):
                line += f" ({vocabulary.target(str(e['target']))})"
            if e.get("reason"):
                line += f": {plain(str(e['reason']))}"
            parts.append(Text(line))
    skipped = sla.get("skipped_days") or []
    if skipped:
        parts.append(Text("Skipped days", style="bold"))
        for day in skipped[:MAX_TIMELINE]:
            parts.append(Text(f"{day.get('date')}  {plain(str(day.get('reason', '')))}"))
    return Group(*parts)


class SlaPanel(Static):
    """Dumb: `show()` with the `sla_explain.explain()` dict."""

    DEFAULT_CSS = "SlaPanel { padding: 0 1; }"

    def show(self, sla: dict[str, Any], zone: tzinfo = UTC) -> None:
        self.update(render_sla(sla, zone))
