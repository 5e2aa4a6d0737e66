"""A breach survives "waiting on client" and back: the queue's Due column, the fields, the
SLA tab and "my work" all still say how late it is (never "-0m")."""

from __future__ import annotations

from datetime import datetime, timedelta

from rich.console import Console
from textual.widgets import DataTable

from dispatcher.domain.enums import Priority, TicketStatus
from dispatcher.screens.my_work import MyWorkScreen
from dispatcher.store.db.engine import Store
from dispatcher.store.tickets import writes
from dispatcher.widgets.sla_panel import SlaPanel
from dispatcher.widgets.ticket_fields import TicketFields
from tests.conftest import NOW
from tests.factories import new_ticket, world
from tests.ui.harness import settle
from tests.ui.queue_helpers import console, line
from tests.ui.ticket_side import ticket_host

AT = NOW + timedelta(hours=9, minutes=1)


def _clock() -> datetime:
    return AT


def _text(widget: object) -> str:
    out = Console(width=200, record=True)
    out.print(widget.content)  # type: ignore[attr-defined]
    return out.export_text()


def _paused_and_back(store: Store) -> int:
    w = world(store)
    ticket = new_ticket(store, w, now=NOW, priority=Priority.high)  # 24x7: FR 60 min
    with store.write() as session:
        writes.assign(
            session,
            ticket_id=ticket.id or 0,
            expected_version=None,
            actor_id=None,
            assignee_id=w.engineer.id,
            now=NOW + timedelta(minutes=5),
        )
    for hours, status in ((7, TicketStatus.waiting_client), (9, TicketStatus.in_progress)):
        with store.write() as session:
            writes.change_status(
                session,
                ticket_id=ticket.id or 0,
                expected_version=None,
                actor_id=w.engineer.id,
                status=status,
                now=NOW + timedelta(hours=hours),
            )
    return ticket.id or 0


async def test_the_queue_and_my_work_still_show_how_late(store: Store) -> None:
    _paused_and_back(store)
    app = console(store, "olga", clock=_clock)
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot)
        row = line(app, 0)
        assert "-8h 01m" in row  # breached at 08:30, it is now 16:31
        assert "-0m" not in row
        assert "in progress" in row  # a label, not "in_progress"
    engineer = console(store, "ivan", clock=_clock)
    async with engineer.run_test(size=(140, 30)) as pilot:
        await settle(pilot)
        screen = engineer.screen
        assert isinstance(screen, MyWorkScreen)
        cells = [str(c) for c in screen.query_one(DataTable).get_row_at(0)]
        assert cells[-1] == "1st -8h 01m"  # the target it counts down, as in the queue


async def test_the_fields_and_the_sla_tab_agree_it_is_breached(store: Store) -> None:
    ticket_id = _paused_and_back(store)
    app = ticket_host(store, "olga", ticket_id, clock=_clock, live=False)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        fields = _text(app.screen.query_one(TicketFields))
        assert "(breached, 8h 01m late)" in fields
        assert "(0m)" not in fields
        sla = _text(app.screen.query_one(SlaPanel))
        assert "breached" in sla
        assert "waiting on client" in sla  # the pause's reason, in words
