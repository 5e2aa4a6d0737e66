from __future__ import annotations

import pytest

from dispatcher.domain.durations import format_minutes, parse_duration


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("15m", 15),
        ("4h", 240),
        ("1h30m", 90),
        ("90m", 90),
        ("0m", 0),
        ("1h 30m", 90),
        (" 2h ", 120),
        ("120h", 7200),
        ("0h45m", 45),
    ],
)
def test_parse_duration(text: str, minutes: int) -> None:
    assert parse_duration(text) == minutes


@pytest.mark.parametrize(
    "text", ["", " ", "1", "h", "m", "1x", "1.5h", "-1h", "+1h", "30m1h", "1H", "1h30", "1hm"]
)
def test_parse_duration_rejects_garbage(text: str) -> None:
    with pytest.raises(ValueError, match="is not a duration like"):
        parse_duration(text)


@pytest.mark.parametrize("text", ["2d", "1d4h", "1w", "3D"])
def test_parse_duration_refuses_days_with_a_reason(text: str) -> None:
    with pytest.raises(ValueError, match="days and weeks are not allowed"):
        parse_duration(text)


def test_parse_duration_needs_text() -> None:
    with pytest.raises(TypeError):
        parse_duration(15)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("minutes", "text"),
    [(0, "0m"), (45, "45m"), (60, "1h"), (90, "1h30m"), (1441, "24h1m"), (-90, "-1h30m")],
)
def test_format_minutes(minutes: int, text: str) -> None:
    assert format_minutes(minutes) == text


@pytest.mark.parametrize("minutes", [0, 1, 59, 60, 61, 600, 4321])
def test_format_then_parse_round_trips(minutes: int) -> None:
    assert parse_duration(format_minutes(minutes)) == minutes


def test_format_minutes_needs_an_int() -> None:
    with pytest.raises(TypeError):
        format_minutes(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        format_minutes(True)
