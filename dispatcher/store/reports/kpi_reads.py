"""The reads behind the KPI reports: every population of ticket facts, for a set of
periods at once.

A report's period, the days of a report by day, or the dashboard's six periods (today,
this week, this month and the stretches before them) are a set of windows `[start, end)`.
Each population is one statement for the whole set: the windows are a small `VALUES`
table joined to a range of the index on the population's instant (`created_at` for
created and first response, `first_resolved_at` for resolution, FCR and reopens, each SLA
target's `*_decided_at`, `csat_at`; `inactive_since` for the backlog), and those indexes
carry the columns the population needs (`store.models.facts`), so an ungrouped report
never reads a fact row. A grouping by engineer, queue, ... reads the one dimension column
from the row.

The database counts what is counted (tickets created by channel, SLA outcomes, CSAT
scores, NPS answers, the backlog of the tickets never reopened by age bucket). The
minutes behind the medians, p90s and means are fetched as columns and summarised in
Python by `domain.kpi.figures`, so the percentiles are the same on SQLite and PostgreSQL;
so are the backlog's reopened tickets, whose inactive spells decide whether they were
active at an instant (`domain.kpi.facts.in_backlog_at`).
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Connection,
    Integer,
    Select,
    and_,
    case,
    column,
    func,
    null,
    select,
    values,
)

from dispatcher.domain.enums import RatingKind, SlaTarget
from dispatcher.domain.kpi.facts import Outcome, in_backlog_at
from dispatcher.domain.kpi.figures import AGE_BUCKETS, SLA_TARGETS, ResolvedColumns, Tally
from dispatcher.domain.kpi.groups import GroupBy, Grouping
from dispatcher.store.models import Rating, TicketFact, table_of

_FACT = table_of(TicketFact)
_RATING = table_of(Rating)
_INSTANT = _FACT.c.created_at.type
DIMENSION_COLUMN = {
    GroupBy.engineer: "assignee_id",
    GroupBy.queue: "queue_id",
    GroupBy.category: "category_id",
    GroupBy.client: "client_id",
    GroupBy.channel: "channel",
    GroupBy.priority: "priority",
}
_LATER = "later"  # created at or after a backlog's instant: not in it
_AGE_LIMITS = [(name, limit) for name, limit in AGE_BUCKETS if limit is not None]
_OLDEST = AGE_BUCKETS[-1][0]


@dataclass(frozen=True, slots=True)
class Window:
    """One period of a set, `[start, end)`, aware instants."""

    start: datetime
    end: datetime


# Window index -> group label -> the group's tally in that window.
Tallies = dict[int, dict[str, Tally]]


def read_tallies(
    connection: Connection, windows: Sequence[Window], groups: Grouping, *, nps: bool
) -> Tallies:
    """Every population's facts in each window, by the groups of `groups` (a dimension,
    or none: a time grouping is the caller's set of windows). `nps`: whether NPS answers
    apply (they are a client's: by none or by client)."""
    if not windows:
        return {}
    if groups.by.is_time:
        raise ValueError("a time grouping is a set of windows, grouped by none")
    reader = _Reader(connection, windows, groups)
    reader.created()
    reader.first_response()
    reader.resolution()
    for target in SLA_TARGETS:
        reader.sla(target)
    reader.csat()
    reader.backlog()
    if nps:
        reader.nps()
    return reader.found


class _Reader:
    """The statements of one set of windows, each adding to the tallies it found."""

    def __init__(self, connection: Connection, windows: Sequence[Window], groups: Grouping):
        self.connection = connection
        self.windows = list(windows)
        self.groups = groups
        self.found: Tallies = {index: {} for index in range(len(self.windows))}
        self._labels: dict[Any, str] = {}
        self.table: CTE = (
            values(
                column("k", Integer), column("s", _INSTANT), column("e", _INSTANT), name="windows"
            )
            .data([(index, w.start, w.end) for index, w in enumerate(self.windows)])
            .cte("windows")
        )
        name = DIMENSION_COLUMN.get(groups.by)
        self.group: ColumnElement[Any] | None = None if name is None else _FACT.c[name]

    # --- helpers -------------------------------------------------------------------------

    def tally(self, window: int, raw: Any) -> Tally:
        label = self._labels.get(raw)
        if label is None:
            label = self._labels[raw] = self.groups.key(raw)
        cell = self.found[window]
        found = cell.get(label)
        if found is None:
            found = cell[label] = Tally()
        return found

    def _select(self, instant: str, *columns: ColumnElement[Any]) -> Select[Any]:
        """`(window, group, *columns)` of the facts whose `instant` lies in each window."""
        w, moment = self.table.c, _FACT.c[instant]
        group = self.group if self.group is not None else null()
        return select(w.k, group, *columns).select_from(
            self.table.join(_FACT, and_(moment >= w.s, moment < w.e))
        )

    def _counted(self, instant: str, *columns: ColumnElement[Any]) -> Sequence[Any]:
        """`(window, group, *columns, count)`: how many facts of each window share them."""
        keys: list[ColumnElement[Any]] = [self.table.c.k]
        if self.group is not None:
            keys.append(self.group)
        query = self._select(instant, *columns, func.count()).group_by(*keys, *columns)
        return self.connection.execute(query).all()

    def _columns(self, query: Select[Any]) -> Iterator[tuple[Tally, list[list[Any]]]]:
        """The rows of `query` (`(window, group, *values)`) as columns of values, per
        window and group: the tally they go to and one tuple per value."""
        result = self.connection.execute(query)
        try:
            # The driver's own tuples: these columns (numbers, and a dimension whose label
            # is its text) need no conversion, and building a Row for each of a month's
            # tickets costs more than the database's whole read of them.
            rows = result.cursor.fetchall()
        finally:
            result.close()
        if not rows:
            return
        cells: dict[tuple[Any, Any], Sequence[Any]] = {}
        if len(self.windows) == 1 and self.group is None:
            cells[0, None] = rows
        else:
            grouped: defaultdict[tuple[Any, Any], list[Any]] = defaultdict(list)
            for row in rows:
                grouped[row[0], row[1]].append(row)
            cells.update(grouped)
        width = len(rows[0])
        for (window, raw), found in cells.items():
            columns = [list(map(itemgetter(n), found)) for n in range(2, width)]
            yield self.tally(window, raw), columns

    # --- the populations -----------------------------------------------------------------

    def created(self) -> None:
        for window, raw, channel, count in self._counted("created_at", _FACT.c.channel):
            self.tally(window, raw).add_created(channel, count)

    def first_response(self) -> None:
        f = _FACT.c
        query = self._select(
            "created_at", f.first_response_minutes, f.first_response_business
        ).where(f.first_response_minutes.is_not(None))
        for tally, (minutes, business) in self._columns(query):
            tally.first_response.extend(minutes, business)

    def resolution(self) -> None:
        f = _FACT.c
        query = self._select(
            "first_resolved_at",
            func.coalesce(f.resolution_minutes, 0.0),
            func.coalesce(f.resolution_business, 0.0),
            func.coalesce(f.full_resolution_minutes, 0.0),
            func.coalesce(f.full_resolution_business, 0.0),
            f.responses_before_resolution,
            f.reopen_count,
            f.requester_wait,
            f.team_work,
            f.vendor_wait,
        )
        for tally, columns in self._columns(query):
            tally.add_resolved_columns(ResolvedColumns(*columns))

    def sla(self, target: SlaTarget) -> None:
        f = _FACT.c
        outcome, breaches = f[f"{target.value}_outcome"], f[f"{target.value}_breaches"]
        rows = self._counted(f"{target.value}_decided_at", outcome, breaches)
        for window, raw, result, count_of_breaches, count in rows:
            if result is not None:
                self.tally(window, raw).add_sla(target, Outcome(result), count_of_breaches, count)

    def csat(self) -> None:
        for window, raw, score, count in self._counted("csat_at", _FACT.c.csat_score):
            if score is not None:
                self.tally(window, raw).add_rating(score, count)

    def nps(self) -> None:
        """NPS answers given in each window, by client (or by none)."""
        w, r = self.table.c, _RATING.c
        group = r.client_id if self.groups.by == GroupBy.client else None
        keys = [w.k, group, r.score] if group is not None else [w.k, r.score]
        query = (
            select(w.k, group if group is not None else null(), r.score, func.count())
            .select_from(self.table.join(_RATING, and_(r.at >= w.s, r.at < w.e)))
            .where(r.kind == RatingKind.nps)
            .group_by(*keys)
        )
        for window, raw, score, count in self.connection.execute(query).all():
            self.tally(window, raw).add_nps(score, count)
        for cell in self.found.values():
            for tally in cell.values():
                if tally.nps is None:
                    tally.nps = Counter()

    def backlog(self) -> None:
        """The backlog at the end of each window: counted by the database for the tickets
        never reopened (for them, in it at `end` is exactly "created before `end`, inactive
        only after it"; an age under a bucket's limit is a creation after `end` less the
        limit, so the buckets are comparisons of instants, the same on every database),
        looked at one by one for those reopened."""
        ends = values(
            column("k", Integer),
            column("e", _INSTANT),
            *(column(f"b{n}", _INSTANT) for n in range(len(_AGE_LIMITS))),
            name="ends",
        )
        ends = ends.data(
            [
                (index, w.end, *(w.end - limit for _, limit in _AGE_LIMITS))
                for index, w in enumerate(self.windows)
            ]
        )
        table = ends.cte("ends")
        e, f = table.c, _FACT.c
        bucket = case(
            (f.created_at >= e.e, _LATER),
            *((f.created_at > e[f"b{n}"], name) for n, (name, _) in enumerate(_AGE_LIMITS)),
            else_=_OLDEST,
        ).label("bucket")
        group = self.group if self.group is not None else null()
        keys: list[ColumnElement[Any]] = [e.k, bucket]
        if self.group is not None:
            keys.insert(1, self.group)
        # Only `inactive_since` in the join: each end is then a range of the backlog index
        # (covering when ungrouped), never the creation index from its start.
        query = (
            select(e.k, group, bucket, func.count())
            .select_from(table.join(_FACT, f.inactive_since > e.e))
            .where(f.reopen_count == 0)
            .group_by(*keys)
        )
        for window, raw, name, count in self.connection.execute(query).all():
            if name != _LATER:
                self.tally(window, raw).add_backlog_bucket(str(name), count)
        self._reopened_backlog()

    def _reopened_backlog(self) -> None:
        order = sorted(range(len(self.windows)), key=lambda index: self.windows[index].end)
        ends = [self.windows[index].end for index in order]
        f = _FACT.c
        group = self.group if self.group is not None else null()
        query = select(group, f.created_at, f.inactive_since, f.reopened_spells).where(
            f.inactive_since > ends[0], f.reopen_count > 0
        )
        for raw, created, inactive, stored in self.connection.execute(query).all():
            spells = reopened_spells(stored)
            for position in range(bisect.bisect_right(ends, created), len(ends)):
                at = ends[position]
                if at >= inactive:
                    break
                if in_backlog_at(
                    at, created_at=created, inactive_since=inactive, reopened_spells=spells
                ):
                    self.tally(order[position], raw).add_backlog(at - created)


def reopened_spells(stored: Sequence[Sequence[str]]) -> tuple[tuple[datetime, datetime], ...]:
    """A fact row's `reopened_spells` as instants."""
    return tuple(
        (datetime.fromisoformat(start), datetime.fromisoformat(end)) for start, end in stored
    )
