"""Showing data as text: hostile input made inert, times made human."""

from __future__ import annotations

from datetime import datetime

from dispatcher.domain.sla import NO_DEADLINE

# C0 and C1 control characters except tab and newline: an escape sequence in a subject
# must show as text, never act on the terminal.
_CONTROL = {c: None for c in range(32) if c not in (9, 10)} | {127: None}
_CONTROL |= dict.fromkeys(range(128, 160))


def plain(text: str) -> str:
    """`text` without terminal control characters. Wrap it in rich `Text` so markup is inert."""
    return text.translate(_CONTROL)


def time_left(due: datetime | None, now: datetime) -> str:
    """`2h 05m`, `-15m` when overdue, `paused` or `—` without a deadline."""
    if due is None or due >= NO_DEADLINE:
        return "—"
    seconds = int((due - now).total_seconds())
    sign = "-" if seconds < 0 else ""
    minutes = abs(seconds) // 60
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{sign}{days}d {hours:02d}h"
    if hours:
        return f"{sign}{hours}h {mins:02d}m"
    return f"{sign}{mins}m"
