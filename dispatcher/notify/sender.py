"""The outbox sender: claims due mail, delivers it over SMTP, marks it sent or retries.

Each message carries its Message-ID, In-Reply-To/References (from the outbox row) and the
ticket reference in its subject, so answers thread back onto the ticket.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses

from dispatcher.domain.clock import Clock, utcnow
from dispatcher.domain.errors import DispatcherError
from dispatcher.domain.notification_templates import DEFAULT_TEMPLATES, NotificationTemplates
from dispatcher.domain.ticket_ref import subject_with_ref
from dispatcher.store.db.engine import Store
from dispatcher.store.mail import outbox
from dispatcher.store.mail.notifications import TEMPLATE_KEY

log = logging.getLogger(__name__)
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
    if isinstance(template, dict) and templates is not DEFAULT_TEMPLATES:
        try:
            rendered = templates.render(str(template["kind"]), dict(template["context"]))
            subject, body = rendered.subject, rendered.body
        except (DispatcherError, KeyError, TypeError) as exc:
            log.warning("outbox %s: template failed, sending the default text: %s", item.id, exc)
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
    """The server refused the message for good (5xx): retrying would not help."""


def send(message: EmailMessage, account: SmtpAccount) -> None:
    """Deliver one message; raises OSError/SMTPException (retry) or PermanentError."""
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if account.ssl:
        smtp = smtplib.SMTP_SSL(
            account.host, account.port, timeout=account.timeout, context=context
        )
    else:
        smtp = smtplib.SMTP(account.host, account.port, timeout=account.timeout)
    with smtp:
        if account.starttls and not account.ssl:
            smtp.starttls(context=context)
        if account.username:
            smtp.login(account.username, account.password)
        recipients = [a for _, a in getaddresses([message["To"] or "", message["Cc"] or ""]) if a]
        try:
            refused = smtp.send_message(message, to_addrs=recipients)
        except smtplib.SMTPRecipientsRefused as exc:
            if all(code >= 500 for code, _ in exc.recipients.values()):
                raise PermanentError(f"every recipient refused: {exc.recipients}") from exc
            raise
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code >= 500:
                raise PermanentError(f"{exc.smtp_code} {exc.smtp_error!r}") from exc
            raise
        if refused:
            log.warning("some recipients refused %s: %s", message["Message-ID"], refused)


@dataclass
class SendResult:
    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def deliver_due(
    store: Store,
    account: SmtpAccount,
    *,
    templates: NotificationTemplates = DEFAULT_TEMPLATES,
    clock: Clock = utcnow,
    batch: int = 20,
    send_one: Callable[[EmailMessage, SmtpAccount], None] = send,
) -> SendResult:
    """Send everything due, batch by batch; each claim and each mark is its own transaction."""
    result = SendResult()
    while True:
        with store.write() as session:
            claimed = outbox.claim_due(session, now=clock(), limit=batch)
        if not claimed:
            return result
        down, last_error = False, ""
        for item in claimed:
            if down:
                # The server is down: the rest of the batch waits out the same backoff.
                with store.write() as session:
                    outbox.mark_failed(session, item_id=item.id, error=last_error, now=clock())
                result.retrying.append(item.id)
                continue
            outgoing = build(item, account=account, templates=templates, now=clock())
            try:
                send_one(outgoing.message, account)
            except PermanentError as exc:
                with store.write() as session:
                    outbox.mark_failed(
                        session, item_id=item.id, error=str(exc), now=clock(), permanent=True
                    )
                result.failed.append(item.id)
                continue
            except (OSError, smtplib.SMTPException) as exc:
                last_error = f"{type(exc).__name__}: {exc}"
                with store.write() as session:
                    status = outbox.mark_failed(
                        session, item_id=item.id, error=last_error, now=clock()
                    )
                (result.failed if status == "failed" else result.retrying).append(item.id)
                down = isinstance(exc, OSError | smtplib.SMTPServerDisconnected)
                continue
            with store.write() as session:
                outbox.mark_sent(
                    session,
                    item_id=item.id,
                    now=clock(),
                    subject=outgoing.subject,
                    body=outgoing.body,
                )
            result.sent.append(item.id)
        if down or len(claimed) < batch:
            return result
