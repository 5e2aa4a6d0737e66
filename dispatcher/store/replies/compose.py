"""Composing and sending a reply or a note: who it goes to, what changed since the
composer opened, and the write that sends it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from dispatcher.domain.enums import EventKind, MessageKind
from dispatcher.domain.errors import NotFoundError, ValidationError
from dispatcher.domain.language import guess_language
from dispatcher.domain.ticket_ref import subject_with_ref
from dispatcher.store.mail import outbox, senders
from dispatcher.store.models import Client, Contact, Ticket, TicketEvent
from dispatcher.store.replies.placeholders import (
    ArticleLink,
    ticket_context,
)
from dispatcher.store.replies.templates import TemplateInfo, list_templates, record_use
from dispatcher.store.tickets import writes
from dispatcher.store.tickets.history import changes_since


def contact_email(session: Session, *, contact_id: int | None) -> str | None:
    """The address a reply goes to: the contact's first email that does not bounce, else
    the first that does (the composer shows it as failing, and sending is allowed)."""
    emails = senders.contact_emails(session, contact_id=contact_id)
    return emails[0] if emails else None


@dataclass(frozen=True, slots=True)
class ComposeInfo:
    """What the composer shows before anything is typed (plain values)."""

    ticket_id: int
    ref: str
    subject: str
    version: int
    recipient_name: str
    recipient_email: str | None
    context: dict[str, Any]
    templates: list[TemplateInfo]
    language: str = "en"  # the ticket's ("ru" or "en"): its templates are offered first


@dataclass(frozen=True, slots=True)
class NewSince:
    """What happened to a ticket after the version a composer opened it at."""

    version: int
    messages: int
    changes: list[str]


def compose_info(session: Session, *, ticket_id: int, sender_id: int | None) -> ComposeInfo:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFoundError("ticket", f"#{ticket_id}")
    contact = session.get(Contact, ticket.contact_id) if ticket.contact_id else None
    client = session.get(Client, ticket.client_id) if ticket.client_id else None
    language = guess_language(
        [ticket.subject, client.name if client else "", contact.name if contact else ""]
    )
    return ComposeInfo(
        ticket_id=ticket_id,
        ref=f"#{ticket_id}",
        subject=ticket.subject,
        version=ticket.version,
        recipient_name=contact.name if contact else "",
        recipient_email=contact_email(session, contact_id=ticket.contact_id),
        context=ticket_context(session, ticket_id=ticket_id, sender_id=sender_id),
        templates=list_templates(session),
        language=language,
    )


def new_since(session: Session, *, ticket_id: int, version: int) -> NewSince:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFoundError("ticket", f"#{ticket_id}")
    events = session.exec(
        select(TicketEvent.kind).where(
            TicketEvent.ticket_id == ticket_id, col(TicketEvent.version) > version
        )
    ).all()
    return NewSince(
        version=ticket.version,
        messages=sum(1 for kind in events if kind == EventKind.message_added),
        changes=changes_since(session, ticket_id=ticket_id, version=version),
    )


def send(
    session: Session,
    *,
    ticket_id: int,
    kind: MessageKind,
    subject: str,
    body: str,
    sender_id: int,
    expected_version: int,
    articles: Sequence[ArticleLink] = (),
    template_name: str | None = None,
    now: datetime,
) -> int:
    """Store a reply or a note; a reply is queued for mail in the same transaction.

    The subject and body are stored and sent exactly as typed: they are text, never a
    template (a template the operator picked was rendered into them when inserted, before
    this write). `articles` are the KB articles inserted (their text or links are in the
    body already). A reply goes to the contact's email (there must be one), meets the
    first-response target, and carries `[#N]` in its subject. A note is never queued.
    Returns the new message's id.
    """
    kind = MessageKind(kind)
    if kind == MessageKind.inbound:
        raise ValidationError("the composer writes replies and notes only")
    subject = " ".join(subject.split())
    if not body.strip():
        raise ValidationError(f"an empty {kind.value} cannot be sent")
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFoundError("ticket", f"#{ticket_id}")
    to_address = ""
    if kind == MessageKind.reply:
        to_address = contact_email(session, contact_id=ticket.contact_id) or ""
        if not to_address:
            raise ValidationError(f"#{ticket_id} has no contact email: a reply cannot be sent")
    full_subject = subject_with_ref(subject or f"Re: {ticket.subject}", ticket_id)
    message = writes.add_message(
        session,
        ticket_id=ticket_id,
        kind=kind,
        body=body,
        actor_id=sender_id,
        expected_version=expected_version,
        contact_id=ticket.contact_id if kind == MessageKind.reply else None,
        to_addresses=to_address,
        subject=full_subject,
        now=now,
    )
    assert message.id is not None
    if kind == MessageKind.reply:
        outbox.enqueue(
            session,
            kind="reply",
            to_addresses=to_address,
            subject=full_subject,
            body=body,
            now=now,
            ticket=session.get(Ticket, ticket_id),
            message_row_id=message.id,
            message_id=message.message_id,
        )
    if template_name:
        record_use(session, name=template_name)
    return message.id
