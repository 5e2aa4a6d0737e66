"""The business calendar: when the SLA clock runs.

A calendar is weekly opening hours in the local wall time of one IANA time zone, minus
public holidays (the `holidays` package) and extra closed dates, plus extra working dates
with their own hours. `always_open` is the 24x7 calendar.

Time model (the rules every method follows):

* All arithmetic is done on absolute instants (UTC). Every datetime passed in must be
  timezone-aware (any zone); a naive one raises ValueError. Datetimes returned show the
  calendar's local time with a *fixed* offset (a `datetime.timezone` named like "CEST"),
  not the ZoneInfo itself: Python compares and subtracts two datetimes that share a
  ZoneInfo by wall clock, and treats one inside a repeated DST hour as unequal to every
  other zone's view of the same instant (PEP 495), which is wrong or surprising around
  DST changes. Fixed offsets make `==`, `<` and `-` exact. Use
  `.astimezone(calendar.zone)` to get the zone back (e.g. to add calendar days).
* An instant is business time exactly when the calendar's local clock shows a time
  inside that day's hours. So a day whose hours contain a DST change has its real
  length: on the spring-forward day 00:00-24:00 lasts 23 hours, on the fall-back day 25
  hours, and 20:00-08:00 over the fall-back night is 13 real hours.
* Spring forward: wall times in the gap never happen, so an interval boundary inside the
  gap moves to the instant the clocks jump. On the day Berlin skips 02:00-03:00,
  "02:30-06:00" opens at 03:00 CEST, "01:00-02:30" closes at 03:00 CEST (= 02:00 CET,
  one real hour), and "02:00-02:30" is empty.
* Fall back: the repeated wall times happen twice, and are business time both times
  (both passes are real elapsed time). "01:00-02:30" on the night Berlin repeats
  02:00-03:00 is open 01:00-02:30 CEST and again 02:00-02:30 CET: 2 hours in all.
* An interval whose end is not after its start ("22:00-06:00"; "00:00-00:00" is a full
  24 hours) runs past midnight and belongs to the day it starts: whether it applies is
  decided by that day's weekday, holiday, closed and extra_open status. "24:00" is
  allowed as an end time. Overlapping intervals are simply united.
* Precedence for a date: `extra_open` (its own hours) > `closed` / public holiday > the
  weekday's hours.
* Business time is counted exactly (to the microsecond). `add_business_minutes` returns
  the instant at which the N-th business minute ends; `business_minutes_between` returns
  exact business seconds / 60 as a float, so `between(s, add(s, n)) == n` for every
  start `s`, aligned or not.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "WEEKDAYS",
    "BusinessCalendar",
    "CalendarSpec",
    "Closure",
    "Interval",
    "check_holiday_region",
    "load_zone",
    "parse_interval",
]

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# How long a calendar may stay closed before we decide it never opens again.
MAX_CLOSED_SPAN = timedelta(days=3 * 366)

_DAY = 24 * 60
_ONE_DAY = timedelta(days=1)
_MINUTE = timedelta(minutes=1)
_MAX_OFFSET = timedelta(hours=15)  # UTC offsets in use are within -12h..+14h
_INTERVAL = re.compile(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*")


class Interval(NamedTuple):
    """Opening hours of one day, in minutes after that day's local midnight.

    `end` is greater than `start`; it exceeds 1440 for an interval that runs past midnight.
    """

    start: int
    end: int


class Closure(NamedTuple):
    """A date on which the weekday's hours do not apply, and why."""

    day: date
    reason: str  # the holiday's name, or "closed"


