"""KPI facts kept by the store's writes, the backfill, and the report over them.

The world of `tests.factories`: Acme's contract names the premium plan (24x7; high
priority: first response 60 min, resolution 480), tickets without a client get the standard
plan (Moscow office hours with a lunch break, Russian holidays).
"""

from __future__ import annotations

import io
import shutil
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, select, text
from sqlmodel import Session

from dispatcher.domain.enums import (
    Channel,
    EscalationTarget,
    MessageKind,
    Priority,
    TicketStatus,
)
from dispatcher.domain.errors import ValidationError
from dispatcher.domain.kpi.facts import Outcome
from dispatcher.domain.kpi.figures import figure_names, parse_figure
from dispatcher.domain.kpi.groups import GroupBy
from dispatcher.store.db.engine import Store
from dispatcher.store.mail.answers import rate
from dispatcher.store.models import Ticket, TicketFact, table_of
from dispatcher.store.reports.facts import missing_facts, rebuild_facts
from dispatcher.store.reports.kpi import Period, figure_tickets, kpi_report
from dispatcher.store.reports.nps import record_nps_answer
from dispatcher.store.sla import alerts
from dispatcher.store.tickets import export, importing, records
from dispatcher.store.tickets import writes as repo
from dispatcher.store.tickets.relations import escalate
from tests.conftest import BACKEND, PG_ADMIN_URL
from tests.factories import World, new_ticket, world

MOSCOW = ZoneInfo("Europe/Moscow")
T0 = datetime(2026, 11, 16, 7, 0, tzinfo=UTC)  # Monday 10:00 in Moscow
NOVEMBER = Period(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))


@pytest.fixture
def w(store: Store) -> World:
    return world(store)


def _write(store: Store, action: Callable[[Session], Any]) -> Any:
    with store.write() as session:
        return action(session)


def _status(store: Store, w: World, ticket_id: int, status: TicketStatus, at: datetime) -> None:
    _write(
        store,
        lambda s: repo.change_status(
            s,
            ticket_id=ticket_id,
            expected_version=None,
            actor_id=w.engineer.id,
            status=status,
            now=at,
        ),
    )


def _message(
    store: Store, w: World, ticket_id: int, kind: MessageKind, at: datetime, actor: int | None
) -> None:
    _write(
        store,
        lambda s: repo.add_message(
            s, ticket_id=ticket_id, kind=kind, body=f"{kind} text", actor_id=actor, now=at
        ),
    )


def _fact(store: Store, ticket_id: int) -> dict[str, Any]:
    fact = table_of(TicketFact)
    with store.read() as session:
        row = session.connection().execute(select(fact).where(fact.c.ticket_id == ticket_id))
        return dict(row.one()._mapping)


def _all_facts(store: Store) -> list[dict[str, Any]]:
    fact = table_of(TicketFact)
    with store.read() as session:
        rows = session.connection().execute(select(fact).order_by(fact.c.ticket_id))
        return [dict(r._mapping) for r in rows]


def _report(store: Store, period: Period = NOVEMBER, **kwargs: Any) -> dict[str, Any]:
    with store.read() as session:
        report = kpi_report(session, period=period, zone=kwargs.pop("zone", UTC), **kwargs)
    return report[0][1] if kwargs.get("by", GroupBy.none) == GroupBy.none else dict(report)


def _life(store: Store, w: World) -> int:
    """A full life: a note before the reply, a wait on the client, a vendor, a resolution,
    a rating, a reopen, a second resolution and the close. Premium plan (24x7)."""
    ticket = new_ticket(store, w, now=T0)
    assert ticket.id is not None
    tid, engineer = ticket.id, w.engineer.id
    _write(
        store,
        lambda s: repo.assign(
            s,
            ticket_id=tid,
            expected_version=None,
            actor_id=w.dispatcher.id,
            assignee_id=engineer,
            now=T0 + timedelta(minutes=2),
        ),
    )
    _message(store, w, tid, MessageKind.note, T0 + timedelta(minutes=5), engineer)
    _message(store, w, tid, MessageKind.reply, T0 + timedelta(minutes=10), engineer)
    _status(store, w, tid, TicketStatus.waiting_client, T0 + timedelta(minutes=20))
    _message(store, w, tid, MessageKind.inbound, T0 + timedelta(minutes=80), None)
    _status(store, w, tid, TicketStatus.in_progress, T0 + timedelta(minutes=80))
    _write(
        store,
        lambda s: escalate(
            s,
            ticket_id=tid,
            expected_version=None,
            actor_id=engineer,
            target=EscalationTarget.vendor,
            vendor="Cisco",
            now=T0 + timedelta(minutes=90),
        ),
    )
    _status(store, w, tid, TicketStatus.in_progress, T0 + timedelta(minutes=150))
    _status(store, w, tid, TicketStatus.resolved, T0 + timedelta(minutes=200))
    _write(
        store,
        lambda s: rate(
            s,
            ticket=repo.get_ticket(s, ticket_id=tid),
            score=5,
            comment="",
            now=T0 + timedelta(minutes=210),
        ),
    )
    _status(store, w, tid, TicketStatus.in_progress, T0 + timedelta(minutes=300))
    _status(store, w, tid, TicketStatus.resolved, T0 + timedelta(minutes=330))
    _status(store, w, tid, TicketStatus.closed, T0 + timedelta(minutes=400))
    return tid


