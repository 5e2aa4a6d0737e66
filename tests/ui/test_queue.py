"""The live queue under Pilot: refresh from another process keeping cursor and selection,
marks, filters one key away, sections and saved views, sorting, windows, bulk actions
with a preview and per-ticket stale refusals, hostile text."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from textual.widgets import Tab

from dispatcher.domain.enums import MessageKind, Priority, TicketStatus
from dispatcher.read_models.queue import SortKey
from dispatcher.screens.queue import QueueScreen
from dispatcher.screens.ticket import TicketScreen
from dispatcher.store.db.engine import Store
from dispatcher.store.models import Ticket
from dispatcher.store.tickets import writes as repo
from dispatcher.widgets.filter_bar import FilterBar
from dispatcher.widgets.picker import ConfirmScreen, PickerScreen, PromptScreen
from dispatcher.widgets.queue_table import MARK_CHANGED, MARK_NEW, QueueHeader
from dispatcher.widgets.view_tabs import ViewTabs
from tests.factories import World, new_ticket, world
from tests.ui.harness import settle
from tests.ui.queue_helpers import console, ids, line, queue, table

HOSTILE = "[@click=app.quit]Click me[/] [bold red]loud[/] \x1b]0;pwned\x07\x1b[31mred"


@pytest.fixture
def w(store: Store) -> World:
    return world(store)


def _tickets(store: Store, w: World, n: int, **kw: object) -> list[Ticket]:
    now = datetime.now(UTC)
    return [
        new_ticket(store, w, now=now + timedelta(seconds=i), subject=f"ticket {i}", **kw)  # type: ignore[arg-type]
        for i in range(n)
    ]


def _change(store: Store, ticket: Ticket, **kw: object) -> None:
    with store.write() as session:
        current = repo.get_ticket(session, ticket_id=ticket.id or 0)
        repo.classify(
            session,
            ticket_id=current.id or 0,
            expected_version=current.version,
            actor_id=None,
            **kw,  # type: ignore[arg-type]
        )


async def test_a_change_by_another_process_shows_keeping_place(
    db_url: str, store: Store, w: World
) -> None:
    # How soon it shows (within a second) is the end-to-end test's claim, in a real
    # terminal (tests/e2e/test_tmux.py); here the queue's poll is driven by hand.
    made = _tickets(store, w, 4)
    other = Store.open(db_url)  # another console's process
    app = console(store)
    try:
        async with app.run_test(size=(140, 30)) as pilot:
            await settle(pilot)
            assert len(ids(app)) == 4
            await pilot.press("j", "j", "space")  # select the third, cursor moves on
            await pilot.press("k")
            on = table(app).current_id
            chosen = set(queue(app).selected)
            assert chosen == {made[2].id}
            # Somebody elsewhere registers an urgent ticket (it sorts first) and edits one.
            fresh = await asyncio.to_thread(
                new_ticket,
                other,
                w,
                now=datetime.now(UTC) - timedelta(hours=1),
                subject="Server room flooded",
                priority=Priority.urgent,
            )
            await asyncio.to_thread(_change, other, made[3], subject="ticket 3 (edited)")
            await settle(pilot)
            assert fresh.id not in ids(app)  # nothing reads by itself until the poll
            queue(app).poll_changes()  # what every `refresh_seconds` does
            await settle(pilot)
            assert fresh.id in ids(app)
            assert any(r.subject.endswith("(edited)") for r in table(app).rows)
            assert ids(app)[0] == fresh.id
            assert table(app).current_id == on  # the cursor stayed on its ticket
            assert set(queue(app).selected) == chosen  # and the selection held
            assert table(app).marks[fresh.id or 0] == MARK_NEW
            assert table(app).marks[made[3].id or 0] == MARK_CHANGED
            assert made[0].id not in table(app).marks
            assert line(app, 0).lstrip().startswith("+")
    finally:
        other.dispose()


async def test_filters_are_one_key_away(store: Store, w: World) -> None:
    now = datetime.now(UTC)
    vpn = new_ticket(store, w, now=now, subject="VPN is down", priority=Priority.urgent)
    printer = new_ticket(store, w, now=now, subject="Printer jam", priority=Priority.low)
    app = console(store)
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot)
        assert len(ids(app)) == 2
        await pilot.press("P")
        await settle(pilot)
        assert isinstance(app.screen, PickerScreen)
        await pilot.press(*"low", "enter")
        await settle(pilot)
        assert ids(app) == [printer.id]
        assert "priority: low" in str(app.screen.query_one("#filter-summary").render())
        await pilot.press("x")
        await settle(pilot)
        assert len(ids(app)) == 2
        await pilot.press("slash", *"vpn")
        queue(app).query_one(FilterBar).typing.flush()  # the pause in typing, driven here
        await settle(pilot)
        assert ids(app) == [vpn.id]
        await pilot.press("enter")  # back to the table, filter kept
        assert app.focused is table(app)
        await pilot.press("A")
        await settle(pilot)
        assert isinstance(app.screen, PickerScreen)
        await pilot.press(*"nobody", "enter")
        await settle(pilot)
        assert queue(app).extra.unassigned
        assert ids(app) == [vpn.id]
        await pilot.press("S")
        await settle(pilot)
        assert isinstance(app.screen, PickerScreen)
        await pilot.press(*"waiting", "enter")
        await settle(pilot)
        assert ids(app) == []
        await pilot.press("C")
        await settle(pilot)
        assert isinstance(app.screen, PickerScreen)
        await pilot.press("escape")
        await pilot.press("x")
        await settle(pilot)
        assert len(ids(app)) == 2


async def test_sections_flip_with_one_key_and_views_are_saved(store: Store, w: World) -> None:
    made = _tickets(store, w, 3)
    with store.write() as session:
        repo.add_message(
            session,
            ticket_id=made[0].id or 0,
            kind=MessageKind.reply,
            body="Looking",
            actor_id=w.dispatcher.id,
        )
    app = console(store)
    async with app.run_test(size=(140, 30)) as pilot:
        screen = queue(app)
        await settle(pilot)
        assert screen.counts.get("first-response") == 2
        tabs = screen.query_one(ViewTabs)
        assert [str(t.label) for t in tabs.query(Tab)] == [
            "All active 3",
            "📌 Needs first response 2",
        ]
        await pilot.press("tab")
        await settle(pilot)
        assert set(ids(app)) == {made[1].id, made[2].id}
        assert screen.section == "first-response"
        # Save "needs first response + subject 'ticket 2'" as a view with a hostile name.
        await pilot.press("slash", *"ticket 2", "enter")
        await settle(pilot)
        assert ids(app) == [made[2].id]
        await pilot.press("v")
        await settle(pilot)
        assert isinstance(app.screen, PromptScreen)
        await pilot.press(*"[b]mine[/b]", "enter")
        await settle(pilot)
        assert len(screen.sections) == 3
        assert screen.section.startswith("view-")
        assert len(list(tabs.query("Tab"))) == 3
        await settle(pilot)
        assert screen.counts.get(screen.section) == 1
        assert ids(app) == [made[2].id]
        labels = [str(t.label) for t in tabs.query(Tab)]
        assert labels[2] == "[b]mine[/b] 1"  # the name is shown literally
        await pilot.press("tab")  # wraps around to "All active"
        await settle(pilot)
        assert screen.section == "all"
        assert len(ids(app)) == 3
        # Rename and delete it again.
        await pilot.press("shift+tab")
        await settle(pilot)
        assert screen.section.startswith("view-")
        await pilot.press("R")
        await settle(pilot)
        assert isinstance(app.screen, PromptScreen)
        await pilot.press("ctrl+u", *"Mine", "enter")
        await settle(pilot)
        assert screen.sections[-1].name == "Mine"
        await pilot.press("D")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert len(screen.sections) == 2
        assert screen.section == "all"


async def test_sorting_by_key_and_by_clicking_a_column(store: Store, w: World) -> None:
    now = datetime.now(UTC)
    new_ticket(store, w, now=now, subject="bravo", priority=Priority.low)
    new_ticket(store, w, now=now, subject="alpha", priority=Priority.urgent)
    new_ticket(store, w, now=now, subject="charlie", priority=Priority.high)
    app = console(store)
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot)
        assert len(ids(app)) == 3
        assert [r.subject for r in table(app).rows] == ["alpha", "charlie", "bravo"]  # urgency
        header = app.screen.query_one(QueueHeader)
        subject_x = 1 + 2 + 1 + 8 + 1 + 7 + 1 + 18 + 1 + 2
        await pilot.click(header, offset=(subject_x, 0))
        await settle(pilot)
        assert queue(app).sort.key == SortKey.subject
        assert [r.subject for r in table(app).rows] == ["alpha", "bravo", "charlie"]
        await pilot.press("O")
        await settle(pilot)
        assert [r.subject for r in table(app).rows] == ["charlie", "bravo", "alpha"]
        assert "Subject ▼" in "".join(s.text for s in table(app).header_strip(140))
        await pilot.press("o")  # next column: category
        await settle(pilot)
        assert queue(app).sort.key == SortKey.category


async def test_the_queue_is_read_a_window_at_a_time(
    store: Store, w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert QueueScreen.window_size == 200
    monkeypatch.setattr(QueueScreen, "window_size", 3)
    _tickets(store, w, 7)
    app = console(store)
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot)
        assert len(ids(app)) == 3
        first = ids(app)
        await pilot.press("G", "j")  # down past the end: the next window
        await settle(pilot)
        assert len(queue(app).starts) == 2
        assert ids(app) != first
        assert table(app).cursor == 0
        second = ids(app)
        assert not set(first) & set(second)
        await pilot.press("G", "j")
        await settle(pilot)
        assert len(queue(app).starts) == 3
        assert len(ids(app)) == 1  # the 7th ticket, nothing after it
        window = queue(app).window
        assert window is not None
        assert not window.has_more
        await pilot.press("k")  # up past the top: the previous window, cursor at its end
        await settle(pilot)
        assert ids(app) == second
        assert table(app).current_id == second[-1]


async def test_bulk_priority_with_preview_refuses_stale_tickets_one_by_one(
    db_url: str, store: Store, w: World
) -> None:
    made = _tickets(store, w, 3, priority=Priority.normal)
    app = console(store)
    other = Store.open(db_url)
    try:
        async with app.run_test(size=(140, 30)) as pilot:
            await settle(pilot)
            assert len(ids(app)) == 3
            await pilot.press("space", "space")  # the first two
            assert set(queue(app).selected) == {made[0].id, made[1].id}
            await pilot.press("p")
            await settle(pilot)
            assert isinstance(app.screen, PickerScreen)
            await pilot.press(*"urgent", "enter")
            await settle(pilot)
            assert isinstance(app.screen, ConfirmScreen)
            preview = app.screen
            assert isinstance(preview, ConfirmScreen)
            assert "2 of 2 tickets change" in preview.title_text
            assert all("normal → urgent" in text for text in preview.lines)
            # Meanwhile somebody else changes the second ticket.
            await asyncio.to_thread(_change, other, made[1], subject="edited elsewhere")
            await pilot.press("y")
            await settle(pilot)
            assert any("refused" in n.message for n in app._notifications)
            assert not queue(app).selected
            refused = next(n.message for n in app._notifications if "refused" in n.message)
            assert f"#{made[1].id}" in refused
            assert "changed by someone else" in refused
            assert f"#{made[0].id}" not in refused
    finally:
        other.dispose()
    with store.read() as session:
        first = repo.get_ticket(session, ticket_id=made[0].id or 0)
        second = repo.get_ticket(session, ticket_id=made[1].id or 0)
    assert first.priority == Priority.urgent
    assert second.priority == Priority.normal  # never silently overwritten
    assert second.subject == "edited elsewhere"


async def test_bulk_status_and_assign_on_the_cursor_row(store: Store, w: World) -> None:
    (ticket,) = _tickets(store, w, 1)
    app = console(store)
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot)
        assert len(ids(app)) == 1
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, PickerScreen)
        await pilot.press(*w.engineer.login, "enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert bool(table(app).rows)
        assert table(app).rows[0].assignee == w.engineer.login
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, PickerScreen)
        await pilot.press(*"waiting_client", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert bool(table(app).rows)
        assert table(app).rows[0].status == TicketStatus.waiting_client
        assert "paused" in line(app, 0)


async def test_enter_opens_the_ticket_and_hostile_text_stays_text(store: Store, w: World) -> None:
    ticket = new_ticket(store, w, now=datetime.now(UTC), subject=HOSTILE)
    app = console(store)
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot)
        assert len(ids(app)) == 1
        text = line(app, 0)
        assert "[@click=app.quit]Click me[/] [bold red]loud[/]" in text
        assert "\x1b" not in text
        assert "\x07" not in text
        await pilot.click("#queue-table", offset=(70, 0), times=2)  # double click opens
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        assert app.is_running
        screen = app.screen
        assert isinstance(screen, TicketScreen)
        assert screen.ticket_id == ticket.id
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, TicketScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)


async def test_an_engineer_starts_in_my_work_and_sees_the_queue_of_their_competences(
    store: Store, w: World
) -> None:
    from dispatcher.screens.my_work import MyWorkScreen
    from dispatcher.store.models import Category

    mine = new_ticket(store, w, now=datetime.now(UTC))
    with store.write() as session:
        other = Category(name="Accounting")
        session.add(other)
        session.flush()
        elsewhere = repo.create_ticket(
            session,
            data=repo.NewTicket(subject="Invoice", category_id=other.id, queue_id=w.queue.id),
            actor_id=None,
        )
    app = console(store, "ivan")
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, MyWorkScreen)
        await pilot.press("f2")
        await settle(pilot)
        assert app.current_mode == "queue"
        assert len(ids(app)) >= 1
        assert ids(app) == [mine.id]
        assert elsewhere.id not in ids(app)
    app = console(store, "olga")
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot)
        assert len(ids(app)) == 2
        await pilot.press("f4")  # a dispatcher's own work too
        await settle(pilot)
        assert app.current_mode == "my_work"
