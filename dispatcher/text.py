"""Showing data as text: hostile input made inert, times made human.

Every instant on screen goes through `when`, in the operator's zone with the zone's name
(so "07:41" is never read as another zone's); every duration through `time_left`.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from dispatcher import vocabulary
from dispatcher.domain.enums import SlaTarget
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


def when(
    at: datetime | None, zone: tzinfo = UTC, *, weekday: bool = True, year: bool = False
) -> str:
    """`Thu 12 Mar 07:41 MSK`: the instant in `zone`, with the date and the zone's name;
    `year` adds the year (`Thu 12 Mar 2026 07:41 MSK`), `—` for no instant."""
    if at is None or at >= NO_DEADLINE:
        return "—"
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)  # the store keeps UTC
    local = at.astimezone(zone)
    pattern = ("%a " if weekday else "") + ("%d %b %Y %H:%M" if year else "%d %b %H:%M")
    return f"{local.strftime(pattern)} {local.tzname() or ''}".strip()


def late_by(due: datetime, now: datetime) -> str:
    """How long ago `due` passed, without a sign: `6h 02m`."""
    return time_left(now, due) if now > due else "0m"


def due_cell(
    target: SlaTarget | None, due: datetime, paused_since: datetime | None, now: datetime
) -> str:
    """A Due cell that names the target it counts down: "1st 2h 03m", "fix -6h 10m"."""
    text = due_text(due, paused_since, now)
    return f"{vocabulary.target_short(target)} {text}" if target is not None else text


def due_text(due: datetime | None, paused_since: datetime | None, now: datetime) -> str:
    """The queue's Due cell: time left, `-6h 02m` once breached (paused or not: a breach
    stays visible), `paused` while the clock waits, `—` with no deadline."""
    if due is not None and due < NO_DEADLINE and due <= now:
        return time_left(due, now)
    if paused_since is not None:
        return "paused"
    return time_left(due, now)
