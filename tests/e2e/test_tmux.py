"""The real console in a real terminal (tmux): two consoles on one SQLite database; a
change made in one shows in the other within a second.

Skipped without tmux on a laptop; fails under CI=true, where `.ci/run` installs tmux.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dispatcher.domain.enums import Priority
from dispatcher.store.db import migrate
from dispatcher.store.db.engine import Store
from dispatcher.store.tickets.writes import get_ticket
from tests.conftest import IN_CI
from tests.factories import new_ticket, world

# Timing promises are judged alone, not beside a parallel test run: `make test` runs the
# end-to-end tests after the rest.
pytestmark = pytest.mark.e2e

DISPATCHER = str(Path(sys.executable).with_name("dispatcher"))


class Tmux:
    """A private tmux server: windows of a fixed size, keys in, screen text out."""

    def __init__(self, tmp: Path) -> None:
        self.socket = f"dsp-{uuid.uuid4().hex[:8]}"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("DISPATCHER_")},
            "DISPATCHER_CONFIG_FILE": os.devnull,  # an empty config
            "TERM": "xterm-256color",
        }

    def run(self, *args: str) -> str:
        return subprocess.run(
            ["tmux", "-L", self.socket, "-f", "/dev/null", *args],
            check=True,
            capture_output=True,
            text=True,
            env=self.env,
        ).stdout

    def start(self, name: str, command: str) -> None:
        if self.alive():
            try:
                self.run("new-window", "-d", "-t", "main", "-n", name, command)
                return
            except subprocess.CalledProcessError:
                # The session's last window was closing (its console killed): by now the
                # session is gone with it, and a new one is started. Anything else is raised.
                if self.alive():
                    raise
        self.run("new-session", "-d", "-s", "main", "-n", name, "-x", "160", "-y", "40", command)

    def alive(self) -> bool:
        probe = ["tmux", "-L", self.socket, "-f", "/dev/null", "has-session", "-t", "main"]
        return subprocess.run(probe, capture_output=True, env=self.env).returncode == 0

    def screen(self, name: str) -> str:
        return self.run("capture-pane", "-p", "-t", f"main:{name}")

    def keys(self, name: str, *keys: str) -> None:
        self.run("send-keys", "-t", f"main:{name}", *keys)

    def wait(self, name: str, found: Callable[[str], bool], seconds: float = 15.0) -> float:
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            if found(self.screen(name)):
                return time.monotonic() - started
            time.sleep(0.02)
        raise AssertionError(f"timed out; {name} shows:\n{self.screen(name)}")

    def kill(self) -> None:
        subprocess.run(
            ["tmux", "-L", self.socket, "kill-server"], capture_output=True, env=self.env
        )


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    if shutil.which("tmux") is None:
        if IN_CI:
            pytest.fail("tmux is required under CI=true")
        pytest.skip("no tmux")
    server = Tmux(tmp_path)
    yield server
    server.kill()


def _wait_for_commit(path: Path, ticket_id: int, priority: str) -> float:
    """The moment the database holds the change (polled with a plain reader)."""
    reader = sqlite3.connect(path)
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            row = reader.execute(
                "SELECT priority FROM ticket WHERE id = ?", (ticket_id,)
            ).fetchone()
            if row == (priority,):
                return time.monotonic()
            time.sleep(0.005)
    finally:
        reader.close()
    raise AssertionError("the change was never committed")


def _row(screen: str, subject: str) -> str:
    return next((line for line in screen.splitlines() if subject in line), "")


def test_two_consoles_on_one_database_see_each_other_within_a_second(
    tmux: Tmux, tmp_path: Path
) -> None:
    path = tmp_path / "helpdesk.db"
    store = Store.open(str(path))
    migrate.upgrade(store.engine)
    w = world(store)
    ticket = new_ticket(
        store, w, now=datetime.now(UTC), subject="Mail server down", priority=Priority.normal
    )
    store.dispose()

    for name, login in (("one", "olga"), ("two", "lena")):
        tmux.start(name, f"{DISPATCHER} --db {path} --as {login}")
    tmux.wait("two", lambda s: "Lead's dashboard" in s)
    tmux.keys("two", "F2")  # the lead starts on the dashboard: to the queue
    for name in ("one", "two"):
        tmux.wait(
            name, lambda s: "Mail server down" in s and "normal" in _row(s, "Mail server down")
        )

    # In console one: set the priority of the ticket under the cursor to urgent.
    tmux.keys("one", "p")
    tmux.wait("one", lambda s: "Set priority to" in s)
    tmux.keys("one", "urgent")
    tmux.wait("one", lambda s: "low" not in s.split("Set priority to")[-1][:400])
    tmux.keys("one", "Enter")
    tmux.wait("one", lambda s: "normal → urgent" in s)
    tmux.keys("one", "y")
    committed = _wait_for_commit(path, ticket.id or 0, "urgent")
    # Console two never touched it: it notices the other process's commit by itself.
    tmux.wait("two", lambda s: "urgent" in _row(s, "Mail server down"), seconds=5)
    seen_after = time.monotonic() - committed
    assert seen_after < 1.0, f"console two showed the change {seen_after:.2f} s after the commit"
    tmux.wait("one", lambda s: "urgent" in _row(s, "Mail server down"))
    assert "*" in _row(tmux.screen("two"), "Mail server down")  # marked as changed

    store = Store.open(str(path))
    with store.read() as session:
        assert get_ticket(session, ticket_id=ticket.id or 0).priority == Priority.urgent
    store.dispose()
    tmux.keys("one", "C-q")
    tmux.keys("two", "C-q")


def _wait_for_draft(path: Path, body: str) -> None:
    """The moment the database holds the draft (polled with a plain reader)."""
    reader = sqlite3.connect(path)
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            rows = reader.execute("SELECT body FROM draft").fetchall()
            if (body,) in rows:
                return
            time.sleep(0.02)
    finally:
        reader.close()
    raise AssertionError("the draft was never saved")


def _open_reply(tmux: Tmux, name: str, subject: str) -> None:
    tmux.wait(name, lambda s: subject in s, seconds=60)  # the first start migrates nothing
    tmux.keys(name, "Enter")  # the ticket under the cursor
    tmux.wait(name, lambda s: "1st response" in s)
    tmux.keys(name, "r")
    tmux.wait(name, lambda s: "Reply to the client" in s)


def test_a_reply_being_typed_survives_a_killed_console(tmux: Tmux, tmp_path: Path) -> None:
    path = tmp_path / "helpdesk.db"
    store = Store.open(str(path))
    migrate.upgrade(store.engine)
    w = world(store)
    new_ticket(store, w, now=datetime.now(UTC), subject="Printer on fire")
    store.dispose()

    tmux.start("one", f"{DISPATCHER} --db {path} --as olga")
    _open_reply(tmux, "one", "Printer on fire")
    tmux.keys("one", "-l", "Replaced the fuser")
    _wait_for_draft(path, "Replaced the fuser")  # saved once typing paused
    pid = int(tmux.run("display-message", "-p", "-t", "main:one", "#{pane_pid}").strip())
    os.kill(pid, 9)  # SIGKILL: no chance to save anything on the way out

    tmux.start("two", f"{DISPATCHER} --db {path} --as olga")
    _open_reply(tmux, "two", "Printer on fire")
    tmux.wait("two", lambda s: "Replaced the fuser" in s and "draft" in s, seconds=30)
    tmux.keys("two", "C-q")


def test_a_console_quit_as_soon_as_it_shows_its_first_rows_exits(
    tmux: Tmux, tmp_path: Path
) -> None:
    """Ctrl+Q before the store is open (the quick start opens it after the first frame):
    the console exits instead of waiting for ever on the reads that asked for the store."""
    path = tmp_path / "helpdesk.db"
    store = Store.open(str(path))
    migrate.upgrade(store.engine)
    new_ticket(store, world(store), now=datetime.now(UTC), subject="Printer on fire")
    store.dispose()

    tmux.start("one", f"{DISPATCHER} --db {path} --as olga")
    tmux.wait("one", lambda s: "Printer on fire" in s)
    tmux.keys("one", "C-q")
    deadline = time.monotonic() + 60  # a guard: a console that does not exit fails here
    while tmux.alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not tmux.alive()  # the window closed with its console: it exited
