"""An intake killed midway (SIGKILL) and run again: nothing lost, nothing doubled."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func
from sqlmodel import select

from dispatcher.store.db.engine import Store
from dispatcher.store.models import Message, OutboxItem, Ticket
from tests.factories import world
from tests.intake.helpers import make_maildir

COUNT = 600


def _messages(store: Store) -> int:
    with store.read() as session:
        return int(session.exec(select(func.count()).select_from(Message)).one())


def test_killed_import_restarts_without_loss_or_duplicates(
    store: Store, db_url: str, tmp_path: Path
) -> None:
    world(store)
    maildir = make_maildir(tmp_path / "Maildir", COUNT)
    command = [sys.executable, "-m", "dispatcher", "admin", "--db", db_url, "intake", "import",
               str(maildir), "--json"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(Path.cwd())}
    victim = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while _messages(store) < COUNT // 5 and time.monotonic() < deadline:
        time.sleep(0.02)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    stored_at_kill = _messages(store)
    assert victim.returncode == -signal.SIGKILL
    assert COUNT // 5 <= stored_at_kill < COUNT, "the kill must land midway"

    rerun = subprocess.run(command, env=env, capture_output=True, check=True, timeout=120)
    summary = json.loads(rerun.stdout)
    assert summary["read"] == COUNT
    assert summary["duplicates"] >= stored_at_kill - 1  # at most one was in flight
    with store.read() as session:
        ids = session.exec(select(Message.message_id)).all()
        tickets = session.exec(select(func.count()).select_from(Ticket)).one()
        acks = session.exec(
            select(OutboxItem.ticket_id).where(OutboxItem.kind == "acknowledgement")
        ).all()
    expected = {f"<m{i}@bench.example>" for i in range(COUNT)}
    noise = {f"<m{i}@bench.example>" for i in range(COUNT) if i % 10 == 9}
    # Auto-replies that refer to no ticket are kept aside; everything else is a message.
    assert sorted(ids) == sorted(expected - noise)
    new = [i for i in range(COUNT) if i % 10 not in (9,) and not (i % 10 in (3, 7) and i >= 10)]
    assert tickets == len(new)
    assert len(acks) == len(set(acks)) == len(new)  # one acknowledgement per ticket
