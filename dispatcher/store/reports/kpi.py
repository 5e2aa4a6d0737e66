"""The KPI report of a period, and the tickets behind any of its figures.

Every figure is a range read over one index of `ticket_fact` (the instant of the event that
puts a ticket in the figure), fetching only the columns the figure needs; the figures are
computed in Python by `domain.kpi.figures` (the same percentiles on SQLite and PostgreSQL).
`figure_tickets` reads the very same rows and applies the very same rules, so the tickets
listed are exactly the ones counted.
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import ColumnElement, Connection, case, func, null, or_, select, text
from sqlmodel import Session

from dispatcher.domain.enums import AlertKind, Priority, RatingKind, SlaTarget, TicketStatus
from dispatcher.domain.kpi.facts import Duration, Outcome, in_backlog_at
from dispatcher.domain.kpi.figures import (
    AGE_BUCKETS,
    FigureRef,
    Tally,
    age_bucket,
    is_first_contact_resolution,
    is_good_rating,
    is_reopened,
    parse_figure,
    sla_parts,
)
from dispatcher.domain.kpi.groups import GroupBy, Grouping, buckets
from dispatcher.read_models.dashboard import (
    AtRisk,
    DayFigures,
    ExplainRow,
    GroupRow,
    PeriodFigures,
    RiskRow,
    Span,
    TileSpec,
)
from dispatcher.store.models import (
    ACTIVE_STATUS_SQL,
    Alert,
    Category,
    Client,
    Queue,
    Rating,
    Ticket,
    TicketFact,
    User,
    table_of,
)

_FACT = table_of(TicketFact)
_ALERT = table_of(Alert)
_RATING = table_of(Rating)
_TICKET = table_of(Ticket)
_DIMENSION_COLUMN = {
    GroupBy.engineer: "assignee_id",
    GroupBy.queue: "queue_id",
    GroupBy.category: "category_id",
    GroupBy.client: "client_id",
    GroupBy.channel: "channel",
    GroupBy.priority: "priority",
}
TREND_DAYS = 30  # the dashboard's trend plots: the last 30 days
# NPS answers are a client's: they group by client or by time, and by nothing else.
_NPS_GROUPS = (GroupBy.none, GroupBy.client, GroupBy.day, GroupBy.week, GroupBy.month)


@dataclass(frozen=True, slots=True)
class Period:
    """[start, end), aware instants."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError("a period ends after it starts")


def grouping(session: Session, *, by: GroupBy, zone: tzinfo) -> Grouping:
    """The report's grouping, with the names of the engineers, queues, ... it shows."""
    model: Any = {
        GroupBy.engineer: User,
        GroupBy.queue: Queue,
        GroupBy.category: Category,
        GroupBy.client: Client,
    }.get(by)
    labels: dict[Any, str] = {}
    if model is not None:
        table = table_of(model)
        name = table.c.login if model is User else table.c.name
        labels = dict(session.connection().execute(select(table.c.id, name)).all())
    return Grouping(by=by, zone=zone, labels=labels)


