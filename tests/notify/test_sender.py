"""The outbox sender against a real SMTP server: threading headers, outages, exactly once."""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
from typer.testing import CliRunner

from dispatcher.cli import app
from dispatcher.domain.enums import OutboxStatus
from dispatcher.domain.notification_templates import NotificationTemplates
from dispatcher.intake.parse import parse_message
from dispatcher.notify.sender import SmtpAccount, deliver_due
from dispatcher.store.db.engine import Store
from dispatcher.store.mail import inbound, outbox
from dispatcher.store.models import OutboxItem
from tests.factories import world
from tests.intake.helpers import feed
from tests.notify.sinks import Picky, serve
from tests.notify.smtp import free_port, smtp_server


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def _items(store: Store) -> list[OutboxItem]:
    with store.read() as session:
        return outbox.items(session)


def test_sent_mail_threads_back_onto_its_ticket(store: Store, now: datetime) -> None:
    world(store)
    ticket_id = feed(store, "plain_utf8.eml", now=now).ticket_id
    with smtp_server() as (server, port):
        result = deliver_due(store, SmtpAccount(host="127.0.0.1", port=port), clock=Clock(now))
    [item] = _items(store)
    assert result.sent == [item.id]
    assert item.status == OutboxStatus.sent
    assert item.attempts == 1
    [mail] = server.messages
    assert server.envelopes == [["anna@acme.example"]]
    assert mail["Message-ID"] == item.message_id
    assert mail["In-Reply-To"] == "<plain-1@acme.example>"
    assert mail["References"] == "<plain-1@acme.example>"
    assert mail["Subject"] == f"[#{ticket_id}] We have your request: VPN is down"
    assert mail["Auto-Submitted"] == "auto-generated"
    assert parsedate_to_datetime(mail["Date"]) == now  # the injected clock, not the wall's
    # The client's answer to it threads back by In-Reply-To alone.
    answer = (
        f"From: anna@acme.example\r\nSubject: Re: thanks\r\nMessage-ID: <a-1@acme.example>\r\n"
        f"In-Reply-To: {mail['Message-ID']}\r\n\r\nMore details.\r\n"
    ).encode()
    with store.write() as session:
        result2 = inbound.receive(
            session, mail=parse_message(answer), raw=answer, source="t", now=now
        )
    assert result2.ticket_id == ticket_id


def test_configured_templates_are_what_is_sent_and_kept(store: Store, now: datetime) -> None:
    world(store)
    feed(store, "plain_utf8.eml", now=now)
    templates = NotificationTemplates(
        {"acknowledgement": {"subject": "Принято: {{ subject }}", "body": "Номер {{ ticket }}"}}
    )
    with smtp_server() as (server, port):
        deliver_due(
            store, SmtpAccount(host="127.0.0.1", port=port), templates=templates, clock=Clock(now)
        )
    [item] = _items(store)
    [mail] = server.messages
    assert mail["Subject"] == f"[#{item.ticket_id}] Принято: VPN is down"
    assert mail.get_content().strip() == f"Номер #{item.ticket_id}"
    assert (item.subject, item.body.strip()) == (mail["Subject"], f"Номер #{item.ticket_id}")


def test_a_server_that_is_down_delays_mail_and_loses_none(store: Store, now: datetime) -> None:
    world(store)
    for name in ("plain_utf8.eml", "cp1251.eml", "html_only.eml"):
        feed(store, name, now=now)
    port = free_port()  # nobody listens here yet
    account = SmtpAccount(host="127.0.0.1", port=port, timeout=2)
    clock = Clock(now)
    first = deliver_due(store, account, clock=clock)
    assert first.sent == []
    assert len(first.retrying) == 3
    items = _items(store)
    # Waiting for the server uses no attempt: a day's outage gives nothing up.
    assert {(i.status, i.attempts) for i in items} == {(OutboxStatus.pending, 0)}
    assert all(i.next_attempt_at == now + outbox.DEFER for i in items)
    assert all("ConnectionRefused" in i.last_error for i in items)
    # Before the wait ends nothing is tried.
    clock.now = now + timedelta(seconds=30)
    assert deliver_due(store, account, clock=clock).retrying == []
    for _ in range(outbox.MAX_ATTEMPTS + 1):
        clock.now += outbox.DEFER
        assert len(deliver_due(store, account, clock=clock).retrying) == 3
    assert {(i.status, i.attempts) for i in _items(store)} == {(OutboxStatus.pending, 0)}
    # The server comes up: each message goes exactly once, however often the sender runs.
    with smtp_server(port) as (server, _):
        clock.now += outbox.DEFER
        third = deliver_due(store, account, clock=clock)
        deliver_due(store, account, clock=clock)
        clock.now += timedelta(hours=2)
        deliver_due(store, account, clock=clock)
    assert len(third.sent) == 3
    assert len(server.messages) == 3
    assert len({m["Message-ID"] for m in server.messages}) == 3
    assert {(i.status, i.attempts) for i in _items(store)} == {(OutboxStatus.sent, 1)}


def _enqueue(store: Store, now: datetime, *addresses: str) -> list[OutboxItem]:
    with store.write() as session:
        return [
            outbox.enqueue(
                session, kind="reply", to_addresses=a, subject=f"to {a}", body="Hello.", now=now
            )
            for a in addresses
        ]


