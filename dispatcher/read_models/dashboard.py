"""The lead's dashboard as the console draws it: the periods it compares, its tiles, the
words that explain each figure, and the rows behind them.

`DEFINITIONS` is the one wording of each figure's rule: the README's KPI table shows the
same text (a test keeps the two equal), and "explain this number" shows it on screen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Any

from dispatcher.domain.enums import Priority, TicketStatus


@dataclass(frozen=True, slots=True)
class Definition:
    """A figure's rule: its names in the JSON report, its population, how it is computed."""

    names: str
    population: str
    rule: str

    @property
    def text(self) -> str:
        """The rule as a sentence, without the README's code marks."""
        return _unmark(f"{self.population}: {self.rule}.")


def _unmark(text: str) -> str:
    return re.sub(r"`([^`]*)`", r"\1", text)


DEFINITIONS: dict[str, Definition] = {
    "created": Definition(
        "`created`",
        "tickets created in the period",
        "count, and by channel. Every ticket counts, spam and merged duplicates too",
    ),
    "first_response": Definition(
        "`first_response`",
        "tickets created in the period that have a first response",
        (
            "creation to the first public response: a public reply by a team member (a `call`"
            " message, once the console logs calls, counts the same: `RESPONSE_MESSAGE_KINDS`"
            " in `domain/kpi/facts.py`); internal notes, the client's mail and automatic "
            "notifications never count"
        ),
    ),
    "resolution": Definition(
        "`resolution`",
        "tickets first resolved in the period",
        (
            "creation to the first `resolved` (`full`: to the latest `resolved`), pauses "
            "included; `split` divides the business minutes before the first resolution into "
            "`requester_wait` (in `waiting_client`), `vendor_wait` (in `escalated`, i.e. with"
            " a vendor; a colleague escalation makes the ticket `assigned`) and `team_work` "
            "(every other active status); a spell `closed` before any resolution is none of "
            "them"
        ),
    ),
    "fcr": Definition(
        "`fcr`, `fcr_rate`",
        "tickets first resolved in the period",
        (
            "resolved with at most one public response up to the first resolution, and never "
            "reopened; share of those resolved"
        ),
    ),
    "reopened": Definition(
        "`reopened`, `reopen_rate`",
        "tickets first resolved in the period",
        "reopened at least once (a `reopened` event: resolved or closed back to active)",
    ),
    "sla": Definition(
        "`sla.TARGET`",
        "tickets whose target was decided in the period",
        (
            "per target (`first_response`, `resolution`, `update`): a target is decided by "
            "the first of its `sla_met` (met; breached if the event says late) and its "
            "`sla_breached` (breached); the regular-update target, when the plan sets one, by"
            " its first breach, else met at the first resolution (if a first response came "
            "before it). `rate` = met / (met + breached); `ever_breached` also counts a "
            "target met but breached later (a resolution breached after a reopen)"
        ),
    ),
    "csat": Definition(
        "`csat`",
        "ratings given in the period",
        (
            "a ticket's latest rating: `rated`, `good` (4 or 5 of 5), `rate` = good / rated, "
            "`average`"
        ),
    ),
    "nps": Definition(
        "`nps`",
        "answers given in the period",
        (
            "0-10 answers (`rating` rows of kind `nps`): `score` = % of 9-10 minus % of 0-6, "
            "with `answers`, `promoters`, `passives`, `detractors`. Only by none, client or "
            "time (`null` for other groupings). Answers are stored now "
            "(`store/reports/nps.py`); the pulse that mails the question and reads the "
            "answers is a later step"
        ),
    ),
    "backlog": Definition(
        "`backlog`",
        "tickets created before `to` and active at `to`",
        (
            "by age at `to`: `under_1d`, `1d_3d`, `3d_7d`, `over_7d` (each bucket includes "
            "its lower bound); for a time grouping, at the end of each day, week or month. A "
            "ticket resolved at exactly `to` is not in it"
        ),
    ),
}


# --- The periods: today, this week, this month, each against the one before -------------


class PeriodName(StrEnum):
    today = "today"
    week = "week"  # ISO week, Monday first
    month = "month"

    @property
    def label(self) -> str:
        return {"today": "Today", "week": "This week", "month": "This month"}[self.value]


