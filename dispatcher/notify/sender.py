"""The outbox sender: claims due mail, delivers it over SMTP, marks it sent or retries.

What the server says about one message stays that message's: a 4xx (a full mailbox) is
retried with backoff, a 5xx (no such user) fails it for good, and the rest of the batch
goes on. Only a failed session (no connection, no login, a hang-up) holds the batch back,
and that uses no attempt. See `dispatcher.store.mail.outbox` for claims and leases.

Each message carries its Message-ID, In-Reply-To/References (from the outbox row) and the
ticket reference in its subject, so answers thread back onto the ticket.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses

from dispatcher.domain.clock import Clock, utcnow
from dispatcher.domain.enums import OutboxStatus
from dispatcher.domain.errors import DispatcherError
from dispatcher.domain.notification_templates import DEFAULT_TEMPLATES, NotificationTemplates
from dispatcher.domain.ticket_ref import subject_with_ref
from dispatcher.store.db.engine import Store
from dispatcher.store.mail import outbox
from dispatcher.store.mail.notifications import TEMPLATE_KEY

log = logging.getLogger(__name__)
# One line per send, retry and failure, for `dispatcher watch` to show (ids, the ticket and
# how many recipients; never the text). Shown only where a command configures logging.
send_log = logging.getLogger("dispatcher.mail.send")
logging.getLogger("dispatcher.mail").addHandler(logging.NullHandler())
TIMEOUT_SECONDS = 30.0
# Headers the outbox row may set; anything else in its headers is ignored.
_PASSED_HEADERS = ("In-Reply-To", "References", "Auto-Submitted", "X-Dispatcher-Ticket", "Reply-To")


@dataclass(frozen=True, slots=True)
class SmtpAccount:
    host: str
    port: int = 25
    from_address: str = "support@example.com"
    username: str | None = None
    password: str = ""
    starttls: bool = False
    ssl: bool = False
    timeout: float = TIMEOUT_SECONDS


@dataclass(frozen=True, slots=True)
class Outgoing:
    subject: str
    body: str
    message: EmailMessage


def build(
    item: outbox.Claimed, *, account: SmtpAccount, templates: NotificationTemplates, now: datetime
) -> Outgoing:
    """The mail for an outbox row; notifications re-rendered with the configured templates."""
    subject, body = item.subject, item.body
    template = item.headers.get(TEMPLATE_KEY)
    if isinstance(template, dict):  # a notification: its text is rendered now, once
        for chosen in dict.fromkeys((templates, DEFAULT_TEMPLATES)):
            try:
                rendered = chosen.render(str(template["kind"]), dict(template["context"]))
            except (DispatcherError, KeyError, TypeError) as exc:
                log.warning("outbox %s: template failed, trying the default: %s", item.id, exc)
                continue
            subject, body = rendered.subject, rendered.body
            break
    if item.ticket_id is not None:
        subject = subject_with_ref(subject, item.ticket_id)
    message = EmailMessage()
    message["From"] = account.from_address
    message["To"] = item.to_addresses
    if item.cc_addresses:
        message["Cc"] = item.cc_addresses
    message["Subject"] = subject
    message["Message-ID"] = item.message_id
    message["Date"] = format_datetime(now)
    for name in _PASSED_HEADERS:
        value = item.headers.get(name)
        if isinstance(value, str) and value:
            message[name] = value
    message.set_content(body)
    return Outgoing(subject=subject, body=body, message=message)


class PermanentError(Exception):
    """The server refused this message for good (5xx): retrying would not help."""


class TemporaryError(Exception):
    """The server refused this message for now (4xx, e.g. a full mailbox): try it later."""


class ServerUnavailable(Exception):
    """The server cannot take mail now (connect, TLS or login failed; it hung up; 421):
    the fault of no message, so the messages waiting wait without using an attempt."""


class LoginFailed(ServerUnavailable):
    """The server refused the account's user name or password."""


class Disconnected(ServerUnavailable):
    """The connection broke during a message: the rest wait, that one is tried again."""


# Replies about the session or the account, not the message: the server is closing (421),
# TLS or authentication is missing or failed (454, 530, 534, 535, 538).
_SESSION_CODES = frozenset({421, 454, 530, 534, 535, 538})


