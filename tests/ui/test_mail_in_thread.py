"""Mail in the ticket under Pilot: auto-replies and bounces dimmed and labelled, a failing
address shown on the ticket and in the composer's recipient line, attachments listed and
saved from the thread into a folder."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from rich.console import Console
from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import Input, Static, TextArea

from dispatcher.domain.enums import MessageKind
from dispatcher.domain.sizes import human_size
from dispatcher.intake.pipeline import ingest
from dispatcher.intake.sources import RawMail
from dispatcher.screens.composer import ComposerScreen
from dispatcher.screens.ticket import TicketScreen
from dispatcher.store.db.engine import Store
from dispatcher.store.models import Message, OutboxItem
from dispatcher.store.people import users
from dispatcher.widgets.folder_dialog import FolderDialog
from dispatcher.widgets.thread import MessageView
from dispatcher.widgets.ticket_fields import TicketFields
from tests.factories import world
from tests.intake.helpers import corpus, feed
from tests.intake.make_trust_corpus import feed_trust
from tests.ui.harness import screen_context, settle
from tests.ui.ticket_side import HOSTILE, Host, ticket_host

SIZE = (140, 44)


def _render(widget: Static) -> str:
    console = Console(width=200, record=True)
    console.print(widget.content)
    return console.export_text()


def _ack(store: Store, ticket_id: int) -> str:
    with store.read() as session:
        return session.exec(
            select(OutboxItem.message_id).where(
                OutboxItem.ticket_id == ticket_id, OutboxItem.kind == "acknowledgement"
            )
        ).one()


@pytest.fixture
def anna(store: Store, now: datetime) -> int:
    """Anna's mail ticket (#1) with her out-of-office answer (hostile text in it) and the
    bounce of the acknowledgement: her address is rejected."""
    w = world(store)
    with store.write() as session:
        users.edit_user(session, user_id=w.dispatcher.id or 0, timezone="Europe/Moscow")
    ticket_id = feed(store, "plain_utf8.eml", now=now).ticket_id or 0
    ack = _ack(store, ticket_id)
    auto = corpus("auto_submitted.eml", ack=ack).replace(
        b"I am away until Monday.", HOSTILE.encode()
    )
    assert ingest(store, RawMail(source="auto.eml", data=auto), now=now).ticket_id == ticket_id
    bounced = feed_trust(store, "bounce_rejected.eml", now=now, ack=ack)
    assert bounced.notes == ["bounce: address rejected", "flagged anna@acme.example"]
    return ticket_id


async def _ticket(pilot: Pilot[Any]) -> TicketScreen:
    await settle(pilot)
    screen = pilot.app.screen_stack[1]
    assert isinstance(screen, TicketScreen)
    assert screen.view is not None
    return screen


# --- labels ---------------------------------------------------------------------------


async def test_auto_replies_and_bounces_are_dimmed_and_labelled(store: Store, anna: int) -> None:
    app = ticket_host(store, "olga", anna, live=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _ticket(pilot)
        views = list(screen.query(MessageView))
        assert [v.message.label for v in views] == ["", "auto-reply", "bounce: address rejected"]
        client, auto, bounce = views
        assert not client.has_class("-automatic")
        assert auto.has_class("-automatic")
        assert bounce.has_class("-automatic")
        assert _render(auto).startswith("auto-reply · anna@acme.example")
        assert _render(bounce).startswith("bounce: address rejected · ")
        assert _render(client).startswith("from client · ")
        # The hostile text in the auto-reply stays text: no link, no colour, no escape.
        shown = _render(auto)
        assert "[@click=app.quit]Click me[/] [bold red]loud[/]" in shown
        assert "\x1b" not in shown
        # Dimmed: the automatic ones are drawn in a muted colour, the client's is not.
        assert auto.styles.color != client.styles.color


# --- a failing address ----------------------------------------------------------------


async def test_a_failing_address_is_shown_on_the_ticket(store: Store, anna: int) -> None:
    app = ticket_host(store, "olga", anna, live=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _ticket(pilot)
        fields = _render(screen.query_one(TicketFields))
        assert "Failing mail" in fields
        # In the operator's zone (Moscow, UTC+3): the bounce came in at 07:30 UTC.
        assert "anna@acme.example — failing since 18 Nov 2026 10:30 MSK: address rejected" in (
            fields
        )


async def test_the_composer_warns_that_the_recipient_fails_and_still_sends(
    store: Store, anna: int
) -> None:
    context = screen_context(store, "olga")
    assert context.operator.zone == ZoneInfo("Europe/Moscow")
    app = Host(
        lambda: ComposerScreen(context, ticket_id=anna, kind=MessageKind.reply, opened_version=0)
    )
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        composer = app.screen
        assert isinstance(composer, ComposerScreen)
        line = composer.query_one("#composer-recipients", Static)
        text = _render(line)
        assert "To: Anna Client <anna@acme.example>" in text
        assert (
            "to: anna@acme.example — failing since 18 Nov 2026 10:30 MSK: address rejected" in text
        )
        assert line.has_class("-failing")
        composer.query_one("#body", TextArea).text = "Is there another address we can use?"
        await pilot.press("ctrl+s")
        await settle(pilot)
        if app.screen is composer:  # the ticket moved on since "version 0": send anyway
            await pilot.press("ctrl+s")
            await settle(pilot)
        assert app.dismissed == [True]
    with store.read() as session:
        reply = session.exec(select(OutboxItem).where(OutboxItem.kind == "reply")).one()
    assert reply.to_addresses == "anna@acme.example"


async def test_a_working_address_gets_no_warning(store: Store, now: datetime) -> None:
    world(store)
    ticket_id = feed(store, "plain_utf8.eml", now=now).ticket_id or 0
    context = screen_context(store, "olga")
    app = Host(
        lambda: ComposerScreen(
            context, ticket_id=ticket_id, kind=MessageKind.reply, opened_version=0
        )
    )
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        line = app.screen.query_one("#composer-recipients", Static)
        assert "failing" not in _render(line)
        assert not line.has_class("-failing")


# --- attachments ----------------------------------------------------------------------


def test_sizes_read_the_same_in_the_thread_and_in_commands() -> None:
    sizes = (0, 1023, 1024, 1536, 12_345, 80 * 1024 * 1024, 3 * 1024**3)
    assert [human_size(n) for n in sizes] == [
        "0 B",
        "1023 B",
        "1.0 KB",
        "1.5 KB",
        "12 KB",
        "80 MB",
        "3.0 GB",
    ]


def _messages(store: Store, ticket_id: int) -> list[Message]:
    with store.read() as session:
        return list(session.exec(select(Message).where(Message.ticket_id == ticket_id)).all())


async def test_attachments_are_listed_and_saved_from_the_thread(
    store: Store, now: datetime, tmp_path: Path
) -> None:
    world(store)
    ticket_id = feed(store, "attachments.eml", now=now).ticket_id or 0
    folder = tmp_path / "saved"
    folder.mkdir()
    (folder / "report.pdf").write_bytes(b"mine")  # never overwritten
    app = ticket_host(store, "olga", ticket_id, live=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _ticket(pilot)
        (view,) = screen.query(MessageView)
        shown = _render(view)
        assert "attached: report.pdf · application/pdf · " in shown
        assert "attached: скрин.png · image/png · " in shown
        assert "attached: журнал.log · " in shown
        view.focus()
        await pilot.press("d")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, FolderDialog)
        box = dialog.query_one(Input)
        box.value = str(folder)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        message = _render(screen.query_one("#ticket-message", Static))
        assert f"saved 4 attachments to {folder}" in message
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["copy.pdf", "report (2).pdf", "report.pdf", "журнал.log", "скрин.png"]
    assert (folder / "report.pdf").read_bytes() == b"mine"
    assert (folder / "report (2).pdf").read_bytes().startswith(b"%PDF")
