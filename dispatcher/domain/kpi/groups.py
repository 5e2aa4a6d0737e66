"""Which group of a report a fact falls in: a ticket's engineer, queue, category, client,
channel or priority, or the day, week or month (in the report's time zone) of the event
that puts it in the figure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Any


class GroupBy(StrEnum):
    none = "none"
    engineer = "engineer"  # the ticket's assignee
    queue = "queue"
    category = "category"
    client = "client"
    channel = "channel"
    priority = "priority"
    day = "day"
    week = "week"  # ISO weeks, Monday to Sunday
    month = "month"

    @property
    def is_time(self) -> bool:
        return self in (GroupBy.day, GroupBy.week, GroupBy.month)


NO_GROUP = ""  # the one group of an ungrouped report
NONE_LABEL = "(none)"  # tickets without an engineer, queue, category or client


@dataclass(frozen=True, slots=True)
class Bucket:
    """One day, week or month of a report, clipped to its period."""

    label: str
    start: datetime
    end: datetime


def _local_start(day: date, zone: tzinfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def _next(day: date, by: GroupBy) -> date:
    if by == GroupBy.day:
        return day + timedelta(days=1)
    if by == GroupBy.week:
        return day + timedelta(days=7)
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _first_day(day: date, by: GroupBy) -> date:
    if by == GroupBy.week:
        return day - timedelta(days=day.weekday())
    if by == GroupBy.month:
        return day.replace(day=1)
    return day


def label_of(instant: datetime, by: GroupBy, zone: tzinfo) -> str:
    """The day (2026-11-18), ISO week (2026-W47) or month (2026-11) of an instant."""
    local = instant.astimezone(zone)
    if by == GroupBy.day:
        return local.date().isoformat()
    if by == GroupBy.week:
        year, week, _ = local.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{local.year}-{local.month:02d}"


def buckets(start: datetime, end: datetime, by: GroupBy, zone: tzinfo) -> list[Bucket]:
    """The days, weeks or months that [start, end) touches, in order, clipped to it."""
    if not by.is_time:
        raise ValueError(f"{by} is not a time grouping")
    result: list[Bucket] = []
    day = _first_day(start.astimezone(zone).date(), by)
    while True:
        lo = _local_start(day, zone)
        if lo >= end:
            break
        following = _next(day, by)
        hi = _local_start(following, zone)
        if hi > start:
            result.append(Bucket(label_of(lo, by, zone), max(lo, start), min(hi, end)))
        day = following
    return result


@dataclass(frozen=True, slots=True)
class Grouping:
    """How a report groups: `key` of a dimension value (an id, a channel) or of the instant
    that puts a fact in the period. `labels` names dimension ids (a user's login, a queue's
    name)."""

    by: GroupBy
    zone: tzinfo = UTC
    labels: Mapping[Any, str] = field(default_factory=dict)

    def key(self, value: Any) -> str:
        if self.by == GroupBy.none:
            return NO_GROUP
        if self.by.is_time:
            return label_of(value, self.by, self.zone)
        if value is None:
            return NONE_LABEL
        label = self.labels.get(value)
        if label is not None:
            return label
        return f"#{value}" if isinstance(value, int) else str(value)

    def order(self, keys: Any, period: tuple[datetime, datetime]) -> list[str]:
        """The groups to show, in order: every bucket of the period for a time grouping
        (empty ones too, so a series has no gaps); otherwise those that have figures, by
        name, "(none)" last."""
        if self.by == GroupBy.none:
            return [NO_GROUP]
        if self.by.is_time:
            return [b.label for b in buckets(*period, self.by, self.zone)]
        return sorted(set(keys), key=lambda k: (k == NONE_LABEL, k.casefold(), k))