@dataclass(frozen=True)
class CalendarSpec:
    """A calendar as it is stored and configured: plain values, validated by BusinessCalendar.

    `hours` maps "mon".."sun" to intervals "HH:MM-HH:MM" (a missing weekday or an empty
    tuple means closed); `extra_open` maps dates to their own intervals.
    """

    timezone: str
    always_open: bool = False
    hours: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    country: str | None = None
    subdivision: str | None = None
    closed: tuple[date, ...] = ()
    extra_open: Mapping[date, tuple[str, ...]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (dates as ISO strings); `from_json` reads it back."""
        return {
            "timezone": self.timezone,
            "always_open": self.always_open,
            "hours": {day: list(spans) for day, spans in self.hours.items()},
            "country": self.country,
            "subdivision": self.subdivision,
            "closed": [d.isoformat() for d in self.closed],
            "extra_open": {d.isoformat(): list(spans) for d, spans in self.extra_open.items()},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CalendarSpec:
        return cls(
            timezone=str(data["timezone"]),
            always_open=bool(data.get("always_open", False)),
            hours={str(k): tuple(v) for k, v in (data.get("hours") or {}).items()},
            country=data.get("country"),
            subdivision=data.get("subdivision"),
            closed=tuple(date.fromisoformat(d) for d in data.get("closed") or ()),
            extra_open={
                date.fromisoformat(k): tuple(v) for k, v in (data.get("extra_open") or {}).items()
            },
        )


def parse_interval(text: str) -> Interval:
    """Parse "09:00-18:00" into minutes after midnight; see the module doc for the rules.

    "22:00-06:00" -> Interval(1320, 1800); "00:00-00:00" -> Interval(0, 1440) (24 hours);
    "10:00-24:00" -> Interval(600, 1440). Raises ValueError on anything else.
    """
    match = _INTERVAL.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f'{text!r} is not an interval like "09:00-18:00"')
    sh, sm, eh, em = (int(g) for g in match.groups())
    if sh > 23 or sm > 59:
        raise ValueError(f"{text!r}: start time must be between 00:00 and 23:59")
    if em > 59 or eh > 24 or (eh == 24 and em != 0):
        raise ValueError(f"{text!r}: end time must be between 00:00 and 24:00")
    start, end = sh * 60 + sm, eh * 60 + em
    if end <= start:  # runs past midnight; "00:00-00:00" is the full 24 hours
        end += _DAY
    return Interval(start, end)


def load_zone(name: str) -> ZoneInfo:
    """The IANA zone called `name`; ValueError (not KeyError) when there is none."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        raise ValueError(
            f'unknown time zone {name!r} (expected an IANA name such as "Europe/Moscow")'
        ) from None


def check_holiday_region(country: str, subdivision: str | None = None) -> None:
    """Raise ValueError unless `holidays` knows this country (and subdivision)."""
    import holidays  # deferred: ~60 ms, and only calendars with a country need it

    try:
        holidays.country_holidays(country, subdiv=subdivision)
    except NotImplementedError:
        if subdivision is None:
            raise ValueError(
                f'unknown holiday country {country!r} (an ISO 3166 code such as "RU")'
            ) from None
        try:
            holidays.country_holidays(country)
        except NotImplementedError:
            raise ValueError(f"unknown holiday country {country!r}") from None
        raise ValueError(
            f"unknown subdivision {subdivision!r} for holiday country {country!r}"
        ) from None


@lru_cache(maxsize=256)
def _public_holidays(country: str, subdivision: str | None, year: int) -> Mapping[date, str]:
    """Public holidays of one year; cached because the `holidays` package is slow to build."""
    import holidays  # deferred: ~60 ms at import

    found = holidays.country_holidays(country, subdiv=subdivision, years=year)
    return {day: str(name) for day, name in sorted(found.items()) if day.year == year}


def _to_utc(value: datetime, what: str) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"{what} must be a datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} is a naive datetime ({value.isoformat()}); pass an aware one")
    return value.astimezone(UTC)


