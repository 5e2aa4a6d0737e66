"""Polling a real IMAP server (dovecot on loopback, started by .ci/run).

Without one these tests are skipped on a laptop, and fail under CI=true. The server is
named by IMAP_TEST_HOST, IMAP_TEST_PORT, IMAP_TEST_USER and IMAP_TEST_PASSWORD; each test
works in a folder of its own.
"""

from __future__ import annotations

import dataclasses
import imaplib
import os
import uuid
from collections.abc import Iterator
from datetime import datetime

import pytest
from sqlmodel import select

from dispatcher.intake.imap import ImapAccount, ImapError, poll
from dispatcher.store.db.engine import Store
from dispatcher.store.mail import inbound, quarantine
from dispatcher.store.models import Message
from tests.conftest import IN_CI
from tests.factories import world
from tests.intake.helpers import corpus
from tests.intake.locks import impatient_store, lock_past_one_timeout

HOST = os.environ.get("IMAP_TEST_HOST")
PORT = int(os.environ.get("IMAP_TEST_PORT", "0") or 0)
USER = os.environ.get("IMAP_TEST_USER", "")
PASSWORD = os.environ.get("IMAP_TEST_PASSWORD", "")


def _connect() -> imaplib.IMAP4:
    conn = imaplib.IMAP4(HOST or "127.0.0.1", PORT, timeout=10)
    conn.login(USER, PASSWORD)
    return conn


@pytest.fixture
def account() -> Iterator[ImapAccount]:
    if not HOST:
        if IN_CI:
            pytest.fail("an IMAP server is required under CI=true (IMAP_TEST_HOST is not set)")
        pytest.skip("no IMAP server (IMAP_TEST_HOST is not set)")
    folder = f"test-{uuid.uuid4().hex[:10]}"
    conn = _connect()
    assert conn.create(folder)[0] == "OK"
    conn.logout()
    yield ImapAccount(
        host=HOST, port=PORT, username=USER, password=PASSWORD, ssl=False, folder=folder
    )
    conn = _connect()
    for name in (folder, f"{folder}-done"):
        conn.delete(name)
    conn.logout()


def _append(account: ImapAccount, *names: str) -> None:
    conn = _connect()
    for name in names:
        assert conn.append(account.folder, None, None, corpus(name))[0] == "OK"
    conn.logout()


def _flags(folder: str) -> list[bytes]:
    conn = _connect()
    conn.select(folder)
    typ, data = conn.fetch("1:*", "(FLAGS)")
    conn.logout()
    return [d for d in data if isinstance(d, bytes)]


def _count(folder: str) -> int:
    conn = _connect()
    typ, data = conn.select(folder)
    conn.logout()
    return int(data[0] or b"0")


def test_poll_ingests_unseen_mail_and_marks_it_after_the_commit(
    store: Store, now: datetime, account: ImapAccount
) -> None:
    world(store)
    _append(account, "plain_utf8.eml", "cp1251.eml", "reply_in_reply_to.eml", "no_sender.eml")
    summary = poll(store, account, clock=lambda: now)
    assert summary.counts() == {
        "read": 4,
        "new_tickets": 2,
        "threaded": 1,
        "auto_replies": 0,
        "bounces": 0,
        "duplicates": 0,
        "quarantined": 1,
        "held": 0,
    }
    assert all(b"\\Seen" in f for f in _flags(account.folder))
    # Seen mail is not read again.
    assert poll(store, account, clock=lambda: now).read == 0
    with store.read() as session:
        assert len(session.exec(select(Message)).all()) == 3
        assert len(quarantine.quarantined(session)) == 1


def test_a_failed_commit_leaves_the_message_unseen(
    store: Store, now: datetime, account: ImapAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    world(store)
    _append(account, "plain_utf8.eml")

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(inbound, "receive", broken)
    with pytest.raises(RuntimeError):
        poll(store, account, clock=lambda: now)
    assert not any(b"\\Seen" in f for f in _flags(account.folder))
    monkeypatch.undo()
    assert poll(store, account, clock=lambda: now).new_tickets == 1
    assert all(b"\\Seen" in f for f in _flags(account.folder))


def test_processed_mail_is_moved(store: Store, now: datetime, account: ImapAccount) -> None:
    world(store)
    _append(account, "plain_utf8.eml", "out_of_office_en.eml")
    moving = dataclasses.replace(account, processed_folder=f"{account.folder}-done")
    summary = poll(store, moving, clock=lambda: now)
    assert (summary.read, summary.new_tickets, summary.auto_replies) == (2, 1, 1)
    assert _count(account.folder) == 0
    assert _count(f"{account.folder}-done") == 2


def test_wrong_password_is_a_clear_error(account: ImapAccount, store: Store) -> None:
    bad = dataclasses.replace(account, password="wrong")
    with pytest.raises(ImapError, match="IMAP"):
        poll(store, bad)


def test_a_locked_database_leaves_the_mail_unseen_and_quarantines_none(
    sqlite_url: str, now: datetime, account: ImapAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = impatient_store(sqlite_url, monkeypatch)  # SQLite: the lock is SQLite's
    try:
        world(store)
        _append(account, "plain_utf8.eml", "cp1251.eml")
        with lock_past_one_timeout(sqlite_url) as errors:
            summary = poll(store, account, clock=lambda: now)
        assert len(errors) == 1  # let go after the first message's write timed out
        assert summary.read == 0
        assert "database is locked" in summary.stopped
        assert not any(b"\\Seen" in f for f in _flags(account.folder))
        with store.read() as session:
            assert quarantine.quarantined(session) == []
            assert session.exec(select(Message)).all() == []
        summary = poll(store, account, clock=lambda: now)
        assert (summary.new_tickets, summary.quarantined, summary.stopped) == (2, 0, "")
        assert all(b"\\Seen" in f for f in _flags(account.folder))
    finally:
        store.dispose()


def test_the_poll_keeps_the_configured_attachment_limits(
    store: Store, now: datetime, account: ImapAccount
) -> None:
    from dispatcher.intake.parse import IntakeLimits
    from dispatcher.store.models import Attachment

    world(store)
    _append(account, "attachments.eml")
    summary = poll(store, account, clock=lambda: now, limits=IntakeLimits(max_attachments=0))
    assert summary.new_tickets == 1
    with store.read() as session:
        assert session.exec(select(Attachment)).all() == []
        [message] = session.exec(select(Message)).all()
        assert "not kept" in message.body
