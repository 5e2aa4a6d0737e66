"""Snapshots of the ticket side: the detail (thread and SLA tabs), the assign and classify
dialogs, and the new-ticket form with an expired contract. Fixed size, frozen clock,
no polling, a steady text cursor; update with `pytest --snapshot-update` and review the
.svg diff."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, OptionList

from dispatcher.domain.enums import MessageKind, Priority
from dispatcher.screens.dialogs.assign import AssignDialog
from dispatcher.screens.dialogs.classify import ClassifyDialog
from dispatcher.screens.new_ticket import NewTicketScreen
from dispatcher.screens.ticket import TicketScreen
from dispatcher.store.db.engine import Store
from dispatcher.store.models import Contract
from dispatcher.store.people import schedules
from dispatcher.store.tickets import writes
from tests.conftest import NOW
from tests.factories import World, new_ticket, world
from tests.ui.harness import settle
from tests.ui.ticket_side import HOSTILE, Host, context, ticket_host

SIZE = (130, 40)
SnapCompare = Callable[..., bool]


def _clock() -> datetime:
    return NOW + timedelta(minutes=20)


@pytest.fixture
def w(store: Store) -> World:
    w = world(store)
    with store.write() as session:
        for user in (w.engineer, w.engineer2):
            schedules.set_shifts(session, user_id=user.id or 0, specs=["mon-sun 00:00-24:00"])
    return w


@pytest.fixture
def ticket_id(store: Store, w: World) -> int:
    body = "VPN drops every 5 minutes.\n" + "\n".join(f"> earlier mail line {n}" for n in range(8))
    t = new_ticket(store, w, now=NOW, subject=f"VPN unstable {HOSTILE}", body=body)
    with store.write() as session:
        writes.add_message(
            session,
            ticket_id=t.id or 0,
            kind=MessageKind.reply,
            body="We are looking into it.",
            actor_id=w.dispatcher.id,
            now=NOW + timedelta(minutes=5),
        )
        writes.add_message(
            session,
            ticket_id=t.id or 0,
            kind=MessageKind.note,
            body="Tunnel logs show [red]rekey[/] failures.",
            actor_id=w.engineer.id,
            now=NOW + timedelta(minutes=10),
        )
    return t.id or 0


def _loaded(then: Callable[[Pilot[Any]], Awaitable[None]] | None = None) -> Any:
    async def run_before(pilot: Pilot[Any]) -> None:
        screen = pilot.app.screen_stack[1]
        assert isinstance(screen, TicketScreen)
        await settle(pilot)
        assert screen.view is not None
        await pilot.pause()
        if then is not None:
            await then(pilot)
        await pilot.pause()

    return run_before


def test_detail_thread(snap_compare: SnapCompare, store: Store, ticket_id: int) -> None:
    app = ticket_host(store, "olga", ticket_id, clock=_clock, live=False)
    assert snap_compare(app, terminal_size=SIZE, run_before=_loaded())


def test_detail_sla_tab(snap_compare: SnapCompare, store: Store, ticket_id: int) -> None:
    async def sla(pilot: Pilot[Any]) -> None:
        await pilot.press("3")

    app = ticket_host(store, "olga", ticket_id, clock=_clock, live=False)
    assert snap_compare(app, terminal_size=SIZE, run_before=_loaded(sla))


def test_assign_dialog(snap_compare: SnapCompare, store: Store, ticket_id: int) -> None:
    async def assign(pilot: Pilot[Any]) -> None:
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(pilot.app.screen, AssignDialog)
        assert pilot.app.screen.query_one(OptionList).option_count > 0

    app = ticket_host(store, "olga", ticket_id, clock=_clock, live=False)
    assert snap_compare(app, terminal_size=SIZE, run_before=_loaded(assign))


def test_classify_dialog(snap_compare: SnapCompare, store: Store, ticket_id: int) -> None:
    async def classify(pilot: Pilot[Any]) -> None:
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ClassifyDialog)

    app = ticket_host(store, "olga", ticket_id, clock=_clock, live=False)
    assert snap_compare(app, terminal_size=SIZE, run_before=_loaded(classify))


def test_new_ticket_expired_contract(snap_compare: SnapCompare, store: Store, w: World) -> None:
    with store.write() as session:
        contract = session.get(Contract, w.contract.id)
        assert contract is not None
        contract.valid_to = NOW.date() - timedelta(days=3)
        session.add(contract)
    ctx = context(store, "olga", clock=_clock)
    app = Host(lambda: NewTicketScreen(ctx))

    async def fill(pilot: Pilot[Any]) -> None:
        form = pilot.app.screen
        assert isinstance(form, NewTicketScreen)
        for box in form.query(Input):
            box.cursor_blink = False  # a steady cursor: the picture is the same however slow
        await pilot.press(*"acme")
        form.client_search.flush()  # the pause in typing (a timer in the console)
        await settle(pilot)
        assert form.query_one("#new-matches", OptionList).option_count > 0
        await pilot.press("enter")
        await settle(pilot)
        assert form.preview is not None
        assert form.preview.expired
        form.query_one("#new-priority").value = Priority.high  # type: ignore[attr-defined]
        await settle(pilot)
        assert form.preview is not None
        assert form.preview.first_response_due == _clock() + timedelta(hours=1)
        form.query_one("#new-subject", Input).focus()  # past the caller: none for this one
        await pilot.press(*"Printer on floor 3 is jammed")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=fill)
