"""The KPIs of a period, from ticket facts (`domain.kpi.facts`), as issue #12 defines them.

Each figure names the event that puts a ticket in the period [from, to):

* `created`: tickets created in the period, by channel.
* `first_response`: tickets created in the period that have a first public response;
  creation to that response.
* `resolution`, `fcr_rate`, `reopen_rate`: tickets first resolved in the period; creation
  to the first resolution (`full`: to the latest one), and the business minutes before the
  first resolution split by whose turn it was (`split`).
* `sla`: per target, tickets whose target was decided (met or breached) in the period.
* `csat`: ratings given in the period (a ticket's latest rating).
* `nps`: answers given in the period.
* `backlog`: tickets created before `to` and active at `to`, by age at `to`.

Minutes are summarised as median, p90 and mean. Percentiles are nearest-rank, computed
here in Python from the fetched values, so SQLite and PostgreSQL give the same figures:
the p-th percentile of n sorted values is the value at rank ceil(p/100 * n), the smallest
value with at least p % of the values at or below it (the median of 4 values is the 2nd).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, NamedTuple

from dispatcher.domain.enums import Channel, SlaTarget
from dispatcher.domain.kpi.facts import Duration, Outcome

AGE_BUCKETS: tuple[tuple[str, timedelta | None], ...] = (
    ("under_1d", timedelta(days=1)),
    ("1d_3d", timedelta(days=3)),
    ("3d_7d", timedelta(days=7)),
    ("over_7d", None),
)
SLA_TARGETS = (SlaTarget.first_response, SlaTarget.resolution, SlaTarget.update)
SLA_PARTS = ("met", "breached", "ever_breached")


def nearest_rank(ordered: Sequence[float], percent: float) -> float:
    """The `percent`-th percentile of values sorted ascending (nearest rank; see above)."""
    if not ordered:
        raise ValueError("no values")
    rank = max(1, math.ceil(percent / 100 * len(ordered) - 1e-9))
    return ordered[rank - 1]


def summary(values: Iterable[float]) -> dict[str, float | None]:
    """`{median, p90, mean}` in minutes, to 0.1 minute; all None without values."""
    ordered = sorted(values)
    if not ordered:
        return {"median": None, "p90": None, "mean": None}
    return {
        "median": round(nearest_rank(ordered, 50), 1),
        "p90": round(nearest_rank(ordered, 90), 1),
        "mean": round(math.fsum(ordered) / len(ordered), 1),
    }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


# --- The rules behind the figures, shared with the listing of their tickets -----------


def is_first_contact_resolution(responses_before_resolution: int, reopen_count: int) -> bool:
    """Resolved with at most one public response up to the first resolution, never reopened."""
    return responses_before_resolution <= 1 and reopen_count == 0


def is_reopened(reopen_count: int) -> bool:
    return reopen_count >= 1


def is_good_rating(score: int) -> bool:
    """CSAT: 4 or 5 of 5."""
    return score >= 4


def age_bucket(age: timedelta) -> str:
    """`under_1d` (< 1 day), `1d_3d`, `3d_7d`, `over_7d` (7 days or more)."""
    for name, limit in AGE_BUCKETS:
        if limit is None or age < limit:
            return name
    raise AssertionError("unreachable")  # pragma: no cover


def sla_parts(outcome: Outcome, breaches: int) -> tuple[str, ...]:
    """Which of met / breached / ever_breached a decided target counts in."""
    parts: tuple[str, ...] = ("met",) if outcome == Outcome.met else ("breached",)
    if outcome == Outcome.breached or breaches > 0:
        parts += ("ever_breached",)
    return parts


class Durations:
    """Minutes of many tickets, wall-clock and business, kept as two columns."""

    __slots__ = ("business", "calendar")

    def __init__(self) -> None:
        self.calendar: list[float] = []
        self.business: list[float] = []

    def add(self, calendar: float, business: float) -> None:
        self.calendar.append(calendar)
        self.business.append(business)

    def extend(self, calendar: Iterable[float], business: Iterable[float]) -> None:
        """Many tickets' minutes at once, as two columns."""
        self.calendar.extend(calendar)
        self.business.extend(business)

    def __len__(self) -> int:
        return len(self.calendar)


