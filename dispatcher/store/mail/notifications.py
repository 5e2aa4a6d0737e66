"""What to queue on which change: the acknowledgement, assignment, resolution, auto-close.

Called from the ticket repository inside the transaction of the change, so the outbox
row commits (or rolls back) with it: nothing is lost. Nothing is rendered in that
transaction: the row holds the kind and the plain values the text is made from
(`_template` in its headers) and a plain subject; the sender renders the text once,
outside any transaction, with the configured templates of whoever sends (checked when
the config was loaded), and records what it sent.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from dispatcher.domain.enums import MessageKind, TicketStatus
from dispatcher.domain.errors import DispatcherError
from dispatcher.domain.language import guess_language
from dispatcher.domain.notification_templates import (
    ACKNOWLEDGEMENT,
    ASSIGNMENT,
    AUTO_CLOSE,
    DEFAULT_TEMPLATES,
    RESOLUTION,
    NotificationTemplates,
)
from dispatcher.domain.templating import Rendered
from dispatcher.domain.ticket_ref import subject_with_ref
from dispatcher.store.mail import outbox, senders
from dispatcher.store.models import (
    Client,
    Contact,
    Message,
    OutboxItem,
    SlaPlan,
    Ticket,
    User,
)
from dispatcher.store.sla.clock import calendar_of_plan

TEMPLATE_KEY = "_template"
_CLOSED_BY_CLIENT = "dispatcher.closed_by_client"
# Addresses that must never get an automatic answer (mail loops).
_NO_REPLY = ("mailer-daemon", "postmaster", "noreply", "no-reply", "do-not-reply", "donotreply")


@contextmanager
def closed_by_client(session: Session) -> Iterator[None]:
    """Within it, closing a resolved ticket is the client's confirmation, not an auto-close."""
    session.info[_CLOSED_BY_CLIENT] = True
    try:
        yield
    finally:
        session.info.pop(_CLOSED_BY_CLIENT, None)


def _zone(session: Session, *, ticket: Ticket) -> tzinfo | None:
    plan = session.get(SlaPlan, ticket.sla_plan_id) if ticket.sla_plan_id else None
    return calendar_of_plan(session, plan=plan).zone if plan else None


def local_time(at: datetime | None, zone: tzinfo | None) -> str:
    """`at` in the local time of the ticket's SLA calendar, e.g. `Wed 18 Nov 2026 14:30 MSK`."""
    if at is None:
        return ""
    local = at.astimezone(zone) if zone is not None else at
    return local.strftime("%a %d %b %Y %H:%M %Z").strip()


@dataclass(frozen=True, slots=True)
class _Thread:
    client_address: str | None
    headers: dict[str, str]


def _thread(session: Session, *, ticket: Ticket) -> _Thread:
    """Where mail to the client goes, and the threading headers: In-Reply-To the latest
    inbound message, References the thread.

    The address is whoever of the client's people last wrote in, else the contact's first
    working address; never anybody `senders.may_receive` refuses (somebody outside the
    client whose message reached the thread by a merge or a dispatcher's say-so), and
    never an address that must not get automatic mail.
    """
    rows = session.execute(
        sa_select(
            col(Message.message_id),
            col(Message.kind),
            col(Message.from_address),
            col(Message.is_auto_reply),
            col(Message.is_bounce),
        )
        .where(col(Message.ticket_id) == ticket.id)
        .order_by(col(Message.created_at), col(Message.id))
    ).all()
    ids = [row[0] for row in rows]
    inbound = [row for row in rows if row[1] == MessageKind.inbound]
    headers: dict[str, str] = {"X-Dispatcher-Ticket": str(ticket.id)}
    if inbound:
        headers["In-Reply-To"] = inbound[-1][0]
    if ids:
        thread = ids[:1] + ids[-9:] if len(ids) > 10 else ids
        headers["References"] = " ".join(dict.fromkeys(thread))
    wrote = [row[2] for row in inbound if row[2] and not row[3] and not row[4]]
    candidates = [*reversed(wrote), *senders.contact_emails(session, contact_id=ticket.contact_id)]
    address = next(
        (
            a
            for a in senders.recipients_on_thread(session, ticket=ticket, addresses=candidates)
            if a.split("@")[0] not in _NO_REPLY
        ),
        None,
    )
    return _Thread(client_address=address, headers=headers)


