"""A mail server that refuses our login or cannot be reached is shown in the console's
header to leads ("mail: SMTP login failed 10:30"), and the marker goes once it works
again. A real SMTP server (aiosmtpd, with a password) and a closed port for IMAP; the
mail jobs are run by hand, as the scheduler would run them, in a thread."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from dispatcher.app import DispatcherApp
from dispatcher.config import load_settings
from dispatcher.identity import sign_in
from dispatcher.intake.imap import ImapAccount
from dispatcher.notify.sender import SmtpAccount
from dispatcher.scheduling import MailJobs, MailStatus
from dispatcher.screens.context import Intervals
from dispatcher.store.db.engine import Store
from dispatcher.store.people import users
from tests.conftest import NOW
from tests.factories import world
from tests.intake.helpers import feed
from tests.notify.smtp import Recorder, free_port
from tests.ui.harness import settle

SIZE = (120, 30)
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
USER, PASSWORD = "desk", "right"


def _authenticate(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)  # not handled: aiosmtpd answers 535


@contextmanager
def smtp_with_password() -> Iterator[tuple[Recorder, int]]:
    recorder, port = Recorder(), free_port()
    controller = Controller(
        recorder,
        hostname="127.0.0.1",
        port=port,
        authenticator=_authenticate,
        auth_required=True,
        auth_require_tls=False,  # loopback only
    )
    controller.start()
    try:
        yield recorder, port
    finally:
        controller.stop()


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def _console(store: Store, login: str) -> DispatcherApp:
    return DispatcherApp(
        settings=load_settings(),
        store=store,
        operator=sign_in(store, login),
        run_scheduler=False,
        intervals=Intervals.manual(),
    )


def _setup(store: Store) -> None:
    w = world(store)
    with store.write() as session:
        users.edit_user(session, user_id=w.lead.id or 0, timezone="Europe/Moscow")
    feed(store, "plain_utf8.eml", now=NOW)  # its acknowledgement waits in the outbox


async def test_a_refused_smtp_login_shows_to_leads_until_it_works(store: Store) -> None:
    _setup(store)
    clock = Clock(NOW)
    app = _console(store, "lena")
    with smtp_with_password() as (server, port):
        account = SmtpAccount(host="127.0.0.1", port=port, username=USER, password="wrong")
        mail = MailJobs(store=store, smtp=account, clock=clock, on_status=app.mail_status)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert "mail:" not in app.sub_title
            result = await asyncio.to_thread(mail.send_outbox)
            assert result is not None
            assert result.sent == []
            await settle(pilot)
            assert "mail: SMTP login failed 10:30" in app.sub_title  # 07:30 UTC, in Moscow
            # The next run fails the same way: still one marker, still the first time.
            clock.now = NOW + timedelta(minutes=1)
            await asyncio.to_thread(mail.send_outbox)
            await settle(pilot)
            assert app.sub_title.count("mail:") == 1
            assert "SMTP login failed 10:30" in app.sub_title
            # The password is fixed: the marker goes once the server takes the login.
            mail.smtp = SmtpAccount(host="127.0.0.1", port=port, username=USER, password=PASSWORD)
            clock.now = NOW + timedelta(hours=1)
            await asyncio.to_thread(mail.send_outbox)
            await settle(pilot)
            assert "mail:" not in app.sub_title
    assert len(server.messages) == 1  # the acknowledgement went once it could


async def test_a_server_that_is_not_there_is_a_connection_failure(store: Store) -> None:
    _setup(store)
    app = _console(store, "lena")
    heard: list[MailStatus] = []

    def status(s: MailStatus) -> None:
        heard.append(s)
        app.mail_status(s)

    closed = free_port()  # nothing listens on it
    imap = ImapAccount(host="127.0.0.1", port=closed, username="u", password="p", ssl=False)
    smtp = SmtpAccount(host="127.0.0.1", port=closed)
    mail = MailJobs(store=store, smtp=smtp, imap=imap, clock=Clock(NOW), on_status=status)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert await asyncio.to_thread(mail.poll_imap) is None
        await asyncio.to_thread(mail.send_outbox)
        await settle(pilot)
        assert "mail: IMAP connection failed 10:30" in app.sub_title
        assert "mail: SMTP connection failed 10:30" in app.sub_title
    assert [(s.service, s.problem) for s in heard] == [
        ("IMAP", "connection failed"),
        ("SMTP", "connection failed"),
    ]


async def test_dispatchers_do_not_see_the_mail_marker(store: Store) -> None:
    _setup(store)
    app = _console(store, "olga")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.mail_status(MailStatus("SMTP", "login failed", NOW))
        await settle(pilot)
        assert "mail:" not in app.sub_title