class ResolvedColumns(NamedTuple):
    """The facts of many resolved tickets, one sequence per fact, in the same order."""

    minutes: Sequence[float]
    business: Sequence[float]
    full_minutes: Sequence[float]
    full_business: Sequence[float]
    responses: Sequence[int]  # public responses up to the first resolution
    reopens: Sequence[int]
    requester_wait: Sequence[float]
    team_work: Sequence[float]
    vendor_wait: Sequence[float]


@dataclass(slots=True)
class Tally:
    """Everything one group's figures are computed from. The `add_*` methods take a count
    where the store may hand in many tickets alike at once (a GROUP BY row)."""

    created: Counter[str] = field(default_factory=Counter)  # by channel
    first_response: Durations = field(default_factory=Durations)
    resolution: Durations = field(default_factory=Durations)
    full_resolution: Durations = field(default_factory=Durations)
    requester_wait: list[float] = field(default_factory=list)
    team_work: list[float] = field(default_factory=list)
    vendor_wait: list[float] = field(default_factory=list)
    fcr: int = 0
    reopened: int = 0
    sla: dict[SlaTarget, Counter[str]] = field(
        default_factory=lambda: {target: Counter() for target in SLA_TARGETS}
    )
    ratings: Counter[int] = field(default_factory=Counter)  # CSAT score → ratings
    nps: Counter[int] | None = None  # 0-10 score → answers; None: NPS does not apply
    backlog: Counter[str] = field(default_factory=Counter)  # by age bucket

    def add_created(self, channel: str, count: int = 1) -> None:
        self.created[channel] += count

    def add_resolved(
        self,
        resolution: Duration,
        full_resolution: Duration,
        *,
        responses_before_resolution: int,
        reopen_count: int,
        requester_wait: float,
        team_work: float,
        vendor_wait: float,
    ) -> None:
        self.resolution.add(*resolution)
        self.full_resolution.add(*full_resolution)
        self.requester_wait.append(requester_wait)
        self.team_work.append(team_work)
        self.vendor_wait.append(vendor_wait)
        self.fcr += is_first_contact_resolution(responses_before_resolution, reopen_count)
        self.reopened += is_reopened(reopen_count)

    def add_resolved_columns(self, columns: ResolvedColumns) -> None:
        """Many resolved tickets at once, column by column: what `add_resolved` adds of
        each, without a call per ticket."""
        self.resolution.extend(columns.minutes, columns.business)
        self.full_resolution.extend(columns.full_minutes, columns.full_business)
        self.requester_wait.extend(columns.requester_wait)
        self.team_work.extend(columns.team_work)
        self.vendor_wait.extend(columns.vendor_wait)
        self.fcr += sum(map(is_first_contact_resolution, columns.responses, columns.reopens))
        self.reopened += sum(map(is_reopened, columns.reopens))

    def add_sla(self, target: SlaTarget, outcome: Outcome, breaches: int, count: int = 1) -> None:
        for part in sla_parts(outcome, breaches):
            self.sla[target][part] += count

    def add_rating(self, score: int, count: int = 1) -> None:
        self.ratings[score] += count

    def add_nps(self, score: int, count: int = 1) -> None:
        if self.nps is None:
            self.nps = Counter()
        self.nps[score] += count

    def add_backlog(self, age: timedelta, count: int = 1) -> None:
        self.add_backlog_bucket(age_bucket(age), count)

    def add_backlog_bucket(self, bucket: str, count: int = 1) -> None:
        self.backlog[bucket] += count

    def figures(self) -> dict[str, Any]:
        """The group's figures under the documented, stable JSON keys."""
        resolved = len(self.resolution)
        return {
            "created": {
                "total": sum(self.created.values()),
                "by_channel": {c.value: self.created.get(c.value, 0) for c in Channel},
            },
            "first_response": _durations(self.first_response),
            "resolution": {
                **_durations(self.resolution),
                "full": {
                    "calendar": summary(self.full_resolution.calendar),
                    "business": summary(self.full_resolution.business),
                },
                "split": {
                    "requester_wait": summary(self.requester_wait),
                    "team_work": summary(self.team_work),
                    "vendor_wait": summary(self.vendor_wait),
                },
            },
            "fcr": self.fcr,
            "fcr_rate": _rate(self.fcr, resolved),
            "reopened": self.reopened,
            "reopen_rate": _rate(self.reopened, resolved),
            "sla": {
                target.value: {
                    "met": counts["met"],
                    "breached": counts["breached"],
                    "rate": _rate(counts["met"], counts["met"] + counts["breached"]),
                    "ever_breached": counts["ever_breached"],
                }
                for target, counts in self.sla.items()
            },
            "csat": _csat(self.ratings),
            "nps": None if self.nps is None else nps(self.nps),
            "backlog": {
                "total": sum(self.backlog.values()),
                **{name: self.backlog.get(name, 0) for name, _ in AGE_BUCKETS},
            },
        }


