from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dispatcher.domain.calendar import (
    MAX_CLOSED_SPAN,
    WEEKDAYS,
    BusinessCalendar,
    CalendarSpec,
    Closure,
    Interval,
    check_holiday_region,
    load_zone,
    parse_interval,
)

MOSCOW = ZoneInfo("Europe/Moscow")
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
MINUTE = timedelta(minutes=1)

WORKWEEK = dict.fromkeys(WEEKDAYS[:5], ("09:00-18:00",))
LUNCH = dict.fromkeys(WEEKDAYS[:5], ("09:00-13:00", "14:00-18:00"))


def office(**changes: object) -> BusinessCalendar:
    fields: dict[str, object] = {"timezone": "Europe/Moscow", "hours": WORKWEEK}
    fields.update(changes)
    return BusinessCalendar(CalendarSpec(**fields))  # type: ignore[arg-type]


def msk(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=MOSCOW)


# --------------------------------------------------------------------------- the named cases


def test_friday_evening_ticket_is_due_monday_morning() -> None:
    calendar = office()
    friday = msk(2026, 3, 6, 17, 30)
    assert friday.strftime("%a") == "Fri"
    due = calendar.add_business_minutes(friday, 60)
    assert due == msk(2026, 3, 9, 9, 30)
    assert due.utcoffset() == timedelta(hours=3)
    assert due.tzname() == "MSK"
    assert calendar.business_minutes_between(friday, due) == 60


def test_lunch_break_is_skipped() -> None:
    calendar = office(hours=LUNCH)
    start = msk(2026, 3, 3, 12, 30)
    assert calendar.add_business_minutes(start, 60) == msk(2026, 3, 3, 14, 30)
    assert not calendar.is_open(msk(2026, 3, 3, 13, 15))
    assert calendar.next_opening(msk(2026, 3, 3, 13, 15)) == msk(2026, 3, 3, 14, 0)
    assert calendar.business_minutes_between(msk(2026, 3, 3, 9), msk(2026, 3, 4, 9)) == 8 * 60


def test_russian_new_year_holidays_are_skipped() -> None:
    calendar = office(country="RU")
    start = msk(2025, 12, 30, 17, 0)  # Tuesday; Dec 31 2025 to Jan 9 2026 are days off in RU
    due = calendar.add_business_minutes(start, 120)
    assert due == msk(2026, 1, 12, 10, 0)
    closures = calendar.closures(start, due)
    assert [c.day for c in closures] == [date(2025, 12, 31)] + [
        date(2026, 1, d) for d in range(1, 10)
    ]
    assert closures[1] == Closure(date(2026, 1, 1), "New Year Holidays")
    assert closures[7].reason == "Christmas Day"


def test_without_a_country_new_year_is_a_working_day() -> None:
    calendar = office()
    assert calendar.add_business_minutes(msk(2026, 1, 1, 9), 30) == msk(2026, 1, 1, 9, 30)
    assert calendar.holiday_name(date(2026, 1, 1)) is None


def test_extra_open_saturday() -> None:
    calendar = office(extra_open={date(2026, 3, 7): ("10:00-14:00",)})
    friday = msk(2026, 3, 6, 17, 30)
    assert calendar.add_business_minutes(friday, 60) == msk(2026, 3, 7, 10, 30)
    assert calendar.is_open(msk(2026, 3, 7, 13, 59))
    assert not calendar.is_open(msk(2026, 3, 7, 14, 0))
    assert calendar.add_business_minutes(friday, 30 + 240 + 15) == msk(2026, 3, 9, 9, 15)


def test_extra_open_overrides_holidays_and_closed_dates() -> None:
    calendar = office(
        country="RU",
        closed=(date(2026, 1, 8),),
        extra_open={date(2026, 1, 8): ("10:00-12:00",)},
    )
    assert calendar.hours_on(date(2026, 1, 8)) == (Interval(600, 720),)
    assert calendar.next_opening(msk(2026, 1, 1)) == msk(2026, 1, 8, 10)
    assert all(
        c.day != date(2026, 1, 8) for c in calendar.closures(msk(2026, 1, 1), msk(2026, 1, 9))
    )


