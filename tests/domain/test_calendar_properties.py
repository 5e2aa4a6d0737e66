"""Property tests of the business calendar against a brute-force, minute-stepping oracle.

The oracle shares nothing with the implementation but the `holidays` package: it walks
UTC minutes, converts each to local wall time (the unambiguous UTC -> local direction
only) and asks whether that wall time lies inside an interval of that local day's hours
(or of the day before, for intervals running past midnight). That is the calendar's rule,
DST changes included: skipped wall times never happen, repeated ones happen twice.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dispatcher.domain.calendar import BusinessCalendar, CalendarSpec
from tests.hypothesis_profiles import examples

ZONES = ("Europe/Berlin", "America/New_York", "Australia/Sydney", "Europe/Moscow", "UTC")
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTE = timedelta(minutes=1)


# ------------------------------------------------------------------------------- the oracle


def _hm(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _wall_spans(texts: Sequence[str]) -> list[tuple[int, int]]:
    spans = []
    for text in texts:
        first, second = text.split("-")
        start, end = _hm(first), _hm(second)
        if end <= start:
            end += 24 * 60
        spans.append((start, end))
    return spans


@lru_cache(maxsize=64)
def _oracle_holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year))


def _spans_of_day(spec: CalendarSpec, day: date) -> list[tuple[int, int]]:
    if spec.always_open:
        return [(0, 24 * 60)]
    if day in spec.extra_open:
        return _wall_spans(spec.extra_open[day])
    if day in spec.closed:
        return []
    if spec.country and day in _oracle_holidays(spec.country, spec.subdivision, day.year):
        return []
    return _wall_spans(spec.hours.get(DAY_NAMES[day.weekday()], ()))


def oracle_flags(spec: CalendarSpec, t0: datetime, count: int) -> list[bool]:
    """flags[i]: whether the UTC minute starting at t0 + i minutes is business time."""
    zone = ZoneInfo(spec.timezone)
    day_spans: dict[date, list[tuple[datetime, datetime]]] = {}

    def spans(day: date) -> list[tuple[datetime, datetime]]:
        if day not in day_spans:
            midnight = datetime(day.year, day.month, day.day)  # noqa: DTZ001 - wall time
            day_spans[day] = [
                (midnight + s * MINUTE, midnight + e * MINUTE) for s, e in _spans_of_day(spec, day)
            ]
        return day_spans[day]

    flags = []
    for i in range(count):
        wall = (t0 + i * MINUTE).astimezone(zone).replace(tzinfo=None)
        today = wall.date()
        flags.append(
            any(
                opens <= wall < closes
                for day in (today - timedelta(days=1), today)
                for opens, closes in spans(day)
            )
        )
    return flags


def runs(flags: Sequence[bool], t0: datetime) -> list[tuple[datetime, datetime]]:
    result = []
    for value, group in itertools.groupby(enumerate(flags), key=lambda pair: pair[1]):
        if value:
            indexes = [i for i, _ in group]
            result.append((t0 + indexes[0] * MINUTE, t0 + (indexes[-1] + 1) * MINUTE))
    return result


# ------------------------------------------------------------------------------ strategies


def _transitions(zone_name: str) -> list[datetime]:
    """UTC instants around which the zone's offset changes in 2025-2026 (hourly scan)."""
    zone = ZoneInfo(zone_name)
    hour = datetime(2025, 1, 1, tzinfo=UTC)
    found = []
    previous = hour.astimezone(zone).utcoffset()
    while hour.year < 2027:
        offset = hour.astimezone(zone).utcoffset()
        if offset != previous:
            found.append(hour)
            previous = offset
        hour += timedelta(hours=1)
    return found


