"""The "needs review" list under Pilot: held mail shown with who, what, which ticket and
why; accept (with or without making the sender a contact), reject, open the claimed
ticket; the list refreshing when mail comes in (the poll driven by hand); the count in
the console's header and F9 for dispatchers and leads, not engineers; and a snapshot."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from rich.console import Console
from sqlmodel import col, select
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from dispatcher.app import DispatcherApp
from dispatcher.config import load_settings
from dispatcher.domain.enums import ReviewDecision
from dispatcher.identity import sign_in
from dispatcher.intake.pipeline import ingest
from dispatcher.intake.sources import RawMail
from dispatcher.screens.context import Intervals
from dispatcher.screens.review import ReviewScreen
from dispatcher.screens.ticket import TicketScreen
from dispatcher.store.clients import contacts
from dispatcher.store.db.engine import Store
from dispatcher.store.mail import review
from dispatcher.store.mail.inbound import Outcome
from dispatcher.store.models import HeldMail, Message
from dispatcher.store.people import users
from tests.conftest import NOW
from tests.factories import world
from tests.intake.helpers import feed
from tests.ui.harness import screen_context, settle
from tests.ui.ticket_side import HOSTILE, Host

SIZE = (150, 36)
SnapCompare = Callable[..., bool]


def stranger_mail(ticket_id: int, n: int, *, sender: str = "eve@evil.example") -> bytes:
    return (
        f"From: Eve Stranger <{sender}>\r\nTo: support@helpdesk.example\r\n"
        f"Subject: Re: [#{ticket_id}] {HOSTILE} {n}\r\nMessage-ID: <s{n}@evil.example>\r\n"
        "Date: Wed, 18 Nov 2026 10:15:00 +0300\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        f"Confirmed, close it please. ({n})\r\n"
    ).encode()


def hold(store: Store, ticket_id: int, n: int, *, at: datetime = NOW) -> int:
    result = ingest(store, RawMail(source=f"s{n}.eml", data=stranger_mail(ticket_id, n)), now=at)
    assert result.outcome == Outcome.held
    return result.held_id or 0


@pytest.fixture
def ticket_id(store: Store) -> int:
    """Anna's ticket (#1, client Acme) and a stranger's mail claiming it, held."""
    w = world(store)
    with store.write() as session:
        users.edit_user(session, user_id=w.dispatcher.id or 0, timezone="Europe/Moscow")
    found = feed(store, "plain_utf8.eml", now=NOW).ticket_id or 0
    hold(store, found, 1)
    return found


def _host(store: Store, login: str = "olga") -> Host:
    context = screen_context(store, login, clock=lambda: NOW + timedelta(minutes=5))
    return Host(lambda: ReviewScreen(context))


async def _review(pilot: Pilot[Any]) -> ReviewScreen:
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ReviewScreen)
    assert screen.rows is not None
    return screen


def _text(widget: Static) -> str:
    console = Console(width=200, record=True)
    console.print(widget.content)
    return console.export_text()


def _cells(screen: ReviewScreen) -> list[list[str]]:
    table = screen.query_one(DataTable)
    return [[str(c) for c in table.get_row_at(n)] for n in range(table.row_count)]


def _held(store: Store) -> list[HeldMail]:
    with store.read() as session:
        return list(session.exec(select(HeldMail).order_by(col(HeldMail.id))).all())


def _thread(store: Store, ticket_id: int) -> list[Message]:
    with store.read() as session:
        return list(session.exec(select(Message).where(Message.ticket_id == ticket_id)).all())


async def test_held_mail_is_listed_with_who_what_which_ticket_and_why(
    store: Store, ticket_id: int
) -> None:
    app = _host(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _review(pilot)
        [row] = _cells(screen)
        received, sender, subject, claims, why = row
        assert received == "2026-11-18 10:30"  # 07:30 UTC in the operator's Moscow
        assert sender == "Eve Stranger <eve@evil.example>"
        assert subject.startswith(f"Re: [#{ticket_id}] [@click=app.quit]Click me[/]")
        assert "\x1b" not in subject
        assert claims == f"#{ticket_id}"
        assert "eve@evil.example is not the contact of" in why
        assert "Acme" in why
        detail = _text(screen.query_one("#review-detail", Static))
        assert "Confirmed, close it please. (1)" in detail
        assert "Why held: eve@evil.example is not the contact" in detail
        assert "Needs review: 1 held message" in _text(screen.query_one("#review-title", Static))


async def test_accept_lets_it_onto_the_ticket(store: Store, ticket_id: int) -> None:
    before = len(_thread(store, ticket_id))
    app = _host(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _review(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert _cells(screen) == []
        assert f"accepted onto #{ticket_id}" in _text(screen.query_one("#review-message", Static))
        assert "nothing held" in _text(screen.query_one("#review-title", Static))
    [row] = _held(store)
    assert row.decision == ReviewDecision.accepted
    assert len(_thread(store, ticket_id)) == before + 1
    with store.read() as session:
        assert contacts.contact_by_point(session, value="eve@evil.example") is None


async def test_accept_with_contact_makes_the_sender_a_contact(store: Store, ticket_id: int) -> None:
    app = _host(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _review(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert "now a contact of its client" in _text(screen.query_one("#review-message", Static))
    with store.read() as session:
        contact = contacts.contact_by_point(session, value="eve@evil.example")
        assert contact is not None
        [held] = review.held_mail(session, include_decided=True)
        assert held.decision == ReviewDecision.accepted


async def test_reject_asks_twice_and_keeps_it_out(store: Store, ticket_id: int) -> None:
    before = len(_thread(store, ticket_id))
    app = _host(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _review(pilot)
        await pilot.press("x")
        await settle(pilot)
        assert "press x again" in _text(screen.query_one("#review-message", Static))
        assert _held(store)[0].decision is None  # nothing decided yet
        await pilot.press("x")
        await settle(pilot)
        assert _cells(screen) == []
        assert "rejected the mail from eve@evil.example" in _text(
            screen.query_one("#review-message", Static)
        )
    [row] = _held(store)
    assert row.decision == ReviewDecision.rejected
    assert len(_thread(store, ticket_id)) == before


async def test_a_decision_someone_else_made_first_is_refused_and_the_list_reread(
    store: Store, ticket_id: int
) -> None:
    app = _host(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _review(pilot)
        [held] = _held(store)
        with store.write() as session:  # another dispatcher, meanwhile
            review.reject(session, held_id=held.id or 0, actor_id=None, now=NOW)
        await pilot.press("a")
        await settle(pilot)
        assert "already rejected" in _text(screen.query_one("#review-message", Static))
        assert _cells(screen) == []


async def test_enter_opens_the_claimed_ticket(store: Store, ticket_id: int) -> None:
    app = _host(store)
    async with app.run_test(size=SIZE) as pilot:
        await _review(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        assert app.screen.ticket_id == ticket_id


async def test_the_list_follows_new_mail_when_polled(store: Store, ticket_id: int) -> None:
    app = _host(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _review(pilot)
        await pilot.press("j")  # the cursor on the first (and only) one
        hold(store, ticket_id, 2, at=NOW + timedelta(minutes=1))
        assert len(_cells(screen)) == 1  # nothing reads by itself here (manual intervals)
        screen.poll()  # what the console does every `Intervals.changes` seconds
        await settle(pilot)
        assert [row[4].startswith("eve@") for row in _cells(screen)] == [True, True]
        assert screen.query_one(DataTable).cursor_row == 0  # still on the message it was on
        assert "2 held messages" in _text(screen.query_one("#review-title", Static))
        reads = screen.signature
        screen.poll()  # nothing changed: the list is not read again
        await settle(pilot)
        assert screen.signature == reads


# --- in the console -------------------------------------------------------------------


def _console(store: Store, login: str) -> DispatcherApp:
    return DispatcherApp(
        settings=load_settings(),
        store=store,
        operator=sign_in(store, login),
        run_scheduler=False,
        intervals=Intervals.manual(),
    )


async def test_the_header_counts_held_mail_and_f9_opens_the_list(
    store: Store, ticket_id: int
) -> None:
    app = _console(store, "olga")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "1 mail to review (F9)" in app.sub_title
        await pilot.press("f9")
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        await pilot.press("a")
        await settle(pilot)
        app.poll_alerts()  # what the console does every `Intervals.alerts` seconds
        await settle(pilot)
        assert "to review" not in app.sub_title


async def test_engineers_do_not_review_mail(store: Store, ticket_id: int) -> None:
    app = _console(store, "ivan")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "to review" not in app.sub_title
        await pilot.press("f9")
        await settle(pilot)
        assert not isinstance(app.screen, ReviewScreen)


# --- snapshot -------------------------------------------------------------------------


def test_review_list_snapshot(snap_compare: SnapCompare, store: Store, ticket_id: int) -> None:
    hold(store, ticket_id, 2, at=NOW + timedelta(minutes=3))

    async def loaded(pilot: Pilot[Any]) -> None:
        await _review(pilot)
        await pilot.pause()

    assert snap_compare(_host(store), terminal_size=SIZE, run_before=loaded)
