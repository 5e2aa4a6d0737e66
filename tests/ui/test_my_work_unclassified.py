"""My work keeps the tickets nobody has classified in a section of their own: "take next"
matches categories to competences and so never offers them, and they must not fall
between the first and the second line."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Static

from dispatcher.domain.enums import Channel, Priority
from dispatcher.screens.my_work import SECTION_KEY, UNCLASSIFIED, MyWorkScreen
from dispatcher.screens.ticket import TicketScreen
from dispatcher.store.db.engine import Store
from dispatcher.store.models import Ticket
from dispatcher.store.tickets import taking, writes
from tests.factories import World, new_ticket, world
from tests.ui.harness import settle
from tests.ui.ticket_side import HOSTILE, Host, context

SIZE = (130, 30)


@pytest.fixture
def w(store: Store) -> World:
    return world(store)


def _unclassified(store: Store, w: World, subject: str, priority: Priority) -> Ticket:
    with store.write() as session:
        return writes.create_ticket(
            session,
            data=writes.NewTicket(
                subject=subject,
                body="Звонок без категории",
                client_id=w.client.id,
                contact_id=w.contact.id,
                priority=priority,
                channel=Channel.phone,
                queue_id=w.queue.id,
            ),
            actor_id=w.dispatcher.id,
            now=datetime.now(UTC),
        )


def _table(app: Host) -> DataTable[object]:
    return app.screen_stack[1].query_one("#work-table", DataTable)


def _keys(table: DataTable[object]) -> list[str | None]:
    return [
        table.coordinate_to_cell_key(Coordinate(n, 0)).row_key.value for n in range(table.row_count)
    ]


def test_the_store_lists_unassigned_tickets_without_a_category(store: Store, w: World) -> None:
    classified = new_ticket(store, w, now=datetime.now(UTC), subject="Has a category")
    low = _unclassified(store, w, "Принтер не печатает", Priority.low)
    urgent = _unclassified(store, w, "Server room is hot", Priority.urgent)
    taken = _unclassified(store, w, "Someone has it", Priority.high)
    with store.write() as session:
        writes.assign(
            session,
            ticket_id=taken.id or 0,
            expected_version=None,
            actor_id=None,
            assignee_id=w.engineer2.id,
        )
        rows = taking.unclassified(session)
        nothing = taking.take_next(session, user_id=w.engineer.id or 0, now=datetime.now(UTC))
    assert [r.id for r in rows] == [urgent.id, low.id]  # most urgent first
    # Why the section exists: take next never offers them (only the classified one).
    assert nothing is not None
    assert nothing.id == classified.id


async def test_unclassified_tickets_have_a_section_of_their_own(store: Store, w: World) -> None:
    mine = new_ticket(store, w, now=datetime.now(UTC), subject="Mine to fix")
    with store.write() as session:
        writes.assign(
            session,
            ticket_id=mine.id or 0,
            expected_version=None,
            actor_id=None,
            assignee_id=w.engineer.id,
        )
    loose = _unclassified(store, w, "Принтер не печатает", Priority.normal)
    _unclassified(store, w, HOSTILE, Priority.low)
    app = Host(lambda: MyWorkScreen(context(store, "ivan")))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = _table(app)
        assert _keys(table)[0] == str(mine.id)
        assert _keys(table)[1] == SECTION_KEY
        assert f"{UNCLASSIFIED}: 2" in str(table.get_row_at(1)[3])
        assert _keys(table)[2] == str(loose.id)
        assert "Принтер не печатает" in str(table.get_row_at(2)[3])
        assert (
            str(table.get_row_at(3)[3])
            == "[@click=app.quit]Click me[/] [bold red]loud[/] ]0;pwned[31mred"
        )
        status = str(app.screen_stack[1].query_one("#work-status", Static).content)
        assert "1 active ticket" in status
        assert "2 not yet classified" in status
        # The heading is no stop: down from the last assigned ticket is the first
        # unclassified one, up from it is the assigned one again, both ways by arrow too.
        await pilot.press("j")
        await settle(pilot)
        assert table.cursor_row == 2
        await pilot.press("up")
        await settle(pilot)
        assert table.cursor_row == 0
        await pilot.press("down")
        await settle(pilot)
        assert table.cursor_row == 2
        # A refresh keeps the place: the same ticket stays under the cursor.
        screen = app.screen_stack[1]
        assert isinstance(screen, MyWorkScreen)
        screen.load()
        await settle(pilot)
        assert table.cursor_row == 2
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        assert app.screen.ticket_id == loose.id


async def test_without_unclassified_tickets_there_is_no_section(store: Store, w: World) -> None:
    new_ticket(store, w, now=datetime.now(UTC), subject="Classified")
    app = Host(lambda: MyWorkScreen(context(store, "ivan")))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert SECTION_KEY not in _keys(_table(app))
        status = str(app.screen_stack[1].query_one("#work-status", Static).content)
        assert "not yet classified" not in status


async def test_every_column_fits_at_100_columns(store: Store, w: World) -> None:
    app = Host(lambda: MyWorkScreen(context(store, "ivan")))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        table = _table(app)
        widths = [column.get_render_width(table) for column in table.columns.values()]
        assert list(table.columns)[-1].value == "due"
        assert sum(widths) <= 100 - 2  # the scrollbar