def test_extra_closed_date() -> None:
    calendar = office(closed=(date(2026, 3, 9),))
    assert calendar.add_business_minutes(msk(2026, 3, 6, 17, 30), 60) == msk(2026, 3, 10, 9, 30)
    assert calendar.closures(msk(2026, 3, 6), msk(2026, 3, 11)) == [
        Closure(date(2026, 3, 9), "closed")
    ]


def test_overnight_shift_belongs_to_the_day_it_starts() -> None:
    calendar = office(hours={"fri": ("22:00-06:00",)}, closed=(date(2026, 3, 13),))
    friday_night = msk(2026, 3, 6, 23, 0)
    assert calendar.is_open(friday_night)
    assert calendar.is_open(msk(2026, 3, 7, 5, 59))  # Saturday morning, Friday's shift
    assert calendar.add_business_minutes(friday_night, 6 * 60) == msk(2026, 3, 7, 5, 0)
    # Saturday's own weekday is closed, so the shift ends at 06:00 and the next is Friday.
    assert calendar.add_business_minutes(friday_night, 7 * 60) == msk(2026, 3, 7, 6, 0)
    # Friday 13th is closed: its shift does not run, not even into Saturday 14th.
    assert calendar.add_business_minutes(friday_night, 8 * 60) == msk(2026, 3, 20, 23, 0)
    assert not calendar.is_open(msk(2026, 3, 14, 2, 0))
    assert calendar.is_open(msk(2026, 3, 21, 2, 0))


def test_overnight_shift_starting_on_a_holiday_does_not_run() -> None:
    calendar = office(hours=dict.fromkeys(WEEKDAYS, ("22:00-06:00",)), country="RU")
    assert not calendar.is_open(msk(2026, 1, 8, 23, 0))  # Jan 8 is a holiday
    assert not calendar.is_open(msk(2026, 1, 9, 3, 0))  # still Jan 8's shift
    assert calendar.is_open(msk(2025, 12, 30, 23, 0))
    assert calendar.is_open(msk(2025, 12, 31, 5, 0))  # Dec 30's shift runs into a holiday
    assert calendar.next_opening(msk(2025, 12, 31, 7, 0)) == msk(2026, 1, 10, 22, 0)


def test_full_day_and_24_00_intervals() -> None:
    assert parse_interval("00:00-00:00") == Interval(0, 1440)
    assert parse_interval("00:00-24:00") == Interval(0, 1440)
    assert parse_interval("10:00-24:00") == Interval(600, 1440)
    assert parse_interval("22:00-06:00") == Interval(1320, 1800)
    assert parse_interval("9:30 - 18:00") == Interval(570, 1080)
    assert parse_interval("12:00-12:00") == Interval(720, 2160)


@pytest.mark.parametrize("text", ["24:00-10:00", "09:60-10:00", "09:00-24:30", "9-18", "09:00", ""])
def test_bad_intervals(text: str) -> None:
    with pytest.raises(ValueError, match="interval|time"):
        parse_interval(text)


def test_24x7_intervals_are_merged_across_midnight() -> None:
    for calendar in (
        BusinessCalendar(CalendarSpec("Europe/Moscow", always_open=True)),
        office(hours=dict.fromkeys(WEEKDAYS, ("00:00-24:00",))),
    ):
        start, end = msk(2026, 3, 6, 17, 30), msk(2026, 3, 9, 9, 30)
        assert calendar.open_intervals(start, end) == [(start, end)]
        assert calendar.add_business_minutes(start, 60 * 24 * 10) == start + timedelta(days=10)
        assert calendar.business_minutes_between(start, end) == (end - start) / timedelta(minutes=1)
        assert calendar.is_open(start)
        assert calendar.next_opening(start) == start


