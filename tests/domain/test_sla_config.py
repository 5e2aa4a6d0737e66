from __future__ import annotations

import re
import textwrap
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from dispatcher.domain.calendar import BusinessCalendar, CalendarSpec
from dispatcher.domain.enums import Priority
from dispatcher.domain.errors import ValidationError
from dispatcher.domain.sla_config import (
    PlanSpec,
    SlaConfig,
    SlaConfigError,
    TargetSpec,
    parse_sla_config,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "sla.example.toml"

TARGETS = """
[plans.standard.targets.low]
first_response = "8h"
resolution = "40h"
[plans.standard.targets.normal]
first_response = "4h"
resolution = "24h"
[plans.standard.targets.urgent]
first_response = "15m"
resolution = "4h"
"""

BASE = (
    """\
[calendars.office]
timezone = "Europe/Moscow"
country = "RU"                 # public holidays
closed = ["2026-12-31"]
[calendars.office.hours]
mon = ["09:00-13:00", "14:00-18:00"]
tue = ["09:00-13:00", "14:00-18:00"]
sat = []
[calendars.office.extra_open]
"2026-12-26" = ["10:00-15:00"]

[plans.standard]
calendar = "office"
default = true
[plans.standard.targets.high]
first_response = "1h"
resolution = "8h"
update = "4h"
warn_before = ["15m", "60m"]
"""
    + TARGETS
)


def error_of(text: str) -> SlaConfigError:
    with pytest.raises(SlaConfigError) as caught:
        parse_sla_config(textwrap.dedent(text))
    return caught.value


def test_parse_base() -> None:
    config = parse_sla_config(BASE)
    assert config.calendars == {
        "office": CalendarSpec(
            timezone="Europe/Moscow",
            hours={
                "mon": ("09:00-13:00", "14:00-18:00"),
                "tue": ("09:00-13:00", "14:00-18:00"),
                "sat": (),
            },
            country="RU",
            closed=(date(2026, 12, 31),),
            extra_open={date(2026, 12, 26): ("10:00-15:00",)},
        )
    }
    plan = config.plans["standard"]
    assert plan == PlanSpec(
        name="standard",
        calendar="office",
        description="",
        is_default=True,
        confirm_window_minutes=72 * 60,
        breach_raises_priority=False,
        targets=plan.targets,
    )
    assert plan.targets[Priority.high] == TargetSpec(60, 480, 240, (60, 15))
    assert plan.targets[Priority.low] == TargetSpec(480, 2400, None, (60, 15))
    assert list(plan.targets) == list(Priority)
    assert config.default_plan is plan


def test_the_example_file_parses_and_builds_calendars() -> None:
    config = parse_sla_config(EXAMPLE.read_text(encoding="utf-8"))
    assert set(config.calendars) == {"office", "round_the_clock"}
    assert set(config.plans) == {"standard", "premium"}
    assert config.default_plan is not None
    assert config.default_plan.name == "standard"
    premium = config.plans["premium"]
    assert premium.calendar == "round_the_clock"
    assert premium.breach_raises_priority
    assert premium.targets[Priority.urgent].warn_before_minutes == (30, 10, 5)
    assert config.calendars["round_the_clock"].always_open
    office = BusinessCalendar(config.calendars["office"])
    moscow = ZoneInfo("Europe/Moscow")
    # Friday 16:30 + 1h: the office closes at 17:00 on Fridays, Monday 09:30.
    due = office.add_business_minutes(datetime(2026, 3, 13, 16, 30, tzinfo=moscow), 60)
    assert due == datetime(2026, 3, 16, 9, 30, tzinfo=moscow)


def test_error_is_a_validation_error_and_a_value_error() -> None:
    error = error_of(BASE.replace('"1h"', '"1x"'))
    assert isinstance(error, ValidationError)
    assert isinstance(error, ValueError)
    assert error.key == "plans.standard.targets.high.first_response"
    assert error.line == 16
    assert str(error) == (
        'line 16: plans.standard.targets.high.first_response: "1x" is not a duration like '
        '"15m", "4h" or "1h30m"'
    )


def test_toml_syntax_error_reports_its_line() -> None:
    error = error_of(BASE.replace('resolution = "8h"', 'resolution = "8h'))
    assert error.line == 17
    assert str(error).startswith("line 17: invalid TOML:")


@pytest.mark.parametrize(
    ("old", "new", "line", "key", "message"),
    [
        (
            'timezone = "Europe/Moscow"',
            'timezone = "Europe/Moskva"',
            2,
            "calendars.office.timezone",
            "unknown time zone 'Europe/Moskva'",
        ),
        (
            'timezone = "Europe/Moscow"',
            'timezon = "Europe/Moscow"',
            2,
            "calendars.office.timezon",
            'unknown key "timezon".*did you mean "timezone"',
        ),
        (
            'country = "RU"',
            'country = "XX"',
            3,
            "calendars.office.country",
            "unknown holiday country 'XX'",
        ),
        (
            'country = "RU"',
            'country = "RU"\nsubdivision = "ZZ"',
            4,
            "calendars.office.subdivision",
            "unknown subdivision 'ZZ'",
        ),
        (
            'country = "RU"',
            'subdivision = "BY"',
            3,
            "calendars.office.subdivision",
            'needs a "country"',
        ),
        (
            'closed = ["2026-12-31"]',
            'closed = ["2026-13-31"]',
            4,
            "calendars.office.closed",
            '"2026-13-31" is not a date',
        ),
        (
            'mon = ["09:00',
            'monday = ["09:00',
            6,
            "calendars.office.hours.monday",
            'unknown weekday "monday"',
        ),
        (
            'tue = ["09:00-13:00"',
            'tue = ["9-13"',
            7,
            "calendars.office.hours.tue",
            "'9-13' is not an interval",
        ),
        (
            'tue = ["09:00-13:00"',
            'tue = ["09:00-24:30"',
            7,
            "calendars.office.hours.tue",
            "end time must be between",
        ),
        (
            '"2026-12-26" = ["10:00-15:00"]',
            '"2026-12-32" = ["10:00-15:00"]',
            10,
            "calendars.office.extra_open.2026-12-32",
            "is not a date",
        ),
        (
            '"2026-12-26" = ["10:00-15:00"]',
            '"2026-12-26" = ["10-15"]',
            10,
            "calendars.office.extra_open.2026-12-26",
            "is not an interval",
        ),
        (
            'calendar = "office"',
            'calendar = "ofice"',
            13,
            "plans.standard.calendar",
            'unknown calendar "ofice" \\(calendars: office\\)',
        ),
        (
            "default = true",
            'default = "yes"',
            14,
            "plans.standard.default",
            'expected true or false, got "yes"',
        ),
        (
            "default = true",
            'default = true\nconfirm_window = "2d"',
            15,
            "plans.standard.confirm_window",
            "days and weeks are not allowed",
        ),
        (
            "default = true",
            "default = true\ndescripton = 'x'",
            15,
            "plans.standard.descripton",
            'did you mean "description"',
        ),
        (
            "[plans.standard.targets.high]",
            "[plans.standard.targets.critical]",
            15,
            "plans.standard.targets.critical",
            'unknown priority "critical"',
        ),
        (
            'first_response = "1h"',
            'first_response = "9h"',
            17,
            "plans.standard.targets.high.resolution",
            "resolution \\(8h\\) is shorter than first_response \\(9h\\)",
        ),
        (
            'first_response = "1h"',
            "first_response = 60",
            16,
            "plans.standard.targets.high.first_response",
            "expected a duration string",
        ),
        (
            'first_response = "1h"',
            'first_response = "0m"',
            16,
            "plans.standard.targets.high.first_response",
            "must be more than zero",
        ),
        (
            'first_response = "1h"',
            'first_reponse = "1h"',
            16,
            "plans.standard.targets.high.first_reponse",
            'unknown key "first_reponse"',
        ),
        (
            'warn_before = ["15m", "60m"]',
            'warn_before = ["15m", "0m"]',
            19,
            "plans.standard.targets.high.warn_before",
            "must be more than zero",
        ),
        (
            'warn_before = ["15m", "60m"]',
            'warn_before = "15m"',
            19,
            "plans.standard.targets.high.warn_before",
            "expected a list",
        ),
    ],
)
def test_errors_name_the_key_and_the_line(
    old: str, new: str, line: int, key: str, message: str
) -> None:
    assert old in BASE
    error = error_of(BASE.replace(old, new, 1))
    assert error.key == key
    assert error.line == line
    assert str(error).startswith(f"line {line}: {key}: ")
    assert re.search(message, str(error)), str(error)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('closed = ["2026-12-31"]', "closed = [2026-12-30, 2026-12-31]"),  # TOML dates
        ('update = "4h"\n', ""),
        ('warn_before = ["15m", "60m"]\n', ""),
        ('country = "RU"', 'country = "DE"\nsubdivision = "BY"'),
        ("[calendars.office.hours]", "[calendars.office.hours]\nsun = ['22:00-06:00']"),
    ],
)
def test_valid_variants(old: str, new: str) -> None:
    assert old in BASE
    parse_sla_config(BASE.replace(old, new, 1))


