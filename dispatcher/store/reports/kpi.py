"""The KPI report of a period, and the tickets behind any of its figures.

Every figure is a range over one index of `ticket_fact` (the instant of the event that
puts a ticket in the figure): `kpi_reads` reads each population once for a whole set of
periods (a report's period, its days, weeks or months, the dashboard's periods), counting
in the database and fetching only the minutes the percentiles need; the figures are
computed by `domain.kpi.figures` (the same percentiles on SQLite and PostgreSQL).
`figure_tickets` reads the same ranges row by row and applies the same rules, so the
tickets listed are exactly the ones counted.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, null, or_, select, text
from sqlmodel import Session

from dispatcher.domain.enums import AlertKind, Priority, SlaTarget, TicketStatus
from dispatcher.domain.kpi.facts import Outcome, in_backlog_at
from dispatcher.domain.kpi.figures import (
    FigureRef,
    Tally,
    age_bucket,
    is_first_contact_resolution,
    is_good_rating,
    is_reopened,
    parse_figure,
    sla_parts,
)
from dispatcher.domain.kpi.groups import NO_GROUP, GroupBy, Grouping, buckets
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
    Ticket,
    TicketFact,
    User,
    table_of,
)
from dispatcher.store.reports.kpi_reads import (
    DIMENSION_COLUMN,
    Window,
    read_tallies,
    reopened_spells,
)

_FACT = table_of(TicketFact)
_ALERT = table_of(Alert)
_TICKET = table_of(Ticket)
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
    if by.is_time:
        spans = buckets(period.start, period.end, by, zone)
        found = period_figures(
            session, periods=[Period(b.start, b.end) for b in spans], zone=zone, nps=True
        )
        return [(b.label, figures[NO_GROUP]) for b, figures in zip(spans, found, strict=True)]
    groups = grouping(session, by=by, zone=zone)
    nps = by in _NPS_GROUPS
    tallies = read_tallies(
        session.connection(), [Window(period.start, period.end)], groups, nps=nps
    )[0]
    return [
        (label, _figures(tallies.get(label), nps=nps))
        for label in groups.order(tallies.keys(), (period.start, period.end))
    ]


def period_figures(
    session: Session,
    *,
    periods: Sequence[Period],
    by: GroupBy = GroupBy.none,
    zone: tzinfo,
    nps: bool | None = None,
) -> list[dict[str, dict[str, Any]]]:
    """The figures of each period (group -> figures; `NO_GROUP` only, ungrouped), every
    population read once for all of them: what the report of each period alone gives."""
    if by.is_time:
        raise ValueError("periods are grouped by none or a dimension")
    groups = grouping(session, by=by, zone=zone)
    applies = by in _NPS_GROUPS if nps is None else nps
    windows = [Window(p.start, p.end) for p in periods]
    found = read_tallies(session.connection(), windows, groups, nps=applies)
    result = []
    for index, period in enumerate(periods):
        tallies = found[index]
        labels = groups.order(tallies.keys(), (period.start, period.end))
        result.append({label: _figures(tallies.get(label), nps=applies) for label in labels})
    return result


def _figures(tally: Tally | None, *, nps: bool) -> dict[str, Any]:
    if tally is None:
        tally = Tally()
    if nps and tally.nps is None:
        tally.nps = Counter()
    return tally.figures()


# --- The populations, one row per fact, for listing the tickets behind a figure --------


def _group_column(by: GroupBy, instant: str) -> ColumnElement[Any] | None:
    """What a population groups by: a dimension, the population's instant, or nothing."""
    if by == GroupBy.none:
        return None
    if by.is_time:
        return _FACT.c[instant]
    return _FACT.c[DIMENSION_COLUMN[by]]


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
        reopened = reopened_spells(spells) if reopens else ()
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
    """Each period's figures and those of the period before it, to the same point: one
    read of every population for all of them."""
    periods = [
        period
        for span in spans
        for period in (Period(span.start, span.end), Period(span.previous_start, span.previous_end))
    ]
    found = period_figures(session, periods=periods, zone=zone)
    return [
        PeriodFigures(span, found[2 * n][NO_GROUP], found[2 * n + 1][NO_GROUP])
        for n, span in enumerate(spans)
    ]


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