@dataclass(frozen=True, slots=True)
class Span:
    """One period so far, `[start, end)`, and the previous one to the same point: today
    until now against yesterday until the same time, this week against last week's same
    stretch, this month against last month's first days as many (clipped to its end)."""

    name: PeriodName
    start: datetime
    end: datetime
    previous_start: datetime
    previous_end: datetime


def _midnight(day: date, zone: tzinfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone)


def _month_before(day: date) -> date:
    return date(day.year - (day.month == 1), (day.month - 2) % 12 + 1, 1)


def spans(now: datetime, zone: tzinfo) -> dict[PeriodName, Span]:
    """The dashboard's periods at `now`, their days starting at midnight in `zone`."""
    local = now.astimezone(zone)
    today = local.date()
    monday = today - timedelta(days=today.weekday())
    first = today.replace(day=1)
    starts = {
        PeriodName.today: (_midnight(today, zone), _midnight(today - timedelta(days=1), zone)),
        PeriodName.week: (_midnight(monday, zone), _midnight(monday - timedelta(days=7), zone)),
        PeriodName.month: (_midnight(first, zone), _midnight(_month_before(first), zone)),
    }
    found = {}
    for name, (start, previous) in starts.items():
        # Wall-clock arithmetic in the zone, so "the same time yesterday" survives DST.
        elapsed = local.replace(tzinfo=None) - start.replace(tzinfo=None)
        until = min(previous.replace(tzinfo=None) + elapsed, start.replace(tzinfo=None))
        previous_end = max(until.replace(tzinfo=zone), previous + _MINUTE)
        found[name] = Span(
            name,
            start.astimezone(UTC),
            max(now, start + _MINUTE).astimezone(UTC),
            previous.astimezone(UTC),
            previous_end.astimezone(UTC),
        )
    return found


_MINUTE = timedelta(minutes=1)  # a period is never empty: [midnight, midnight) is no period


# --- The tiles ------------------------------------------------------------------------


class Unit(StrEnum):
    tickets = "tickets"  # a number of tickets
    minutes = "minutes"
    rate = "rate"  # a fraction, shown as a percentage
    score = "score"  # NPS: -100 to 100


@dataclass(frozen=True, slots=True)
class TileSpec:
    """One figure of the dashboard: where it is in the report, how it is shown, which rule
    explains it, and which tickets are behind it (`tickets`, a `report tickets` figure;
    `counted` the part of them the figure counts, for a share)."""

    key: str
    label: str
    path: str  # dotted, as in the CSV report: "sla.resolution.rate"
    unit: Unit
    definition: str  # a key of DEFINITIONS
    tickets: str | None
    counted: str | None = None
    lower_is_better: bool = False
    note: str = ""  # a reminder of the rule, beside the label (the median, the share)


TILES: tuple[TileSpec, ...] = (
    TileSpec(
        "first_response",
        "First response",
        "first_response.business.median",
        Unit.minutes,
        "first_response",
        "first_response",
        lower_is_better=True,
        note="median, business",
    ),
    TileSpec(
        "resolution",
        "Resolution",
        "resolution.business.median",
        Unit.minutes,
        "resolution",
        "resolution",
        lower_is_better=True,
        note="median, business",
    ),
    TileSpec("fcr", "First-contact resolution", "fcr_rate", Unit.rate, "fcr", "resolution", "fcr"),
    TileSpec(
        "reopen",
        "Reopen rate",
        "reopen_rate",
        Unit.rate,
        "reopened",
        "resolution",
        "reopened",
        lower_is_better=True,
    ),
    *(
        TileSpec(
            f"sla.{target}",
            f"SLA {label}",
            f"sla.{target}.rate",
            Unit.rate,
            "sla",
            f"sla.{target}",
            f"sla.{target}.met",
            note="met / decided",
        )
        for target, label in (
            ("first_response", "first response"),
            ("resolution", "resolution"),
            ("update", "update"),
        )
    ),
    TileSpec("csat", "CSAT", "csat.rate", Unit.rate, "csat", "csat", "csat.good", note="4-5 of 5"),
    TileSpec("nps", "NPS", "nps.score", Unit.score, "nps", None),
    TileSpec("created", "Created", "created.total", Unit.tickets, "created", "created"),
    TileSpec(
        "backlog",
        "Backlog",
        "backlog.total",
        Unit.tickets,
        "backlog",
        "backlog",
        lower_is_better=True,
        note="active at the end",
    ),
)
AGE_LABELS = (
    ("under_1d", "< 1 day"),
    ("1d_3d", "1-3 days"),
    ("3d_7d", "3-7 days"),
    ("over_7d", "> 7 days"),
)
BACKLOG_TILES: tuple[TileSpec, ...] = tuple(
    TileSpec(
        f"backlog.{bucket}",
        f"Backlog {label}",
        f"backlog.{bucket}",
        Unit.tickets,
        "backlog",
        f"backlog.{bucket}",
        lower_is_better=True,
        note="active now",
    )
    for bucket, label in AGE_LABELS
)
TILE_BY_KEY = {spec.key: spec for spec in (*TILES, *BACKLOG_TILES)}


