"""Who may write to a ticket by mail, and who may be written to about it.

A message joins a ticket only when its sender is the ticket's contact, somebody already on
the ticket's thread (the sender, To or Cc of its messages, or an address we mailed about
it), or a contact or a domain of the ticket's client. Anybody else never touches the
ticket: the intake holds their mail for a dispatcher (`dispatcher.store.mail.review`).
An address in To or Cc of incoming mail that other clients also wrote to is a mailbox of
the helpdesk (or a list), not a person of the thread: it is no key to every ticket.
Machine mail (an auto-reply, a bounce) is let in from anyone when it answers mail we sent
about that ticket: only the recipient of our message can know its Message-ID.

Notifications about a ticket go only to its contact and to its client's people who wrote
on its thread; a ticket without a client and without a contact is answered to the person
who opened it. Never to anybody else, whatever reached the thread (a merge, a dispatcher
letting a message in).

Plain queries on the tables only: the ticket repository imports the notifications, which
import this module.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, or_, select

from dispatcher.domain.enums import ContactPointKind, MessageKind
from dispatcher.store.models import (
    Client,
    ClientDomain,
    Contact,
    ContactPoint,
    Message,
    OutboxItem,
    Ticket,
)


@dataclass(frozen=True, slots=True)
class Standing:
    """Whether a sender may write to a ticket, and why (for the history or the review)."""

    allowed: bool
    why: str


def _address(value: str) -> str:
    return value.strip().strip("<>").lower()


def _split(addresses: str) -> list[str]:
    return [_address(a) for a in addresses.replace(";", ",").split(",") if "@" in a]


def _domain(address: str) -> str:
    return address.rsplit("@", 1)[1] if "@" in address else ""


def contact_emails(session: Session, *, contact_id: int | None) -> list[str]:
    """The contact's email addresses, working ones first."""
    if contact_id is None:
        return []
    return list(
        session.exec(
            select(ContactPoint.value)
            .where(
                ContactPoint.contact_id == contact_id,
                ContactPoint.kind == ContactPointKind.email,
            )
            .order_by(col(ContactPoint.bouncing), col(ContactPoint.id))
        ).all()
    )


def _client_contact(session: Session, *, address: str) -> Contact | None:
    row = session.exec(
        select(Contact)
        .join(ContactPoint, col(ContactPoint.contact_id) == col(Contact.id))
        .where(ContactPoint.kind == ContactPointKind.email, ContactPoint.value == address)
    ).first()
    return row


def is_client_domain(session: Session, *, client_id: int, address: str) -> bool:
    domain = _domain(address)
    return bool(domain) and (
        session.exec(
            select(ClientDomain.id).where(
                ClientDomain.client_id == client_id, ClientDomain.domain == domain
            )
        ).first()
        is not None
    )


def thread_addresses(session: Session, *, ticket_id: int) -> tuple[set[str], set[str]]:
    """Everybody on the ticket's thread, machine mail left out: who wrote in, To and Cc of
    our replies and every address we mailed about it; and, apart, To and Cc of the mail
    that came in (which include the helpdesk's own mailbox)."""
    found: set[str] = set()
    copied: set[str] = set()
    rows = session.execute(
        sa_select(
            col(Message.kind),
            col(Message.from_address),
            col(Message.to_addresses),
            col(Message.cc_addresses),
        ).where(
            col(Message.ticket_id) == ticket_id,
            col(Message.is_auto_reply).is_(False),
            col(Message.is_bounce).is_(False),
        )
    ).all()
    for kind, sender, to, cc in rows:
        if kind == MessageKind.inbound:
            if "@" in sender:
                found.add(_address(sender))
            copied.update(_split(to), _split(cc))
        else:
            found.update(_split(to), _split(cc))
    for to, cc in session.execute(
        sa_select(col(OutboxItem.to_addresses), col(OutboxItem.cc_addresses)).where(
            col(OutboxItem.ticket_id) == ticket_id
        )
    ).all():
        found.update(_split(to), _split(cc))
    return found, copied - found


def _shared_mailbox(session: Session, *, ticket: Ticket, address: str) -> bool:
    """Whether mail to another client's ticket (or to another ticket without a client) was
    addressed to `address` too: then it is a mailbox of the helpdesk or a list, not a
    person of this ticket's thread. Without this, a forged `From:` of the helpdesk's own
    address would pass for every ticket."""
    escaped = address.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    elsewhere = (
        col(Ticket.id) != ticket.id
        if ticket.client_id is None
        else or_(col(Ticket.client_id).is_(None), col(Ticket.client_id) != ticket.client_id)
    )
    rows = session.execute(
        sa_select(col(Message.to_addresses), col(Message.cc_addresses))
        .join(Ticket, col(Ticket.id) == col(Message.ticket_id))
        .where(
            elsewhere,
            col(Message.kind) == MessageKind.inbound,
            or_(
                col(Message.to_addresses).like(pattern, escape="\\"),
                col(Message.cc_addresses).like(pattern, escape="\\"),
            ),
        )
        .limit(50)
    ).all()
    return any(address in (*_split(to), *_split(cc)) for to, cc in rows)