def test_always_open_with_hours_is_an_error() -> None:
    error = error_of(BASE.replace('closed = ["2026-12-31"]\n', "always_open = true\n"))
    assert (error.key, error.line) == ("calendars.office.hours", 5)
    text = """\
    [calendars.x]
    timezone = "UTC"
    always_open = true
    [calendars.x.hours]
    mon = ["09:00-18:00"]
    """
    error = error_of(text)
    assert (error.key, error.line) == ("calendars.x.hours", 4)
    assert "always_open = true (24x7) cannot also have hours" in str(error)


def test_calendar_without_open_time_is_an_error() -> None:
    error = error_of(
        """\
        [calendars.never]
        timezone = "UTC"
        [calendars.never.hours]
        sat = []
        """
    )
    assert (error.key, error.line) == ("calendars.never", 1)
    assert "no open time at all" in str(error)


def test_missing_timezone() -> None:
    error = error_of("[calendars.x]\nalways_open = true\n")
    assert (error.key, error.line) == ("calendars.x", 1)
    assert 'missing "timezone"' in str(error)


def test_only_one_default_plan() -> None:
    second = BASE.replace("[plans.standard", "[plans.gold").replace(
        "[calendars.office]", "[calendars.spare]"
    )
    text = BASE + second.split("\n\n", 1)[1]
    error = error_of(text)
    assert error.key == "plans.gold.default"
    assert error.line == BASE.count("\n") + 3
    assert "only one plan can be the default, and standard already is" in str(error)


