"""Export → import into another database: the KPI report is the same for several periods
and every grouping, CSAT and NPS included, on a small hand-built history and on the demo's
(SQLite to SQLite, and SQLite to PostgreSQL); the CSV carries each ticket's figures."""

from __future__ import annotations

import csv
import io
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from dispatcher.demo.generate import generate
from dispatcher.domain.kpi.groups import GroupBy
from dispatcher.store.db.engine import Store
from dispatcher.store.mail.answers import rate, record_pulse_answer
from dispatcher.store.reports import nps
from dispatcher.store.reports.kpi import Period, kpi_report
from dispatcher.store.tickets import export, importing, records
from dispatcher.store.tickets import writes as repo
from tests.conftest import BACKEND, PG_ADMIN_URL
from tests.factories import World, world
from tests.store.test_nps_pulse import T0, _closed_mail_ticket

PERIODS = [
    Period(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)),
    Period(datetime(2026, 11, 16, tzinfo=UTC), datetime(2026, 11, 17, tzinfo=UTC)),
    Period(datetime(2026, 10, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)),
]


@pytest.fixture
def w(store: Store) -> World:
    return world(store)


@pytest.fixture
def other(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A second database at the current schema on the backend under test, same world."""
    if BACKEND != "postgres":
        path = tmp_path / "other.db"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        admin = request.getfixturevalue("pg_admin")
        template = request.getfixturevalue("_pg_template")
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


def _history(store: Store, w: World) -> None:
    """Mail tickets resolved and closed, rated (CSAT), and asked the NPS question."""
    for day, name in enumerate(["plain_utf8.eml", "reply_in_reply_to.eml", "cp1251.eml"]):
        at = T0 + timedelta(days=day)
        ticket_id = _closed_mail_ticket(store, w, at, name)
        with store.write() as session:
            rate(session, ticket=repo.get_ticket(session, ticket_id=ticket_id), score=3 + day,
                 comment="ok", now=at + timedelta(hours=2))  # fmt: skip
    with store.write() as session:
        pulses = nps.pulse_due(session, now=T0 + timedelta(hours=3), every_days=1)
        from dispatcher.store.models import NpsPulse

        for pulse_id, score in zip(pulses, [9], strict=False):
            pulse = session.get(NpsPulse, pulse_id)
            assert pulse is not None
            ticket = repo.get_ticket(session, ticket_id=pulse.ticket_id or 0)
            record_pulse_answer(session, pulse=pulse, ticket=ticket, body=str(score),
                                score=score, now=T0 + timedelta(hours=4))  # fmt: skip


def _reports(store: Store) -> list[object]:
    with store.read() as session:
        return [
            kpi_report(session, period=period, by=by, zone=UTC)
            for period in PERIODS
            for by in (GroupBy.none, GroupBy.engineer, GroupBy.client, GroupBy.day)
        ]


def test_export_then_import_gives_the_same_report(store: Store, w: World, other: Store) -> None:
    _history(store, w)
    out = io.StringIO()
    export.write_json(export.iter_export(store), out)
    importing.import_tickets(
        other, source=lambda: records.read_json(io.StringIO(out.getvalue())), actor_id=None
    )
    mine, theirs = _reports(store), _reports(other)
    with store.read() as session:
        [(_, figures)] = kpi_report(session, period=PERIODS[0], zone=UTC)
    assert figures["csat"]["rated"] == 3
    assert figures["nps"]["answers"] >= 1
    assert theirs == mine
    # And again out of the imported one: the same file, ratings and all.
    again = io.StringIO()
    export.write_json(export.iter_export(other), again)
    first = list(records.read_json(io.StringIO(out.getvalue())))
    second = list(records.read_json(io.StringIO(again.getvalue())))
    assert [t["ratings"] for t in second] == [t["ratings"] for t in first]
    assert any(r["kind"] == "nps" for t in first for r in t["ratings"])


def test_the_csv_has_each_tickets_figures(store: Store, w: World) -> None:
    _history(store, w)
    out = io.StringIO()
    export.write_csv(export.iter_export(store), out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert rows
    first = rows[0]
    for column in ("first_response_at", "first_resolved_at", "resolution_business_minutes",
                   "sla_first_response", "sla_resolution", "csat"):  # fmt: skip
        assert column in first
    assert first["csat"] == "3"
    assert first["first_resolved_at"].startswith("2026-11-16")
    assert first["sla_resolution"] == "met"


# --- At demo size ------------------------------------------------------------------------
# The demo's history has every kind of life a ticket has here: replies and calls, waiting on
# the client, vendor escalations, reopens, merges, spam, CSAT, across weekends and holidays.
DEMO_TICKETS = 250
DEMO_NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
DEMO_PERIODS = [
    Period(datetime(2026, 8, 1, tzinfo=UTC), datetime(2026, 11, 21, tzinfo=UTC)),
    Period(datetime(2026, 11, 1, tzinfo=UTC), DEMO_NOW),
    Period(datetime(2026, 10, 5, tzinfo=UTC), datetime(2026, 10, 12, tzinfo=UTC)),
]


@pytest.fixture(scope="module")
def demo_export(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A demo database in a SQLite file, and its export."""
    from dispatcher.store.db import migrate

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    source = Store.open(str(path))
    migrate.upgrade(source.engine)
    generate(source, tickets=DEMO_TICKETS, seed=7, now=DEMO_NOW)
    out = io.StringIO()
    export.write_json(export.iter_export(source), out)
    source.dispose()
    return path, out.getvalue()


def _demo_reports(store: Store) -> list[tuple[str, str, object]]:
    with store.read() as session:
        return [
            (
                period.start.isoformat(),
                by.value,
                kpi_report(session, period=period, by=by, zone=UTC),
            )
            for period in DEMO_PERIODS
            for by in GroupBy
        ]


def _round_trip(demo_export: tuple[Path, str], target: Store) -> None:
    """The demo's team and setup in `target` (no tickets), then the export imported."""
    path, text_ = demo_export
    generate(target, tickets=0, seed=7, now=DEMO_NOW)
    report = importing.import_tickets(
        target, source=lambda: records.read_json(io.StringIO(text_)), actor_id=None
    )
    assert report.imported == DEMO_TICKETS
    source = Store.open(str(path))
    try:
        mine = _demo_reports(source)
    finally:
        source.dispose()
    theirs = _demo_reports(target)
    differing = [
        (start, by) for (start, by, a), (_, _, b) in zip(mine, theirs, strict=True) if a != b
    ]
    assert differing == []
    # The history is not trivial: each of these figures has tickets behind it.
    whole: Any = next(r for _, by, r in mine if by == "none")
    figures = whole[0][1]
    assert figures["sla"]["resolution"]["breached"] > 0
    assert figures["reopen_rate"] > 0
    assert figures["csat"]["rated"] > 0


def test_the_demo_round_trips_into_sqlite(
    demo_export: tuple[Path, str], tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    path = tmp_path / "target.db"
    shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
    target = Store.open(str(path))
    try:
        _round_trip(demo_export, target)
    finally:
        target.dispose()


def test_the_demo_round_trips_into_postgresql(demo_export: tuple[Path, str], pg_url: str) -> None:
    target = Store.open(pg_url)
    try:
        _round_trip(demo_export, target)
    finally:
        target.dispose()