TRANSITIONS = {name: _transitions(name) for name in ZONES}
assert len(TRANSITIONS["Europe/Berlin"]) == 4
assert len(TRANSITIONS["Australia/Sydney"]) == 4
HOLIDAY_ANCHORS = [
    datetime(2025, 12, 31, 12, tzinfo=UTC),
    datetime(2026, 1, 8, 12, tzinfo=UTC),
    datetime(2026, 1, 6, 6, tzinfo=UTC),  # Epiphany: Bavaria (DE-BY) only
    datetime(2026, 5, 1, tzinfo=UTC),
    datetime(2026, 6, 4, 6, tzinfo=UTC),  # Corpus Christi: Bavaria only
    datetime(2026, 12, 24, tzinfo=UTC),
]

TYPICAL = [
    "09:00-18:00",
    "09:00-13:00",
    "14:00-18:00",
    "22:00-06:00",
    "00:00-24:00",
    "00:00-00:00",
    "20:00-08:00",
    "01:30-03:30",
    "02:30-02:45",
    "02:00-03:00",
    "03:00-02:00",
    "08:00-02:30",
]


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@st.composite
def intervals(draw: st.DrawFn, night: bool = False) -> str:
    """An interval; `night` puts its ends between 00:00 and 04:00, where DST changes are."""
    if draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from(TYPICAL))
    last = 4 * 4 if night else 24 * 4
    start = draw(st.integers(0, min(last, 24 * 4 - 1))) * 15
    end = draw(st.integers(0, last)) * 15
    return f"{_clock(start)}-{_clock(end)}"


def day_hours(night: bool = False) -> st.SearchStrategy[tuple[str, ...]]:
    return st.lists(intervals(night), max_size=3).map(tuple)


@st.composite
def anchors(draw: st.DrawFn, zone: str) -> datetime:
    base = draw(
        st.one_of(
            st.sampled_from(TRANSITIONS[zone] or HOLIDAY_ANCHORS),
            st.sampled_from(HOLIDAY_ANCHORS),
            st.datetimes(datetime(2025, 1, 1), datetime(2027, 6, 1)).map(  # noqa: DTZ001
                lambda d: d.replace(second=0, microsecond=0, tzinfo=UTC)
            ),
        )
    )
    return base + draw(st.integers(-3 * 24 * 60, 24 * 60)) * MINUTE


@st.composite
def calendars(draw: st.DrawFn, zone: str, around: datetime, night: bool = False) -> CalendarSpec:
    if draw(st.integers(0, 9)) == 0:
        return CalendarSpec(zone, always_open=True)
    style = draw(st.sampled_from(["office", "random", "shifts"]))
    if style == "office" and not night:
        workday = draw(st.sampled_from([("09:00-18:00",), ("09:00-13:00", "14:00-18:00")]))
        hours = dict.fromkeys(DAY_NAMES[:5], workday)
    elif style == "shifts":
        hours = dict.fromkeys(DAY_NAMES, draw(day_hours(night)))
    else:
        hours = {name: draw(day_hours(night)) for name in DAY_NAMES if draw(st.booleans())}
    country, subdivision = draw(
        st.sampled_from([(None, None), (None, None), ("RU", None), ("DE", None), ("DE", "BY")])
    )
    nearby = st.integers(-6, 6).map(lambda n: around.date() + timedelta(days=n))
    closed = tuple(draw(st.lists(nearby, max_size=3, unique=True)))
    extra_open = draw(st.dictionaries(nearby, day_hours(night), max_size=2))
    if not any(hours.values()):
        hours["wed"] = ("10:00-11:00",)
    return CalendarSpec(
        zone,
        hours=hours,
        country=country,
        subdivision=subdivision,
        closed=closed,
        extra_open=extra_open,
    )


DST_ZONES = ("Europe/Berlin", "America/New_York", "Australia/Sydney")


@st.composite
def scenarios(draw: st.DrawFn, max_minutes: int) -> tuple[CalendarSpec, datetime, int]:
    """A calendar and a window [t0, t0 + count minutes); two in three contain a DST change."""
    count = draw(st.integers(1, max_minutes))
    if draw(st.integers(0, 2)) == 0:
        zone = draw(st.sampled_from(ZONES))
        t0 = draw(anchors(zone))
        return draw(calendars(zone, t0)), t0, count
    zone = draw(st.sampled_from(DST_ZONES))
    t0 = draw(st.sampled_from(TRANSITIONS[zone])) - draw(st.integers(0, count - 1)) * MINUTE
    return draw(calendars(zone, t0, night=draw(st.booleans()))), t0, count