def kpi_report(
    session: Session, *, period: Period, by: GroupBy = GroupBy.none, zone: tzinfo
) -> list[tuple[str, dict[str, Any]]]:
    """`(group, figures)` for each group of the report, in order (one, "", ungrouped)."""
    groups = grouping(session, by=by, zone=zone)
    connection = session.connection()
    tallies: defaultdict[str, Tally] = defaultdict(Tally)
    key = groups.key
    f = _FACT.c

    for group, channel, count in _counted(connection, period, by, "created_at", [f.channel]):
        tallies[key(group)].add_created(channel, count)
    for group, minutes, business in _rows(
        connection,
        period,
        by,
        "created_at",
        [f.first_response_minutes, f.first_response_business],
        f.first_response_minutes.is_not(None),
    ):
        tallies[key(group)].first_response.add(minutes, business)
    resolved = [
        f.resolution_minutes,
        f.resolution_business,
        f.full_resolution_minutes,
        f.full_resolution_business,
        f.responses_before_resolution,
        f.reopen_count,
        f.requester_wait,
        f.team_work,
        f.vendor_wait,
    ]
    for group, *values in _rows(connection, period, by, "first_resolved_at", resolved):
        minutes, business, full_minutes, full_business, responses, reopens, *waits = values
        tallies[key(group)].add_resolved(
            Duration(minutes or 0.0, business or 0.0),
            Duration(full_minutes or 0.0, full_business or 0.0),
            responses_before_resolution=responses,
            reopen_count=reopens,
            requester_wait=waits[0],
            team_work=waits[1],
            vendor_wait=waits[2],
        )
    for target in SlaTarget:
        columns = [f[f"{target.value}_outcome"], f[f"{target.value}_breaches"]]
        for group, outcome, breaches, count in _counted(
            connection, period, by, f"{target.value}_decided_at", columns
        ):
            if outcome is not None:
                tallies[key(group)].add_sla(target, Outcome(outcome), breaches, count)
    for group, score, count in _counted(connection, period, by, "csat_at", [f.csat_score]):
        if score is not None:
            tallies[key(group)].add_rating(score, count)
    if by.is_time:
        for label, _ticket_id, age in _backlog(connection, period, groups):
            tallies[label].add_backlog(age)
    else:
        for group, bucket, count in _backlog_counts(connection, period.end, by):
            tallies[key(group)].backlog[bucket] += count
        for label, _ticket_id, age in _backlog(connection, period, groups, reopened_only=True):
            tallies[label].add_backlog(age)
    nps_applies = by in _NPS_GROUPS
    if nps_applies:
        for group, score, count in _nps(connection, period, by):
            tallies[key(group)].add_nps(score, count)
    report = []
    for label in groups.order(tallies.keys(), (period.start, period.end)):
        tally = tallies[label]
        if nps_applies and tally.nps is None:
            tally.nps = Counter()
        report.append((label, tally.figures()))
    return report


# --- The populations: one index range each --------------------------------------------


def _group_column(by: GroupBy, instant: str) -> ColumnElement[Any] | None:
    """What a population groups by: a dimension, the population's instant, or nothing."""
    if by == GroupBy.none:
        return None
    if by.is_time:
        return _FACT.c[instant]
    return _FACT.c[_DIMENSION_COLUMN[by]]


def _in(column: str, period: Period) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return _FACT.c[column] >= period.start, _FACT.c[column] < period.end


def _rows(
    connection: Connection,
    period: Period,
    by: GroupBy,
    instant: str,
    columns: Sequence[ColumnElement[Any]],
    *where: ColumnElement[bool],
    ticket_id: bool = False,
) -> Sequence[Any]:
    """`(group, *columns)` of each fact whose `instant` lies in the period (`(ticket id,
    group, *columns)` with `ticket_id`); group is None when the report is not grouped."""
    group = _group_column(by, instant)
    selected = [group if group is not None else null(), *columns]
    if ticket_id:
        selected.insert(0, _FACT.c.ticket_id)
    query = select(*selected).where(*_in(instant, period), *where)
    return connection.execute(query).all()


def _counted(
    connection: Connection,
    period: Period,
    by: GroupBy,
    instant: str,
    columns: Sequence[ColumnElement[Any]],
) -> Sequence[Any]:
    """`(group, *columns, count)`: how many facts of the period share these values."""
    group = _group_column(by, instant)
    keys = [group, *columns] if group is not None else list(columns)
    selected = [group if group is not None else null(), *columns, func.count()]
    query = select(*selected).where(*_in(instant, period)).group_by(*keys)
    return connection.execute(query).all()


def _nps(connection: Connection, period: Period, by: GroupBy) -> Sequence[Any]:
    """`(group, score, answers)` of the NPS answers given in the period."""
    r = _RATING.c
    group = None if by == GroupBy.none else r.at if by.is_time else r.client_id
    keys = [group, r.score] if group is not None else [r.score]
    query = (
        select(group if group is not None else null(), r.score, func.count())
        .where(r.kind == RatingKind.nps, r.at >= period.start, r.at < period.end)
        .group_by(*keys)
    )
    return connection.execute(query).all()


