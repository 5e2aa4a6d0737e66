"""Assigning at night, in the ticket's dialog and in bulk from the queue: who is next on
shift (and when), the list by fit, and a confirmation before giving work to anyone on
leave or off shift. The clock is injected: Thursday 23:30 UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from rich.console import Console
from sqlmodel import col, select
from textual.pilot import Pilot
from textual.widgets import Label, OptionList

from dispatcher.domain.enums import EventKind
from dispatcher.screens.dialogs.assign import AssignDialog
from dispatcher.screens.ticket import TicketScreen
from dispatcher.store.db.engine import Store
from dispatcher.store.models import Ticket, TicketEvent
from dispatcher.store.people import schedules
from dispatcher.widgets.picker import ConfirmScreen, PickerScreen
from tests.factories import World, new_ticket, world
from tests.ui.harness import settle
from tests.ui.queue_helpers import console, queue, table
from tests.ui.ticket_side import ticket_host

NIGHT = datetime(2026, 12, 3, 23, 30, tzinfo=UTC)  # a Thursday
SIZE = (140, 40)


def _night() -> datetime:
    return NIGHT


@pytest.fixture
def w(store: Store) -> World:
    """ivan works office hours (off shift now), petr is on leave, lena (no competence) is
    on shift round the clock."""
    w = world(store)
    with store.write() as session:
        schedules.set_shifts(session, user_id=w.engineer.id or 0, specs=["mon-fri 08:00-17:00"])
        schedules.set_shifts(session, user_id=w.engineer2.id or 0, specs=["mon-sun 00:00-24:00"])
        schedules.add_leave(
            session,
            user_id=w.engineer2.id or 0,
            starts_on=date(2026, 12, 1),
            ends_on=date(2026, 12, 5),
        )
        schedules.set_shifts(session, user_id=w.lead.id or 0, specs=["mon-sun 00:00-24:00"])
    return w


def _text(label: Label) -> str:
    console = Console(width=300, record=True)
    console.print(label.render())
    return console.export_text()


def _assignee(store: Store, ticket_id: int) -> int | None:
    with store.read() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        return ticket.assignee_id


def _assigned(store: Store, ticket_id: int) -> list[TicketEvent]:
    with store.read() as session:
        return list(
            session.exec(
                select(TicketEvent)
                .where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind == EventKind.assigned)
                .order_by(col(TicketEvent.id))
            ).all()
        )


async def _open_dialog(pilot: Pilot[None]) -> AssignDialog:
    await settle(pilot)
    for _ in range(20):
        if isinstance(pilot.app.screen_stack[-1], TicketScreen):
            screen = pilot.app.screen_stack[-1]
            assert isinstance(screen, TicketScreen)
            if screen.view is not None:
                break
        await settle(pilot)
    await pilot.press("a")
    await settle(pilot)
    dialog = pilot.app.screen
    assert isinstance(dialog, AssignDialog)
    return dialog


async def test_at_night_the_next_on_shift_is_suggested_with_when(store: Store, w: World) -> None:
    t = new_ticket(store, w, now=NIGHT)
    app = ticket_host(store, "olga", t.id or 0, clock=_night)
    async with app.run_test(size=SIZE) as pilot:
        dialog = await _open_dialog(pilot)
        head = _text(dialog.query_one("#assign-head", Label))
        assert "nobody on shift now; next: ivan" in head
        reason = _text(dialog.query_one("#assign-reason", Label))
        assert "next on shift: ivan, on shift from 08:00 tomorrow" in reason
        # By fit: the two with the competence first (soonest on shift first), then lena.
        assert dialog.order[:3] == [w.engineer.id, w.engineer2.id, w.lead.id]
        people = dialog.query_one(OptionList)
        first = str(people.get_option_at_index(0).prompt)
        second = str(people.get_option_at_index(1).prompt)
        assert "off shift, on shift from 08:00 tomorrow" in first
        assert "← next on shift" in first
        assert "on leave, on shift from Sun 00:00" in second
        # `s` takes the one next on shift, after a confirmation.
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert _assignee(store, t.id or 0) == w.engineer.id
    [event] = _assigned(store, t.id or 0)
    assert "confirmed: ivan is off shift" in event.reason
    assert event.data["override"] is False


async def test_picking_someone_on_leave_asks_first_and_no_keeps_it(store: Store, w: World) -> None:
    t = new_ticket(store, w, now=NIGHT)
    app = ticket_host(store, "olga", t.id or 0, clock=_night)
    async with app.run_test(size=SIZE) as pilot:
        await _open_dialog(pilot)
        await pilot.press("2")  # petr, on leave
        await settle(pilot)
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        assert any("petr is on leave" in line for line in confirm.lines)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, AssignDialog)
        assert _assignee(store, t.id or 0) is None
        await pilot.press("2", "y")
        await settle(pilot)
        assert _assignee(store, t.id or 0) == w.engineer2.id
    [event] = _assigned(store, t.id or 0)
    assert event.data["override"] is True
    assert "confirmed: petr is on leave" in event.reason


async def test_someone_on_shift_is_assigned_without_a_question(store: Store, w: World) -> None:
    t = new_ticket(store, w, now=NIGHT)
    app = ticket_host(store, "olga", t.id or 0, clock=_night)
    async with app.run_test(size=SIZE) as pilot:
        await _open_dialog(pilot)
        await pilot.press("3")  # lena: on shift, lacks the competence: an override
        await settle(pilot)
        assert not isinstance(app.screen, (ConfirmScreen, AssignDialog))
        assert _assignee(store, t.id or 0) == w.lead.id


async def test_bulk_assign_orders_by_fit_and_warns_about_leave(store: Store, w: World) -> None:
    tickets = [new_ticket(store, w, now=NIGHT) for _ in range(2)]
    app = console(store, clock=_night)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("asterisk", "a")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, PickerScreen)
        labels = [label for value, label in picker.options if value != "none"]
        assert labels[0].startswith("ivan (")
        assert "off shift, on shift from 08:00 tomorrow" in labels[0]
        assert labels[1].startswith("petr (")
        assert "on leave" in labels[1]
        assert labels[2].startswith("lena (")
        assert "lacks the competence for 2 of 2" in labels[2]
        await pilot.press(*"petr", "enter")
        await settle(pilot)
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        assert confirm.lines[0].startswith("⚠ petr is on leave")
        await pilot.press("n")
        await settle(pilot)
        assert all(_assignee(store, t.id or 0) is None for t in tickets)
        assert queue(app).selected
        await pilot.press("a")
        await settle(pilot)
        await pilot.press(*"lena", "enter")
        await settle(pilot)
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        assert any("lena lacks the competence for 2 of 2" in x for x in confirm.lines)
        await pilot.press("y")
        await settle(pilot)
        assert {r.assignee for r in table(app).rows} == {"lena"}
    assert all(_assignee(store, t.id or 0) == w.lead.id for t in tickets)