def test_writes_keep_the_facts_the_backfill_computes(store: Store, w: World) -> None:
    tid = _life(store, w)
    fact = _fact(store, tid)
    assert fact["first_response_at"] == T0 + timedelta(minutes=10)
    assert fact["first_response_minutes"] == pytest.approx(10)
    assert fact["first_response_business"] == pytest.approx(10)  # 24x7
    assert fact["responses_before_resolution"] == 1  # the note does not count
    assert fact["first_resolved_at"] == T0 + timedelta(minutes=200)
    assert fact["resolution_business"] == pytest.approx(200)
    assert fact["full_resolution_business"] == pytest.approx(330)
    assert fact["reopen_count"] == 1
    assert fact["requester_wait"] == pytest.approx(60)
    assert fact["vendor_wait"] == pytest.approx(60)
    assert fact["team_work"] == pytest.approx(80)
    assert fact["csat_score"] == 5
    assert fact["first_response_outcome"] == Outcome.met
    assert fact["resolution_outcome"] == Outcome.met
    assert fact["update_outcome"] is None  # the premium plan sets no update target
    assert fact["inactive_since"] == T0 + timedelta(minutes=330)
    assert fact["assignee_id"] == w.engineer.id
    assert fact["channel"] == Channel.phone
    before = _all_facts(store)
    assert rebuild_facts(store) == 1
    assert _all_facts(store) == before


def test_the_report_of_one_life(store: Store, w: World) -> None:
    _life(store, w)
    figures = _report(store)
    assert figures["created"]["total"] == 1
    assert figures["created"]["by_channel"]["phone"] == 1
    assert figures["first_response"]["count"] == 1
    assert figures["first_response"]["business"] == {"median": 10, "p90": 10, "mean": 10}
    assert figures["resolution"]["business"]["median"] == 200
    assert figures["resolution"]["full"]["business"]["median"] == 330
    assert figures["resolution"]["split"]["requester_wait"]["median"] == 60
    assert (figures["fcr"], figures["fcr_rate"]) == (0, 0.0)  # reopened
    assert (figures["reopened"], figures["reopen_rate"]) == (1, 1.0)
    assert figures["sla"]["first_response"] == {
        "met": 1,
        "breached": 0,
        "rate": 1.0,
        "ever_breached": 0,
    }
    assert figures["csat"] == {"rated": 1, "good": 1, "rate": 1.0, "average": 5.0}
    assert figures["backlog"]["total"] == 0
    assert figures["nps"] == {
        "answers": 0,
        "promoters": 0,
        "passives": 0,
        "detractors": 0,
        "score": None,
    }


def test_a_ticket_created_before_the_period_and_resolved_in_it(store: Store, w: World) -> None:
    ticket = new_ticket(store, w, now=datetime(2026, 10, 30, 9, tzinfo=UTC))
    assert ticket.id is not None
    _message(store, w, ticket.id, MessageKind.reply, datetime(2026, 10, 30, 10, tzinfo=UTC), 2)
    _status(store, w, ticket.id, TicketStatus.resolved, datetime(2026, 11, 2, 9, tzinfo=UTC))
    figures = _report(store)
    assert figures["created"]["total"] == 0
    assert figures["first_response"]["count"] == 0  # its creation is not in the period
    assert figures["resolution"]["count"] == 1
    assert figures["resolution"]["calendar"]["median"] == 3 * 24 * 60
    assert figures["fcr"] == 1  # one reply, never reopened
    october = Period(datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))
    before = _report(store, october)
    assert before["created"]["total"] == 1
    assert before["resolution"]["count"] == 0
    assert before["backlog"]["total"] == 1  # still open at the end of October
    assert before["backlog"]["1d_3d"] == 1


