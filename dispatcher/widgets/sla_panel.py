"""The SLA panel: each target's budget, time used and deadline, and the explain timeline
(what was counted, when the clock paused and why, which days were skipped)."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from dispatcher.text import plain

MAX_TIMELINE = 50


def _minutes(value: Any) -> str:
    if value is None:
        return "—"
    minutes = int(round(float(value)))
    sign = "-" if minutes < 0 else ""
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours}h{rest:02d}m" if hours else f"{sign}{rest}m"


def _short(at: Any) -> str:
    text = str(at or "—")
    return text[:16].replace("T", " ")


def render_sla(sla: dict[str, Any]) -> Group:
    parts: list[Any] = []
    head = Text()
    head.append("Plan ", style="bold")
    head.append(plain(str(sla.get("plan") or "none")))
    if sla.get("calendar"):
        head.append(f" · calendar {plain(str(sla['calendar']))} ({sla.get('timezone')})")
    parts.append(head)
    if sla.get("note"):
        parts.append(Text(plain(str(sla["note"]))))
    targets = sla.get("targets") or {}
    if targets:
        table = Table(box=None, padding=(0, 1), show_edge=False)
        for column in ("Target", "Budget", "Used", "Left", "Due", "State"):
            table.add_column(column, no_wrap=True)
        for name, t in targets.items():
            due = f"met {_short(t['met_at'])}" if t.get("met_at") else _short(t.get("due_at"))
            table.add_row(
                Text(name.replace("_", " ")),
                Text(_minutes(t.get("budget_minutes"))),
                Text(_minutes(t.get("elapsed_minutes"))),
                Text(_minutes(t.get("remaining_minutes"))),
                Text(due),
                Text(str(t.get("state"))),
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
            Text(_short(segment.get("from"))), Text(_short(segment.get("to"))), Text(what)
        )
    if timeline.row_count:
        parts.append(Text("Timeline", style="bold"))
        parts.append(timeline)
    events = sla.get("events") or []
    if events:
        parts.append(Text("Clock events", style="bold"))
        for e in events[:MAX_TIMELINE]:
            line = f"{_short(e.get('at'))}  {str(e.get('kind', '')).replace('_', ' ')}"
            if e.get("target"):
                line += f" ({e['target']})"
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

    def show(self, sla: dict[str, Any]) -> None:
        self.update(render_sla(sla))
