"""`dispatcher watch`: missed alerts fire once after a gap; the real process sweeps and stops."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

from sqlmodel import select
from typer.testing import CliRunner

from dispatcher.cli import app
from dispatcher.domain.enums import AlertKind, Priority
from dispatcher.store.db.engine import Store
from dispatcher.store.models import Alert
from tests.factories import new_ticket, world

runner = CliRunner()


def _alerts(store: Store) -> list[Alert]:
    with store.read() as session:
        return list(session.exec(select(Alert)).all())


def test_watch_after_a_gap_fires_the_missed_alerts_once(store: Store, db_url: str) -> None:
    w = world(store)
    # Registered ten hours ago, while no console and no watcher ran.
    ten_hours_ago = datetime.now(UTC) - timedelta(hours=10)
    new_ticket(store, w, now=ten_hours_ago, priority=Priority.high)

    first = runner.invoke(app, ["watch", "--db", db_url, "--once"])
    assert first.exit_code == 0, first.output
    assert "2 breaches" in first.stdout
    live = [a for a in _alerts(store) if a.acknowledged_at is None]
    assert {(a.kind, a.target) for a in live} == {
        (AlertKind.breach, "first_response"),
        (AlertKind.breach, "resolution"),
    }
    count = len(_alerts(store))

    again = runner.invoke(app, ["watch", "--db", db_url, "--once"])
    assert again.exit_code == 0
    assert again.stdout == ""
    assert len(_alerts(store)) == count


def test_the_watch_process_sweeps_on_its_schedule_and_stops_on_sigterm(
    store: Store, db_url: str
) -> None:
    w = world(store)
    new_ticket(store, w, now=datetime.now(UTC) - timedelta(hours=10), priority=Priority.high)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISPATCHER_")}
    env["DISPATCHER_CONFIG_FILE"] = os.devnull + ".none"
    process = subprocess.Popen(
        [sys.executable, "-m", "dispatcher", "watch", "--db", db_url, "--interval", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not _alerts(store):
            time.sleep(0.2)
        assert _alerts(store), "the watcher raised no alert"
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    seen = f"exit {process.returncode}\nstdout:\n{out}\nstderr:\n{err}"
    assert process.returncode == 0, seen
    assert "watching" in out, seen
    assert "2 breaches" in out, seen
    assert "Traceback" not in err, seen