def test_open_intervals_of_an_office_week() -> None:
    calendar = office(hours=LUNCH)
    intervals = calendar.open_intervals(msk(2026, 3, 6, 10), msk(2026, 3, 9, 15))
    assert intervals == [
        (msk(2026, 3, 6, 10), msk(2026, 3, 6, 13)),
        (msk(2026, 3, 6, 14), msk(2026, 3, 6, 18)),
        (msk(2026, 3, 9, 9), msk(2026, 3, 9, 13)),
        (msk(2026, 3, 9, 14), msk(2026, 3, 9, 15)),
    ]
    assert all(a.tzname() == b.tzname() == "MSK" for a, b in intervals)
    assert calendar.open_intervals(msk(2026, 3, 9), msk(2026, 3, 8)) == []


# ------------------------------------------------------------------------------------ DST


def test_berlin_dst_days_are_23_and_25_hours_long() -> None:
    calendar = BusinessCalendar(
        CalendarSpec("Europe/Berlin", hours=dict.fromkeys(WEEKDAYS, ("00:00-24:00",)))
    )

    def length(day: date) -> float:
        start = datetime(day.year, day.month, day.day, tzinfo=BERLIN)
        end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=BERLIN)
        return calendar.business_minutes_between(start, end) / 60

    assert length(date(2026, 3, 28)) == 24
    assert length(date(2026, 3, 29)) == 23  # spring forward
    assert length(date(2026, 10, 25)) == 25  # fall back
    spring = datetime(2026, 3, 29, tzinfo=BERLIN)
    assert calendar.add_business_minutes(spring, 23 * 60) == datetime(2026, 3, 30, tzinfo=BERLIN)


def test_office_hours_over_the_fall_back_night_count_real_time() -> None:
    calendar = BusinessCalendar(
        CalendarSpec("Europe/Berlin", hours=dict.fromkeys(WEEKDAYS, ("20:00-08:00",)))
    )
    start = datetime(2026, 10, 24, 20, 0, tzinfo=BERLIN)
    assert calendar.business_minutes_between(start, start + timedelta(days=1)) == 13 * 60
    # 13 real hours after 20:00 CEST is 08:00 CET.
    assert calendar.add_business_minutes(start, 13 * 60) == datetime(2026, 10, 25, 8, tzinfo=BERLIN)


def test_wall_time_in_the_spring_forward_gap_is_clamped_to_the_jump() -> None:
    calendar = BusinessCalendar(
        CalendarSpec("Europe/Berlin", hours={"sun": ("02:30-06:00",), "sat": ("23:00-02:30",)})
    )
    jump = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 02:00 CET becomes 03:00 CEST
    assert calendar.open_intervals(
        datetime(2026, 3, 28, tzinfo=BERLIN), jump + timedelta(days=1)
    ) == [(datetime(2026, 3, 28, 23, 0, tzinfo=BERLIN), datetime(2026, 3, 29, 6, 0, tzinfo=BERLIN))]
    assert calendar.next_opening(jump - timedelta(minutes=1)) == jump - timedelta(minutes=1)
    # Saturday 23:00 CET to the jump (02:00 CET): 3 h; then 03:00 to 06:00 CEST: 3 h.
    saturday = datetime(2026, 3, 28, 23, 0, tzinfo=BERLIN)
    assert calendar.business_minutes_between(saturday, saturday + timedelta(days=2)) == 6 * 60


def test_interval_entirely_inside_the_gap_is_empty() -> None:
    calendar = BusinessCalendar(
        CalendarSpec("Europe/Berlin", hours={"sun": ("02:00-02:30",), "mon": ("09:00-10:00",)})
    )
    assert calendar.next_opening(datetime(2026, 3, 29, tzinfo=BERLIN)) == datetime(
        2026, 3, 30, 9, tzinfo=BERLIN
    )
    assert calendar.next_opening(datetime(2026, 4, 5, tzinfo=BERLIN)) == datetime(
        2026, 4, 5, 2, tzinfo=BERLIN
    )