def test_business_minutes_of_the_plan_calendar_skip_the_weekend(store: Store, w: World) -> None:
    friday = datetime(2026, 11, 13, 17, tzinfo=MOSCOW)
    ticket = _write(
        store,
        lambda s: repo.create_ticket(
            s,
            data=repo.NewTicket(subject="No client", priority=Priority.normal),
            actor_id=w.dispatcher.id,
            now=friday,
        ),
    )
    monday = datetime(2026, 11, 16, 10, tzinfo=MOSCOW)
    _message(store, w, ticket.id, MessageKind.reply, monday, w.engineer.id)
    figures = _report(store)
    # The standard plan: Friday 17:00-18:00, Monday 09:00-10:00; 65 hours on the clock.
    assert figures["first_response"]["business"]["median"] == 120
    assert figures["first_response"]["calendar"]["median"] == 65 * 60
    assert figures["sla"]["first_response"]["met"] == 1  # 240 business minutes allowed


def test_a_breach_the_sweep_records_is_in_the_facts(store: Store, w: World) -> None:
    ticket = new_ticket(store, w, now=T0)
    assert ticket.id is not None
    swept = _write(store, lambda s: alerts.sweep(s, now=T0 + timedelta(hours=2)))
    assert ticket.id in swept.breached
    fact = _fact(store, ticket.id)
    assert fact["first_response_outcome"] == Outcome.breached
    assert fact["first_response_decided_at"] == T0 + timedelta(hours=2)
    assert fact["first_response_breaches"] == 1
    _message(store, w, ticket.id, MessageKind.reply, T0 + timedelta(hours=3), w.engineer.id)
    fact = _fact(store, ticket.id)
    assert fact["first_response_outcome"] == Outcome.breached  # a late reply changes nothing
    assert fact["first_response_decided_at"] == T0 + timedelta(hours=2)
    figures = _report(store)
    assert figures["sla"]["first_response"] == {
        "met": 0,
        "breached": 1,
        "rate": 0.0,
        "ever_breached": 1,
    }


def _mixed(store: Store, w: World) -> None:
    """A few tickets in every state the figures look at."""
    _life(store, w)
    quick = new_ticket(store, w, now=T0 + timedelta(hours=1), priority=Priority.low)
    assert quick.id is not None
    _message(store, w, quick.id, MessageKind.reply, T0 + timedelta(hours=2), w.engineer2.id)
    _status(store, w, quick.id, TicketStatus.resolved, T0 + timedelta(hours=3))
    _write(
        store,
        lambda s: rate(
            s, ticket=repo.get_ticket(s, ticket_id=quick.id or 0), score=3, comment="", now=T0
        ),
    )
    for hours in (4, 50, 200):
        new_ticket(store, w, now=datetime(2026, 11, 30, tzinfo=UTC) - timedelta(hours=hours))
    late = new_ticket(store, w, now=T0 + timedelta(hours=5))
    _write(store, lambda s: alerts.sweep(s, now=T0 + timedelta(hours=7)))
    assert late.id is not None


def test_the_tickets_behind_every_figure_are_the_ones_counted(store: Store, w: World) -> None:
    _mixed(store, w)
    figures = _report(store)
    counted = {
        "created": figures["created"]["total"],
        "first_response": figures["first_response"]["count"],
        "resolution": figures["resolution"]["count"],
        "fcr": figures["fcr"],
        "reopened": figures["reopened"],
        "csat": figures["csat"]["rated"],
        "csat.good": figures["csat"]["good"],
        "backlog": figures["backlog"]["total"],
    }
    for target, parts in figures["sla"].items():
        for part in ("met", "breached", "ever_breached"):
            counted[f"sla.{target}.{part}"] = parts[part]
    for name in ("under_1d", "1d_3d", "3d_7d", "over_7d"):
        counted[f"backlog.{name}"] = figures["backlog"][name]
    assert set(counted) == set(figure_names())
    with store.read() as session:
        listed = {
            name: len(figure_tickets(session, figure=parse_figure(name), period=NOVEMBER, zone=UTC))
            for name in counted
        }
    assert listed == counted
    assert counted["backlog"] == 4
    assert counted["sla.first_response.breached"] >= 1
    assert counted["fcr"] == 1