def value_at(figures: dict[str, Any] | None, path: str) -> Any:
    """The value at a dotted path of a report's figures; None where there is none."""
    value: Any = figures
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def show(value: Any, unit: Unit) -> str:
    """A figure as the tiles show it: `1h 05m`, `85.2 %`, `+12.5`, `1,204`; `—` for none."""
    if value is None:
        return "—"
    if unit == Unit.rate:
        return f"{value * 100:.1f} %"
    if unit == Unit.minutes:
        minutes = round(float(value))
        days, rest = divmod(minutes, 1440)
        hours, mins = divmod(rest, 60)
        if days:
            return f"{days}d {hours:02d}h"
        return f"{hours}h {mins:02d}m" if hours else f"{mins}m"
    if unit == Unit.score:
        return f"{value:+.1f}"
    return f"{int(value):,}"


class Trend(StrEnum):
    better = "better"
    worse = "worse"
    same = "same"
    unknown = "unknown"  # one side has no value


def compare(spec: TileSpec, current: Any, previous: Any) -> Trend:
    if current is None or previous is None:
        return Trend.unknown
    if current == previous:
        return Trend.same
    if spec.unit == Unit.tickets and not spec.lower_is_better:
        return Trend.same  # more tickets created is neither better nor worse
    up = current > previous
    return Trend.worse if up == spec.lower_is_better else Trend.better


def arrow(current: Any, previous: Any) -> str:
    if current is None or previous is None:
        return "·"
    if current == previous:
        return "="
    return "▲" if current > previous else "▼"


# --- What a screen is handed ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PeriodFigures:
    """A period's report figures and those of the period before, to the same point."""

    span: Span
    current: dict[str, Any]
    previous: dict[str, Any]


@dataclass(frozen=True, slots=True)
class DayFigures:
    """One day of the trend: its label (`2026-11-18`) and its report figures."""

    label: str
    figures: dict[str, Any]


@dataclass(frozen=True, slots=True)
class GroupRow:
    """One engineer's or queue's figures in a period."""

    group: str
    figures: dict[str, Any]


@dataclass(frozen=True, slots=True)
class RiskRow:
    """An active ticket whose SLA deadline is near (a warning raised or due) or passed."""

    id: int
    subject: str
    priority: Priority
    status: TicketStatus
    client: str | None
    engineer: str | None
    due_at: datetime
    breached: bool


@dataclass(frozen=True, slots=True)
class AtRisk:
    """SLA at risk now: the nearest deadlines first, and how many there are in all."""

    rows: list[RiskRow] = field(default_factory=list)
    at_risk: int = 0
    breached: int = 0
    more: bool = False  # more tickets are at risk than were counted


@dataclass(frozen=True, slots=True)
class ExplainRow:
    """A ticket behind a figure: what the figure took of it, and whether it counts in the
    share (for FCR, the reopen rate, an SLA rate and CSAT: the tickets of the whole
    population are listed, those counted in the numerator marked)."""

    id: int
    subject: str
    status: str
    priority: str
    client: str | None
    engineer: str | None
    value: Any
    counted: bool = True