def _backlog_counts(connection: Connection, end: datetime, by: GroupBy) -> Sequence[Any]:
    """`(group, age bucket, tickets)` of the backlog at `end`, counted by the database, of
    the tickets never reopened: for them, active at `end` is exactly "created before it
    and inactive only after it". An age under a bucket's limit is a creation after `end`
    less the limit, so the buckets of `domain.kpi.figures.AGE_BUCKETS` are comparisons of
    instants, the same on every database. Reopened tickets: `_backlog`."""
    f = _FACT.c
    bucket = case(
        (f.created_at >= end, _LATER),  # created after `end`: not in its backlog
        *((f.created_at > end - limit, name) for name, limit in AGE_BUCKETS if limit is not None),
        else_=AGE_BUCKETS[-1][0],
    ).label("bucket")
    group = _group_column(by, "created_at")
    keys = [group, bucket] if group is not None else [bucket]
    # Only `inactive_since` in the WHERE clause: the planner then walks the backlog index
    # (which covers the rest when ungrouped), never the creation index from its start.
    query = (
        select(group if group is not None else null(), bucket, func.count())
        .where(f.inactive_since > end, f.reopen_count == 0)
        .group_by(*keys)
    )
    return [row for row in connection.execute(query).all() if row[1] != _LATER]


_LATER = "later"


def _backlog(
    connection: Connection, period: Period, groups: Grouping, *, reopened_only: bool = False
) -> Iterator[tuple[str, int, timedelta]]:
    """`(group, ticket id, age)` of each ticket in the backlog at the end of the period
    (for a time grouping, at the end of each day, week or month of it); `reopened_only`,
    of the tickets reopened at least once (whose inactive spells must be looked at)."""
    if groups.by.is_time:
        spans = buckets(period.start, period.end, groups.by, groups.zone)
        ends, labels = [b.end for b in spans], [b.label for b in spans]
        group = None
    else:
        ends, labels = [period.end], []
        group = _group_column(groups.by, "created_at")
    f = _FACT.c
    query = select(
        f.ticket_id,
        group if group is not None else null(),
        f.created_at,
        f.inactive_since,
        f.reopen_count,
        f.reopened_spells,
    ).where(f.inactive_since > ends[0])  # created before each end: checked below
    if reopened_only:
        query = query.where(f.reopen_count > 0)
    for ticket_id, value, created, inactive, reopens, spells in connection.execute(query).all():
        reopened = _spells(spells) if reopens else ()
        first = bisect.bisect_right(ends, created)
        last = bisect.bisect_left(ends, inactive)
        for index in range(first, last):
            at = ends[index]
            if reopened and not in_backlog_at(
                at, created_at=created, inactive_since=inactive, reopened_spells=reopened
            ):
                continue
            label = labels[index] if labels else groups.key(value)
            yield label, ticket_id, at - created


def _spells(stored: Sequence[Sequence[str]]) -> tuple[tuple[datetime, datetime], ...]:
    return tuple(
        (datetime.fromisoformat(start), datetime.fromisoformat(end)) for start, end in stored
    )


# --- The tickets behind a figure -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FigureTicket:
    """One ticket counted in a figure, with what the figure counted of it."""

    id: int
    group: str
    value: Any  # minutes, the SLA outcome's instant, a score, an age in days


