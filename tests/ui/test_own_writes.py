"""One's own writes are never "changed by someone else" on the ticket screen, whichever
screen made them (the composer, a dialog, the screen itself); another person's still are."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from rich.console import Console
from sqlmodel import Session
from textual.pilot import Pilot
from textual.widgets import Static

from dispatcher.domain.enums import EscalationTarget, MessageKind, Priority
from dispatcher.screens.ticket import TicketScreen
from dispatcher.store.db.engine import Store
from dispatcher.store.tickets import writes
from dispatcher.store.tickets.relations import escalate
from tests.factories import World, new_ticket, world
from tests.ui.harness import settle
from tests.ui.ticket_side import Host, ticket_host

SIZE = (140, 40)
Change = Callable[[Session, int, int], object]


def _note(session: Session, ticket_id: int, actor: int) -> object:
    return writes.add_message(
        session, ticket_id=ticket_id, kind=MessageKind.note, body="checked", actor_id=actor
    )


def _reply(session: Session, ticket_id: int, actor: int) -> object:
    # A reply also queues the client's mail: an event of the system's, in the same write.
    return writes.add_message(
        session, ticket_id=ticket_id, kind=MessageKind.reply, body="on it", actor_id=actor
    )


def _classify(session: Session, ticket_id: int, actor: int) -> object:
    return writes.classify(
        session,
        ticket_id=ticket_id,
        expected_version=None,
        actor_id=actor,
        priority=Priority.urgent,
    )


def _escalate(session: Session, ticket_id: int, actor: int) -> object:
    return escalate(
        session,
        ticket_id=ticket_id,
        expected_version=None,
        actor_id=actor,
        target=EscalationTarget.vendor,
        to_user_id=None,
        vendor="Cisco TAC",
        vendor_ref="SR-1",
        promised_at=None,
        next_checkin_at=None,
        note="",
        now=datetime.now(UTC),
    )


def _message(screen: TicketScreen) -> str:
    console = Console(width=200, record=True)
    console.print(screen.query_one("#ticket-message", Static).content)
    return console.export_text()


async def _screen(pilot: Pilot[Any]) -> TicketScreen:
    await settle(pilot)
    app = pilot.app
    assert isinstance(app, Host)
    screen = app.screen_stack[1]
    assert isinstance(screen, TicketScreen)
    assert screen.view is not None
    return screen


@pytest.mark.parametrize("change", [_note, _reply, _classify, _escalate])
async def test_my_own_write_reloads_without_a_conflict(store: Store, change: Change) -> None:
    w = world(store)
    t = new_ticket(store, w, now=datetime.now(UTC), priority=Priority.normal)
    app = ticket_host(store, "olga", t.id or 0)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _screen(pilot)
        assert screen.view is not None
        seen = screen.view.detail.version
        # What the composer or a dialog does as olga, committed before the view reloads.
        with store.write() as session:
            change(session, t.id or 0, w.dispatcher.id or 0)
        screen.poll()
        await settle(pilot)
        assert screen.view.detail.version > seen  # shown as it is now
        assert "someone else" not in _message(screen)


async def test_someone_elses_write_after_mine_is_still_a_conflict(store: Store) -> None:
    w: World = world(store)
    t = new_ticket(store, w, now=datetime.now(UTC), priority=Priority.normal)
    app = ticket_host(store, "olga", t.id or 0)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _screen(pilot)
        with store.write() as session:
            _note(session, t.id or 0, w.dispatcher.id or 0)
        with store.write() as session:
            _classify(session, t.id or 0, w.lead.id or 0)
        screen.poll()
        await settle(pilot)
        assert "changed by someone else" in _message(screen)
