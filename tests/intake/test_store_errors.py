"""A store that cannot take mail now delays it and quarantines none; released quarantined
mail is read again by today's parser."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from sqlmodel import select

from dispatcher.intake.pipeline import RetryLater, ingest, ingest_all, release
from dispatcher.intake.sources import RawMail, iter_path
from dispatcher.store.db.engine import Store
from dispatcher.store.mail import inbound, quarantine
from dispatcher.store.mail.inbound import Outcome
from dispatcher.store.models import Attachment, Message, Ticket
from tests.cli.helpers import error, ok
from tests.factories import world
from tests.intake.helpers import corpus, make_maildir
from tests.intake.locks import impatient_store, lock_past_one_timeout


@pytest.fixture
def busy(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """SQLite on purpose: the lock is SQLite's write lock."""
    store = impatient_store(sqlite_url, monkeypatch)
    world(store)
    yield store
    store.dispose()


def _stored(store: Store) -> tuple[int, int]:
    with store.read() as session:
        messages = len(session.exec(select(Message.id)).all())
        return messages, len(quarantine.quarantined(session, include_released=True))


def test_a_locked_database_defers_mail_and_quarantines_none(
    busy: Store, sqlite_url: str, tmp_path: Path, now: datetime
) -> None:
    maildir = make_maildir(tmp_path / "Maildir", 3)
    with lock_past_one_timeout(sqlite_url) as errors:
        with pytest.raises(RetryLater, match="database is locked"):
            ingest_all(busy, iter_path(maildir), clock=lambda: now)
    assert len(errors) == 1  # the lock was let go at once: quarantining would have worked
    assert _stored(busy) == (0, 0)
    # An unreadable message waits too: its quarantine is a write like any other.
    with lock_past_one_timeout(sqlite_url), pytest.raises(RetryLater, match="locked"):
        ingest(busy, RawMail(source="empty.eml", data=corpus("empty.eml")), now=now)
    assert _stored(busy) == (0, 0)
    assert len(list((maildir / "new").iterdir())) == 3  # the source still has every message
    summary = ingest_all(busy, iter_path(maildir), clock=lambda: now)
    assert (summary.read, summary.new_tickets, summary.quarantined) == (3, 3, 0)


def test_an_import_into_a_locked_database_fails_and_can_be_run_again(
    busy: Store, sqlite_url: str, tmp_path: Path
) -> None:
    maildir = make_maildir(tmp_path / "Maildir", 2)
    with lock_past_one_timeout(sqlite_url):
        line = error(sqlite_url, "intake", "import", str(maildir))
    assert "database is locked" in line
    assert _stored(busy) == (0, 0)
    summary = json.loads(ok(sqlite_url, "intake", "import", str(maildir), "--json").stdout)
    assert (summary["new_tickets"], summary["quarantined"], summary["duplicates"]) == (2, 0, 0)


@pytest.mark.parametrize(
    ("error", "quarantined"),
    [
        (OperationalError("INSERT", {}, sqlite3.OperationalError("disk I/O error")), False),
        (DataError("INSERT", {}, ValueError("value too long for type varchar(500)")), True),
    ],
    ids=["unavailable", "content"],
)
def test_only_a_value_the_store_cannot_take_is_quarantined(
    store: Store,
    now: datetime,
    monkeypatch: pytest.MonkeyPatch,
    error: DBAPIError,
    quarantined: bool,
) -> None:
    world(store)

    def failing(*args: object, **kwargs: object) -> object:
        raise error

    monkeypatch.setattr(inbound, "receive", failing)
    mail = RawMail(source="plain.eml", data=corpus("plain_utf8.eml"))
    if quarantined:
        assert ingest(store, mail, now=now).outcome == Outcome.quarantined
    else:
        with pytest.raises(RetryLater, match="disk I/O error"):
            ingest(store, mail, now=now)
    assert _stored(store) == (0, int(quarantined))


ATTACHED = (
    b"From: Anna Client <anna@acme.example>\r\nTo: support@helpdesk.example\r\n"
    b"Subject: " + "Отчёт за ноябрь".encode("cp1251") + b"\r\n"
    b"Message-ID: <released-1@acme.example>\r\nMIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n'
    b"--b1\r\nContent-Type: text/plain; charset=windows-1251\r\n\r\n"
    + "Отчёт во вложении.".encode("cp1251")
    + b'\r\n--b1\r\nContent-Type: application/pdf; name="'
    + "отчёт.pdf".encode("cp1251")
    + b'"\r\nContent-Disposition: attachment; filename="'
    + "отчёт.pdf".encode("cp1251")
    + b'"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b1--\r\n'
)


def test_a_released_message_is_parsed_again_into_a_normal_ticket(
    store: Store, now: datetime
) -> None:
    world(store)
    with store.write() as session:  # as an older parser left it
        row, _ = quarantine.quarantine(
            session,
            raw=ATTACHED,
            source="imap://mail/INBOX;UID=7",
            reason="could not be parsed: AttributeError: 'Header' object has no attribute 'split'",
            now=now,
        )
    assert row.id is not None
    result = release(store, quarantine_id=row.id, now=now)
    assert result.outcome == Outcome.new_ticket
    with store.read() as session:
        ticket = session.get(Ticket, result.ticket_id)
        [message] = session.exec(select(Message)).all()
        attachments = session.exec(select(Attachment)).all()
        assert quarantine.quarantined(session) == []
    assert ticket is not None
    assert ticket.subject == "Отчёт за ноябрь"
    assert (message.from_address, message.message_id) == (
        "anna@acme.example",
        "<released-1@acme.example>",
    )
    assert message.body == "Отчёт во вложении."
    assert [(a.filename, a.size) for a in attachments] == [("отчёт.pdf", 9)]