BERLIN_SPRING = datetime(2026, 3, 28, 12, tzinfo=UTC)
BERLIN_FALL = datetime(2026, 10, 24, 12, tzinfo=UTC)
SHIFTS = dict.fromkeys(DAY_NAMES, ("00:15-02:15", "02:30-02:45", "02:50-03:10", "23:00-01:30"))


# ---------------------------------------------------------------------- against the oracle


@settings(max_examples=examples(1000))
@given(scenario=scenarios(max_minutes=2 * 24 * 60), data=st.data())
@example(
    scenario=(CalendarSpec("Europe/Berlin", hours=SHIFTS), BERLIN_SPRING, 2 * 24 * 60),
    data=None,
)
@example(
    scenario=(CalendarSpec("Europe/Berlin", hours=SHIFTS), BERLIN_FALL, 2 * 24 * 60),
    data=None,
)
@example(
    scenario=(
        CalendarSpec("America/New_York", hours=dict.fromkeys(DAY_NAMES, ("00:00-00:00",))),
        datetime(2026, 11, 1, tzinfo=UTC),
        2 * 24 * 60,
    ),
    data=None,
)
def test_calendar_matches_the_minute_stepping_oracle(
    scenario: tuple[CalendarSpec, datetime, int], data: st.DataObject | None
) -> None:
    spec, t0, count = scenario
    calendar = BusinessCalendar(spec)
    flags = oracle_flags(spec, t0, count)
    t_end = t0 + count * MINUTE
    utc_intervals = [
        (a.astimezone(UTC), b.astimezone(UTC)) for a, b in calendar.open_intervals(t0, t_end)
    ]
    assert utc_intervals == runs(flags, t0)
    assert calendar.business_minutes_between(t0, t_end) == sum(flags)

    draw: Callable[[st.SearchStrategy[int]], int] = (
        data.draw if data is not None else (lambda strategy: 0)
    )
    for _ in range(4):
        i = draw(st.integers(0, count - 1))
        at = t0 + i * MINUTE
        assert calendar.is_open(at) == flags[i]
        upcoming = [j for j in range(i, count) if flags[j]]
        opening = calendar.next_opening(at)
        if upcoming:
            assert opening == t0 + upcoming[0] * MINUTE
        else:
            assert opening >= t_end
        k = draw(st.integers(0, len(upcoming) + 2))
        due = calendar.add_business_minutes(at, k)
        if k == 0:
            assert due == at
        elif k <= len(upcoming):
            assert due == t0 + (upcoming[k - 1] + 1) * MINUTE
        else:
            assert due > t_end
        j = draw(st.integers(i, count))
        assert calendar.business_minutes_between(at, t0 + j * MINUTE) == sum(flags[i:j])


# ------------------------------------------------------------------ algebraic properties


@st.composite
def instants(draw: st.DrawFn, zone: str) -> datetime:
    """Anywhere, to the microsecond, expressed in a random zone."""
    moment = draw(anchors(zone)) + draw(st.integers(0, 60 * 1_000_000 - 1)) * timedelta(
        microseconds=1
    )
    return moment.astimezone(ZoneInfo(draw(st.sampled_from(ZONES))))


@st.composite
def calendar_and_start(draw: st.DrawFn) -> tuple[BusinessCalendar, datetime]:
    zone = draw(st.sampled_from(ZONES))
    start = draw(instants(zone))
    return BusinessCalendar(draw(calendars(zone, start))), start


