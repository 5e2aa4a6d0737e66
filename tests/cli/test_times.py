"""The one rule for times typed on the command line (`parse_instant`), and its --help."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from dispatcher.cli import app
from dispatcher.cli._common import CliError, parse_instant

MOSCOW = ZoneInfo("Europe/Moscow")


@pytest.fixture
def tokyo_host(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This computer's local time zone is Tokyo (UTC+9, no DST) for the test."""
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_an_offset_means_exactly_that_instant(tokyo_host: None) -> None:
    for value in ("2026-11-20T17:30+03:00", "2026-11-20T14:30Z", " 2026-11-20T14:30:00+00:00 "):
        parsed = parse_instant(value, option="--at", zone=MOSCOW)
        assert parsed == datetime(2026, 11, 20, 14, 30, tzinfo=UTC)


def test_without_an_offset_the_time_is_read_in_the_zone_of_what_the_command_is_about(
    tokyo_host: None,
) -> None:
    parsed = parse_instant("2026-11-20T17:30", option="--at", zone=MOSCOW)
    assert parsed == datetime(2026, 11, 20, 14, 30, tzinfo=UTC)
    assert parsed.tzinfo is MOSCOW


def test_else_in_this_computer_s_local_time_zone(tokyo_host: None) -> None:
    parsed = parse_instant("2026-11-20T17:30", option="--since")
    assert parsed == datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
    assert parsed.utcoffset() == timedelta(hours=9)
    midnight = parse_instant("2026-11-20", option="--since")
    assert midnight == datetime(2026, 11, 20, tzinfo=timezone(timedelta(hours=9)))


@pytest.mark.parametrize("value", ["yesterday", "", "2026-13-01", "20.11.2026 17:30"])
def test_a_bad_value_names_the_option(value: str) -> None:
    with pytest.raises(CliError, match=r"^--from: not an ISO 8601 date-time: "):
        parse_instant(value, option="--from")


@pytest.mark.parametrize(
    ("command", "where"),
    [
        (["admin", "sla", "due"], "the plan's calendar time"),
        (["admin", "calendar", "preview"], "the calendar's time"),
        (["admin", "users", "shifts", "check"], "the user's local time"),
        (["admin", "tickets", "export"], "this computer's local time"),
    ],
)
def test_every_time_option_states_the_rule_in_its_help(command: list[str], where: str) -> None:
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert f"without an offset, {where}" in text
