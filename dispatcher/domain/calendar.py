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
* An interval "HH:MM-HH:MM" of local date D opens at the *first* instant the local clock
  shows D HH:MM and closes at the *last* instant it shows the end time. So a day whose
  hours contain a DST change has its real length: on the spring-forward day a
  00:00-24:00 day lasts 23 hours, on the fall-back day 25 hours, and the repeated hour is
  counted in full, as real elapsed time.
* A wall time that does not exist (inside the spring-forward gap) is clamped to the
  instant the clocks jump, i.e. the first instant after the gap. "02:30-06:00" on the
  day Berlin skips 02:00-03:00 opens at 03:00 CEST; "01:00-02:30" closes at 03:00 CEST
  (= 02:00 CET, one real hour); "02:00-02:30" is empty that day.
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

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

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
            fixed = self._fixed_zones[key] = timezone(offset, name)
        return instant.astimezone(fixed)

    def _wall_to_utc(self, day: date, minute: int, *, first: bool) -> datetime:
        """The instant the local clock shows `day` + `minute` minutes.

        `first` picks the earlier of two instants in the repeated fall-back hour (used for
        openings), otherwise the later one (closings). A time inside the spring-forward gap
        becomes the instant the clocks jump.
        """
        days, minute = divmod(minute, _DAY)
        wall = datetime.combine(day + timedelta(days=days), time(minute // 60, minute % 60))
        candidates: list[datetime] = []
        for fold in (0, 1):
            instant = wall.replace(tzinfo=self.zone, fold=fold).astimezone(UTC)
            if instant.astimezone(self.zone).replace(tzinfo=None) == wall:
                candidates.append(instant)
        if candidates:
            return min(candidates) if first else max(candidates)
        return self._gap_end(wall)

    def _gap_end(self, wall: datetime) -> datetime:
        """The first instant whose local time is past `wall`, a time the clocks skip."""
        a = wall.replace(tzinfo=self.zone, fold=0).astimezone(UTC)
        b = wall.replace(tzinfo=self.zone, fold=1).astimezone(UTC)
        base = min(a, b)  # local(base) < wall < local(max(a, b)); offsets are whole seconds
        lo, hi = 0, int((max(a, b) - base).total_seconds())
        while hi - lo > 1:
            middle = (lo + hi) // 2
            instant = base + timedelta(seconds=middle)
            if instant.astimezone(self.zone).replace(tzinfo=None) > wall:
                hi = middle
            else:
                lo = middle
        return base + timedelta(seconds=hi)

    def _day_pieces(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        cached = self._pieces_cache.get(day)
        if cached is not None:
            return cached
        pieces: list[tuple[datetime, datetime]] = []
        for span in self.hours_on(day):
            opens = self._wall_to_utc(day, span.start, first=True)
            closes = self._wall_to_utc(day, span.end, first=False)
            if closes > opens:
                pieces.append((opens, closes))
        result = tuple(sorted(pieces))
        if len(self._pieces_cache) > 4096:
            self._pieces_cache.clear()
        self._pieces_cache[day] = result
        return result

    def _pieces_from(self, at: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Disjoint business intervals (UTC) in time order, the first ending after `at`.

        Overlaps are clipped rather than merged, so a 24x7-like calendar cannot make this
        loop forever. Raises ValueError if the calendar stays closed for MAX_CLOSED_SPAN.
        """
        day = at.astimezone(self.zone).date() - 2 * _ONE_DAY  # overnight spans reach back
        covered = at
        while True:
            quiet_since = day
            while _last_close(pieces := self._day_pieces(day), covered) <= covered:
                day += _ONE_DAY
                if day - quiet_since > MAX_CLOSED_SPAN:
                    raise ValueError(
                        f"calendar {self.spec.timezone} has no open time in the "
                        f"{MAX_CLOSED_SPAN.days} days after {covered.isoformat()}"
                    )
            for opens, closes in pieces:
                opens = max(opens, covered)
                if closes > opens:
                    yield opens, closes
                    covered = closes
            day += _ONE_DAY

    # ------------------------------------------------------------------ queries

    def is_open(self, at: datetime) -> bool:
        """Whether the instant `at` is business time (intervals are closed-open)."""
        moment = _to_utc(at, "at")
        if self.spec.always_open:
            return True
        opens, _ = next(self._pieces_from(moment))
        return opens <= moment

    def next_opening(self, at: datetime) -> datetime:
        """`at` itself if it is business time, else the next instant the calendar opens."""
        moment = _to_utc(at, "at")
        if self.spec.always_open:
            return self._local(moment)
        opens, _ = next(self._pieces_from(moment))
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
        remaining = amount
        for opens, closes in self._pieces_from(moment):
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
        total = timedelta(0)
        for opens, closes in self._pieces_until(lo, hi):
            total += closes - opens
        return total

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
        for opens, closes in self._pieces_until(lo, hi):
            if merged and merged[-1][1] >= opens:
                merged[-1] = (merged[-1][0], closes)
            else:
                merged.append((opens, closes))
        return [(self._local(a), self._local(b)) for a, b in merged]

    def _pieces_until(self, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Disjoint business intervals clipped to [start, end), bounded by `end`."""
        day = start.astimezone(self.zone).date() - 2 * _ONE_DAY
        last = end.astimezone(self.zone).date()
        covered = start
        while day <= last:
            for opens, closes in self._day_pieces(day):
                opens, closes = max(opens, covered), min(closes, end)
                if closes > opens:
                    yield opens, closes
                    covered = closes
            day += _ONE_DAY


def _minutes(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"minutes must be an int, got {value!r}")
    if value < 0:
        raise ValueError(f"business minutes to add must not be negative, got {value}")
    return value


def _last_close(pieces: tuple[tuple[datetime, datetime], ...], default: datetime) -> datetime:
    return max((closes for _, closes in pieces), default=default)