@settings(max_examples=examples(1200))
@given(pair=calendar_and_start(), n=st.integers(0, 12_000), m=st.integers(0, 3_000))
def test_between_inverts_add_and_add_is_additive(
    pair: tuple[BusinessCalendar, datetime], n: int, m: int
) -> None:
    calendar, start = pair
    due = calendar.add_business_minutes(start, n)
    assert due >= start
    assert calendar.business_minutes_between(start, due) == n
    assert calendar.business_time_between(start, due) == timedelta(minutes=n)
    assert calendar.business_minutes_between(due, start) == -n
    assert calendar.add_business_minutes(due, m) == calendar.add_business_minutes(start, n + m)
    later = calendar.add_business_minutes(start, n + 1)
    assert later - due >= MINUTE
    assert calendar.is_open(later - timedelta(microseconds=1))
    if n > 0:
        assert calendar.is_open(due - timedelta(microseconds=1))


@settings(max_examples=examples(800))
@given(
    pair=calendar_and_start(),
    gaps=st.lists(st.integers(0, 3 * 24 * 60 * 60), min_size=2, max_size=2),
    n=st.integers(1, 3_000),
)
def test_monotonic_and_additive_between(
    pair: tuple[BusinessCalendar, datetime], gaps: list[int], n: int
) -> None:
    calendar, a = pair
    # In UTC: `aware + timedelta` is wall-clock arithmetic that drops `fold`.
    b = a.astimezone(UTC) + timedelta(seconds=gaps[0])
    c = b + timedelta(seconds=gaps[1])
    ab, bc = calendar.business_time_between(a, b), calendar.business_time_between(b, c)
    assert timedelta(0) <= ab <= b - a.astimezone(UTC)
    assert ab + bc == calendar.business_time_between(a, c)
    assert calendar.add_business_minutes(a, n) <= calendar.add_business_minutes(b, n)
    opening = calendar.next_opening(b)
    assert opening >= b
    assert calendar.is_open(opening)
    assert calendar.business_time_between(b, opening) == timedelta(0)
    merged = calendar.open_intervals(a, c)
    assert sum((hi - lo for lo, hi in merged), timedelta(0)) == ab + bc
    assert all(lo < hi for lo, hi in merged)
    assert all(left[1] < right[0] for left, right in itertools.pairwise(merged))


# ------------------------------------------------------------ the timeline against the walk


class WalkingCalendar(BusinessCalendar):
    """The same calendar answering by walking its intervals every time (no timeline)."""

    def _timeline_over(self, lo: datetime, hi: datetime) -> None:
        return None


# Offsets from the first instant asked about: inside the timeline, just past its margins,
# far enough to make it grow, and past the longest span it keeps.
JUMPS = st.sampled_from([0, 1, 44, 46, 80, 200, 400, -50, -120, 2000, -2000]).map(
    lambda days: timedelta(days=days)
)


@settings(max_examples=examples(600))
@given(pair=calendar_and_start(), data=st.data())
def test_the_timeline_answers_what_walking_the_intervals_answers(
    pair: tuple[BusinessCalendar, datetime], data: st.DataObject
) -> None:
    """One calendar asked a run of questions (its timeline built, grown, bypassed, gone
    past) answers each exactly as a calendar that walks its intervals every time."""
    calendar, start = pair
    walking = WalkingCalendar(calendar.spec)
    at = start
    for _ in range(6):
        at = at + data.draw(JUMPS) + data.draw(st.integers(0, 24 * 60)) * MINUTE
        until = at + data.draw(st.integers(-40 * 24 * 60, 40 * 24 * 60)) * MINUTE
        assert calendar.business_time_between(at, until) == walking.business_time_between(at, until)
        amount = data.draw(st.integers(1, 60 * 24 * 60)) * timedelta(seconds=1)
        assert calendar.add_business_time(at, amount) == walking.add_business_time(at, amount)
        # To the very end of an interval ahead: its closing, not the next one's opening.
        ahead = walking.open_intervals(at, at + timedelta(days=20))
        if ahead:
            closing = ahead[data.draw(st.integers(0, len(ahead) - 1))][1]
            to_closing = walking.business_time_between(at, closing)
            assert calendar.add_business_time(at, to_closing) == closing