def _durations(durations: Durations) -> dict[str, Any]:
    return {
        "count": len(durations),
        "calendar": summary(durations.calendar),
        "business": summary(durations.business),
    }


def _csat(ratings: Counter[int]) -> dict[str, Any]:
    rated = sum(ratings.values())
    good = sum(count for score, count in ratings.items() if is_good_rating(score))
    total = sum(score * count for score, count in ratings.items())
    return {
        "rated": rated,
        "good": good,
        "rate": _rate(good, rated),
        "average": round(total / rated, 2) if rated else None,
    }


def nps(answers: Counter[int]) -> dict[str, Any]:
    """Net promoter score of 0-10 answers (score → how many): % of 9-10 minus % of 0-6,
    with the counts."""
    total = sum(answers.values())
    promoters = sum(count for score, count in answers.items() if score >= 9)
    detractors = sum(count for score, count in answers.items() if score <= 6)
    return {
        "answers": total,
        "promoters": promoters,
        "passives": total - promoters - detractors,
        "detractors": detractors,
        "score": round(100 * (promoters - detractors) / total, 1) if total else None,
    }


def flatten(figures: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """`{"sla": {"update": {"met": 3}}}` → `{"sla.update.met": 3}`, for tables and CSV."""
    flat: dict[str, Any] = {}
    for key, value in figures.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        elif value is None and key == "nps":  # does not apply: the same columns, empty
            flat.update({f"{name}.{part}": None for part in nps(Counter())})
        else:
            flat[name] = value
    return flat


# --- The tickets behind a figure ---------------------------------------------------------


class FigureRef(NamedTuple):
    """A figure whose tickets can be listed: its population and, within it, which part."""

    population: str  # created, first_response, resolution, sla, csat, backlog
    part: str = ""  # fcr, reopened; met, breached, ever_breached; good; an age bucket
    target: SlaTarget | None = None


def figure_names() -> list[str]:
    """Every figure `report tickets --figure` knows, in the order of the report."""
    names = ["created", "first_response", "resolution", "fcr", "reopened"]
    names += [f"sla.{t.value}.{part}" for t in SLA_TARGETS for part in SLA_PARTS]
    names += ["csat", "csat.good", "backlog"] + [f"backlog.{name}" for name, _ in AGE_BUCKETS]
    return names


def parse_figure(name: str) -> FigureRef:
    """`sla.resolution.breached` → FigureRef("sla", "breached", resolution); ValueError
    naming the figures there are for anything else. Keys as in the JSON report are accepted
    too (`fcr_rate`, `reopen_rate`, `csat.rated`, `backlog.total`, `created.total`)."""
    cleaned = name.strip().lower()
    aliases = {
        "fcr_rate": "fcr",
        "reopen_rate": "reopened",
        "reopen": "reopened",
        "csat.rated": "csat",
        "csat.rate": "csat.good",
        "backlog.total": "backlog",
        "created.total": "created",
        "resolved": "resolution",
    }
    cleaned = aliases.get(cleaned, cleaned)
    parts = cleaned.split(".")
    match parts:
        case ["created" | "first_response" | "resolution" | "csat" | "backlog" as population]:
            return FigureRef(population)
        case ["fcr" | "reopened" as part]:
            return FigureRef("resolution", part)
        case ["csat", "good"]:
            return FigureRef("csat", "good")
        case ["backlog", bucket] if bucket in dict(AGE_BUCKETS):
            return FigureRef("backlog", bucket)
        case ["sla", target, part] if part in SLA_PARTS and target in {
            t.value for t in SLA_TARGETS
        }:
            return FigureRef("sla", part, SlaTarget(target))
        case ["nps", *_]:
            raise ValueError("NPS answers are a client's, not a ticket's: no tickets to list")
    raise ValueError(f"no figure {name!r}; one of: {', '.join(figure_names())}")