def client_address(session: Session, *, ticket: Ticket) -> str | None:
    return _thread(session, ticket=ticket).client_address


def context(session: Session, *, ticket: Ticket, **extra: Any) -> dict[str, Any]:
    client = session.get(Client, ticket.client_id) if ticket.client_id else None
    contact = session.get(Contact, ticket.contact_id) if ticket.contact_id else None
    engineer = session.get(User, ticket.assignee_id) if ticket.assignee_id else None
    plan = session.get(SlaPlan, ticket.sla_plan_id) if ticket.sla_plan_id else None
    zone = _zone(session, ticket=ticket)
    return {
        "ticket": ticket.ref,
        "ticket_id": ticket.id,
        "subject": ticket.subject,
        "client": client.name if client else "",
        "contact": contact.name if contact else "",
        "engineer": engineer.name if engineer else "",
        "status": ticket.status.value,
        "first_response_due": local_time(ticket.first_response_due, zone),
        "resolution_due": local_time(ticket.resolution_due, zone),
        "confirm_hours": f"{plan.confirm_window_minutes / 60:g}" if plan else "",
        # The notification's language: the ticket's, from its subject and who it is from.
        "language": guess_language(
            [ticket.subject, client.name if client else "", contact.name if contact else ""]
        ),
        **extra,
    }


def queue_notification(
    session: Session,
    *,
    ticket: Ticket,
    kind: str,
    to: str,
    now: datetime,
    thread: dict[str, str] | None = None,
) -> OutboxItem:
    """Put `kind` in the outbox with the values its text is made from (recorded in the
    history); the sender renders the text when it sends."""
    ctx = context(session, ticket=ticket)
    if thread is None:
        thread = _thread(session, ticket=ticket).headers
    headers: dict[str, Any] = {
        **thread,
        "Auto-Submitted": "auto-generated",
        TEMPLATE_KEY: {"kind": kind, "context": ctx},
    }
    return outbox.enqueue(
        session,
        kind=kind,
        to_addresses=to,
        subject=subject_with_ref(ticket.subject, ticket.id) if ticket.id else ticket.subject,
        body="",
        now=now,
        ticket=ticket,
        headers=headers,
    )


def text_of(
    headers: Mapping[str, Any], templates: NotificationTemplates = DEFAULT_TEMPLATES
) -> Rendered | None:
    """A queued notification's text, as the sender makes it (not in a write, please);
    None for a row that is no notification or whose values do not render."""
    template = headers.get(TEMPLATE_KEY)
    if not isinstance(template, dict):
        return None
    try:
        return templates.render(str(template["kind"]), dict(template["context"]))
    except (DispatcherError, KeyError, TypeError):
        return None


def on_created(session: Session, *, ticket: Ticket, now: datetime) -> None:
    """The acknowledgement: the ticket number and when to expect an answer."""
    session.flush()
    thread = _thread(session, ticket=ticket)
    if thread.client_address is not None:
        queue_notification(
            session,
            ticket=ticket,
            kind=ACKNOWLEDGEMENT,
            to=thread.client_address,
            now=now,
            thread=thread.headers,
        )


def on_assigned(session: Session, *, ticket: Ticket, actor_id: int | None, now: datetime) -> None:
    """Tell the engineer, unless they took it themselves."""
    if ticket.assignee_id is None or ticket.assignee_id == actor_id:
        return
    engineer = session.get(User, ticket.assignee_id)
    if engineer is None or not engineer.email:
        return
    queue_notification(session, ticket=ticket, kind=ASSIGNMENT, to=engineer.email, now=now)


def on_status_changed(
    session: Session,
    *,
    ticket: Ticket,
    old: TicketStatus,
    actor_id: int | None,
    now: datetime,
) -> None:
    """Resolution asks the client to confirm and rate; a timed-out close tells them."""
    if ticket.status == TicketStatus.resolved and old != TicketStatus.resolved:
        kind = RESOLUTION
    elif (
        ticket.status == TicketStatus.closed
        and old == TicketStatus.resolved
        and actor_id is None
        and not session.info.get(_CLOSED_BY_CLIENT)
    ):
        kind = AUTO_CLOSE
    else:
        return
    thread = _thread(session, ticket=ticket)
    if thread.client_address is not None:
        queue_notification(
            session,
            ticket=ticket,
            kind=kind,
            to=thread.client_address,
            now=now,
            thread=thread.headers,
        )
