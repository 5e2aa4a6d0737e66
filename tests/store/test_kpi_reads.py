"""The KPI reads for a set of periods at once, on random facts, against the same periods
read one by one and against the domain's rules applied in Python to the same facts.

Each seed builds a few hundred tickets over September to November 2026 and writes their
fact rows directly (`fact_row` of a random `TicketFacts`: engineers, queues, categories,
clients, channels, priorities; first responses, resolutions, reopens with their inactive
spells, SLA outcomes and breaches, CSAT ratings), and NPS answers of the clients. The
instants fall on a grid of hours, and the periods start and end at midnights, so many
facts lie exactly on a period's bound: a bound read as `(` or `]` instead of `[` / `)`
changes the figures.

The oracle reads nothing back: per ticket and per period it applies the rules of
`domain.kpi` (`Tally.add_*`, `in_backlog_at`) to the `TicketFacts` it wrote, and
`Tally.figures` computes the figures.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert
from sqlmodel import Session

from dispatcher.domain.enums import Channel, Priority, RatingKind, SlaTarget, TicketStatus
from dispatcher.domain.kpi.facts import Duration, Outcome, TargetFacts, TicketFacts, in_backlog_at
from dispatcher.domain.kpi.figures import SLA_TARGETS, Tally
from dispatcher.domain.kpi.groups import GroupBy, Grouping, buckets
from dispatcher.store.db.engine import Store
from dispatcher.store.models import Category, Client, Queue, Rating, Ticket, TicketFact, table_of
from dispatcher.store.reports.facts import fact_row
from dispatcher.store.reports.kpi import Period, grouping, kpi_report, period_figures
from tests.factories import World, world

MOSCOW = ZoneInfo("Europe/Moscow")
START = datetime(2026, 9, 1, tzinfo=UTC)
SPAN_HOURS = 91 * 24  # September to November
TICKETS = 300
ANSWERS = 60
DIMENSIONS = ("channel", "priority", "queue_id", "category_id", "client_id", "assignee_id")
GROUPINGS = (
    GroupBy.none,
    GroupBy.engineer,
    GroupBy.queue,
    GroupBy.category,
    GroupBy.client,
    GroupBy.channel,
    GroupBy.priority,
)
NPS_GROUPS = (GroupBy.none, GroupBy.client)


def _midnight(month: int, day: int) -> datetime:
    return datetime(2026, month, day, tzinfo=UTC)


# Months, a week, adjacent days, overlapping stretches (the dashboard's "this month so
# far" and the same stretch of the month before), one ending after every fact.
PERIODS = (
    Period(_midnight(9, 1), _midnight(10, 1)),
    Period(_midnight(10, 1), _midnight(11, 1)),
    Period(_midnight(11, 1), _midnight(12, 1)),
    Period(_midnight(10, 12), _midnight(10, 19)),
    Period(_midnight(10, 13), _midnight(10, 14)),
    Period(_midnight(10, 14), _midnight(10, 15)),
    Period(_midnight(11, 1), _midnight(11, 18)),
    Period(_midnight(10, 1), _midnight(10, 18)),
    Period(_midnight(9, 20), _midnight(11, 10)),
    Period(_midnight(8, 1), _midnight(12, 31)),
)


@dataclass(frozen=True, slots=True)
class Answer:
    client_id: int | None
    score: int
    at: datetime


@dataclass(frozen=True, slots=True)
class Facts:
    """What a seed wrote: each ticket's dimensions and facts, and the NPS answers."""

    tickets: list[tuple[dict[str, Any], TicketFacts]]
    answers: list[Answer]


@dataclass(frozen=True, slots=True)
class Dimensions:
    engineers: list[int | None]
    queues: list[int | None]
    categories: list[int | None]
    clients: list[int | None]


def _instant(rng: random.Random, after: datetime, hours: int) -> datetime:
    """An instant up to `hours` after `after`, mostly on the hour (many on midnights)."""
    at = after + timedelta(hours=rng.randint(0, hours))
    if rng.random() < 0.3:
        at = at.replace(hour=0)
        if at < after:
            at += timedelta(days=1)
    if rng.random() < 0.2:
        at += timedelta(minutes=rng.randint(1, 59))
    return at


