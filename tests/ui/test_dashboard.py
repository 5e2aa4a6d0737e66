"""The lead's dashboard: where it opens (the lead's start, a key, the palette), its tiles
against the previous period, explain this number and the tickets behind it, SLA at risk,
live refresh driven by hand, and hostile names shown as text."""

from __future__ import annotations

import gc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update
from textual.binding import Binding
from textual.widgets import DataTable, Static

from dispatcher.app import DispatcherApp
from dispatcher.commands import ActionCommands
from dispatcher.domain.enums import MessageKind, Priority, TicketStatus
from dispatcher.read_models.dashboard import (
    DEFINITIONS,
    TILE_BY_KEY,
    TILES,
    PeriodName,
    Trend,
    Unit,
    compare,
    show,
    spans,
)
from dispatcher.screens.dashboard import DashboardScreen
from dispatcher.screens.dashboard_explain import ExplainScreen
from dispatcher.screens.help import key_help
from dispatcher.screens.queue import QueueScreen
from dispatcher.screens.ticket import TicketScreen
from dispatcher.store.db.engine import Store
from dispatcher.store.models import Client, Ticket, User, table_of
from dispatcher.store.reports.kpi import sla_at_risk
from dispatcher.store.sla import alerts
from dispatcher.store.tickets import writes as repo
from dispatcher.widgets.kpi_tile import KpiTile
from dispatcher.widgets.kpi_trend import KpiTrend
from tests.conftest import NOW
from tests.factories import World, new_ticket, world
from tests.ui.harness import settle
from tests.ui.queue_helpers import console

SIZE = (160, 56)
MOSCOW = ZoneInfo("Europe/Moscow")
HOSTILE = "[bold red]Evil[/] \x1b[31mCorp"


def frozen() -> datetime:
    return NOW


@pytest.fixture
def w(store: Store) -> World:
    return world(store)


def lead_in_moscow(store: Store) -> None:
    with store.write() as session:
        user = table_of(User)
        session.connection().execute(
            update(user).where(user.c.login == "lena").values(timezone="Europe/Moscow")
        )


def fill(store: Store, w: World) -> dict[str, int]:
    """Today (NOW is Wednesday 10:30 in Moscow): one ticket answered in 10 minutes and
    resolved, one due within the hour (a warning is due), one breached; yesterday: one
    created and left open. The client's name is hostile markup with an escape code."""
    lead_in_moscow(store)
    with store.write() as session:
        client = table_of(Client)
        session.connection().execute(
            update(client).where(client.c.id == w.client.id).values(name=HOSTILE)
        )
    solved = new_ticket(store, w, now=NOW - timedelta(hours=3), subject="Printer jam")
    sid = solved.id or 0
    with store.write() as session:
        repo.assign(
            session,
            ticket_id=sid,
            expected_version=None,
            actor_id=w.dispatcher.id,
            assignee_id=w.engineer.id,
            now=NOW - timedelta(hours=2, minutes=55),
        )
    with store.write() as session:
        repo.add_message(
            session,
            ticket_id=sid,
            kind=MessageKind.reply,
            body="On it",
            actor_id=w.engineer.id,
            now=NOW - timedelta(hours=2, minutes=50),
        )
    with store.write() as session:
        repo.change_status(
            session,
            ticket_id=sid,
            expected_version=None,
            actor_id=w.engineer.id,
            status=TicketStatus.resolved,
            now=NOW - timedelta(hours=1),
        )
    soon = new_ticket(store, w, now=NOW - timedelta(minutes=50), subject="[b]Due soon[/b]")
    late = new_ticket(store, w, now=NOW - timedelta(hours=5), subject="Breached")
    old = new_ticket(
        store, w, now=NOW - timedelta(days=1, hours=1), subject="Yesterday's", priority=Priority.low
    )
    return {"solved": sid, "soon": soon.id or 0, "late": late.id or 0, "old": old.id or 0}


def dashboard(app: DispatcherApp) -> DashboardScreen:
    screen = app.screen
    assert isinstance(screen, DashboardScreen), screen
    return screen


def tile(app: DispatcherApp, key: str) -> KpiTile:
    for found in dashboard(app).query(KpiTile):
        if found.spec.key == key:
            return found
    raise AssertionError(key)


def cells(table: DataTable[Any]) -> list[list[str]]:
    return [[str(cell) for cell in table.get_row_at(n)] for n in range(table.row_count)]


# --- Where it opens --------------------------------------------------------------------


async def test_the_lead_starts_on_the_dashboard_and_a_dispatcher_in_the_queue(
    store: Store, w: World
) -> None:
    app = console(store, "lena", clock=frozen)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.current_mode == "dashboard"
        assert dashboard(app).periods  # the tiles were read
    app = console(store, "olga", clock=frozen)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        await pilot.press("f7")  # not a dispatcher's
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)


