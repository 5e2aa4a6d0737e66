"""`dispatcher watch`: missed alerts fire once after a gap; the real process sweeps and stops."""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from dispatcher.cli import app
from dispatcher.domain.enums import AlertKind, Priority
from dispatcher.store.db.engine import Store
from dispatcher.store.models import Alert
from tests.factories import new_ticket, world
from tests.notify.sinks import Picky, serve

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
    env["DISPATCHER_CONFIG_FILE"] = os.devnull  # an empty config
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


# --- the log lines -----------------------------------------------------------------------


def _queue_mail(store: Store, ticket_id: int, *addresses: str) -> list[int]:
    from dispatcher.store.mail import outbox
    from dispatcher.store.models import Ticket

    ids = []
    with store.write() as session:
        ticket = session.get(Ticket, ticket_id)
        for address in addresses:
            item = outbox.enqueue(
                session,
                kind="reply",
                to_addresses=address,
                cc_addresses="boss@acme.example" if address.startswith("anna") else "",
                subject="Секретная тема",
                body="The secret body text",
                now=datetime.now(UTC),
                ticket=ticket,
            )
            assert item.id is not None
            ids.append(item.id)
    return ids


_LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[+-]\d\d:\d\d (INFO|WARNING|ERROR) (dispatcher\.[\w.]+): (.*)$"
)


def _lines(output: str) -> list[tuple[str, str, str]]:
    found = []
    for line in output.splitlines():
        match = _LINE.match(line)
        assert match is not None, f"not a log line: {line!r}"
        level, logger, text = match.groups()
        found.append((level, logger, text))
    return found


def test_watch_logs_each_send_retry_and_failure(
    store: Store, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = world(store)
    ticket = new_ticket(store, w, now=datetime.now(UTC))
    assert ticket.id is not None
    handler = Picky(
        refuse={"full@acme.example": "452 mailbox full", "gone@acme.example": "550 no such user"}
    )
    with serve(handler) as port:
        monkeypatch.setenv("DISPATCHER_SMTP__HOST", "127.0.0.1")
        monkeypatch.setenv("DISPATCHER_SMTP__PORT", str(port))
        sent, retried, failed = _queue_mail(
            store, ticket.id, "anna@acme.example", "full@acme.example", "gone@acme.example"
        )
        result = runner.invoke(app, ["watch", "--db", db_url, "--once"])
        quiet = runner.invoke(app, ["watch", "--db", db_url, "--once", "--quiet"])
    assert result.exit_code == 0, result.output
    lines = _lines(result.stdout)
    ref = f"#{ticket.id}"
    assert (
        "INFO",
        "dispatcher.mail.send",
        f"sent outbox {sent} for {ref} to 2 recipients",
    ) in lines
    [retry] = [t for lvl, lg, t in lines if lvl == "WARNING" and lg == "dispatcher.mail.send"]
    assert retry.startswith(f"retry outbox {retried} for {ref}: attempt 1, next try ")
    assert "(452, b'mailbox full')" in retry
    next_try = retry.split("next try ", 1)[1][:25]
    assert datetime.fromisoformat(next_try).utcoffset() == datetime.now().astimezone().utcoffset()
    [failure] = [t for lvl, lg, t in lines if lvl == "ERROR"]
    assert failure.startswith(f"failed outbox {failed} for {ref} after 1 attempt: ")
    assert "550" in failure
    assert ("INFO", "dispatcher.watch", "outbox: 2 sent, 1 to retry, 1 failed") in lines
    assert "secret" not in result.stdout.lower()
    assert "Секрет" not in result.stdout
    # Nothing was due the second time; --quiet shows no INFO line in any case.
    assert quiet.exit_code == 0
    assert all(level != "INFO" for level, _, _ in _lines(quiet.stdout))


def test_quiet_keeps_warnings_and_errors(
    store: Store, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = world(store)
    ticket = new_ticket(store, w, now=datetime.now(UTC))
    assert ticket.id is not None
    handler = Picky(refuse={"full@acme.example": "452 mailbox full"})
    with serve(handler) as port:
        monkeypatch.setenv("DISPATCHER_SMTP__HOST", "127.0.0.1")
        monkeypatch.setenv("DISPATCHER_SMTP__PORT", str(port))
        _queue_mail(store, ticket.id, "anna@acme.example", "full@acme.example")
        result = runner.invoke(app, ["watch", "--db", db_url, "--once", "--quiet"])
    assert result.exit_code == 0, result.output
    assert [(lvl, lg) for lvl, lg, _ in _lines(result.stdout)] == [
        ("WARNING", "dispatcher.mail.send")
    ]


def test_a_server_that_is_down_is_a_retry_line_per_message(
    store: Store, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.notify.smtp import free_port

    w = world(store)
    ticket = new_ticket(store, w, now=datetime.now(UTC))
    assert ticket.id is not None
    monkeypatch.setenv("DISPATCHER_SMTP__HOST", "127.0.0.1")
    monkeypatch.setenv("DISPATCHER_SMTP__PORT", str(free_port()))
    ids = [1, *_queue_mail(store, ticket.id, "anna@acme.example", "bob@acme.example")]
    result = runner.invoke(app, ["watch", "--db", db_url, "--once", "--quiet"])
    assert result.exit_code == 0, result.output
    lines = _lines(result.stdout)
    assert [t.split(":")[0] for _, _, t in lines] == [
        f"retry outbox {i} for #{ticket.id}" for i in ids
    ]
    assert all("attempt 0" in t and "Connection" in t for _, _, t in lines)


def test_a_fetch_is_one_info_line(
    store: Store, now: datetime, caplog: pytest.LogCaptureFixture
) -> None:
    from dispatcher.intake.pipeline import ingest_all, log_fetch
    from dispatcher.intake.sources import RawMail
    from tests.intake.helpers import corpus

    world(store)
    mails = [
        RawMail(source=f"t{i}", data=corpus(name))
        for i, name in enumerate(("plain_utf8.eml", "cp1251.eml", "no_sender.eml"))
    ]
    summary = ingest_all(store, mails, clock=lambda: now)
    with caplog.at_level(logging.DEBUG, logger="dispatcher.mail.fetch"):
        log_fetch("imap://mail.example/INBOX", summary)
        log_fetch("imap://mail.example/INBOX", type(summary)())
    first, empty = caplog.records
    assert (first.levelname, first.name) == ("INFO", "dispatcher.mail.fetch")
    assert first.getMessage() == (
        "fetched imap://mail.example/INBOX: 3 messages "
        "(2 new tickets, 0 threaded, 1 quarantined, 0 held)"
    )
    assert empty.levelname == "DEBUG"


def test_without_watch_nothing_reaches_the_terminal(
    store: Store, now: datetime, capsys: pytest.CaptureFixture[str]
) -> None:
    from dispatcher.notify.sender import SmtpAccount, deliver_due
    from tests.notify.smtp import free_port

    w = world(store)
    ticket = new_ticket(store, w, now=datetime.now(UTC))
    assert ticket.id is not None
    _queue_mail(store, ticket.id, "anna@acme.example")
    result = deliver_due(store, SmtpAccount(host="127.0.0.1", port=free_port(), timeout=2))
    assert len(result.retrying) == 2  # WARNINGs were logged, and nobody configured logging
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", "")