def test_repeated_fall_back_wall_times_are_business_time_twice() -> None:
    # 02:00-03:00 happens twice on 2026-10-25 in Berlin: 02:30-02:45 is open on both passes.
    calendar = BusinessCalendar(CalendarSpec("Europe/Berlin", hours={"sun": ("02:30-02:45",)}))
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST
    second = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 02:30 CET
    window = (first - timedelta(hours=1), second + timedelta(hours=1))
    intervals = calendar.open_intervals(*window)
    assert intervals == [(first, first + 15 * MINUTE), (second, second + 15 * MINUTE)]
    # Results carry fixed offsets, so the repeated hour reads and compares correctly.
    assert [(a.isoformat(), b.isoformat()) for a, b in intervals] == [
        ("2026-10-25T02:30:00+02:00", "2026-10-25T02:45:00+02:00"),
        ("2026-10-25T02:30:00+01:00", "2026-10-25T02:45:00+01:00"),
    ]
    assert calendar.business_minutes_between(*window) == 30
    assert calendar.add_business_minutes(first, 20) == second + 5 * MINUTE
    assert second.astimezone(BERLIN) != second  # what a ZoneInfo result would have done


def test_fall_back_night_shift_ending_in_the_repeated_hour() -> None:
    # 01:00-02:30 on the fall-back night: 01:00-02:30 CEST, then 02:00-02:30 CET again.
    calendar = BusinessCalendar(CalendarSpec("Europe/Berlin", hours={"sun": ("01:00-02:30",)}))
    day = datetime(2026, 10, 25, tzinfo=BERLIN)
    assert calendar.business_minutes_between(day, day + timedelta(hours=5)) == 120
    assert not calendar.is_open(datetime(2026, 10, 25, 0, 45, tzinfo=UTC))  # 02:45 CEST
    assert calendar.is_open(datetime(2026, 10, 25, 1, 15, tzinfo=UTC))  # 02:15 CET


def test_inputs_in_any_zone_results_in_calendar_local_time() -> None:
    calendar = office()
    start = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)  # 17:30 in Moscow
    due = calendar.add_business_minutes(start.astimezone(NEW_YORK), 60)
    assert due == msk(2026, 3, 9, 9, 30)
    assert due.utcoffset() == timedelta(hours=3)
    assert due.tzname() == "MSK"


# ------------------------------------------------------------------------- edge semantics


def test_zero_minutes_returns_start_even_when_closed() -> None:
    calendar = office()
    closed_at = msk(2026, 3, 7, 12)
    assert calendar.add_business_minutes(closed_at, 0) == closed_at
    assert calendar.add_business_minutes(msk(2026, 3, 6, 12), 0) == msk(2026, 3, 6, 12)


def test_deadline_at_closing_time_is_closing_time() -> None:
    calendar = office()
    assert calendar.add_business_minutes(msk(2026, 3, 6, 17), 60) == msk(2026, 3, 6, 18)
    assert calendar.add_business_minutes(msk(2026, 3, 6, 17), 61) == msk(2026, 3, 9, 9, 1)


def test_start_outside_hours_counts_from_the_next_opening() -> None:
    calendar = office()
    assert calendar.add_business_minutes(msk(2026, 3, 7, 12), 1) == msk(2026, 3, 9, 9, 1)
    assert calendar.next_opening(msk(2026, 3, 6, 18)) == msk(2026, 3, 9, 9)
    assert calendar.next_opening(msk(2026, 3, 6, 17, 59)) == msk(2026, 3, 6, 17, 59)


def test_between_is_exact_and_signed() -> None:
    calendar = office()
    a, b = msk(2026, 3, 6, 17, 59, 30), msk(2026, 3, 9, 9, 0, 15)
    assert calendar.business_minutes_between(a, b) == pytest.approx(0.75)
    assert calendar.business_minutes_between(b, a) == pytest.approx(-0.75)
    assert calendar.business_time_between(a, b) == timedelta(seconds=45)
    assert calendar.add_business_time(a, timedelta(seconds=45)) == b


def test_negative_minutes_rejected() -> None:
    with pytest.raises(ValueError, match="negative"):
        office().add_business_minutes(msk(2026, 3, 6, 12), -1)


Call = Callable[[BusinessCalendar, datetime], object]