class BusinessCalendar:
    """Business-time arithmetic over a validated CalendarSpec (see the module doc)."""

    def __init__(self, spec: CalendarSpec) -> None:
        self.spec = spec
        self.zone: tzinfo = load_zone(spec.timezone)
        if spec.always_open:
            extras = [
                name
                for name, present in (
                    ("hours", any(spec.hours.values())),
                    ("country", spec.country is not None),
                    ("subdivision", spec.subdivision is not None),
                    ("closed", bool(spec.closed)),
                    ("extra_open", bool(spec.extra_open)),
                )
                if present
            ]
            if extras:
                raise ValueError(
                    f"an always_open (24x7) calendar cannot also have {', '.join(extras)}; "
                    'for 24x7 with holidays use hours "00:00-24:00" on every day instead'
                )
        unknown = sorted(set(spec.hours) - set(WEEKDAYS))
        if unknown:
            raise ValueError(
                f"unknown weekday {unknown[0]!r} in hours (expected one of {', '.join(WEEKDAYS)})"
            )
        self._weekly: tuple[tuple[Interval, ...], ...] = tuple(
            tuple(sorted(parse_interval(text) for text in spec.hours.get(day, ())))
            for day in WEEKDAYS
        )
        self._extra_open: dict[date, tuple[Interval, ...]] = {
            day: tuple(sorted(parse_interval(text) for text in spans))
            for day, spans in spec.extra_open.items()
        }
        self._closed = frozenset(spec.closed)
        if spec.subdivision is not None and spec.country is None:
            raise ValueError("a holiday subdivision needs a country")
        if spec.country is not None:
            check_holiday_region(spec.country, spec.subdivision)
        if not spec.always_open and not any(self._weekly) and not self._extra_open:
            raise ValueError(
                "the calendar has no open time at all: give hours for at least one weekday, "
                "or always_open = true"
            )
        self._pieces_cache: dict[date, tuple[tuple[datetime, datetime], ...]] = {}
        self._fixed_zones: dict[tuple[timedelta, str | None], timezone] = {}
        self._timeline: _Timeline | None = None

    @classmethod
    def from_spec(
        cls, spec: CalendarSpec, *, holidays_years: Iterable[int] = ()
    ) -> BusinessCalendar:
        """Build and validate a calendar; `holidays_years` pre-loads those years' holidays.

        Holidays of any other year are still looked up (and cached) on first use.
        """
        calendar = cls(spec)
        for year in holidays_years:
            calendar._holidays(year)
        return calendar

    def __repr__(self) -> str:
        return f"BusinessCalendar({self.spec!r})"

    # ------------------------------------------------------------------ dates

    def _holidays(self, year: int) -> Mapping[date, str]:
        if self.spec.country is None:
            return {}
        return _public_holidays(self.spec.country, self.spec.subdivision, year)

    def holiday_name(self, day: date) -> str | None:
        """The public holiday on `day`, if any (extra_open does not change the answer)."""
        return self._holidays(day.year).get(day)

    def hours_on(self, day: date) -> tuple[Interval, ...]:
        """The intervals that start on local date `day`, after holidays and overrides."""
        if self.spec.always_open:
            return (Interval(0, _DAY),)
        if day in self._extra_open:
            return self._extra_open[day]
        if day in self._closed or self.holiday_name(day) is not None:
            return ()
        return self._weekly[day.weekday()]

    def closures(self, start: datetime, end: datetime) -> list[Closure]:
        """Holidays and closed dates among the local dates touched by [start, end).

        A date listed in extra_open is not a closure. Every such date is listed, even one
        whose weekday has no hours anyway; the reason is the holiday's name, else "closed".
        """
        first = _to_utc(start, "start").astimezone(self.zone).date()
        last = _to_utc(end, "end").astimezone(self.zone).date()
        result: list[Closure] = []
        if self.spec.always_open:
            return result
        day = first
        while day <= last:
            if day not in self._extra_open:
                name = self.holiday_name(day)
                if name is not None:
                    result.append(Closure(day, name))
                elif day in self._closed:
                    result.append(Closure(day, "closed"))
            day += _ONE_DAY
        return result

    # --------------------------------------------------------------- instants

    def _local(self, instant: datetime) -> datetime:
        """`instant` in the calendar's local time, with a fixed offset (see the module doc)."""
        local = instant.astimezone(self.zone)
        offset, name = local.utcoffset(), local.tzname()
        assert offset is not None
        key = (offset, name)
        fixed = self._fixed_zones.get(key)
        if fixed is None:
            fixed = self._fixed_zones[key] = timezone(offset, name) if name else timezone(offset)
        return instant.astimezone(fixed)

    def _offset_runs(
        self, lo: datetime, hi: datetime
    ) -> list[tuple[datetime, datetime, timedelta]]:
        """[lo, hi) cut where the zone's UTC offset changes: (start, end, offset) runs.

        The offset is sampled at both ends and the middle, and each change is located to
        the second (tzdata changes offsets on whole seconds); this assumes the offset does
        not change and change back within half the span, true of every zone in use.
        """
        samples = [lo, lo + (hi - lo) / 2, hi]
        offsets = [self._offset(t) for t in samples]
        runs: list[tuple[datetime, datetime, timedelta]] = []
        start = lo
        for (a, off_a), (b, off_b) in itertools.pairwise(zip(samples, offsets, strict=True)):
            if off_a != off_b:
                low, high = 0, max(1, math.ceil((b - a).total_seconds()))
                while high - low > 1:  # the first second at which the new offset holds
                    middle = (low + high) // 2
                    if self._offset(a + timedelta(seconds=middle)) == off_a:
                        low = middle
                    else:
                        high = middle
                change = a + timedelta(seconds=high)
                runs.append((start, change, off_a))
                start = change
        runs.append((start, hi, offsets[-1]))
        return runs

    def _offset(self, instant: datetime) -> timedelta:
        offset = instant.astimezone(self.zone).utcoffset()
        assert offset is not None
        return offset

    def _day_pieces(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        cached = self._pieces_cache.get(day)
        if cached is not None:
            return cached
        pieces: list[tuple[datetime, datetime]] = []
        midnight = datetime.combine(day, time(), tzinfo=UTC)  # local wall time, labelled UTC
        for span in self.hours_on(day):
            # The instants t whose wall time t + offset(t) lies in [opens, closes).
            opens = midnight + timedelta(minutes=span.start)
            closes = midnight + timedelta(minutes=span.end)
            for run_start, run_end, offset in self._offset_runs(
                opens - _MAX_OFFSET, closes + _MAX_OFFSET
            ):
                first, last = max(run_start, opens - offset), min(run_end, closes - offset)
                if last > first:
                    pieces.append((first, last))
        result = tuple(sorted(pieces))
        if len(self._pieces_cache) > 4096:
            self._pieces_cache.clear()
        self._pieces_cache[day] = result
        return result

    def _pieces(
        self, start: datetime, until: datetime | None = None
    ) -> Iterator[tuple[datetime, datetime]]:
        """Disjoint business intervals (UTC) in time order, clipped to [start, until).

        Days are loaded one at a time into a heap, and a piece is released only once no
        later day can still produce an earlier one (a later day's pieces start at its
        local midnight at the earliest). Overlaps are clipped rather than merged, so a
        24x7-like calendar cannot make this loop forever. Without `until` this raises
        ValueError once the calendar has stayed closed for MAX_CLOSED_SPAN.
        """
        heap: list[tuple[datetime, datetime]] = []
        day = start.astimezone(self.zone).date() - 2 * _ONE_DAY  # overnight spans reach back
        covered = last_open = start
        while True:
            horizon = datetime.combine(day, time(), tzinfo=UTC) - _MAX_OFFSET
            while heap and heap[0][0] < horizon:
                opens, closes = heapq.heappop(heap)
                opens = max(opens, covered)
                if until is not None:
                    closes = min(closes, until)
                if closes > opens:
                    yield opens, closes
                    covered = last_open = closes
            if until is not None and horizon >= until:
                return
            if until is None and horizon - last_open > MAX_CLOSED_SPAN:
                raise ValueError(
                    f"the calendar ({self.spec.timezone}) has no open time in the "
                    f"{MAX_CLOSED_SPAN.days} days after {last_open.isoformat()}"
                )
            for piece in self._day_pieces(day):
                heapq.heappush(heap, piece)
            day += _ONE_DAY

    # ------------------------------------------------------------------ queries

    def is_open(self, at: datetime) -> bool:
        """Whether the instant `at` is business time (intervals are closed-open)."""
        moment = _to_utc(at, "at")
        if self.spec.always_open:
            return True
        opens, _ = next(self._pieces(moment))
        return opens <= moment

    def next_opening(self, at: datetime) -> datetime:
        """`at` itself if it is business time, else the next instant the calendar opens."""
        moment = _to_utc(at, "at")
        if self.spec.always_open:
            return self._local(moment)
        opens, _ = next(self._pieces(moment))
        return self._local(max(opens, moment))

    def add_business_minutes(self, start: datetime, minutes: int) -> datetime:
        """The instant at which the `minutes`-th business minute after `start` ends.

        Counting starts at `start` if it is business time, else at the next opening; the
        result is never the start of a later interval (a deadline that falls exactly at
        closing time is closing time). `minutes == 0` returns `start` itself (the same
        instant) whether or not the calendar is open then.
        Negative minutes raise ValueError.
        """
        return self.add_business_time(start, timedelta(minutes=_minutes(minutes)))

    def add_business_time(self, start: datetime, amount: timedelta) -> datetime:
        """`add_business_minutes` for any non-negative timedelta (to the microsecond)."""
        moment = _to_utc(start, "start")
        if amount < timedelta(0):
            raise ValueError(f"business time to add must not be negative, got {amount}")
        if amount == timedelta(0) or self.spec.always_open:
            return self._local(moment + amount)
        timeline = self._timeline_over(moment, moment + _TIMELINE_AHEAD)
        if timeline is not None:
            found = timeline.add(moment, amount)
            if found is not None:
                return self._local(found)
        remaining = amount  # past the timeline (a long closure ahead, a huge amount)
        for opens, closes in self._pieces(moment):
            available = closes - opens
            if remaining <= available:
                return self._local(opens + remaining)
            remaining -= available
        raise AssertionError("unreachable: _pieces_from never ends")  # pragma: no cover

    def business_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Business time in [start, end); negative (that of [end, start)) when end < start."""
        lo, hi = _to_utc(start, "start"), _to_utc(end, "end")
        if hi < lo:
            return -self.business_time_between(end, start)
        if self.spec.always_open:
            return hi - lo
        timeline = self._timeline_over(lo, hi)
        if timeline is not None:
            return timeline.measure(hi) - timeline.measure(lo)
        total = timedelta(0)
        for opens, closes in self._pieces(lo, hi):
            total += closes - opens
        return total

    def _timeline_over(self, lo: datetime, hi: datetime) -> _Timeline | None:
        """The business intervals around [lo, hi), their running sums, built once for a
        span of days and again (wider) when a question falls outside it; None for a span
        too long to keep (the intervals are walked then, as they were)."""
        timeline = self._timeline
        if timeline is not None and timeline.start <= lo and hi <= timeline.end:
            return timeline
        start, end = lo - _TIMELINE_MARGIN, hi + _TIMELINE_MARGIN
        if end - start > _TIMELINE_MAX:
            return None
        if timeline is not None:  # the one kept grows to this span, within the longest
            wider = min(start, timeline.start), max(end, timeline.end)
            if wider[1] - wider[0] <= _TIMELINE_MAX:
                start, end = wider
        timeline = _Timeline(start, end, self._pieces(start, end))
        self._timeline = timeline  # replaced whole: other threads read the one they hold
        return timeline

    def business_minutes_between(self, start: datetime, end: datetime) -> float:
        """Exact business seconds in [start, end) / 60, as a float; negative if end < start.

        The inverse of `add_business_minutes`: `between(s, add(s, n)) == n` for every
        aware `s` and whole `n >= 0`. Round it yourself where whole minutes are shown.
        """
        return self.business_time_between(start, end) / _MINUTE

    def open_intervals(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """Business intervals inside [start, end), clipped to it, contiguous ones merged.

        Datetimes are in the calendar's local time (fixed offsets, see the module doc),
        so `hi - lo` is the real length. Empty when end <= start.
        """
        lo, hi = _to_utc(start, "start"), _to_utc(end, "end")
        if hi <= lo:
            return []
        if self.spec.always_open:
            return [(self._local(lo), self._local(hi))]
        merged: list[tuple[datetime, datetime]] = []
        for opens, closes in self._pieces(lo, hi):
            if merged and merged[-1][1] >= opens:
                merged[-1] = (merged[-1][0], closes)
            else:
                merged.append((opens, closes))
        return [(self._local(a), self._local(b)) for a, b in merged]


# The timeline of business intervals a calendar keeps: built at least this far around
# the instants asked about, at most this long (beyond, the intervals are walked each time).
_TIMELINE_MARGIN = timedelta(days=45)
_TIMELINE_AHEAD = timedelta(days=30)  # an addition looks this far ahead before it counts
_TIMELINE_MAX = timedelta(days=5 * 366)


class _Timeline:
    """The business intervals in [start, end) (disjoint, in order, as `_pieces` yields
    them) with the business time before each: business time between two instants is a
    difference of two running sums found by bisection, not a walk over the days between.

    Exact: the sums are timedeltas (microseconds), and an interval's part before `start`
    or after `end` is cut off, so only instants inside [start, end) are asked about.
    """

    __slots__ = ("_before", "_closes", "_opens", "end", "start")

    def __init__(
        self, start: datetime, end: datetime, pieces: Iterable[tuple[datetime, datetime]]
    ) -> None:
        self.start, self.end = start, end
        self._opens: list[datetime] = []
        self._closes: list[datetime] = []
        self._before: list[timedelta] = []  # business time in [start, opens[i])
        total = timedelta(0)
        for opens, closes in pieces:
            self._opens.append(opens)
            self._closes.append(closes)
            self._before.append(total)
            total += closes - opens
        self._before.append(total)  # and in the whole timeline, after the last interval

    def measure(self, at: datetime) -> timedelta:
        """Business time in [start, at), for `start <= at <= end`."""
        i = bisect.bisect_right(self._opens, at) - 1
        if i < 0:
            return timedelta(0)
        return self._before[i] + min(at, self._closes[i]) - self._opens[i]

    def add(self, at: datetime, amount: timedelta) -> datetime | None:
        """The instant at which `amount` (> 0) of business time from `at` ends (never the
        opening of a later interval); None when it ends after the timeline does."""
        target = self.measure(at) + amount
        # The first interval whose end reaches the target: `_before[i + 1]` is the
        # business time up to the end of interval i.
        i = bisect.bisect_left(self._before, target, lo=1) - 1
        if i >= len(self._opens):
            return None
        return self._opens[i] + (target - self._before[i])


def _minutes(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"minutes must be an int, got {value!r}")
    if value < 0:
        raise ValueError(f"business minutes to add must not be negative, got {value}")
    return value
