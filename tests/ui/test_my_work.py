"""My work: the engineer's tickets by urgency, take next, Enter opens the detail."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from textual.widgets import DataTable, Static

from dispatcher.domain.enums import Priority, TicketStatus
from dispatcher.screens.my_work import MyWorkScreen
from dispatcher.screens.ticket import TicketScreen
from dispatcher.store.db.engine import Store
from dispatcher.store.models import Ticket
from dispatcher.store.tickets import writes
from tests.factories import World, new_ticket, world
from tests.ui.harness import settle
from tests.ui.ticket_side import Host, context

SIZE = (130, 30)


@pytest.fixture
def w(store: Store) -> World:
    return world(store)


def _host(store: Store, login: str) -> Host:
    ctx = context(store, login)
    return Host(lambda: MyWorkScreen(ctx))


def _table(app: Host) -> DataTable[object]:
    return app.screen_stack[1].query_one("#work-table", DataTable)


async def test_lists_my_active_tickets_most_urgent_first(store: Store, w: World) -> None:
    now = datetime.now(UTC)
    low = new_ticket(store, w, now=now, priority=Priority.low, subject="Low one")
    urgent = new_ticket(store, w, now=now, priority=Priority.urgent, subject="Urgent one")
    not_mine = new_ticket(store, w, now=now, subject="Petr's")
    with store.write() as session:
        for t, user in ((low, w.engineer), (urgent, w.engineer), (not_mine, w.engineer2)):
            writes.assign(
                session,
                ticket_id=t.id or 0,
                expected_version=None,
                actor_id=None,
                assignee_id=user.id,
            )
    app = _host(store, "ivan")
    async with app.run_test(size=SIZE) as pilot:
        table = _table(app)
        await settle(pilot)
        assert table.row_count == 2
        assert "Urgent one" in str(table.get_row_at(0)[3])
        assert "Low one" in str(table.get_row_at(1)[3])
        assert str(table.get_row_at(0)[5]).startswith("1st ")  # the target it counts down
        await pilot.press("j")
        assert table.cursor_row == 1
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        assert isinstance(app.screen, TicketScreen)
        assert app.screen.ticket_id == low.id


async def test_take_next_takes_the_most_urgent_and_opens_it(store: Store, w: World) -> None:
    now = datetime.now(UTC)
    new_ticket(store, w, now=now, priority=Priority.normal)
    urgent = new_ticket(store, w, now=now, priority=Priority.urgent)
    app = _host(store, "ivan")
    async with app.run_test(size=SIZE) as pilot:
        table = _table(app)
        await settle(pilot)
        assert "active ticket" in str(app.screen_stack[1].query_one("#work-status", Static).content)
        assert table.row_count == 0
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        assert isinstance(app.screen, TicketScreen)
        assert app.screen.ticket_id == urgent.id
        await pilot.press("escape")
        await settle(pilot)
        assert table.row_count == 1  # back: it is in my list now
    with store.read() as session:
        taken = session.get(Ticket, urgent.id)
        assert taken is not None
        assert (taken.assignee_id, taken.status) == (w.engineer.id, TicketStatus.in_progress)


async def test_take_next_with_nothing_eligible_says_so(store: Store, w: World) -> None:
    new_ticket(store, w, now=datetime.now(UTC))
    app = _host(store, "lena")  # the lead has no network competence
    async with app.run_test(size=SIZE) as pilot:
        status = app.screen_stack[1].query_one("#work-status", Static)
        await settle(pilot)
        assert "active ticket" in str(status.content)
        await pilot.press("t")
        await settle(pilot)
        assert "nothing to take" in str(status.content)
        assert isinstance(app.screen, MyWorkScreen)
        # A routine refresh keeps the outcome of the last action on the line.
        app.screen.load()
        await settle(pilot)
        assert "nothing to take" in str(status.content)
        assert "active ticket" in str(status.content)