async def test_opened_by_its_key_and_from_the_palette(store: Store, w: World) -> None:
    app = console(store, "lena", clock=frozen)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        await pilot.press("f7")
        await settle(pilot)
        dashboard(app)
        await pilot.press("f2")
        await settle(pilot)
        hits = [hit async for hit in ActionCommands(app.screen).search("dashboard")]
        assert hits, "the palette offers the dashboard"
        hits[0].command()
        await settle(pilot)
        dashboard(app)


async def test_the_collector_is_paused_only_until_the_first_frame(store: Store, w: World) -> None:
    """Building the screen runs without the cyclic garbage collector (a full collection
    would delay the first frame), which runs again once that frame is drawn."""
    app = console(store, "lena", clock=frozen)
    assert gc.isenabled()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.current_mode == "dashboard"
        assert gc.isenabled()
        await pilot.press("f2")
        await settle(pilot)
        dashboard_made = DashboardScreen(app.context)
        assert not gc.isenabled()
        dashboard_made._resume_collector()
        assert gc.isenabled()
    assert gc.isenabled()


# --- Tiles, explain, the tickets behind ---------------------------------------------------


async def test_tiles_against_the_previous_period(store: Store, w: World) -> None:
    fill(store, w)
    app = console(store, "lena", clock=frozen)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        created = tile(app, "created").values
        assert created is not None
        assert created[PeriodName.today] == (3, 1)  # today so far; yesterday to 10:30
        assert created[PeriodName.month][0] == 4
        assert tile(app, "first_response").values[PeriodName.today][0] == 10.0  # type: ignore[index]
        assert tile(app, "fcr").values[PeriodName.today][0] == 1.0  # type: ignore[index]
        text = str(tile(app, "created").render())
        for period in ("Today", "This week", "This month"):
            assert period in text
        title = str(dashboard(app).query_one("#dash-title", Static).content)
        assert "Europe/Moscow" in title


async def test_a_tile_explains_its_number_and_enter_opens_a_ticket(store: Store, w: World) -> None:
    ids = fill(store, w)
    app = console(store, "lena", clock=frozen)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        tile(app, "fcr").focus()
        await settle(pilot)  # the focus message reaches the screen
        assert dashboard(app).query_one(KpiTrend).spec == TILE_BY_KEY["fcr"]  # its trend
        await pilot.press("enter")
        await settle(pilot)
        explain = app.screen
        assert isinstance(explain, ExplainScreen)
        rule = str(explain.query_one("#explain-rule", Static).content)
        assert DEFINITIONS["fcr"].text in rule
        assert "`" not in rule
        assert explain.rows is not None
        assert [(r.id, r.counted) for r in explain.rows] == [(ids["solved"], True)]
        table = explain.query_one(DataTable)
        assert cells(table)[0][0] == "✓"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        assert app.screen.ticket_id == ids["solved"]
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        dashboard(app)


async def test_the_period_keys_choose_what_explain_counts(store: Store, w: World) -> None:
    ids = fill(store, w)
    app = console(store, "lena", clock=frozen)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("m")  # answered while the figures are still being read
        await settle(pilot)
        assert dashboard(app).period == PeriodName.month
        assert tile(app, "created").period == PeriodName.month
        title = str(dashboard(app).query_one("#dash-engineers-title", Static).content)
        assert "this month" in title
        tile(app, "created").focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ExplainScreen)
        assert {r.id for r in app.screen.rows or []} == set(ids.values())


async def test_sla_at_risk_now_opens_its_ticket(store: Store, w: World) -> None:
    ids = fill(store, w)
    app = console(store, "lena", clock=frozen)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = dashboard(app)
        assert screen.at_risk is not None
        assert [r.id for r in screen.at_risk.rows] == [ids["soon"]]
        assert screen.at_risk.breached == 2  # the 5-hour-old one, and yesterday's low one
        table = screen.query_one("#dash-risk", DataTable)
        table.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        assert app.screen.ticket_id == ids["soon"]


async def test_hostile_names_show_as_text(store: Store, w: World) -> None:
    fill(store, w)
    app = console(store, "lena", clock=frozen)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        row = cells(dashboard(app).query_one("#dash-risk", DataTable))[0]
        assert "[bold red]Evil[/] [31mCorp" in row
        assert "[b]Due soon[/b]" in row
        assert not any("\x1b" in cell for cell in row)


