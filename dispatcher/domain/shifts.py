"""Weekly work shifts and leave: parsing what an admin types, and "is this person working now".

Pure: no I/O, no clock of its own. Every answer takes the instant it is about, and reads
shifts and leave through small protocols, so the store's rows and plain test data both fit.

A shift is one interval of a weekday in the user's own time zone. A shift whose end is not
after its start runs past midnight into the next day (`22:00-06:00`); `00:00-24:00` is a
whole day. Leave covers whole days, both ends included, in the user's time zone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dispatcher.domain.errors import ValidationError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_ALIASES = {
    **{name: i for i, name in enumerate(WEEKDAYS)},
    **{
        name: i
        for i, name in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    },
}
MINUTES_PER_DAY = 24 * 60
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY

_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")
_INTERVAL = re.compile(r"^(\d{1,2}:\d{2})-(\d{1,2}:\d{2})$")


class ShiftLike(Protocol):
    @property
    def weekday(self) -> int: ...  # 0 = Monday

    @property
    def starts(self) -> time: ...

    @property
    def ends(self) -> time: ...


class LeaveLike(Protocol):
    @property
    def starts_on(self) -> date: ...

    @property
    def ends_on(self) -> date: ...  # inclusive


@dataclass(frozen=True, slots=True)
class Shift:
    weekday: int  # 0 = Monday
    starts: time
    ends: time  # not after `starts`: the shift runs past midnight

    @property
    def overnight(self) -> bool:
        return self.ends <= self.starts

    def describe(self) -> str:
        return describe_shift(self)


def describe_shift(shift: ShiftLike) -> str:
    """`mon 09:00-18:00`; a whole day reads `mon 00:00-24:00`."""
    ends = "24:00" if shift.ends == time(0) else shift.ends.strftime("%H:%M")
    return f"{WEEKDAYS[shift.weekday]} {shift.starts.strftime('%H:%M')}-{ends}"


def parse_clock(text: str, *, allow_24: bool = False) -> time:
    """`9:00`, `09:00` → 09:00; `24:00` only where it means the end of the day."""
    match = _CLOCK.match(text.strip())
    if match is None:
        raise ValidationError(f"not a time of day: {text!r} (expected HH:MM, e.g. 09:00)")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if allow_24 and (hours, minutes) == (24, 0):
        return time(0)
    if hours > 23 or minutes > 59:
        raise ValidationError(f"not a time of day: {text!r} (expected 00:00 to 23:59)")
    return time(hours, minutes)


def parse_date(text: str) -> date:
    """An ISO date, `2026-12-31`."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(f"not a date: {text!r} (expected YYYY-MM-DD)") from None


def parse_days(text: str) -> list[int]:
    """`mon`, `mon-fri`, `sat,sun`, `fri-mon` (wraps over the weekend), `daily` → weekdays."""
    text = text.strip().lower()
    if text in {"daily", "every", "all"}:
        return list(range(7))
    days: list[int] = []
    for part in text.split(","):
        part = part.strip()
        first, dash, last = part.partition("-")
        start = _day(first, text)
        if not dash:
            span = [start]
        else:
            end = _day(last, text)
            span = [(start + i) % 7 for i in range((end - start) % 7 + 1)]
        for day in span:
            if day in days:
                raise ValidationError(f"{WEEKDAYS[day]} is named twice in {text!r}")
            days.append(day)
    return days


def _day(name: str, whole: str) -> int:
    day = _DAY_ALIASES.get(name.strip())
    if day is None:
        raise ValidationError(
            f"not a day of the week: {name.strip()!r} in {whole!r} "
            f"(expected {', '.join(WEEKDAYS)}, or a range like mon-fri)"
        )
    return day


def parse_shift_spec(spec: str) -> list[Shift]:
    """`mon-fri 09:00-18:00`, `sat 10:00-14:00`, `mon-fri 09:00-13:00,14:00-18:00`,
    `sun 22:00-06:00` (overnight) → one Shift per day and interval."""
    words = spec.split()
    if len(words) != 2:
        raise ValidationError(
            f"not a shift: {spec!r} (expected DAYS HH:MM-HH:MM, e.g. 'mon-fri 09:00-18:00')"
        )
    days = parse_days(words[0])
    shifts: list[Shift] = []
    for interval in words[1].split(","):
        match = _INTERVAL.match(interval.strip())
        if match is None:
            raise ValidationError(
                f"not a time interval: {interval!r} in {spec!r} (expected HH:MM-HH:MM)"
            )
        starts = parse_clock(match.group(1))
        ends = parse_clock(match.group(2), allow_24=True)
        if starts == ends and match.group(2) != "24:00":
            raise ValidationError(
                f"the shift {interval!r} in {spec!r} is empty (for a whole day write 00:00-24:00)"
            )
        shifts.extend(Shift(weekday=day, starts=starts, ends=ends) for day in days)
    return shifts


def parse_schedule(specs: Iterable[str]) -> list[Shift]:
    """Several shift specs → a weekly schedule, refusing intervals that overlap."""
    shifts: list[Shift] = []
    for spec in specs:
        shifts.extend(parse_shift_spec(spec))
    check_no_overlap(shifts)
    return sorted(shifts, key=lambda s: (s.weekday, s.starts))