def _minutes(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 60


def _duration(rng: random.Random, start: datetime, end: datetime) -> Duration:
    calendar = _minutes(start, end)
    return Duration(calendar, round(calendar * rng.random(), 3))


def _facts(rng: random.Random, created: datetime) -> TicketFacts:
    facts = TicketFacts(created_at=created)
    if rng.random() < 0.8:
        facts.first_response_at = _instant(rng, created, 30)
        facts.first_response = _duration(rng, created, facts.first_response_at)
    resolved = rng.random() < 0.7
    if resolved:
        first = _instant(rng, created, 24 * 10)
        facts.first_resolved_at = first
        facts.resolution = _duration(rng, created, first)
        facts.responses_before_resolution = rng.choice((0, 1, 1, 1, 2, 3))
        facts.requester_wait = round(rng.random() * 300, 2)
        facts.team_work = round(rng.random() * 300, 2)
        facts.vendor_wait = rng.choice((0.0, round(rng.random() * 900, 2)))
        facts.reopen_count = rng.choice((0, 0, 0, 1, 2))
        # Each reopen ends an inactive spell, starting at a resolution.
        at = first
        for _ in range(facts.reopen_count):
            reopened = _instant(rng, at + timedelta(hours=1), 24 * 5)
            facts.reopened_spells.append((at, reopened))
            at = _instant(rng, reopened + timedelta(hours=1), 24 * 5)
        facts.last_resolved_at = at
        facts.full_resolution = _duration(rng, created, at)
        facts.status = TicketStatus.resolved
        facts.inactive_since = at
        if facts.reopen_count and rng.random() < 0.3:  # reopened, active again
            facts.status = TicketStatus.in_progress
            facts.inactive_since = None
            facts.reopened_spells.append((at, _instant(rng, at + timedelta(hours=1), 48)))
    elif rng.random() < 0.15:  # closed unresolved (merged, cancelled)
        facts.status = TicketStatus.closed
        facts.inactive_since = _instant(rng, created + timedelta(hours=1), 24 * 4)
    for target in SLA_TARGETS:
        if rng.random() < 0.6:
            facts.sla[target] = TargetFacts(
                outcome=rng.choice((Outcome.met, Outcome.met, Outcome.breached)),
                decided_at=_instant(rng, created, 24 * 6),
                breaches=rng.choice((0, 0, 1, 2)),
            )
        elif rng.random() < 0.2:  # breached once, not decided yet
            facts.sla[target] = TargetFacts(breaches=1)
    if resolved and rng.random() < 0.4:
        facts.csat_score = rng.randint(1, 5)
        facts.csat_at = _instant(rng, created, 24 * 12)
    return facts


def _world_dimensions(store: Store, w: World) -> Dimensions:
    with store.write() as session:
        queue = Queue(name="Billing")
        category = Category(name="Invoices", queue_id=w.queue.id)
        client = Client(name="Borealis")
        for row in (queue, category, client):
            session.add(row)
        session.flush()
        return Dimensions(
            engineers=[w.engineer.id, w.engineer2.id, w.lead.id, None],
            queues=[w.queue.id, queue.id, None],
            categories=[w.category.id, category.id, None],
            clients=[w.client.id, client.id, None],
        )


def build(store: Store, seed: int) -> Facts:
    rng = random.Random(seed)
    d = _world_dimensions(store, world(store))
    written: list[tuple[dict[str, Any], TicketFacts]] = []
    answers: list[Answer] = []
    with store.write() as session:
        connection = session.connection()
        for n in range(TICKETS):
            created = _instant(rng, START, SPAN_HOURS)
            dimensions = {
                "channel": rng.choice(list(Channel)),
                "priority": rng.choice(list(Priority)),
                "queue_id": rng.choice(d.queues),
                "category_id": rng.choice(d.categories),
                "client_id": rng.choice(d.clients),
                "assignee_id": rng.choice(d.engineers),
            }
            facts = _facts(rng, created)
            ticket = Ticket(subject=f"ticket {n}", created_at=created, updated_at=created)
            for name, value in dimensions.items():
                setattr(ticket, name, value)
            session.add(ticket)
            session.flush()
            assert ticket.id is not None
            row = fact_row(
                ticket.id, dimensions, facts, folded_event_id=None, calendar=(None, None)
            )
            connection.execute(insert(table_of(TicketFact)), row)
            written.append((dimensions, facts))
        for _ in range(ANSWERS):
            answer = Answer(
                rng.choice(d.clients), rng.randint(0, 10), _instant(rng, START, SPAN_HOURS)
            )
            session.add(
                Rating(
                    client_id=answer.client_id,
                    kind=RatingKind.nps,
                    score=answer.score,
                    at=answer.at,
                )
            )
            answers.append(answer)
    return Facts(written, answers)


# --- The oracle: the domain's rules, ticket by ticket ------------------------------------


def _within(instant: datetime | None, period: Period) -> bool:
    return instant is not None and period.start <= instant < period.end


def expected(
    facts: Facts, period: Period, groups: Grouping, *, nps: bool
) -> dict[str, dict[str, Any]]:
    """The figures of the period by group, from the facts written, in the report's order."""
    tallies: dict[str, Tally] = {}

    def tally(raw: Any) -> Tally:
        return tallies.setdefault(groups.key(raw), Tally())

    column = {
        GroupBy.engineer: "assignee_id",
        GroupBy.queue: "queue_id",
        GroupBy.category: "category_id",
        GroupBy.client: "client_id",
        GroupBy.channel: "channel",
        GroupBy.priority: "priority",
    }.get(groups.by)
    for dimensions, f in facts.tickets:
        raw = None if column is None else dimensions[column]
        if column in ("channel", "priority"):
            raw = str(raw)
        if _within(f.created_at, period):
            tally(raw).add_created(str(dimensions["channel"]))
            if f.first_response is not None:
                tally(raw).first_response.add(*f.first_response)
        if _within(f.first_resolved_at, period):
            assert f.resolution is not None
            assert f.full_resolution is not None
            tally(raw).add_resolved(
                f.resolution,
                f.full_resolution,
                responses_before_resolution=f.responses_before_resolution,
                reopen_count=f.reopen_count,
                requester_wait=f.requester_wait,
                team_work=f.team_work,
                vendor_wait=f.vendor_wait,
            )
        for target in SLA_TARGETS:
            state = f.sla[target]
            if state.outcome is not None and _within(state.decided_at, period):
                tally(raw).add_sla(target, state.outcome, state.breaches)
        if f.csat_score is not None and _within(f.csat_at, period):
            tally(raw).add_rating(f.csat_score)
        if in_backlog_at(
            period.end,
            created_at=f.created_at,
            inactive_since=f.inactive_since,
            reopened_spells=f.reopened_spells,
        ):
            tally(raw).add_backlog(period.end - f.created_at)
    if nps:
        for answer in facts.answers:
            if _within(answer.at, period):
                raw = answer.client_id if groups.by == GroupBy.client else None
                tally(raw).add_nps(answer.score)
        for found in tallies.values():
            if found.nps is None:
                found.nps = Counter()
    labels = groups.order(tallies.keys(), (period.start, period.end))
    empty = Tally(nps=Counter() if nps else None)
    return {label: tallies.get(label, empty).figures() for label in labels}


# --- The tests ---------------------------------------------------------------------------


@pytest.fixture(params=[1, 2, 3], ids=lambda seed: f"seed{seed}")
def facts(store: Store, request: pytest.FixtureRequest) -> Facts:
    return build(store, request.param)


def _alone(session: Session, period: Period, by: GroupBy) -> dict[str, dict[str, Any]]:
    return dict(kpi_report(session, period=period, by=by, zone=UTC))


def _together(
    session: Session, periods: Sequence[Period], by: GroupBy
) -> list[dict[str, dict[str, Any]]]:
    return period_figures(session, periods=periods, by=by, zone=UTC)


@pytest.mark.parametrize("by", GROUPINGS, ids=lambda by: by.value)
def test_periods_read_together_equal_each_read_alone_and_the_rules(
    store: Store, facts: Facts, by: GroupBy
) -> None:
    with store.read() as session:
        together = _together(session, PERIODS, by)
        alone = [_alone(session, period, by) for period in PERIODS]
        groups = grouping(session, by=by, zone=UTC)
    assert together == alone
    rules = [expected(facts, period, groups, nps=by in NPS_GROUPS) for period in PERIODS]
    for period, found, want in zip(PERIODS, together, rules, strict=True):
        assert found == want, period


def test_the_facts_cover_every_population(facts: Facts) -> None:
    """The random facts reach every figure in most periods: the comparisons compare."""
    groups = Grouping(by=GroupBy.none)
    for period in PERIODS[:3]:
        figures = expected(facts, period, groups, nps=True)[""]
        assert figures["created"]["total"] > 30
        assert figures["first_response"]["count"] > 20
        assert figures["resolution"]["count"] > 20
        assert 0 < figures["fcr"] < figures["resolution"]["count"]
        assert figures["reopened"] > 0
        for target in SlaTarget:
            assert figures["sla"][target.value]["breached"] > 0
            assert figures["sla"][target.value]["ever_breached"] > 0
        assert figures["csat"]["rated"] > 5
        assert figures["nps"]["answers"] > 5
    ends = [expected(facts, p, groups, nps=False)[""]["backlog"] for p in PERIODS]
    assert sum(backlog["total"] for backlog in ends) > 10
    reopened_active = sum(
        1 for _, f in facts.tickets if f.reopen_count and f.status != TicketStatus.resolved
    )
    assert reopened_active > 0


@pytest.mark.parametrize("by", [GroupBy.day, GroupBy.week, GroupBy.month], ids=str)
def test_a_time_grouping_is_its_buckets_read_alone(store: Store, facts: Facts, by: GroupBy) -> None:
    period = Period(_midnight(9, 28), _midnight(11, 3))
    with store.read() as session:
        report = kpi_report(session, period=period, by=by, zone=MOSCOW)
        spans = buckets(period.start, period.end, by, MOSCOW)
        alone = [
            kpi_report(session, period=Period(b.start, b.end), zone=MOSCOW)[0][1] for b in spans
        ]
    assert [label for label, _ in report] == [b.label for b in spans]
    assert [figures for _, figures in report] == alone
    rules = [
        expected(facts, Period(b.start, b.end), Grouping(by=GroupBy.none), nps=True)[""]
        for b in spans
    ]
    assert alone == rules


def test_no_periods_read_nothing(store: Store) -> None:
    with store.read() as session:
        assert _together(session, [], GroupBy.engineer) == []