def test_one_refused_recipient_is_that_messages_error_alone(store: Store, now: datetime) -> None:
    full, gone, fine = (
        i.id
        for i in _enqueue(store, now, "full@acme.example", "gone@acme.example", "ok@acme.example")
    )
    server = Picky(
        refuse={
            "full@acme.example": "452 4.2.2 Mailbox full",
            "gone@acme.example": "550 5.1.1 No such user",
        }
    )
    clock = Clock(now)
    with serve(server) as port:
        account = SmtpAccount(host="127.0.0.1", port=port)
        result = deliver_due(store, account, clock=clock)
        assert (result.sent, result.retrying, result.failed) == ([fine], [full], [gone])
        rows = {i.id: i for i in _items(store)}
        # The full mailbox: that message alone waits its backoff, one attempt used.
        assert (rows[full].status, rows[full].attempts) == (OutboxStatus.pending, 1)
        assert rows[full].next_attempt_at == now + outbox.backoff(1)
        assert "452" in rows[full].last_error
        assert "Mailbox full" in rows[full].last_error
        # The unknown user: failed for good, with its own reason.
        assert rows[gone].status == OutboxStatus.failed
        assert "550" in rows[gone].last_error
        assert "452" not in rows[gone].last_error
        # The third reached the server and went.
        assert rows[fine].status == OutboxStatus.sent
        assert [m["To"] for m in server.messages] == ["ok@acme.example"]
        # The mailbox has room again: the retry goes; the failed one is not tried again.
        server.refuse.pop("full@acme.example")
        clock.now += outbox.backoff(1)
        assert deliver_due(store, account, clock=clock).sent == [full]
        clock.now += timedelta(hours=2)
        assert deliver_due(store, account, clock=clock).sent == []
    assert [m["To"] for m in server.messages] == ["ok@acme.example", "full@acme.example"]
    assert {i.id: i.status for i in _items(store)} == {
        full: OutboxStatus.sent,
        gone: OutboxStatus.failed,
        fine: OutboxStatus.sent,
    }


def test_a_server_closing_the_session_defers_the_batch_without_an_attempt(
    store: Store, now: datetime
) -> None:
    first, second, third = _enqueue(
        store, now, "a@acme.example", "b@acme.example", "c@acme.example"
    )
    server = Picky(refuse_data={second.message_id: "421 4.3.2 Shutting down"})
    with serve(server) as port:
        result = deliver_due(store, SmtpAccount(host="127.0.0.1", port=port), clock=Clock(now))
    assert (result.sent, result.retrying) == ([first.id], [second.id, third.id])
    rows = {i.id: i for i in _items(store)}
    assert rows[first.id].status == OutboxStatus.sent
    for waiting in (rows[second.id], rows[third.id]):
        assert (waiting.status, waiting.attempts) == (OutboxStatus.pending, 0)
        assert waiting.next_attempt_at == now + outbox.DEFER
        assert "421" in waiting.last_error
    assert [m["To"] for m in server.messages] == ["a@acme.example"]


def test_a_dead_senders_claim_expires_and_the_mail_still_goes(store: Store, now: datetime) -> None:
    world(store)
    feed(store, "plain_utf8.eml", now=now)
    with store.write() as session:
        [claimed] = outbox.claim_due(session, now=now, owner="dead")  # then the sender dies
    with smtp_server() as (server, port):
        account = SmtpAccount(host="127.0.0.1", port=port)
        assert deliver_due(store, account, clock=Clock(now + timedelta(minutes=1))).sent == []
        assert deliver_due(store, account, clock=Clock(now + outbox.LEASE)).sent == [claimed.id]
    assert len(server.messages) == 1
    with store.write() as session:  # the dead sender, back, may no longer mark it
        assert not outbox.mark_sent(session, item_id=claimed.id, owner="dead", now=now)
    [item] = _items(store)
    assert outbox.CLAIM_KEY not in item.headers


def test_a_permanent_refusal_fails_the_item_without_retrying(store: Store, now: datetime) -> None:
    world(store)
    feed(store, "plain_utf8.eml", now=now)
    with smtp_server() as (server, port):
        server.refuse_with = "550 5.1.1 no such user"
        result = deliver_due(store, SmtpAccount(host="127.0.0.1", port=port), clock=Clock(now))
    [item] = _items(store)
    assert result.failed == [item.id]
    assert item.status == OutboxStatus.failed
    assert "550" in item.last_error


def test_backoff_grows_and_is_capped() -> None:
    assert [outbox.backoff(n).total_seconds() / 60 for n in (1, 2, 3, 7, 20)] == [
        1,
        2,
        4,
        60,
        60,
    ]


def test_watch_once_sends_the_outbox_as_configured(
    store: Store, db_url: str, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    world(store)
    feed(store, "plain_utf8.eml", now=now)
    with smtp_server() as (server, port):
        monkeypatch.setenv("DISPATCHER_SMTP__HOST", "127.0.0.1")
        monkeypatch.setenv("DISPATCHER_SMTP__PORT", str(port))
        result = CliRunner().invoke(app, ["watch", "--db", db_url, "--once"])
    assert result.exit_code == 0, result.output
    assert "outbox: 1 sent, 0 to retry, 0 failed" in result.stdout
    assert len(server.messages) == 1