def _week_span(shift: ShiftLike) -> tuple[int, int]:
    """Minutes from Monday 00:00 to the shift's start and end (the end may pass the week)."""
    start = shift.weekday * MINUTES_PER_DAY + shift.starts.hour * 60 + shift.starts.minute
    length = (shift.ends.hour * 60 + shift.ends.minute) - (
        shift.starts.hour * 60 + shift.starts.minute
    )
    if length <= 0:
        length += MINUTES_PER_DAY
    return start, start + length


def check_no_overlap(shifts: Sequence[ShiftLike]) -> None:
    spans = sorted((_week_span(s), i) for i, s in enumerate(shifts))
    for ((_, end), i), ((start, _), j) in zip(spans, spans[1:], strict=False):
        if start < end:
            raise ValidationError(
                f"shifts overlap: {describe_shift(shifts[i])} and {describe_shift(shifts[j])}"
            )
    if len(spans) > 1:
        # The last shift of the week may run over into Monday.
        (_, last_end), last = spans[-1]
        (first_start, _), first = spans[0]
        if last_end - MINUTES_PER_WEEK > first_start:
            raise ValidationError(
                f"shifts overlap: {describe_shift(shifts[last])} "
                f"and {describe_shift(shifts[first])}"
            )


def zone(name: str) -> ZoneInfo:
    """The IANA time zone of that name, e.g. `Europe/Moscow`."""
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            f"unknown time zone: {name!r} (expected an IANA name like Europe/Moscow or UTC)"
        ) from None


def in_shift(shifts: Iterable[ShiftLike], local: datetime) -> bool:
    """Whether a wall-clock moment (in the shifts' time zone) falls inside one of them."""
    minute = local.weekday() * MINUTES_PER_DAY + local.hour * 60 + local.minute
    for shift in shifts:
        start, end = _week_span(shift)
        if start <= minute < end or start <= minute + MINUTES_PER_WEEK < end:
            return True
    return False


def on_leave(leaves: Iterable[LeaveLike], day: date) -> bool:
    return any(leave.starts_on <= day <= leave.ends_on for leave in leaves)


@dataclass(frozen=True, slots=True)
class Availability:
    on_shift: bool
    on_leave: bool

    @property
    def available(self) -> bool:
        return self.on_shift and not self.on_leave

    def describe(self) -> str:
        if self.on_leave:
            return "on leave"
        return "on shift" if self.on_shift else "off shift"


def availability(
    *,
    shifts: Iterable[ShiftLike],
    leaves: Iterable[LeaveLike],
    timezone: str,
    at: datetime,
) -> Availability:
    """Where a user stands at the instant `at` (aware): on shift, on leave, or neither.

    Both are judged on the user's wall clock: the shift by the local time, the leave by the
    local date (so a night shift running into a day of leave stops at midnight).
    """
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValidationError("the instant must carry a time zone")
    local = at.astimezone(zone(timezone))
    return Availability(on_shift=in_shift(shifts, local), on_leave=on_leave(leaves, local.date()))


def is_available(
    *,
    shifts: Iterable[ShiftLike],
    leaves: Iterable[LeaveLike],
    timezone: str,
    at: datetime,
) -> bool:
    """On shift at the instant `at` and not on leave that day: may be given work now."""
    return availability(shifts=shifts, leaves=leaves, timezone=timezone, at=at).available


# How far ahead "next on shift" looks: past it a person counts as having no shift ahead.
HORIZON_DAYS = 21


def next_available(
    *,
    shifts: Iterable[ShiftLike],
    leaves: Iterable[LeaveLike],
    timezone: str,
    at: datetime,
    horizon_days: int = HORIZON_DAYS,
) -> datetime | None:
    """The first instant at or after `at` when the user is on shift and not on leave, in
    the user's zone; `at` itself when they are available now; None when no shift within
    `horizon_days` is free of leave.

    Where someone stands changes only when a shift starts (or ends) and at local midnight
    (leave covers whole days), so those are the only instants tried.
    """
    shifts, leaves = list(shifts), list(leaves)

    def free(moment: datetime) -> bool:
        return availability(shifts=shifts, leaves=leaves, timezone=timezone, at=moment).available

    if free(at):
        return at
    tz = zone(timezone)
    first_day = at.astimezone(tz).date()
    tried: list[datetime] = []
    for offset in range(horizon_days + 1):
        day = date.fromordinal(first_day.toordinal() + offset)
        tried.append(datetime.combine(day, time(0), tzinfo=tz))
        tried.extend(
            datetime.combine(day, s.starts, tzinfo=tz) for s in shifts if s.weekday == day.weekday()
        )
    for moment in sorted(t for t in tried if t > at):
        if free(moment):
            return moment
    return None


def describe_when(at: datetime, *, now: datetime, tz: tzinfo) -> str:
    """When, as a dispatcher reads it in their own zone: `now`, `08:00 today`,
    `08:00 tomorrow`, `Mon 08:00` within the week, else `2026-12-14 08:00`."""
    if at <= now:
        return "now"
    local, today = at.astimezone(tz), now.astimezone(tz).date()
    clock = local.strftime("%H:%M")
    days = (local.date() - today).days
    if days == 0:
        return f"{clock} today"
    if days == 1:
        return f"{clock} tomorrow"
    if days < 7:
        return f"{WEEKDAYS[local.weekday()].capitalize()} {clock}"
    return f"{local.date().isoformat()} {clock}"