def figure_tickets(
    session: Session,
    *,
    figure: FigureRef,
    period: Period,
    by: GroupBy = GroupBy.none,
    group: str | None = None,
    zone: tzinfo,
) -> list[FigureTicket]:
    """The tickets counted in `figure` for the period (only those of `group`, if given),
    by ticket number: the rows the report counts, under the rules it counts them by."""
    groups = grouping(session, by=by, zone=zone)
    connection = session.connection()
    f = _FACT.c
    found: list[FigureTicket] = []

    def add(ticket_id: int, label: str, value: Any) -> None:
        if group is None or label == group:
            found.append(FigureTicket(ticket_id, label, value))

    def rows(instant: str, *columns: ColumnElement[Any]) -> Sequence[Any]:
        return _rows(connection, period, groups.by, instant, columns, ticket_id=True)

    match figure:
        case FigureRef(population="created"):
            for ticket_id, raw, channel in rows("created_at", f.channel):
                add(ticket_id, groups.key(raw), str(channel))
        case FigureRef(population="first_response"):
            for ticket_id, raw, business in rows("created_at", f.first_response_business):
                if business is not None:
                    add(ticket_id, groups.key(raw), round(business, 1))
        case FigureRef(population="resolution", part=part):
            columns = (f.resolution_business, f.responses_before_resolution, f.reopen_count)
            for ticket_id, raw, business, responses, reopens in rows("first_resolved_at", *columns):
                if part == "fcr" and not is_first_contact_resolution(responses, reopens):
                    continue
                if part == "reopened" and not is_reopened(reopens):
                    continue
                add(ticket_id, groups.key(raw), reopens if part else round(business or 0.0, 1))
        case FigureRef(population="sla", part=part, target=SlaTarget() as target):
            outcome, breaches = f[f"{target.value}_outcome"], f[f"{target.value}_breaches"]
            for ticket_id, raw, result, count in rows(
                f"{target.value}_decided_at", outcome, breaches
            ):
                if result is not None and part in sla_parts(Outcome(result), count):
                    add(ticket_id, groups.key(raw), str(result))
        case FigureRef(population="csat", part=part):
            for ticket_id, raw, score in rows("csat_at", f.csat_score):
                if score is not None and (part != "good" or is_good_rating(score)):
                    add(ticket_id, groups.key(raw), score)
        case FigureRef(population="backlog", part=part):
            for label, ticket_id, age in _backlog(connection, period, groups):
                if not part or age_bucket(age) == part:
                    add(ticket_id, label, round(age / timedelta(days=1), 2))
    return sorted(found, key=lambda t: (t.id, t.group))


@dataclass(frozen=True, slots=True)
class TicketSummary:
    """What a listing shows of a ticket."""

    subject: str
    status: str
    priority: str
    engineer: str | None
    created_at: datetime


def describe_tickets(session: Session, *, ticket_ids: Sequence[int]) -> dict[int, TicketSummary]:
    t, u = _TICKET.c, table_of(User).c
    found: dict[int, TicketSummary] = {}
    for first in range(0, len(ticket_ids), 500):
        chunk = list(ticket_ids[first : first + 500])
        query = (
            select(t.id, t.subject, t.status, t.priority, u.login, t.created_at)
            .select_from(_TICKET.outerjoin(table_of(User), u.id == t.assignee_id))
            .where(t.id.in_(chunk))
        )
        for ticket_id, subject, status, priority, login, created in session.connection().execute(
            query
        ):
            found[ticket_id] = TicketSummary(subject, str(status), str(priority), login, created)
    return found


# --- The lead's dashboard ----------------------------------------------------------------


def dashboard_periods(
    session: Session, *, spans: Sequence[Span], zone: tzinfo
) -> list[PeriodFigures]:
    """Each period's figures and those of the period before it, to the same point."""
    found = []
    for span in spans:
        current = kpi_report(session, period=Period(span.start, span.end), zone=zone)
        previous = kpi_report(
            session, period=Period(span.previous_start, span.previous_end), zone=zone
        )
        found.append(PeriodFigures(span, current[0][1], previous[0][1]))
    return found


def dashboard_trend(
    session: Session, *, end: datetime, zone: tzinfo, days: int = TREND_DAYS
) -> list[DayFigures]:
    """The figures of each of the last `days` days up to `end` (today so far included),
    days starting at midnight in `zone`."""
    today = end.astimezone(zone).date()
    first = today - timedelta(days=days - 1)
    start = datetime(first.year, first.month, first.day, tzinfo=zone).astimezone(UTC)
    report = kpi_report(session, period=Period(start, end), by=GroupBy.day, zone=zone)
    return [DayFigures(label, figures) for label, figures in report]


def dashboard_groups(
    session: Session, *, period: Period, by: GroupBy, zone: tzinfo
) -> list[GroupRow]:
    """The period's figures per engineer or per queue."""
    return [GroupRow(label, figures) for label, figures in kpi_report(
        session, period=period, by=by, zone=zone
    )]  # fmt: skip