def test_some_plan_must_be_the_default() -> None:
    error = error_of(BASE.replace("default = true\n", ""))
    assert (error.key, error.line) == ("plans.standard", 12)
    assert "no plan has default = true" in str(error)


def test_every_priority_needs_targets() -> None:
    error = error_of(BASE.replace(TARGETS, ""))
    assert error.key == "plans.standard.targets"
    assert "no targets for priority low, normal, urgent" in str(error)


def test_unknown_top_level_table() -> None:
    error = error_of(BASE + "\n[plan.x]\ncalendar = 'office'\n")
    assert (error.key, error.line) == ("plan", BASE.count("\n") + 2)


def test_plan_referencing_an_unknown_calendar_with_none_defined() -> None:
    error = error_of("[plans.p]\ncalendar = 'office'\n")
    assert (error.key, error.line) == ("plans.p.calendar", 2)
    assert "none defined" in str(error)


def test_locator_understands_dotted_keys_inline_tables_and_multiline_strings() -> None:
    text = """\
    [calendars.office]
    timezone = "UTC"
    hours = { mon = ["09:00-18:00"], tue = ["9-18"] }

    [plans."gold plan"]
    description = \"\"\"
    calendar = "fake"
    \"\"\"
    calendar = "office"
    default = true
    targets.high.first_response = "1h"
    targets.high.resolution = "1x"
    """
    error = error_of(text)
    assert (error.key, error.line) == ("calendars.office.hours.tue", 3)
    error = error_of(text.replace('"9-18"', '"09:00-18:00"'))
    assert (error.key, error.line) == ('plans."gold plan".targets.high.resolution', 12)


def test_empty_file_is_an_empty_config() -> None:
    assert parse_sla_config("") == SlaConfig(calendars={}, plans={})
