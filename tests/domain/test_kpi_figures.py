"""KPI figures from tallies, percentiles, groups and figure names (`domain.kpi`)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dispatcher.domain.enums import SlaTarget
from dispatcher.domain.kpi.facts import Duration, Outcome
from dispatcher.domain.kpi.figures import (
    FigureRef,
    Tally,
    age_bucket,
    figure_names,
    flatten,
    nearest_rank,
    nps,
    parse_figure,
    sla_parts,
    summary,
)
from dispatcher.domain.kpi.groups import NONE_LABEL, GroupBy, Grouping, buckets, label_of

BERLIN = ZoneInfo("Europe/Berlin")


def test_nearest_rank_percentiles() -> None:
    ten = [float(v) for v in range(1, 11)]
    assert nearest_rank(ten, 50) == 5
    assert nearest_rank(ten, 90) == 9
    assert nearest_rank(ten, 100) == 10
    assert nearest_rank([7.0], 90) == 7
    assert nearest_rank([1.0, 2.0, 3.0, 4.0], 50) == 2  # the 2nd of 4, no interpolation
    assert nearest_rank([float(v) for v in range(1, 21)], 90) == 18
    with pytest.raises(ValueError, match="no values"):
        nearest_rank([], 50)


def test_summary_rounds_and_is_empty_without_values() -> None:
    assert summary([3.0, 1.0, 2.0, 10.04]) == {"median": 2.0, "p90": 10.0, "mean": 4.0}
    assert summary([]) == {"median": None, "p90": None, "mean": None}


def test_the_figures_keep_their_documented_keys() -> None:
    figures = Tally().figures()
    assert list(figures) == [
        "created",
        "first_response",
        "resolution",
        "fcr",
        "fcr_rate",
        "reopened",
        "reopen_rate",
        "sla",
        "csat",
        "nps",
        "backlog",
    ]
    assert figures["created"] == {
        "total": 0,
        "by_channel": {"email": 0, "phone": 0, "chat": 0, "web": 0, "walk_in": 0},
    }
    assert set(figures["first_response"]) == {"count", "calendar", "business"}
    assert set(figures["first_response"]["business"]) == {"median", "p90", "mean"}
    assert set(figures["resolution"]) == {"count", "calendar", "business", "full", "split"}
    assert set(figures["resolution"]["split"]) == {"requester_wait", "team_work", "vendor_wait"}
    assert list(figures["sla"]) == ["first_response", "resolution", "update"]
    assert figures["sla"]["update"] == {"met": 0, "breached": 0, "rate": None, "ever_breached": 0}
    assert figures["csat"] == {"rated": 0, "good": 0, "rate": None, "average": None}
    assert figures["nps"] is None
    assert figures["backlog"] == {
        "total": 0,
        "under_1d": 0,
        "1d_3d": 0,
        "3d_7d": 0,
        "over_7d": 0,
    }
    assert figures["fcr_rate"] is None
    assert figures["reopen_rate"] is None


def test_resolution_rates_follow_the_definitions() -> None:
    tally = Tally()
    for responses, reopens in ((1, 0), (0, 0), (2, 0), (1, 1)):
        tally.add_resolved(
            Duration(60, 30),
            Duration(90, 40),
            responses_before_resolution=responses,
            reopen_count=reopens,
            requester_wait=5,
            team_work=20,
            vendor_wait=5,
        )
    figures = tally.figures()
    assert (figures["fcr"], figures["fcr_rate"]) == (2, 0.5)
    assert (figures["reopened"], figures["reopen_rate"]) == (1, 0.25)
    assert figures["resolution"]["count"] == 4
    assert figures["resolution"]["business"]["median"] == 30
    assert figures["resolution"]["full"]["calendar"]["mean"] == 90
    assert figures["resolution"]["split"]["team_work"]["p90"] == 20


def test_sla_compliance_and_ever_breached() -> None:
    assert sla_parts(Outcome.met, 0) == ("met",)
    assert sla_parts(Outcome.met, 2) == ("met", "ever_breached")
    assert sla_parts(Outcome.breached, 0) == ("breached", "ever_breached")
    tally = Tally()
    tally.add_sla(SlaTarget.resolution, Outcome.met, 0, count=3)
    tally.add_sla(SlaTarget.resolution, Outcome.met, 1)
    tally.add_sla(SlaTarget.resolution, Outcome.breached, 1)
    assert tally.figures()["sla"]["resolution"] == {
        "met": 4,
        "breached": 1,
        "rate": 0.8,
        "ever_breached": 2,
    }


def test_csat_is_the_share_of_four_and_five() -> None:
    tally = Tally()
    for score, count in ((5, 2), (4, 1), (3, 1), (1, 1)):
        tally.add_rating(score, count)
    assert tally.figures()["csat"] == {"rated": 5, "good": 3, "rate": 0.6, "average": 3.6}


def test_nps_is_promoters_minus_detractors() -> None:
    answers = Counter({10: 3, 9: 2, 8: 1, 7: 1, 6: 2, 0: 1})  # 5 promoters, 3 detractors of 10
    assert nps(answers) == {
        "answers": 10,
        "promoters": 5,
        "passives": 2,
        "detractors": 3,
        "score": 20.0,
    }
    assert nps(Counter())["score"] is None


def test_backlog_ages_fall_in_half_open_buckets() -> None:
    day = timedelta(days=1)
    assert age_bucket(day - timedelta(seconds=1)) == "under_1d"
    assert age_bucket(day) == "1d_3d"
    assert age_bucket(3 * day) == "3d_7d"
    assert age_bucket(7 * day - timedelta(seconds=1)) == "3d_7d"
    assert age_bucket(7 * day) == "over_7d"


def test_flatten_gives_dotted_names_and_empty_nps_columns() -> None:
    flat = flatten(Tally().figures())
    assert flat["sla.update.rate"] is None
    assert flat["created.by_channel.walk_in"] == 0
    assert flat["nps.score"] is None
    assert "nps.answers" in flat
    assert "resolution.split.vendor_wait.median" in flat


@pytest.mark.parametrize(
    ("name", "ref"),
    [
        ("created", FigureRef("created")),
        ("first_response", FigureRef("first_response")),
        ("resolution", FigureRef("resolution")),
        ("fcr_rate", FigureRef("resolution", "fcr")),
        ("reopened", FigureRef("resolution", "reopened")),
        ("sla.resolution.breached", FigureRef("sla", "breached", SlaTarget.resolution)),
        ("SLA.Update.ever_breached", FigureRef("sla", "ever_breached", SlaTarget.update)),
        ("csat.good", FigureRef("csat", "good")),
        ("backlog.over_7d", FigureRef("backlog", "over_7d")),
        ("backlog.total", FigureRef("backlog")),
    ],
)
def test_figure_names(name: str, ref: FigureRef) -> None:
    assert parse_figure(name) == ref


@pytest.mark.parametrize("name", ["", "sla", "sla.resolution", "sla.x.met", "backlog.2d", "x"])
def test_unknown_figures_name_the_known_ones(name: str) -> None:
    with pytest.raises(ValueError, match="sla.resolution.breached"):
        parse_figure(name)


def test_every_listed_figure_parses() -> None:
    assert all(parse_figure(name) for name in figure_names())
    with pytest.raises(ValueError, match="client"):
        parse_figure("nps.score")


def test_labels_of_days_iso_weeks_and_months_in_the_zone() -> None:
    late = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)  # already 1 January in Berlin
    assert label_of(late, GroupBy.day, UTC) == "2026-12-31"
    assert label_of(late, GroupBy.day, BERLIN) == "2027-01-01"
    assert label_of(late, GroupBy.week, BERLIN) == "2026-W53"
    assert label_of(late, GroupBy.month, BERLIN) == "2027-01"


def test_buckets_cover_the_period_in_local_time_across_dst() -> None:
    start = datetime(2026, 10, 24, tzinfo=BERLIN)
    end = datetime(2026, 10, 27, 12, tzinfo=BERLIN)
    days = buckets(start, end, GroupBy.day, BERLIN)
    assert [b.label for b in days] == ["2026-10-24", "2026-10-25", "2026-10-26", "2026-10-27"]
    assert days[1].end - days[1].start == timedelta(hours=25)  # clocks go back that night
    assert days[-1].end == end  # clipped to the period
    months = buckets(start, datetime(2027, 1, 2, tzinfo=UTC), GroupBy.month, UTC)
    assert [b.label for b in months] == ["2026-10", "2026-11", "2026-12", "2027-01"]
    assert months[0].start == start
    weeks = buckets(datetime(2026, 11, 4, tzinfo=UTC), datetime(2026, 11, 17, tzinfo=UTC),
                    GroupBy.week, UTC)  # fmt: skip
    assert [b.label for b in weeks] == ["2026-W45", "2026-W46", "2026-W47"]
    with pytest.raises(ValueError, match="time grouping"):
        buckets(start, end, GroupBy.queue, UTC)


def test_grouping_keys_and_order() -> None:
    engineers = Grouping(GroupBy.engineer, labels={1: "olga", 2: "ivan"})
    assert engineers.key(2) == "ivan"
    assert engineers.key(None) == NONE_LABEL
    assert engineers.key(9) == "#9"  # a user since removed
    assert engineers.order(["olga", NONE_LABEL, "ivan"], (datetime.now(UTC),) * 2) == [
        "ivan",
        "olga",
        NONE_LABEL,
    ]
    assert Grouping(GroupBy.none).key(123) == ""
    days = Grouping(GroupBy.day)
    period = (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 3, tzinfo=UTC))
    assert days.order([], period) == ["2026-11-01", "2026-11-02"]  # empty days too
