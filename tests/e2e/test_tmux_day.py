"""A dispatcher's day in a real terminal (tmux): a phone ticket with a caller found by a
differently formatted phone, a logged call that meets the first response; a ticket near
its breach as one row of the alerts panel, opened with Enter and gone once resolved; help
at 100x30 with every key's description and id in full.

Tickets are set up with the store and the `dispatcher ticket` / `dispatcher watch --once`
commands, the console is driven only by keys; every wait is for screen text, with a
generous timeout, so a loaded machine only waits longer.
"""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest

from dispatcher.app import DispatcherApp
from dispatcher.domain.enums import Priority, TicketStatus
from dispatcher.screens.queue import QueueScreen
from dispatcher.store.clients import contacts
from dispatcher.store.db import migrate
from dispatcher.store.db.engine import Store
from dispatcher.store.models import Ticket
from dispatcher.store.tickets.writes import get_ticket
from tests.e2e.test_tmux import DISPATCHER, Tmux, tmux
from tests.factories import new_ticket, world

pytestmark = pytest.mark.e2e
__all__ = ["tmux"]  # the fixture, shared with test_tmux.py

SLOW = 60.0  # seconds a step may take on a loaded machine; nothing asserts how long
CALLER = "Мария [red]x[/] \x1b[31mЗвонкова"
CALLER_SHOWN = "Мария [red]x[/] [31mЗвонкова"  # markup as text, the escape code inert


def _database(tmp: Path) -> tuple[Path, Store]:
    path = tmp / "helpdesk.db"
    store = Store.open(str(path))
    migrate.upgrade(store.engine)
    return path, store


