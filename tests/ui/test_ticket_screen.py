"""The ticket detail under Pilot: what it shows, every action from the keyboard (each in
the history), the refusal of a stale write, the reload on someone else's change, presence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from rich.console import Console
from sqlmodel import col, select
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select, Static

from dispatcher.domain.enums import (
    EscalationTarget,
    EventKind,
    LinkKind,
    MessageKind,
    Priority,
    TicketStatus,
)
from dispatcher.screens.composer import ComposerScreen
from dispatcher.screens.dialogs.assign import AssignDialog
from dispatcher.screens.dialogs.classify import ClassifyDialog
from dispatcher.screens.dialogs.escalate import EscalateDialog
from dispatcher.screens.dialogs.link import LinkDialog
from dispatcher.screens.dialogs.merge import MergeDialog
from dispatcher.screens.dialogs.status import StatusDialog
from dispatcher.screens.ticket import TicketScreen
from dispatcher.store.db.engine import Store
from dispatcher.store.models import Escalation, Ticket, TicketEvent, TicketLink
from dispatcher.store.people import schedules, users
from dispatcher.store.tickets import presence, writes
from dispatcher.widgets.presence_bar import PresenceBar
from dispatcher.widgets.thread import MessageView
from tests.factories import World, new_ticket, world
from tests.ui.harness import settle
from tests.ui.ticket_side import HOSTILE, Host, ticket_host

SIZE = (140, 40)


@pytest.fixture
def w(store: Store) -> World:
    w = world(store)
    with store.write() as session:
        for user in (w.engineer, w.engineer2):
            schedules.set_shifts(session, user_id=user.id or 0, specs=["mon-sun 00:00-24:00"])
    return w


def _now() -> datetime:
    return datetime.now(UTC)


def _ticket(store: Store, ticket_id: int) -> Ticket:
    with store.read() as session:
        found = session.get(Ticket, ticket_id)
        assert found is not None
        return found


def _events(store: Store, ticket_id: int, kind: EventKind) -> list[TicketEvent]:
    with store.read() as session:
        return list(
            session.exec(
                select(TicketEvent)
                .where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind == kind)
                .order_by(col(TicketEvent.id))
            ).all()
        )


def _screen(app: Host) -> TicketScreen:
    screen = app.screen_stack[1]
    assert isinstance(screen, TicketScreen)
    return screen


def _text(widget: Static) -> str:
    console = Console(width=200, record=True)
    console.print(widget.content)
    return console.export_text()


async def _loaded(pilot: Pilot[Any], version: int | None = None) -> TicketScreen:
    """The ticket screen once its reads are done (at `version`, when given)."""
    await settle(pilot)
    app = pilot.app
    assert isinstance(app, Host)
    screen = _screen(app)
    assert screen.view is not None
    if version is not None:
        assert screen.view.detail.version == version
    return screen


def _priority(screen: TicketScreen) -> Priority:
    assert screen.view is not None
    return screen.view.detail.priority


def _message(screen: TicketScreen) -> str:
    return _text(screen.query_one("#ticket-message", Static))


# --- what it shows --------------------------------------------------------------------


async def test_detail_shows_fields_thread_history_and_sla(store: Store, w: World) -> None:
    t = new_ticket(store, w, now=_now(), subject=HOSTILE, body=HOSTILE)
    with store.write() as session:
        writes.add_message(
            session,
            ticket_id=t.id or 0,
            kind=MessageKind.reply,
            body="On it",
            actor_id=w.dispatcher.id,
        )
        writes.add_message(
            session,
            ticket_id=t.id or 0,
            kind=MessageKind.note,
            body="router?",
            actor_id=w.engineer.id,
        )
    app = ticket_host(store, "olga", t.id or 0)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _loaded(pilot)
        await pilot.pause()
        fields = _text(screen.query_one("#ticket-fields", Static))
        for expected in ("Acme", "Anna Client", "C-1", "premium", "Network", "high", "phone"):
            assert expected in fields
        title = _text(screen.query_one("#ticket-title", Static))
        assert "[@click=app.quit]Click me[/]" in title  # markup shown, literally
        assert "\x1b" not in title
        assert "\x07" not in title
        views = list(screen.query(MessageView))
        assert [v.message.kind for v in views] == [
            MessageKind.inbound,
            MessageKind.reply,
            MessageKind.note,
        ]
        assert views[0].has_class("-inbound")
        assert views[1].has_class("-reply")
        assert views[2].has_class("-note")
        assert "[bold red]loud[/]" in _text(views[0])
        history = screen.query_one("#ticket-history", DataTable)
        assert history.row_count == len(screen.view.history) if screen.view else False
        assert "created from phone" in str(history.get_row_at(0)[2])
        sla = _text(screen.query_one("#ticket-sla", Static))
        assert "premium" in sla
        assert "first response" in sla
        assert "Timeline" in sla
        await pilot.click("#ticket-title")  # clicking the hostile "link" does nothing
        assert app.is_running


async def test_long_quotes_fold_and_z_unfolds(store: Store, w: World) -> None:
    body = "Still broken.\n" + "\n".join(f"> old line {n}" for n in range(12))
    t = new_ticket(store, w, now=_now(), body=body)
    app = ticket_host(store, "olga", t.id or 0)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _loaded(pilot)
        await pilot.pause()
        text = _text(list(screen.query(MessageView))[0])
        assert "10 quoted lines folded" in text
        assert "old line 11" not in text
        await pilot.press("z")
        await pilot.pause()
        text = _text(list(screen.query(MessageView))[0])
        assert "old line 11" in text
        assert "folded" not in text


# --- actions --------------------------------------------------------------------------


async def test_classify_from_the_keyboard(store: Store, w: World) -> None:
    t = new_ticket(store, w, now=_now(), priority=Priority.normal)
    app = ticket_host(store, "olga", t.id or 0)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _loaded(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, ClassifyDialog)
        app.screen.query_one("#priority", Select).value = Priority.urgent
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert _ticket(store, t.id or 0).priority == Priority.urgent
        assert "classified: priority" in _message(screen)
    [event] = _events(store, t.id or 0, EventKind.classified)
    assert event.data["changes"]["priority"] == ["normal", "urgent"]
    assert event.actor_id == w.dispatcher.id


async def test_assign_takes_the_suggestion_with_its_reason(store: Store, w: World) -> None:
    busy = new_ticket(store, w, now=_now())
    with store.write() as session:
        writes.assign(
            session,
            ticket_id=busy.id or 0,
            expected_version=None,
            actor_id=None,
            assignee_id=w.engineer.id,
        )
    t = new_ticket(store, w, now=_now())
    app = ticket_host(store, "olga", t.id or 0)
    async with app.run_test(size=SIZE) as pilot:
        await _loaded(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, AssignDialog)
        reason = _text(app.screen.query_one("#assign-reason", Static))
        assert "petr" in reason
        assert "0 SLA-active tickets" in reason
        excluded = _text(app.screen.query_one("#assign-excluded", Static))
        assert "lena: lacks the network competence" in excluded
        await pilot.press("enter")
        await settle(pilot)
        assert _ticket(store, t.id or 0).assignee_id == w.engineer2.id
    [event] = _events(store, t.id or 0, EventKind.assigned)
    assert event.data["override"] is False
    assert "has the network competence" in event.reason


async def test_assign_override_is_one_key_and_recorded(store: Store, w: World) -> None:
    t = new_ticket(store, w, now=_now())
    app = ticket_host(store, "olga", t.id or 0)
    async with app.run_test(size=SIZE) as pilot:
        await _loaded(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, AssignDialog)
        dialog = app.screen
        assert isinstance(dialog, AssignDialog)
        suggested = dialog.suggestion.chosen_id
        second = dialog.order[1]
        assert second != suggested
        await pilot.press("2")
        await settle(pilot)
        assert _ticket(store, t.id or 0).assignee_id == second
    [event] = _events(store, t.id or 0, EventKind.assigned)
    assert event.data["override"] is True
    assert event.data["suggested_id"] == suggested
    assert event.reason.startswith("override:")


async def test_take(store: Store, w: World) -> None:
    t = new_ticket(store, w, now=_now())
    app = ticket_host(store, "ivan", t.id or 0)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _loaded(pilot)
        await pilot.press("t")
        await settle(pilot)
        assert _ticket(store, t.id or 0).status == TicketStatus.in_progress
        assert screen.view is not None
        assert screen.view.detail.assignee is not None
        assert "ivan" in _text(screen.query_one("#ticket-fields", Static))
    assert _ticket(store, t.id or 0).assignee_id == w.engineer.id
    assert _events(store, t.id or 0, EventKind.assigned)[0].reason == "taken"


async def test_status_changes_pause_resolve_close_and_reopen(store: Store, w: World) -> None:
    t = new_ticket(store, w, now=_now())
    tid = t.id or 0
    app = ticket_host(store, "olga", tid)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _loaded(pilot)
        for key, status in (
            ("w", TicketStatus.waiting_client),
            ("v", TicketStatus.resolved),
            ("x", TicketStatus.closed),
            ("o", TicketStatus.open),
        ):
            version = _ticket(store, tid).version
            await _loaded(pilot, version)
            await pilot.press("s")
            await settle(pilot)
            assert isinstance(app.screen, StatusDialog)
            if status == TicketStatus.waiting_client:
                await pilot.press("tab")
                await pilot.press(*"asked for logs")
                await pilot.press("shift+tab")
            await pilot.press(key)
            await settle(pilot)
            assert _ticket(store, tid).status == status
            if status == TicketStatus.waiting_client:
                assert _ticket(store, tid).sla_paused_since is not None  # the clock stopped
                assert _events(store, tid, EventKind.sla_paused)
        await settle(pilot)
        assert screen.view is not None
        assert screen.view.detail.reopen_count == 1
    changes = _events(store, tid, EventKind.status_changed)
    assert changes[0].reason == "asked for logs"
    assert [e.data["to"] for e in changes] == ["waiting_client", "resolved", "closed"]
    assert _events(store, tid, EventKind.reopened)[0].data == {"from": "closed", "to": "open"}


async def test_escalate_to_a_vendor(store: Store, w: World) -> None:
    opened = _now().replace(microsecond=0)
    t = new_ticket(store, w, now=opened)
    at = opened + timedelta(minutes=3)  # the console's clock, frozen while escalating
    app = ticket_host(store, "olga", t.id or 0, clock=lambda: at)
    async with app.run_test(size=SIZE) as pilot:
        await _loaded(pilot)
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, EscalateDialog)
        dialog = app.screen
        dialog.query_one("#target", Select).value = EscalationTarget.vendor
        for field, value in (
            ("#vendor", "[b]Cisco[/b] TAC"),
            ("#vendor-ref", "SR-991"),
            ("#promised", "4h"),
            ("#checkin", "1h30m"),
        ):
            dialog.query_one(field, Input).focus()
            await pilot.press(*value)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert _ticket(store, t.id or 0).status == TicketStatus.escalated
    with store.read() as session:
        [row] = session.exec(select(Escalation)).all()
    assert row.vendor == "[b]Cisco[/b] TAC"
    assert row.vendor_ref == "SR-991"
    assert row.promised_at is not None
    assert row.next_checkin_at is not None
    assert row.promised_at == at + timedelta(hours=4)  # "4h" from the clock's now
    assert row.next_checkin_at == at + timedelta(minutes=90)
    assert _events(store, t.id or 0, EventKind.escalated)[0].data["vendor_ref"] == "SR-991"


async def test_escalate_to_a_colleague(store: Store, w: World) -> None:
    t = new_ticket(store, w, now=_now())
    app = ticket_host(store, "ivan", t.id or 0)
    async with app.run_test(size=SIZE) as pilot:
        await _loaded(pilot)
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, EscalateDialog)
        await pilot.press("ctrl+s")  # no colleague chosen yet: refused in the form
        await pilot.pause()
        assert "choose the colleague" in _text(app.screen.query_one("#escalate-error", Static))
        app.screen.query_one("#colleague", Select).value = w.engineer2.id
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert _ticket(store, t.id or 0).assignee_id == w.engineer2.id
    assert _events(store, t.id or 0, EventKind.escalated)[0].data["to"] == "petr"


async def test_merge_with_a_preview(store: Store, w: World) -> None:
    target = new_ticket(store, w, now=_now(), subject="VPN down for everyone")
    dup = new_ticket(store, w, now=_now(), subject="VPN broken")
    app = ticket_host(store, "olga", dup.id or 0)
    async with app.run_test(size=SIZE) as pilot:
        await _loaded(pilot)
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(app.screen, MergeDialog)
        await pilot.press(*str(dup.id))  # itself: refused in the preview
        preview = app.screen.query_one("#preview", Static)
        await settle(pilot)
        assert "that is this ticket" in _text(preview)
        await pilot.press("backspace", "backspace", "#", *str(target.id))
        await settle(pilot)
        assert "VPN down for everyone" in _text(preview)
        assert "moves 1 message" in _text(preview)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert _ticket(store, dup.id or 0).status == TicketStatus.merged
    assert _ticket(store, dup.id or 0).merged_into_id == target.id


async def test_link_with_a_preview(store: Store, w: World) -> None:
    other = new_ticket(store, w, now=_now(), subject="Printer jam")
    t = new_ticket(store, w, now=_now())
    app = ticket_host(store, "olga", t.id or 0)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _loaded(pilot)
        await pilot.press("l")
        await settle(pilot)
        assert isinstance(app.screen, LinkDialog)
        app.screen.query_one("#link-kind", Select).value = LinkKind.duplicate
        app.screen.query_one("#other", Input).focus()
        await pilot.press(*f"#{other.id}")
        preview = app.screen.query_one("#preview", Static)
        await settle(pilot)
        assert "Printer jam" in _text(preview)
        await pilot.press("enter")  # with a preview shown, enter confirms
        await settle(pilot)
        assert bool(_events(store, t.id or 0, EventKind.linked))
        assert screen.view is not None
        assert bool(screen.view.detail.links)
    with store.read() as session:
        [link] = session.exec(select(TicketLink)).all()
    assert (link.other_ticket_id, link.kind) == (other.id, LinkKind.duplicate)


@pytest.mark.parametrize(("key", "kind"), [("r", MessageKind.reply), ("n", MessageKind.note)])
async def test_reply_and_note_open_the_composer(
    store: Store, w: World, key: str, kind: MessageKind
) -> None:
    t = new_ticket(store, w, now=_now())
    app = ticket_host(store, "olga", t.id or 0)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _loaded(pilot)
        await pilot.press(key)
        await settle(pilot)
        assert isinstance(app.screen, ComposerScreen)
        composer: Any = app.screen
        assert composer.kind == kind
        assert composer.ticket_id == t.id
        assert composer.opened_version == screen.view.detail.version if screen.view else False


# --- working together -----------------------------------------------------------------


async def test_stale_write_is_refused_naming_the_change_and_reloads(
    store: Store, w: World, db_url: str
) -> None:
    t = new_ticket(store, w, now=_now(), priority=Priority.normal)
    app = ticket_host(store, "olga", t.id or 0)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _loaded(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, StatusDialog)
        # Meanwhile lena, in another console (another store on the same database):
        other = Store.open(db_url)
        try:
            with other.write() as session:
                writes.classify(
                    session,
                    ticket_id=t.id or 0,
                    expected_version=t.version,
                    actor_id=w.lead.id,
                    priority=Priority.urgent,
                )
        finally:
            other.dispose()
        await pilot.press("v")
        await settle(pilot)
        assert "changed by someone else" in _message(screen)
        message = _message(screen)
        assert "priority: normal → urgent" in message
        assert "by lena" in message
        assert "Nothing was saved" in message
        assert "reloaded" in message
        assert screen.query_one("#ticket-message").has_class("-error")
        await settle(pilot)
        assert screen.view is not None
        assert screen.view.detail.priority == Priority.urgent
    assert _ticket(store, t.id or 0).status == TicketStatus.open  # never silently resolved


async def test_stale_take_without_polling_is_refused(store: Store, w: World) -> None:
    t = new_ticket(store, w, now=_now())
    app = ticket_host(store, "ivan", t.id or 0, live=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _loaded(pilot)
        with store.write() as session:
            writes.assign(
                session,
                ticket_id=t.id or 0,
                expected_version=None,
                actor_id=w.dispatcher.id,
                assignee_id=w.engineer2.id,
            )
        await pilot.press("t")
        await settle(pilot)
        assert "assigned to petr by olga" in _message(screen)
        assert screen.view is not None
        assert screen.view.detail.assignee is not None
        assert screen.view is not None
        assert screen.view.detail.assignee is not None
        assert screen.view.detail.assignee.name == "petr"
    assert _ticket(store, t.id or 0).assignee_id == w.engineer2.id


async def test_someone_elses_change_reloads_the_view(store: Store, w: World) -> None:
    t = new_ticket(store, w, now=_now(), priority=Priority.normal)
    app = ticket_host(store, "olga", t.id or 0)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _loaded(pilot)
        with store.write() as session:
            writes.classify(
                session,
                ticket_id=t.id or 0,
                expected_version=None,
                actor_id=w.lead.id,
                priority=Priority.low,
            )
        await settle(pilot)
        assert _priority(screen) == Priority.normal  # nothing reads by itself
        screen.poll()  # what every `ticket_poll` seconds does
        await settle(pilot)
        assert _priority(screen) == Priority.low
        assert "changed by someone else" in _message(screen)


async def test_presence_shows_who_else_has_it_open(store: Store, w: World) -> None:
    t = new_ticket(store, w, now=_now())
    with store.write() as session:
        presence.heartbeat(session, user_id=w.engineer.id or 0, ticket_id=t.id or 0, now=_now())
    app = ticket_host(store, "olga", t.id or 0)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _loaded(pilot)
        bar = screen.query_one(PresenceBar)
        await settle(pilot)
        assert "ivan (Ivan Engineer) also has this ticket open" in _text(bar)
        assert bar.has_class("-others")
        with store.read() as session:
            seen = presence.viewers(session, ticket_id=t.id or 0, now=_now())
        assert {v.login for v in seen} == {"ivan", "olga"}  # our own heartbeat is there too
        await pilot.press("escape")  # back to where we came from: our row goes
        await settle(pilot)
        assert _viewers(store, t.id or 0) == {"ivan"}


async def test_a_colleague_who_opens_the_ticket_shows_at_the_next_poll(
    store: Store, w: World
) -> None:
    t = new_ticket(store, w, now=_now())
    app = ticket_host(store, "olga", t.id or 0)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _loaded(pilot)
        bar = screen.query_one(PresenceBar)
        await settle(pilot)
        assert "also has this ticket open" not in _text(bar)
        with store.write() as session:  # ivan opens it in his console
            presence.heartbeat(session, user_id=w.engineer.id or 0, ticket_id=t.id or 0, now=_now())
        screen.poll()  # what every `ticket_poll` seconds does; no heartbeat of ours
        await settle(pilot)
        assert "ivan (Ivan Engineer) also has this ticket open" in _text(bar)


def _viewers(store: Store, ticket_id: int) -> set[str]:
    with store.read() as session:
        return {v.login for v in presence.viewers(session, ticket_id=ticket_id, now=_now())}


async def test_times_show_in_the_operators_own_time_zone(store: Store, w: World) -> None:
    # 07:30 UTC is 10:30 in Moscow.
    t = new_ticket(store, w, now=datetime(2026, 11, 18, 7, 30, tzinfo=UTC))
    with store.write() as session:
        users.edit_user(session, user_id=w.dispatcher.id or 0, timezone="Europe/Moscow")
    app = ticket_host(store, "olga", t.id or 0)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _loaded(pilot)
        await pilot.pause()
        fields = _text(screen.query_one("#ticket-fields", Static))
        assert "18 Nov 2026 10:30 MSK" in fields
        (first, *_) = screen.query(MessageView)
        assert "Wed 18 Nov 2026 10:30 MSK" in _text(first)