def open_smtp(account: SmtpAccount) -> smtplib.SMTP:
    """An open, logged-in connection; raises ServerUnavailable."""
    context = ssl.create_default_context()
    try:
        smtp: smtplib.SMTP
        if account.ssl:
            smtp = smtplib.SMTP_SSL(
                account.host, account.port, timeout=account.timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(account.host, account.port, timeout=account.timeout)
        try:
            if account.starttls and not account.ssl:
                smtp.starttls(context=context)
            if account.username:
                smtp.login(account.username, account.password)
        except BaseException:
            smtp.close()
            raise
    except smtplib.SMTPAuthenticationError as exc:
        raise LoginFailed(f"{account.host}:{account.port}: login refused: {exc}") from exc
    except OSError as exc:  # smtplib.SMTPException is an OSError too
        raise ServerUnavailable(
            f"{account.host}:{account.port}: {type(exc).__name__}: {exc}"
        ) from exc
    return smtp


def _close(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except OSError:
        smtp.close()


def send(smtp: smtplib.SMTP, message: EmailMessage) -> None:
    """Deliver one message on an open connection.

    Raises PermanentError or TemporaryError for what the server said about this message,
    ServerUnavailable when the session itself failed. (smtplib's errors are all OSErrors,
    so they are told apart here, by kind and reply code, before anything is retried.)
    """
    recipients = [a for _, a in getaddresses([message["To"] or "", message["Cc"] or ""]) if a]
    if not recipients:
        raise PermanentError("no recipient address")
    try:
        refused = smtp.send_message(message, to_addrs=recipients)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = {code for code, _ in exc.recipients.values()}
        if codes & _SESSION_CODES:
            raise ServerUnavailable(f"every recipient refused: {exc.recipients}") from exc
        if all(code >= 500 for code in codes):
            raise PermanentError(f"every recipient refused: {exc.recipients}") from exc
        raise TemporaryError(f"every recipient refused: {exc.recipients}") from exc
    except smtplib.SMTPServerDisconnected as exc:
        raise Disconnected(f"the server hung up: {exc}") from exc
    except smtplib.SMTPResponseException as exc:  # MAIL FROM or DATA refused
        error = f"{exc.smtp_code} {exc.smtp_error!r}"
        if exc.smtp_code in _SESSION_CODES:
            raise ServerUnavailable(error) from exc
        if exc.smtp_code >= 500:
            raise PermanentError(error) from exc
        raise TemporaryError(error) from exc
    except smtplib.SMTPException as exc:  # e.g. the message needs SMTPUTF8 the server lacks
        raise TemporaryError(f"{type(exc).__name__}: {exc}") from exc
    except OSError as exc:  # the socket: a timeout, a reset
        raise Disconnected(f"{type(exc).__name__}: {exc}") from exc
    if refused:
        log.warning("some recipients refused %s: %s", message["Message-ID"], refused)


@dataclass
class SendResult:
    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)  # refused for now, or server unreachable
    failed: list[int] = field(default_factory=list)
    taken_over: list[int] = field(default_factory=list)  # another sender's before we sent it
    connected: bool = False  # a session was opened (and logged in)
    unavailable: ServerUnavailable | None = None  # why the server could not take mail


@dataclass
class _Run:
    store: Store
    account: SmtpAccount
    templates: NotificationTemplates
    clock: Clock
    lease: timedelta
    owner: str = field(default_factory=outbox.new_owner)
    result: SendResult = field(default_factory=SendResult)

    def defer(self, items: list[outbox.Claimed], error: str) -> None:
        """The server is unreachable: these wait, their attempts untouched."""
        deferred = []
        with self.store.write() as session:
            for item in items:
                if outbox.defer(
                    session, item_id=item.id, owner=self.owner, error=error, now=self.clock()
                ):
                    self.result.retrying.append(item.id)
                    deferred.append(item)
        for item in deferred:
            attempt = max(item.attempts - 1, 0)  # the claim's attempt is given back
            _log_retry(item, attempt=attempt, at=self.clock() + outbox.DEFER, why=error)

    def failed(self, item: outbox.Claimed, error: str, *, permanent: bool = False) -> None:
        with self.store.write() as session:
            status = outbox.mark_failed(
                session,
                item_id=item.id,
                owner=self.owner,
                error=error,
                now=self.clock(),
                permanent=permanent,
            )
        if status == OutboxStatus.failed:
            self.result.failed.append(item.id)
            send_log.error(
                "failed outbox %s%s after %s attempt%s: %s",
                item.id,
                _for(item),
                item.attempts,
                "s" if item.attempts != 1 else "",
                _one_line(error),
            )
        elif status is not None:
            self.result.retrying.append(item.id)
            at = self.clock() + outbox.backoff(item.attempts)
            _log_retry(item, attempt=item.attempts, at=at, why=error)
        else:  # taken over by another sender while the server answered
            self.result.taken_over.append(item.id)

    def deliver(self, smtp: smtplib.SMTP, claimed: list[outbox.Claimed]) -> bool:
        """Send a claimed batch on one connection; False if the server went away."""
        for index, item in enumerate(claimed):
            # The claim is checked, and its lease renewed, just before each send: a row
            # another sender took over while this batch was slow is theirs, not sent here.
            with self.store.write() as session:
                mine = outbox.renew(
                    session, item_id=item.id, owner=self.owner, now=self.clock(), lease=self.lease
                )
            if not mine:
                self.result.taken_over.append(item.id)
                continue
            outgoing = build(item, account=self.account, templates=self.templates, now=self.clock())
            try:
                send(smtp, outgoing.message)
            except PermanentError as exc:
                self.failed(item, str(exc), permanent=True)
                continue
            except TemporaryError as exc:
                self.failed(item, str(exc))
                continue
            except Disconnected as exc:
                # Perhaps this message's fault (too big for the server, say): it uses an
                # attempt, so it cannot hold the rest back forever; they wait without one.
                self.failed(item, str(exc))
                self.defer(claimed[index + 1 :], str(exc))
                return False
            except ServerUnavailable as exc:
                self.result.unavailable = exc
                self.defer(claimed[index:], str(exc))
                return False
            with self.store.write() as session:
                marked = outbox.mark_sent(
                    session,
                    item_id=item.id,
                    owner=self.owner,
                    now=self.clock(),
                    subject=outgoing.subject,
                    body=outgoing.body,
                )
            if marked:
                self.result.sent.append(item.id)
                count = len(_recipients(outgoing.message))
                send_log.info(
                    "sent outbox %s%s to %s recipient%s",
                    item.id,
                    _for(item),
                    count,
                    "s" if count != 1 else "",
                )
            else:  # the lease ran out during the send: the new owner may send it again
                log.warning("outbox %s: sent, but its claim was taken over meanwhile", item.id)
                self.result.taken_over.append(item.id)
        return True


def _for(item: outbox.Claimed) -> str:
    return f" for #{item.ticket_id}" if item.ticket_id is not None else ""


def _one_line(text: str) -> str:
    return " ".join(text.split())[:500]


def _recipients(message: EmailMessage) -> list[str]:
    return [a for _, a in getaddresses([message["To"] or "", message["Cc"] or ""]) if a]


def _log_retry(item: outbox.Claimed, *, attempt: int, at: datetime, why: str) -> None:
    """A WARNING: the message waits; `attempt` is how many tries it has used."""
    send_log.warning(
        "retry outbox %s%s: attempt %s, next try %s: %s",
        item.id,
        _for(item),
        attempt,
        at.astimezone().isoformat(sep=" ", timespec="seconds"),
        _one_line(why),
    )


def deliver_due(
    store: Store,
    account: SmtpAccount,
    *,
    templates: NotificationTemplates = DEFAULT_TEMPLATES,
    clock: Clock = utcnow,
    batch: int = 20,
    lease: timedelta = outbox.LEASE,
    connect: Callable[[SmtpAccount], smtplib.SMTP] = open_smtp,
) -> SendResult:
    """Send everything due, batch by batch, one connection per batch.

    Each claim, renewal and mark is its own short transaction. A message the server refuses
    is retried with backoff (4xx) or failed (5xx) on its own; a server that cannot be
    reached defers the batch without using an attempt, and ends the run.
    """
    run = _Run(store=store, account=account, templates=templates, clock=clock, lease=lease)
    while True:
        with store.write() as session:
            claimed = outbox.claim_due(
                session, now=clock(), owner=run.owner, limit=batch, lease=lease
            )
        if not claimed:
            return run.result
        try:
            smtp = connect(account)
        except ServerUnavailable as exc:
            run.result.unavailable = exc
            run.defer(claimed, str(exc))
            return run.result
        run.result.connected = True
        try:
            reachable = run.deliver(smtp, claimed)
        finally:
            _close(smtp)
        if not reachable or len(claimed) < batch:
            return run.result
