"""Weekly shifts and leave: parsing and "is this person working at that instant"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from dispatcher.domain.errors import ValidationError
from dispatcher.domain.shifts import (
    Shift,
    availability,
    describe_shift,
    is_available,
    parse_clock,
    parse_date,
    parse_days,
    parse_schedule,
    parse_shift_spec,
    zone,
)

MSK = ZoneInfo("Europe/Moscow")
OFFICE = parse_schedule(["mon-fri 09:00-18:00"])


@dataclass(frozen=True)
class Away:
    starts_on: date
    ends_on: date


def msk(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=MSK)


# --- parsing --------------------------------------------------------------------------


def test_a_range_of_days_gives_one_shift_per_day() -> None:
    shifts = parse_shift_spec("mon-fri 09:00-18:00")
    assert [s.weekday for s in shifts] == [0, 1, 2, 3, 4]
    assert {(s.starts, s.ends) for s in shifts} == {(time(9), time(18))}


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("sat", [5]),
        ("Sat", [5]),
        ("saturday", [5]),
        ("sat,sun", [5, 6]),
        ("fri-mon", [4, 5, 6, 0]),
        ("mon-wed,fri", [0, 1, 2, 4]),
        ("daily", [0, 1, 2, 3, 4, 5, 6]),
    ],
)
def test_days(text: str, days: list[int]) -> None:
    assert parse_days(text) == days


@pytest.mark.parametrize("text", ["funday", "mon-xyz", "", "mon,,fri", "mon,mon", "mon-fri,wed"])
def test_bad_days_are_refused(text: str) -> None:
    with pytest.raises(ValidationError):
        parse_days(text)


def test_several_intervals_a_day() -> None:
    shifts = parse_shift_spec("mon 09:00-13:00,14:00-18:00")
    assert [(s.starts, s.ends) for s in shifts] == [(time(9), time(13)), (time(14), time(18))]


def test_overnight_and_whole_day_shifts() -> None:
    (night,) = parse_shift_spec("sun 22:00-06:00")
    assert night.overnight
    assert (night.starts, night.ends) == (time(22), time(6))
    (day,) = parse_shift_spec("sat 00:00-24:00")
    assert (day.starts, day.ends) == (time(0), time(0))
    assert describe_shift(day) == "sat 00:00-24:00"
    (evening,) = parse_shift_spec("fri 18:00-24:00")
    assert describe_shift(evening) == "fri 18:00-24:00"


@pytest.mark.parametrize(
    "spec",
    [
        "mon-fri",
        "09:00-18:00",
        "mon-fri 09:00-18:00 extra",
        "mon 9-18",
        "mon 25:00-26:00",
        "mon 09:60-10:00",
        "mon 09:00-09:00",
        "mon 24:00-06:00",
        "mon 09:00_18:00",
        "xyz 09:00-18:00",
    ],
)
def test_bad_shift_specs_are_refused(spec: str) -> None:
    with pytest.raises(ValidationError):
        parse_shift_spec(spec)


@pytest.mark.parametrize(
    "specs",
    [
        ["mon 09:00-18:00", "mon 17:00-20:00"],
        ["mon-fri 09:00-18:00", "wed 12:00-13:00"],
        ["mon 22:00-06:00", "tue 05:00-07:00"],
        ["sun 22:00-06:00", "mon 05:00-09:00"],  # Sunday night runs into Monday
    ],
)
def test_overlapping_shifts_are_refused(specs: list[str]) -> None:
    with pytest.raises(ValidationError, match="overlap"):
        parse_schedule(specs)


def test_touching_shifts_are_fine() -> None:
    schedule = parse_schedule(["sun 22:00-06:00", "mon 06:00-14:00", "mon 14:00-22:00"])
    assert [s.weekday for s in schedule] == [0, 0, 6]


def test_clock_and_date() -> None:
    assert parse_clock("9:05") == time(9, 5)
    assert parse_date(" 2026-12-31 ") == date(2026, 12, 31)
    for bad in ("24:00", "9", "noon"):
        with pytest.raises(ValidationError):
            parse_clock(bad)
    for bad in ("2026-02-30", "31.12.2026", ""):
        with pytest.raises(ValidationError):
            parse_date(bad)


def test_time_zones() -> None:
    assert zone("Europe/Moscow") == MSK
    for bad in ("Mars/Olympus", "", "../etc/passwd"):
        with pytest.raises(ValidationError):
            zone(bad)


# --- on shift -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        (msk(2026, 11, 18, 9, 0), True),  # Wednesday, start included
        (msk(2026, 11, 18, 17, 59), True),
        (msk(2026, 11, 18, 18, 0), False),  # end excluded
        (msk(2026, 11, 18, 8, 59), False),
        (msk(2026, 11, 21, 12, 0), False),  # Saturday
    ],
)
def test_day_shift(instant: datetime, expected: bool) -> None:
    assert is_available(shifts=OFFICE, leaves=[], timezone="Europe/Moscow", at=instant) is expected


def test_the_instant_is_read_on_the_users_wall_clock() -> None:
    # 07:30 UTC on a Wednesday is 10:30 in Moscow (on shift) and 07:30 in London (not yet).
    instant = datetime(2026, 11, 18, 7, 30, tzinfo=UTC)
    assert is_available(shifts=OFFICE, leaves=[], timezone="Europe/Moscow", at=instant)
    assert not is_available(shifts=OFFICE, leaves=[], timezone="Europe/London", at=instant)


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        (msk(2026, 11, 22, 23, 0), True),  # Sunday night
        (msk(2026, 11, 23, 5, 59), True),  # Monday early morning, same shift
        (msk(2026, 11, 23, 6, 0), False),
        (msk(2026, 11, 22, 21, 59), False),
        (msk(2026, 11, 16, 3, 0), True),  # the Monday of the week before, too
    ],
)
def test_overnight_shift_over_the_end_of_the_week(instant: datetime, expected: bool) -> None:
    night = parse_schedule(["sun 22:00-06:00"])
    assert is_available(shifts=night, leaves=[], timezone="Europe/Moscow", at=instant) is expected


def test_whole_day_shift() -> None:
    day = [Shift(weekday=2, starts=time(0), ends=time(0))]
    assert is_available(
        shifts=day, leaves=[], timezone="UTC", at=datetime(2026, 11, 18, 0, 0, tzinfo=UTC)
    )
    assert is_available(
        shifts=day, leaves=[], timezone="UTC", at=datetime(2026, 11, 18, 23, 59, tzinfo=UTC)
    )
    assert not is_available(
        shifts=day, leaves=[], timezone="UTC", at=datetime(2026, 11, 19, 0, 0, tzinfo=UTC)
    )


def test_leave_takes_whole_local_days() -> None:
    away = [Away(date(2026, 11, 18), date(2026, 11, 19))]
    state = availability(
        shifts=OFFICE, leaves=away, timezone="Europe/Moscow", at=msk(2026, 11, 18, 10, 0)
    )
    assert state.on_shift
    assert state.on_leave
    assert not state.available
    assert state.describe() == "on leave"
    after = availability(
        shifts=OFFICE, leaves=away, timezone="Europe/Moscow", at=msk(2026, 11, 20, 10, 0)
    )
    assert after.available
    assert after.describe() == "on shift"
    # 22:30 UTC on the 17th is already the 18th in Moscow: on leave there.
    late = datetime(2026, 11, 17, 22, 30, tzinfo=UTC)
    assert availability(shifts=[], leaves=away, timezone="Europe/Moscow", at=late).on_leave
    assert not availability(shifts=[], leaves=away, timezone="UTC", at=late).on_leave


def test_no_shifts_means_never_available() -> None:
    state = availability(
        shifts=[], leaves=[], timezone="UTC", at=datetime(2026, 11, 18, 10, tzinfo=UTC)
    )
    assert not state.available
    assert state.describe() == "off shift"


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(ValidationError, match="time zone"):
        is_available(shifts=OFFICE, leaves=[], timezone="UTC", at=datetime(2026, 11, 18, 10))  # noqa: DTZ001


def test_an_unknown_user_time_zone_is_refused() -> None:
    with pytest.raises(ValidationError, match="time zone"):
        is_available(shifts=OFFICE, leaves=[], timezone="Nowhere/City", at=msk(2026, 11, 18, 10))


def test_dst_wall_clock() -> None:
    # New York: 09:00 local is 14:00 UTC in winter and 13:00 UTC in summer.
    winter = datetime(2026, 1, 14, 14, 0, tzinfo=UTC)
    summer = datetime(2026, 7, 15, 13, 0, tzinfo=UTC)
    for instant in (winter, summer):
        assert is_available(shifts=OFFICE, leaves=[], timezone="America/New_York", at=instant)