def _command(tmux: Tmux, path: Path, *args: str) -> str:
    done = subprocess.run(
        [DISPATCHER, "--db", str(path), *args],
        capture_output=True,
        text=True,
        env=tmux.env,
        timeout=SLOW,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _row(screen: str, text: str) -> str:
    return next((line for line in screen.splitlines() if text in line), "")


def test_a_phone_ticket_with_a_caller_found_by_phone_gets_a_call_that_meets_the_first_response(
    tmux: Tmux, tmp_path: Path
) -> None:
    path, store = _database(tmp_path)
    w = world(store)
    with store.write() as session:
        contacts.add_contact(
            session,
            client_id=w.client.id or 0,
            name=CALLER,
            phones=["8 916 555-12-34"],
            emails=["maria@acme.example"],
        )
    store.dispose()

    tmux.start("one", f"{DISPATCHER} --db {path} --as olga")
    tmux.wait("one", lambda s: "tickets shown" in s, SLOW)
    tmux.keys("one", "n")
    tmux.wait("one", lambda s: "New ticket (phone or walk-in)" in s, SLOW)
    tmux.keys("one", "-l", "acme")
    tmux.wait("one", lambda s: "Acme — Anna Client" in s, SLOW)
    tmux.keys("one", "Enter")  # the client; the caller's search is next
    tmux.wait("one", lambda s: "client: Acme" in s, SLOW)
    tmux.keys("one", "-l", "+7 916 555 12 34")
    tmux.wait("one", lambda s: f"{CALLER_SHOWN} (8 916 555-12-34" in s, SLOW)
    tmux.keys("one", "Enter")
    tmux.wait("one", lambda s: "answered by email" in s, SLOW)
    tmux.keys("one", "-l", "Не печатает принтер [bold]x[/]")
    tmux.keys("one", "C-s")
    tmux.wait("one", lambda s: "Не печатает" in _row(s, "Acme"), SLOW)

    tmux.keys("one", "Enter")
    tmux.wait("one", lambda s: "1st response" in s and CALLER_SHOWN in s, SLOW)
    # A second console on the same database: the lead sees the new ticket.
    tmux.start("two", f"{DISPATCHER} --db {path} --as lena")
    tmux.wait("two", lambda s: "Lead's dashboard" in s, SLOW)
    tmux.keys("two", "F2")
    tmux.wait("two", lambda s: "Не печатает" in s, SLOW)

    tmux.keys("one", "p")
    tmux.wait("one", lambda s: "Log a call on #" in s, SLOW)
    tmux.keys("one", "-l", "Перезагрузили принтер [red]x[/], all good")
    tmux.keys("one", "C-s")
    tmux.wait(
        "one",
        lambda s: (
            "1st response done" in s
            and "Перезагрузили принтер [red]x[/], all good" in s
            and f"Call to {CALLER_SHOWN}" in s
        ),
        SLOW,
    )
    tmux.keys("one", "3")  # the SLA tab
    tmux.wait("one", lambda s: "SLA target met" in s and "met" in _row(s, "first response"), SLOW)

    store = Store.open(str(path))
    with store.read() as session:
        ticket = session.get(Ticket, 1)
        assert ticket is not None
        assert ticket.first_responded_at is not None
    store.dispose()
    tmux.keys("one", "C-q")
    tmux.keys("two", "C-q")


def test_a_ticket_near_its_breach_is_one_alert_row_that_opens_and_leaves_when_resolved(
    tmux: Tmux, tmp_path: Path
) -> None:
    path, store = _database(tmp_path)
    w = world(store)
    # High priority on the 24x7 plan: a first response within 60 minutes, 50 of them gone.
    ticket = new_ticket(
        store,
        w,
        now=datetime.now(UTC) - timedelta(minutes=50),
        subject="Склад без сети",
        priority=Priority.high,
    )
    store.dispose()
    ref = f"#{ticket.id}"
    _command(tmux, path, "ticket", "assign", ref, "ivan", "--as", "olga")
    _command(tmux, path, "watch", "--once", "--no-mail", "--quiet")  # the SLA sweep

    tmux.start("one", f"{DISPATCHER} --db {path} --as ivan")
    tmux.wait("one", lambda s: "My work" in s and "Склад без сети" in s, SLOW)
    tmux.keys("one", "F5")
    # The count and the table's rows paint in separate frames: wait for both.
    tmux.wait("one", lambda s: "Open SLA alerts: 1" in s and ref in s, SLOW)
    screen = tmux.screen("one")
    rows = [line for line in screen.splitlines() if ref in line]
    assert len(rows) == 1, screen
    assert "first response" in rows[0]
    assert "Ivan Engineer" in rows[0]
    assert "left" in rows[0]

    tmux.keys("one", "Enter")
    tmux.wait("one", lambda s: "1st response" in s and "Склад без сети" in s, SLOW)
    tmux.keys("one", "s")
    tmux.wait("one", lambda s: "Status now: in progress" in s or "Status now: assigned" in s, SLOW)
    tmux.keys("one", "v")  # resolved
    tmux.wait("one", lambda s: "[resolved" in s, SLOW)
    tmux.keys("one", "Escape")
    tmux.wait("one", lambda s: "No open alerts" in s, SLOW)
    assert ref not in tmux.screen("one")

    store = Store.open(str(path))
    with store.read() as session:
        assert get_ticket(session, ticket_id=ticket.id or 0).status == TicketStatus.resolved
    store.dispose()
    tmux.keys("one", "C-q")


DISPATCHER_HAS_NOT = {"app.dashboard"}  # F7 is the lead's: off (and not in help) for others


def _queue_keys() -> list[tuple[str, str]]:
    """(description, id) of every key help lists on the queue: the queue's and the app's."""
    bindings = [*QueueScreen.BINDINGS, *DispatcherApp.BINDINGS]
    return [
        (b.description, b.id)
        for b in bindings
        if not isinstance(b, tuple | str)
        and b.id
        and (b.description or b.tooltip)
        and b.id not in DISPATCHER_HAS_NOT
    ]


def _changed(before: str, screen: str) -> bool:
    return screen != before


def _visible_rows(screen: str) -> int:
    """How many of help's rows the dialog shows: the lines under the column heads with
    something in the Key column."""
    lines = screen.splitlines()
    head = next(n for n, line in enumerate(lines) if "Key" in line and "Does" in line)
    rows = 0
    for line in lines[head + 1 :]:
        if line.startswith("╰"):
            break
        if line[3:20].strip():
            rows += 1
    return rows


def _help_shows(tmux: Tmux, name: str, wanted: list[str]) -> None:
    """Walk the cursor down help one row at a time until every wanted text has been on
    screen. The cursor first goes to the last visible row; from there each step scrolls
    the table by one line, so the step waits for the screen to change (at the end it never
    does, and the wait fails naming what is still missing)."""
    screen = tmux.screen(name)
    seen = screen
    tmux.keys(name, *["Down"] * (_visible_rows(screen) - 1))
    for text in wanted:
        while text not in seen:
            before = screen
            tmux.keys(name, "Down")
            try:
                tmux.wait(name, partial(_changed, before), SLOW)
            except AssertionError:
                raise AssertionError(f"help never shows {text!r} in full") from None
            screen = tmux.screen(name)
            seen += "\n" + screen


def test_help_at_100x30_shows_every_description_and_id_in_full(tmux: Tmux, tmp_path: Path) -> None:
    path, store = _database(tmp_path)
    world(store)
    store.dispose()
    tmux.run(
        "new-session",
        "-d",
        "-s",
        "main",
        "-n",
        "help",
        "-x",
        "100",
        "-y",
        "30",
        f"{DISPATCHER} --db {path} --as olga",
    )
    tmux.wait("help", lambda s: "tickets shown" in s, SLOW)
    tmux.keys("help", "F1")
    # The first page, whole: the heading of the first group and its rows under it.
    tmux.wait("help", lambda s: "On this screen" in s and "queue.open" in s, SLOW)
    wanted = [text for pair in _queue_keys() for text in pair]
    _help_shows(tmux, "help", ["On this screen", *wanted, "Everywhere"])
    tmux.keys("help", "Escape")
    tmux.wait("help", lambda s: "Keys on this screen" not in s, SLOW)
    tmux.keys("help", "C-q")