def test_grouped_by_engineer_and_by_day(store: Store, w: World) -> None:
    _mixed(store, w)
    by_engineer = _report(store, by=GroupBy.engineer)
    assert by_engineer["ivan"]["created"]["total"] == 1
    assert by_engineer["ivan"]["nps"] is None  # NPS is a client's, not an engineer's
    assert by_engineer["(none)"]["backlog"]["total"] == 4
    assert list(by_engineer)[-1] == "(none)"
    by_day = _report(store, by=GroupBy.day)
    assert len(by_day) == 30
    assert by_day["2026-11-16"]["created"]["total"] == 3
    assert by_day["2026-11-01"]["created"]["total"] == 0
    assert by_day["2026-11-16"]["backlog"]["total"] == 1  # the one breached, still open
    assert by_day["2026-11-30"]["backlog"]["total"] == 4
    with store.read() as session:
        ivan = figure_tickets(
            session,
            figure=parse_figure("created"),
            period=NOVEMBER,
            by=GroupBy.engineer,
            group="ivan",
            zone=UTC,
        )
    assert [t.group for t in ivan] == ["ivan"]


def test_the_backlog_at_an_instant_respects_a_reopen(store: Store, w: World) -> None:
    tid = _life(store, w)  # resolved +200 min, reopened +300, resolved +330
    day = Period(T0, T0 + timedelta(minutes=250))
    assert _report(store, day)["backlog"]["total"] == 0  # resolved at the end of it
    assert _report(store, Period(T0, T0 + timedelta(minutes=310)))["backlog"]["total"] == 1
    assert _report(store, Period(T0, T0 + timedelta(minutes=330)))["backlog"]["total"] == 0
    with store.read() as session:
        behind = figure_tickets(
            session,
            figure=parse_figure("backlog.under_1d"),
            period=Period(T0, T0 + timedelta(minutes=310)),
            zone=UTC,
        )
    assert [t.id for t in behind] == [tid]


def test_nps_answers_group_by_client_and_time(store: Store, w: World) -> None:
    client = w.client.id or 0
    with store.write() as session:
        for score in (10, 9, 7, 3):
            record_nps_answer(session, client_id=client, score=score, now=T0)
    assert _report(store)["nps"]["score"] == 25.0
    assert _report(store, by=GroupBy.client)["Acme"]["nps"]["answers"] == 4
    assert _report(store, by=GroupBy.week)["2026-W47"]["nps"]["promoters"] == 2
    with pytest.raises(ValidationError, match="0 to 10"):
        _write(store, lambda s: record_nps_answer(s, client_id=w.client.id or 0, score=11, now=T0))


def test_missing_facts_are_found_and_rebuilt(store: Store, w: World) -> None:
    ticket = new_ticket(store, w, now=T0)
    with store.write() as session:
        session.execute(delete(table_of(TicketFact)))
    with store.read() as session:
        assert missing_facts(session, start=NOVEMBER.start, end=NOVEMBER.end) == 1
    assert _report(store)["created"]["total"] == 0
    seen: list[tuple[int, int]] = []
    assert rebuild_facts(store, on_progress=lambda done, total: seen.append((done, total))) == 1
    assert seen[-1] == (1, 1)
    with store.read() as session:
        assert missing_facts(session, start=NOVEMBER.start, end=NOVEMBER.end) == 0
    assert _fact(store, ticket.id or 0)["created_at"] == T0


def test_export_and_import_keep_the_figures(store: Store, w: World, other: Store) -> None:
    """The export carries the history the facts are folded from (ratings as `rated`
    events), and the import refreshes the facts of what it writes."""
    _mixed(store, w)
    out = io.StringIO()
    export.write_json(export.iter_export(store), out)
    importing.import_tickets(
        other, source=lambda: records.read_json(io.StringIO(out.getvalue())), actor_id=None
    )
    mine, theirs = _report(store), _report(other)
    assert theirs == mine
    with other.read() as session:
        assert missing_facts(session, start=NOVEMBER.start, end=NOVEMBER.end) == 0
        count = session.connection().execute(select(table_of(Ticket).c.id)).all()
    assert len(count) == 6


@pytest.fixture
def other(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A second database at the current schema on the backend under test, same world."""
    if BACKEND != "postgres":
        path = tmp_path / "other.db"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        admin, template = (
            request.getfixturevalue("pg_admin"),
            request.getfixturevalue("_pg_template"),
        )
        name = f"dsp_t_{uuid.uuid4().hex[:12]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    target = Store.open(url)
    world(target)
    yield target
    target.dispose()
    if BACKEND == "postgres":
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
