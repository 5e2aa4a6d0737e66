"""Business durations as people write them in SLA plans: "15m", "4h", "1h30m".

A duration is always a count of *business* minutes; the calendar turns it into wall-clock
time. Days ("2d") are refused on purpose: whether a business day is 8 hours, 9 hours or
24 hours depends on the calendar, so a plan must say the hours it means.
"""

from __future__ import annotations

import re

__all__ = ["format_minutes", "parse_duration"]

_DURATION = re.compile(r"(?:(?P<hours>\d+)h)?(?:(?P<minutes>\d+)m)?")
_HINT = 'a duration like "15m", "4h" or "1h30m"'


def parse_duration(text: str) -> int:
    """Parse "15m", "4h", "1h30m" (also "90m", "1h 30m") into whole business minutes.

    Hours come before minutes, units are lower-case, no sign, no fractions. "0m" is 0.
    Raises ValueError naming the bad text; days are refused with their own explanation.
    """
    if not isinstance(text, str):
        raise TypeError(f"a duration must be text, {_HINT}; got {text!r}")
    compact = "".join(text.split())
    match = _DURATION.fullmatch(compact)
    if not compact or match is None or (match["hours"] is None and match["minutes"] is None):
        if re.fullmatch(r"(?:\d+[dw])(?:\d+[hm])*", compact, flags=re.IGNORECASE):
            raise ValueError(
                f"{text!r}: days and weeks are not allowed in business durations "
                "(the length of a business day depends on the calendar); "
                'write hours instead, e.g. "16h" or "40h"'
            )
        raise ValueError(f"{text!r} is not {_HINT}")
    return int(match["hours"] or 0) * 60 + int(match["minutes"] or 0)


def format_minutes(minutes: int) -> str:
    """Format whole minutes the way `parse_duration` reads them: 90 -> "1h30m".

    0 -> "0m", 60 -> "1h", 45 -> "45m". Negative values (e.g. time overdue) get a leading
    "-": -90 -> "-1h30m"; that form is for display only and does not parse back.
    """
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise TypeError(f"minutes must be an int, got {minutes!r}")
    sign = "-" if minutes < 0 else ""
    hours, rest = divmod(abs(minutes), 60)
    if hours and rest:
        return f"{sign}{hours}h{rest}m"
    if hours:
        return f"{sign}{hours}h"
    return f"{sign}{rest}m"