@pytest.mark.parametrize(
    "call",
    [
        lambda c, naive: c.add_business_minutes(naive, 10),
        lambda c, naive: c.business_minutes_between(naive, msk(2026, 3, 9)),
        lambda c, naive: c.business_minutes_between(msk(2026, 3, 9), naive),
        lambda c, naive: c.is_open(naive),
        lambda c, naive: c.next_opening(naive),
        lambda c, naive: c.open_intervals(naive, msk(2026, 3, 9)),
        lambda c, naive: c.closures(naive, msk(2026, 3, 9)),
    ],
)
def test_naive_datetimes_are_rejected(call: Call) -> None:
    naive = datetime(2026, 3, 6, 12, 0)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="naive"):
        call(office(), naive)


def test_a_calendar_that_never_opens_again_raises_instead_of_looping() -> None:
    calendar = office(hours={}, extra_open={date(2026, 3, 7): ("10:00-11:00",)})
    assert calendar.next_opening(msk(2026, 3, 1)) == msk(2026, 3, 7, 10)
    with pytest.raises(ValueError, match="no open time"):
        calendar.next_opening(msk(2026, 3, 8))
    with pytest.raises(ValueError, match="no open time"):
        calendar.add_business_minutes(msk(2026, 3, 7, 10), 61)
    assert MAX_CLOSED_SPAN >= timedelta(days=3 * 365)


def test_long_targets_are_fast() -> None:
    calendar = office(hours=LUNCH, country="RU")
    start = msk(2026, 1, 1)
    due = calendar.add_business_minutes(start, 120 * 60)
    assert calendar.business_minutes_between(start, due) == 120 * 60
    assert calendar.business_minutes_between(start, msk(2036, 1, 1)) > 0


# ----------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (CalendarSpec("Mars/Olympus", hours=WORKWEEK), "unknown time zone 'Mars/Olympus'"),
        (CalendarSpec("", hours=WORKWEEK), "unknown time zone"),
        (CalendarSpec("UTC", hours={"monday": ("09:00-18:00",)}), "unknown weekday 'monday'"),
        (CalendarSpec("UTC", hours={"mon": ("9-18",)}), "not an interval"),
        (CalendarSpec("UTC", always_open=True, hours=WORKWEEK), "always_open.*hours"),
        (CalendarSpec("UTC", always_open=True, country="RU"), "always_open.*country"),
        (CalendarSpec("UTC"), "no open time"),
        (CalendarSpec("UTC", hours={"sat": ()}), "no open time"),
        (CalendarSpec("UTC", hours=WORKWEEK, country="XX"), "unknown holiday country 'XX'"),
        (
            CalendarSpec("UTC", hours=WORKWEEK, country="DE", subdivision="ZZ"),
            "unknown subdivision 'ZZ'",
        ),
        (CalendarSpec("UTC", hours=WORKWEEK, subdivision="BY"), "needs a country"),
    ],
)
def test_invalid_specs(spec: CalendarSpec, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BusinessCalendar(spec)


def test_helpers_raise_value_errors() -> None:
    assert load_zone("Europe/Berlin") == BERLIN
    with pytest.raises(ValueError, match="unknown time zone"):
        load_zone("Europe")
    check_holiday_region("DE", "BY")
    with pytest.raises(ValueError, match="unknown holiday country"):
        check_holiday_region("QQ", "BY")


def test_subdivision_holidays() -> None:
    bavaria = BusinessCalendar.from_spec(
        CalendarSpec("Europe/Berlin", hours=WORKWEEK, country="DE", subdivision="BY"),
        holidays_years=[2026],
    )
    berlin = BusinessCalendar(CalendarSpec("Europe/Berlin", hours=WORKWEEK, country="DE"))
    epiphany = datetime(2026, 1, 6, 10, tzinfo=BERLIN)
    assert not bavaria.is_open(epiphany)
    assert berlin.is_open(epiphany)
    assert bavaria.holiday_name(epiphany.date()) == "Epiphany"


def test_spec_json_round_trip() -> None:
    spec = CalendarSpec(
        "Europe/Moscow",
        hours=LUNCH,
        country="RU",
        closed=(date(2026, 12, 31),),
        extra_open={date(2026, 12, 26): ("10:00-15:00",)},
    )
    assert CalendarSpec.from_json(spec.to_json()) == spec