def answers_our_mail(session: Session, *, ticket_id: int, message_ids: list[str]) -> bool:
    """Whether one of `message_ids` is mail we sent about the ticket."""
    if not message_ids:
        return False
    ours = session.exec(
        select(OutboxItem.id).where(
            OutboxItem.ticket_id == ticket_id, col(OutboxItem.message_id).in_(message_ids)
        )
    ).first()
    if ours is not None:
        return True
    reply = session.exec(
        select(Message.id).where(
            Message.ticket_id == ticket_id,
            col(Message.kind).in_([MessageKind.reply]),
            col(Message.message_id).in_(message_ids),
        )
    ).first()
    return reply is not None


def standing(
    session: Session, *, ticket: Ticket, address: str, machine_reply_to: list[str] | None = None
) -> Standing:
    """May `address` write to `ticket`? `machine_reply_to`: for an auto-reply or a bounce,
    the Message-IDs it answers (it may come from anyone when they are ours)."""
    assert ticket.id is not None
    address = _address(address)
    if address in contact_emails(session, contact_id=ticket.contact_id):
        return Standing(True, f"the contact of {ticket.ref}")
    if machine_reply_to is not None and answers_our_mail(
        session, ticket_id=ticket.id, message_ids=machine_reply_to
    ):
        return Standing(True, f"answers mail we sent about {ticket.ref}")
    on_thread, copied = thread_addresses(session, ticket_id=ticket.id)
    if address in on_thread or (
        address in copied and not _shared_mailbox(session, ticket=ticket, address=address)
    ):
        return Standing(True, f"on the thread of {ticket.ref}")
    client = session.get(Client, ticket.client_id) if ticket.client_id else None
    if client is not None and client.id is not None:
        contact = _client_contact(session, address=address)
        if contact is not None and contact.client_id == client.id and contact.active:
            return Standing(True, f"a contact of {client.name}")
        if is_client_domain(session, client_id=client.id, address=address):
            return Standing(True, f"at {_domain(address)}, a domain of {client.name}")
        return Standing(
            False,
            f"{address} is not the contact of {ticket.ref}, not on its thread, and neither "
            f"a contact nor at a domain of {client.name}",
        )
    return Standing(
        False,
        f"{address} is not the contact of {ticket.ref} nor on its thread, and the ticket "
        "has no client",
    )


def _requester(session: Session, *, ticket_id: int) -> str | None:
    """Who opened the ticket by mail: the sender of its first message."""
    first = session.exec(
        select(Message.from_address)
        .where(Message.ticket_id == ticket_id, Message.kind == MessageKind.inbound)
        .order_by(col(Message.created_at), col(Message.id))
    ).first()
    return _address(first) if first and "@" in first else None


def may_receive(session: Session, *, ticket: Ticket, address: str) -> bool:
    """May mail about `ticket` go to `address`? Its contact, its client's people (a
    contact of the client, or an address at a domain of the client), or, for a ticket
    with neither a client nor a contact, the person who opened it."""
    assert ticket.id is not None
    address = _address(address)
    if address in contact_emails(session, contact_id=ticket.contact_id):
        return True
    if ticket.client_id is not None:
        contact = _client_contact(session, address=address)
        if contact is not None:
            return contact.client_id == ticket.client_id and contact.active
        return is_client_domain(session, client_id=ticket.client_id, address=address)
    if ticket.contact_id is None:
        return address == _requester(session, ticket_id=ticket.id)
    return False


def recipients_on_thread(session: Session, *, ticket: Ticket, addresses: list[str]) -> list[str]:
    """Those of `addresses` mail about the ticket may go to, in order, each once."""
    allowed: list[str] = []
    for address in dict.fromkeys(_address(a) for a in addresses if "@" in a):
        if may_receive(session, ticket=ticket, address=address):
            allowed.append(address)
    return allowed


def bounced_points(session: Session, *, addresses: tuple[str, ...]) -> list[ContactPoint]:
    """The contact points the addresses name (for flagging them as failing)."""
    keys = [_address(a) for a in addresses if "@" in a]
    if not keys:
        return []
    return list(
        session.exec(
            select(ContactPoint).where(
                ContactPoint.kind == ContactPointKind.email,
                or_(*(col(ContactPoint.value) == key for key in keys)),
            )
        ).all()
    )
