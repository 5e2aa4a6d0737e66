"""Routing at night, at the weekend and over leave: who is next on shift and when, the
override list ordered by fit, and who needs a confirmation. Clock injected throughout."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dispatcher.domain.routing import (
    Candidate,
    caution,
    rank_for_tickets,
    standing,
    suggest,
)
from dispatcher.domain.shifts import Shift as WeeklyShift
from dispatcher.domain.shifts import (
    availability,
    describe_when,
    next_available,
    parse_schedule,
)

MSK = ZoneInfo("Europe/Moscow")
OFFICE = parse_schedule(["mon-fri 08:00-17:00"])
NIGHTS = parse_schedule(["mon-fri 22:00-06:00"])


class Off:
    def __init__(self, starts_on: date, ends_on: date) -> None:
        self.starts_on, self.ends_on = starts_on, ends_on


def msk(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=MSK)


# 2026-12-03 is a Thursday, 2026-12-05/06 the weekend.
@pytest.mark.parametrize(
    ("schedule", "leave", "at", "expected"),
    [
        (OFFICE, None, "2026-12-03 10:00", "2026-12-03 10:00"),  # on shift: now
        (OFFICE, None, "2026-12-03 23:30", "2026-12-04 08:00"),  # a weeknight
        (OFFICE, None, "2026-12-04 02:00", "2026-12-04 08:00"),  # after midnight
        (OFFICE, None, "2026-12-04 17:00", "2026-12-07 08:00"),  # Friday evening: Monday
        (OFFICE, None, "2026-12-06 12:00", "2026-12-07 08:00"),  # Sunday
        (OFFICE, (date(2026, 12, 4), date(2026, 12, 8)), "2026-12-03 23:00", "2026-12-09 08:00"),
        (OFFICE, (date(2026, 12, 3), date(2026, 12, 3)), "2026-12-03 10:00", "2026-12-04 08:00"),
        (NIGHTS, None, "2026-12-04 03:00", "2026-12-04 03:00"),  # inside an overnight shift
        (NIGHTS, None, "2026-12-05 07:00", "2026-12-07 22:00"),  # Friday's ran out at 06:00
        # A night shift starting on the last day of leave: free from the next midnight.
        (NIGHTS, (date(2026, 12, 2), date(2026, 12, 2)), "2026-12-02 23:00", "2026-12-03 00:00"),
    ],
)
def test_next_available_across_nights_weekends_and_leave(
    schedule: list[WeeklyShift], leave: tuple[date, date] | None, at: str, expected: str
) -> None:
    leaves = [Off(*leave)] if leave else []
    found = next_available(shifts=schedule, leaves=leaves, timezone="Europe/Moscow", at=msk(at))
    assert found == msk(expected)
    assert found is not None
    free = availability(shifts=schedule, leaves=leaves, timezone="Europe/Moscow", at=found)
    assert free.available
    # Nothing earlier is free: check every 15 minutes between.
    step = msk(at)
    while step < found:
        assert not availability(
            shifts=schedule, leaves=leaves, timezone="Europe/Moscow", at=step
        ).available
        step += timedelta(minutes=15)


def test_no_shift_within_the_horizon_is_none() -> None:
    long_leave = [Off(date(2026, 12, 1), date(2027, 2, 1))]
    assert (
        next_available(
            shifts=OFFICE, leaves=long_leave, timezone="Europe/Moscow", at=msk("2026-12-03 10:00")
        )
        is None
    )
    assert next_available(shifts=[], leaves=[], timezone="UTC", at=msk("2026-12-03 10:00")) is None


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        ("2026-12-03 23:00", "now"),
        ("2026-12-03 23:30", "23:30 today"),
        ("2026-12-04 08:00", "08:00 tomorrow"),
        ("2026-12-07 08:00", "Mon 08:00"),
        ("2026-12-14 08:00", "2026-12-14 08:00"),
    ],
)
def test_describe_when_in_the_readers_zone(at: str, expected: str) -> None:
    assert describe_when(msk(at), now=msk("2026-12-03 23:00"), tz=MSK) == expected


def test_describe_when_uses_the_readers_zone_not_utc() -> None:
    # 05:00 UTC on Friday is 08:00 in Moscow.
    at = datetime(2026, 12, 4, 5, 0, tzinfo=UTC)
    assert describe_when(at, now=msk("2026-12-03 23:00"), tz=MSK) == "08:00 tomorrow"


NIGHT = msk("2026-12-03 23:30")


def person(
    login: str,
    *,
    tickets: int = 0,
    competences: tuple[str, ...] = ("network",),
    on_shift: bool = False,
    on_leave: bool = False,
    active: bool = True,
    next_on_shift: datetime | None = None,
) -> Candidate:
    return Candidate(
        user_id=sum(map(ord, login)),
        login=login,
        name=login.title(),
        active=active,
        competences=frozenset(competences),
        on_shift=on_shift,
        on_leave=on_leave,
        sla_active_tickets=tickets,
        next_on_shift=next_on_shift if next_on_shift else (NIGHT if on_shift else None),
    )


def test_at_night_the_next_on_shift_with_the_competence_is_named_with_when() -> None:
    team = [
        person("anna", competences=("printers",), next_on_shift=msk("2026-12-04 07:00")),
        person("ivan", next_on_shift=msk("2026-12-04 08:00")),
        person("petr", next_on_shift=msk("2026-12-04 09:00")),
        person("olga", on_leave=True, next_on_shift=msk("2026-12-10 08:00")),
    ]
    s = suggest(team, competence="network", now=NIGHT, tz=MSK)
    assert s.chosen is None
    assert s.next_up is not None
    assert s.next_up.login == "ivan"
    assert s.reason.endswith("next on shift: ivan, on shift from 08:00 tomorrow")
    # By fit: competence first, then soonest on shift; the one without it last.
    assert [c.login for c in s.ranked] == ["ivan", "petr", "olga", "anna"]


def test_the_only_competent_engineer_comes_first_not_eleventh() -> None:
    team = [
        person(f"e{n:02}", competences=("printers",), on_shift=True, tickets=0) for n in range(10)
    ]
    team.append(person("zoya", on_shift=True, tickets=5))
    s = suggest(team, competence="network", now=NIGHT, tz=MSK)
    assert s.chosen is not None
    assert s.chosen.login == "zoya"
    assert s.ranked[0].login == "zoya"


def test_fit_orders_by_competence_then_on_shift_then_load() -> None:
    team = [
        person("busy", on_shift=True, tickets=4),
        person("idle", on_shift=True, tickets=1),
        person("away", on_leave=True, tickets=0, next_on_shift=msk("2026-12-07 08:00")),
        person("later", tickets=0, next_on_shift=msk("2026-12-04 08:00")),
        person("other", competences=(), on_shift=True),
        person("gone", active=False, on_shift=True),
    ]
    s = suggest(team, competence="network", now=NIGHT, tz=MSK)
    assert s.chosen is not None
    assert s.chosen.login == "idle"
    assert [c.login for c in s.ranked] == ["idle", "busy", "later", "away", "other"]


def test_on_leave_and_off_shift_are_marked_and_need_a_confirmation() -> None:
    away = person("olga", on_leave=True, next_on_shift=msk("2026-12-07 08:00"))
    night = person("ivan", next_on_shift=msk("2026-12-04 08:00"))
    here = person("petr", on_shift=True)
    assert standing(away, now=NIGHT, tz=MSK) == "on leave, on shift from Mon 08:00"
    assert standing(night, now=NIGHT, tz=MSK) == "off shift, on shift from 08:00 tomorrow"
    assert standing(here, now=NIGHT, tz=MSK) == "on shift"
    assert caution(away, now=NIGHT, tz=MSK) == "olga is on leave, on shift from Mon 08:00"
    assert caution(night, now=NIGHT, tz=MSK) is not None
    assert caution(here, now=NIGHT, tz=MSK) is None
    nowhere = person("gleb")
    assert standing(nowhere, now=NIGHT, tz=MSK) == "off shift, no shift in the next 21 days"


def test_several_tickets_rank_by_how_many_each_can_take() -> None:
    team = [
        person("net", competences=("network",), on_shift=True),
        person("both", competences=("network", "printers"), on_shift=True, tickets=3),
        person("away", competences=("network", "printers"), on_leave=True),
    ]
    fits = rank_for_tickets(team, competences=["network", "printers", None], now=NIGHT)
    assert [(f.candidate.login, f.lacking) for f in fits] == [("both", 0), ("away", 0), ("net", 1)]
    assert fits[2].describe(now=NIGHT, tz=MSK) == (
        "on shift · 0 SLA-active tickets · lacks the competence for 1 of 3"
    )
    assert fits[1].describe(now=NIGHT, tz=MSK).startswith("on leave")