def sla_at_risk(
    session: Session, *, now: datetime, limit: int = 50, count_limit: int = 1000
) -> AtRisk:
    """Active tickets, their SLA clock running, whose next deadline is still ahead but near,
    as the alerts judge it: a warning has been raised for that very deadline, or is due
    (the ticket's next alert is at or before `now`). The nearest deadlines first; up to
    `count_limit` counted. Also how many active tickets are past their deadline now."""
    t, a = _TICKET.c, _ALERT.c
    warned = (
        select(a.id)
        .where(a.ticket_id == t.id, a.kind == AlertKind.warning, a.due_at == t.next_due_at)
        .exists()
    )
    near = (
        select(t.id)
        .where(
            text(ACTIVE_STATUS_SQL),
            t.next_due_at > now,
            t.sla_paused_since.is_(None),
            or_(t.next_alert_at <= now, warned),
        )
        .order_by(t.next_due_at, t.id)
        .limit(count_limit + 1)
    )
    connection = session.connection()
    ids = list(connection.execute(near).scalars())
    breached = connection.execute(
        select(func.count())
        .select_from(_TICKET)
        .where(text(ACTIVE_STATUS_SQL), t.next_due_at <= now, t.sla_paused_since.is_(None))
    ).scalar_one()
    shown = ids[:limit]
    c, u = table_of(Client).c, table_of(User).c
    query = (
        select(t.id, t.subject, t.priority, t.status, c.name, u.login, t.next_due_at)
        .select_from(
            _TICKET.outerjoin(table_of(Client), c.id == t.client_id).outerjoin(
                table_of(User), u.id == t.assignee_id
            )
        )
        .where(t.id.in_(shown))
    )
    rows = {
        row[0]: RiskRow(
            row[0],
            row[1],
            Priority(row[2]),
            TicketStatus(row[3]),
            row[4],
            row[5],
            _aware(row[6]),
            breached=False,
        )
        for row in connection.execute(query)
    }
    return AtRisk(
        [rows[ticket_id] for ticket_id in shown if ticket_id in rows],
        at_risk=min(len(ids), count_limit),
        breached=breached,
        more=len(ids) > count_limit,
    )


def _aware(instant: datetime) -> datetime:
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)


def explain_tickets(
    session: Session, *, spec: TileSpec, period: Period, zone: tzinfo, limit: int = 500
) -> tuple[list[ExplainRow], int]:
    """The tickets behind a tile's figure (`report tickets`: the same rows under the same
    rules), the first `limit` by ticket number, and how many there are. For a share, the
    whole population, those counted in it marked."""
    if spec.tickets is None:
        return [], 0
    if spec.tickets.startswith("sla."):  # a rate over met + breached
        behind = [
            ticket
            for part in ("met", "breached")
            for ticket in figure_tickets(
                session, figure=parse_figure(f"{spec.tickets}.{part}"), period=period, zone=zone
            )
        ]
        behind.sort(key=lambda ticket: ticket.id)
    else:
        behind = figure_tickets(
            session, figure=parse_figure(spec.tickets), period=period, zone=zone
        )
    counted: set[int] | None = None
    if spec.counted is not None:
        counted = {
            ticket.id
            for ticket in figure_tickets(
                session, figure=parse_figure(spec.counted), period=period, zone=zone
            )
        }
    shown = behind[:limit]
    c = table_of(Client).c
    clients: dict[int, str | None] = {}
    ids = [ticket.id for ticket in shown]
    for first in range(0, len(ids), 500):
        query = (
            select(_TICKET.c.id, c.name)
            .select_from(_TICKET.outerjoin(table_of(Client), c.id == _TICKET.c.client_id))
            .where(_TICKET.c.id.in_(ids[first : first + 500]))
        )
        clients.update({row[0]: row[1] for row in session.connection().execute(query)})
    about = describe_tickets(session, ticket_ids=ids)
    rows = []
    for ticket in shown:
        summary = about.get(ticket.id)
        if summary is None:
            continue
        rows.append(
            ExplainRow(
                ticket.id,
                summary.subject,
                summary.status,
                summary.priority,
                clients.get(ticket.id),
                summary.engineer,
                ticket.value,
                counted=counted is None or ticket.id in counted,
            )
        )
    return rows, len(behind)