def test_at_risk_keeps_a_ticket_whose_warning_the_sweep_raised(store: Store, w: World) -> None:
    ids = fill(store, w)
    calm = new_ticket(store, w, now=NOW - timedelta(minutes=5), subject="Plenty of time")
    with store.write() as session:
        alerts.sweep(session, now=NOW)  # raises the warning: the next alert is the breach
    with store.read() as session:
        ticket = session.get(Ticket, ids["soon"])
        assert ticket is not None
        assert ticket.next_alert_at > NOW  # only the raised warning says it is at risk
        found = sla_at_risk(session, now=NOW)
    assert [row.id for row in found.rows] == [ids["soon"]]
    assert calm.id not in [row.id for row in found.rows]
    assert found.rows[0].client == HOSTILE
    assert found.breached == 2
    with store.read() as session:
        later = sla_at_risk(session, now=NOW + timedelta(minutes=11))  # its deadline passed
    assert [row.id for row in later.rows] == []
    assert later.breached == 3


# --- Live ----------------------------------------------------------------------------------


async def test_a_change_elsewhere_refreshes_it_when_the_poll_asks(store: Store, w: World) -> None:
    fill(store, w)
    app = console(store, "lena", clock=frozen)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = dashboard(app)
        assert tile(app, "created").values[PeriodName.today][0] == 3  # type: ignore[index]
        new_ticket(store, w, now=NOW - timedelta(minutes=1), subject="Just now")
        await settle(pilot)
        assert tile(app, "created").values[PeriodName.today][0] == 3  # type: ignore[index]
        screen.poll_changes()
        await settle(pilot)
        assert tile(app, "created").values[PeriodName.today][0] == 4  # type: ignore[index]


async def test_its_keys_are_in_help_with_ids_and_tooltips(store: Store, w: World) -> None:
    for owner in (DashboardScreen, ExplainScreen, KpiTile):
        for binding in owner.BINDINGS:
            assert isinstance(binding, Binding)
            assert binding.id, (owner, binding.key)
            assert binding.tooltip, (owner, binding.key)
    app = console(store, "lena", clock=frozen)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        lines = {line.id: line for line in key_help(app.screen)}
        assert lines["dashboard.explain"].keys == "⏎"
        assert lines["dashboard.week"].keys == "w"
        assert lines["app.dashboard"].keys == "f7"


# --- The read model --------------------------------------------------------------------------


def test_the_readme_defines_each_figure_in_the_dashboards_words() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    rows = [line for line in readme.splitlines() if line.startswith("| `")]
    table = {}
    for line in rows:
        names, population, rule = (c.strip() for c in line.strip().strip("|").split(" | "))
        table[names] = (population, rule)
    assert {d.names: (d.population, d.rule) for d in DEFINITIONS.values()} == table
    assert {spec.definition for spec in TILE_BY_KEY.values()} <= set(DEFINITIONS)


def test_periods_start_at_midnight_in_the_operators_zone() -> None:
    found = spans(NOW, MOSCOW)  # Wednesday 18 November, 10:30 in Moscow
    today, week, month = found[PeriodName.today], found[PeriodName.week], found[PeriodName.month]
    assert today.start == datetime(2026, 11, 17, 21, 0, tzinfo=UTC)
    assert today.end == NOW
    assert (today.previous_start, today.previous_end) == (
        datetime(2026, 11, 16, 21, 0, tzinfo=UTC),
        NOW - timedelta(days=1),
    )
    assert week.start == datetime(2026, 11, 15, 21, 0, tzinfo=UTC)  # Monday
    assert week.previous_end == NOW - timedelta(days=7)
    assert month.start == datetime(2026, 10, 31, 21, 0, tzinfo=UTC)
    assert month.previous_start == datetime(2026, 9, 30, 21, 0, tzinfo=UTC)
    # On the 31st, the month before (30 days) is compared whole, never past its end.
    last = spans(datetime(2026, 12, 31, 12, 0, tzinfo=UTC), UTC)[PeriodName.month]
    assert last.previous_end == datetime(2026, 12, 1, tzinfo=UTC)
    # In the first minute of a day the period is that minute, never empty.
    first = spans(datetime(2026, 11, 18, tzinfo=UTC), UTC)[PeriodName.today]
    assert first.end == first.start + timedelta(minutes=1)


def test_tile_values_and_their_direction() -> None:
    assert show(None, Unit.rate) == "—"
    assert show(0.8523, Unit.rate) == "85.2 %"
    assert show(65.4, Unit.minutes) == "1h 05m"
    assert show(1500, Unit.minutes) == "1d 01h"
    assert show(1204, Unit.tickets) == "1,204"
    assert show(-12.5, Unit.score) == "-12.5"
    first_response = TILE_BY_KEY["first_response"]
    assert compare(first_response, 30.0, 45.0) == Trend.better
    assert compare(TILE_BY_KEY["sla.resolution"], 0.8, 0.9) == Trend.worse
    assert compare(TILE_BY_KEY["created"], 10, 5) == Trend.same
    assert compare(TILE_BY_KEY["backlog"], 10, 5) == Trend.worse
    assert compare(first_response, None, 5) == Trend.unknown
    assert len(TILES) == 11
