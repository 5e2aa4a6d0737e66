"""Mail that can be trusted: who may write to a ticket, what is held for review, how the
client's answer is read, labelled noise, new contacts, the queue of mail tickets."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel import col, select

from dispatcher.domain.enums import EventKind, ReviewDecision, Role, TicketStatus
from dispatcher.domain.errors import ConflictError, ValidationError
from dispatcher.intake.pipeline import ingest
from dispatcher.intake.sources import RawMail
from dispatcher.store.clients.clients import add_client, add_client_domain
from dispatcher.store.clients.contacts import add_contact
from dispatcher.store.db.engine import Store
from dispatcher.store.mail import review
from dispatcher.store.mail.inbound import InboundResult, Outcome
from dispatcher.store.models import (
    Attachment,
    Blob,
    Contact,
    ContactPoint,
    HeldMail,
    Message,
    OutboxItem,
    Queue,
    Rating,
    Ticket,
    TicketEvent,
    TicketLink,
)
from dispatcher.store.sla import alerts
from dispatcher.store.tickets.writes import change_status
from tests.factories import new_ticket, world
from tests.intake.helpers import corpus, feed
from tests.intake.make_trust_corpus import feed_trust


def trust(name: str, *, now: datetime, store: Store, **replace: str) -> InboundResult:
    return feed_trust(store, name, now=now, **replace)


def _ticket(store: Store, ticket_id: int | None) -> Ticket:
    assert ticket_id is not None
    with store.read() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        return ticket


def _messages(store: Store, ticket_id: int) -> list[Message]:
    with store.read() as session:
        query = select(Message).where(Message.ticket_id == ticket_id).order_by(col(Message.id))
        return list(session.exec(query).all())


def _history(store: Store, ticket_id: int) -> list[TicketEvent]:
    with store.read() as session:
        query = select(TicketEvent).where(TicketEvent.ticket_id == ticket_id)
        return list(session.exec(query.order_by(col(TicketEvent.id))).all())


def _set_status(store: Store, ticket_id: int, status: TicketStatus, now: datetime) -> None:
    with store.write() as session:
        change_status(
            session,
            ticket_id=ticket_id,
            expected_version=None,
            actor_id=None,
            status=status,
            now=now,
        )


def _ack_id(store: Store, ticket_id: int) -> str:
    with store.read() as session:
        return session.exec(
            select(OutboxItem.message_id).where(
                OutboxItem.ticket_id == ticket_id, OutboxItem.kind == "acknowledgement"
            )
        ).one()


def _acme_ticket(store: Store, now: datetime) -> int:
    """Anna's ticket (#1 in a fresh database), resolved and waiting for her answer."""
    ticket_id = feed(store, "plain_utf8.eml", now=now).ticket_id
    assert ticket_id is not None
    _set_status(store, ticket_id, TicketStatus.resolved, now)
    return ticket_id


def _snapshot(store: Store, ticket_id: int) -> tuple[object, ...]:
    ticket = _ticket(store, ticket_id)
    with store.read() as session:
        ratings = session.exec(select(Rating).where(Rating.ticket_id == ticket_id)).all()
        outbox = session.exec(select(OutboxItem.id).where(OutboxItem.ticket_id == ticket_id)).all()
    return (
        ticket.status,
        ticket.version,
        ticket.reopen_count,
        ticket.updated_at,
        [m.id for m in _messages(store, ticket_id)],
        [e.id for e in _history(store, ticket_id)],
        len(ratings),
        list(outbox),
    )


def _globex(store: Store) -> None:
    with store.write() as session:
        globex = add_client(session, name="Globex", domains=["globex.example"])
        add_contact(session, client_id=globex.id or 0, name="Bob", emails=["bob@globex.example"])


# --- strangers and other clients never touch the ticket ---------------------------------


@pytest.mark.parametrize(
    ("name", "replace"),
    [
        ("other_client_confirms.eml", "ticket"),  # another client's contact, by [#N]
        ("stranger_in_reply_to.eml", ""),  # a stranger, by In-Reply-To the client's mail
        ("stranger_to_ack.eml", "ack"),  # a stranger, answering our acknowledgement
        ("stranger_auto_reply.eml", "ticket"),  # a stranger's out-of-office, by [#N]
        ("hostile_stranger.eml", "ticket"),
    ],
)
def test_mail_from_outside_the_ticket_is_held_and_changes_nothing(
    store: Store, now: datetime, name: str, replace: str
) -> None:
    world(store)
    _globex(store)
    ticket_id = _acme_ticket(store, now)
    before = _snapshot(store, ticket_id)
    values = {"ticket": str(ticket_id)} if replace == "ticket" else {}
    if replace == "ack":
        values = {"ack": _ack_id(store, ticket_id)}
    later = now + timedelta(hours=1)
    result = trust(name, now=later, store=store, **values)
    assert result.outcome == Outcome.held
    assert (result.ticket_id, result.message_row_id) == (None, None)
    assert _snapshot(store, ticket_id) == before
    with store.read() as session:
        [held] = review.held_mail(session)
        assert (held.ticket_id, held.id) == (ticket_id, result.held_id)
        assert "not the contact of #1" in held.reason
        assert session.exec(select(Ticket)).all() == [_ticket(store, ticket_id)]
    # The same message again is the same held message.
    assert trust(name, now=later, store=store, **values).outcome == Outcome.duplicate


def test_the_helpdesks_own_address_is_no_key_to_every_ticket(store: Store, now: datetime) -> None:
    world(store)
    _globex(store)
    ticket_id = _acme_ticket(store, now)  # Anna wrote To: support@helpdesk.example
    assert trust("globex_request.eml", now=now, store=store).outcome == Outcome.new_ticket
    before = _snapshot(store, ticket_id)
    spoofed = trust("spoofed_support.eml", now=now, store=store, ticket=str(ticket_id))
    assert spoofed.outcome == Outcome.held
    assert _snapshot(store, ticket_id) == before
    # Carol, in Cc of Anna's mail and on no other client's, is on the thread.
    trust("anna_cc_carol.eml", now=now, store=store)
    carol = trust("carol_replies.eml", now=now, store=store, ticket=str(ticket_id))
    assert (carol.outcome, carol.ticket_id) == (Outcome.threaded, ticket_id)


def test_a_dispatcher_is_told_once_per_sender_and_ticket(store: Store, now: datetime) -> None:
    w = world(store)
    ticket_id = _acme_ticket(store, now)
    trust("stranger_in_reply_to.eml", now=now, store=store)
    trust("hostile_stranger.eml", now=now, store=store, ticket=str(ticket_id))
    with store.read() as session:
        shown = alerts.open_alerts(
            session, user_id=w.dispatcher.id or 0, role=Role.dispatcher, now=now
        )
        engineers = alerts.open_alerts(
            session, user_id=w.engineer.id or 0, role=Role.engineer, now=now
        )
    assert [(a.kind, a.ticket_id) for a in shown] == [("attention", ticket_id)]
    assert "mallory@evil.example held for review" in shown[0].message
    assert engineers == []


def test_a_stranger_without_a_reference_opens_a_ticket_of_their_own(
    store: Store, now: datetime
) -> None:
    world(store)
    ticket_id = _acme_ticket(store, now)
    result = feed(store, "unknown_sender.eml", now=now)
    assert result.outcome == Outcome.new_ticket
    assert result.ticket_id != ticket_id
    stranger = _ticket(store, result.ticket_id)
    assert (stranger.client_id, stranger.contact_id) == (None, None)


@pytest.mark.parametrize(
    ("setup", "name"),
    [
        ("cc", "carol_replies.eml"),  # in Cc of a message on the thread
        ("domain", "colleague_at_domain.eml"),  # at a domain of the ticket's client
        ("contact", "colleague_at_domain.eml"),  # a contact of the ticket's client
    ],
)
def test_people_of_the_ticket_and_its_client_join_it(
    store: Store, now: datetime, setup: str, name: str
) -> None:
    w = world(store)
    ticket_id = feed(store, "plain_utf8.eml", now=now).ticket_id or 0
    if setup == "cc":
        assert trust("anna_cc_carol.eml", now=now, store=store).ticket_id == ticket_id
    with store.write() as session:
        if setup == "domain":
            add_client_domain(session, client_id=w.client.id or 0, domain="acme.example")
        if setup == "contact":
            add_contact(
                session, client_id=w.client.id or 0, name="Pavel", emails=["pavel@acme.example"]
            )
    result = trust(name, now=now, store=store, ticket=str(ticket_id))
    assert (result.outcome, result.ticket_id) == (Outcome.threaded, ticket_id)


def test_a_new_person_at_the_clients_domain_becomes_its_contact(
    store: Store, now: datetime
) -> None:
    w = world(store)
    with store.write() as session:
        add_client_domain(session, client_id=w.client.id or 0, domain="acme.example")
    ticket_id = feed(store, "plain_utf8.eml", now=now).ticket_id or 0
    opened = trust("new_person_at_domain.eml", now=now, store=store)
    joined = trust("colleague_at_domain.eml", now=now, store=store, ticket=str(ticket_id))
    with store.read() as session:
        maria = session.get(Contact, _ticket(store, opened.ticket_id).contact_id)
        assert maria is not None
        assert (maria.name, maria.client_id, maria.is_new) == ("Maria Ivanova", w.client.id, True)
        assert "opened a ticket" in maria.notes
        pavel = session.exec(
            select(Contact)
            .join(ContactPoint, col(ContactPoint.contact_id) == col(Contact.id))
            .where(ContactPoint.value == "pavel@acme.example")
        ).one()
        assert (pavel.name, pavel.is_new) == ("Павел Сидоров", True)
        message = session.get(Message, joined.message_row_id)
        assert message is not None
        assert message.contact_id == pavel.id
    # Anna's ticket keeps Anna as its contact.
    assert _ticket(store, ticket_id).contact_id == w.contact.id


# --- a dispatcher's review ---------------------------------------------------------------


def test_accepting_lets_the_message_in_but_not_its_say_on_the_status(
    store: Store, now: datetime
) -> None:
    w = world(store)
    ticket_id = _acme_ticket(store, now)
    held = trust("stranger_in_reply_to.eml", now=now, store=store)
    with store.write() as session:
        result = review.accept(
            session, held_id=held.held_id or 0, actor_id=w.dispatcher.id, now=now
        )
    assert (result.outcome, result.ticket_id) == (Outcome.threaded, ticket_id)
    ticket = _ticket(store, ticket_id)
    assert (ticket.status, ticket.reopen_count) == (TicketStatus.resolved, 0)
    assert _messages(store, ticket_id)[-1].message_id == "<stranger-1@evil.example>"
    with store.read() as session:
        row = session.get(HeldMail, held.held_id)
        assert row is not None
        assert (row.decision, row.decided_by_id, row.accepted_ticket_id) == (
            ReviewDecision.accepted,
            w.dispatcher.id,
            ticket_id,
        )
        assert review.held_mail(session) == []
        with pytest.raises(ConflictError, match="already accepted"):
            review.reject(session, held_id=row.id or 0, actor_id=None, now=now)
        # Its alert is done.
        assert alerts.open_alerts(session, user_id=0, role=Role.dispatcher, now=now) == []
    # The same message again is still one message.
    assert trust("stranger_in_reply_to.eml", now=now, store=store).outcome == Outcome.duplicate
    # Notifications still go to the client only.
    _set_status(store, ticket_id, TicketStatus.open, now)
    _set_status(store, ticket_id, TicketStatus.resolved, now)
    with store.read() as session:
        to = session.exec(select(OutboxItem.to_addresses).order_by(col(OutboxItem.id))).all()
    assert set(to) == {"anna@acme.example"}


def test_accepting_with_a_new_contact_lets_the_answer_count(store: Store, now: datetime) -> None:
    w = world(store)
    _globex(store)
    ticket_id = _acme_ticket(store, now)
    with store.write() as session:
        add_client_domain(session, client_id=w.client.id or 0, domain="acme.example")
    held = trust("stranger_in_reply_to.eml", now=now, store=store)
    with store.write() as session:
        result = review.accept(
            session, held_id=held.held_id or 0, actor_id=None, now=now, add_contact=True
        )
        contact = session.exec(
            select(Contact)
            .join(ContactPoint, col(ContactPoint.contact_id) == col(Contact.id))
            .where(ContactPoint.value == "mallory@evil.example")
        ).one()
        assert (contact.client_id, contact.is_new) == (w.client.id, False)
    assert result.notes == ["reopened"]
    assert _ticket(store, ticket_id).reopen_count == 1
    # Bob is a contact of Globex: he cannot be made one of Acme's.
    other = trust("other_client_confirms.eml", now=now, store=store, ticket=str(ticket_id))
    with store.write() as session, pytest.raises(ConflictError, match="already belongs"):
        review.accept(session, held_id=other.held_id or 0, actor_id=None, now=now, add_contact=True)


def test_a_ticket_without_a_client_takes_no_new_contact(store: Store, now: datetime) -> None:
    world(store)
    stranger = feed(store, "unknown_sender.eml", now=now).ticket_id or 0
    held = trust("hostile_stranger.eml", now=now, store=store, ticket=str(stranger))
    with store.write() as session, pytest.raises(ValidationError, match="has no client"):
        review.accept(session, held_id=held.held_id or 0, actor_id=None, now=now, add_contact=True)


def test_rejecting_keeps_it_out_and_its_attachment_content_goes(
    store: Store, now: datetime
) -> None:
    world(store)
    ticket_id = _acme_ticket(store, now)
    raw = corpus("attachments.eml").replace(b"From: anna@acme.example", b"From: eve@evil.example")
    raw = raw.replace(b"Subject: logs attached", f"Subject: [#{ticket_id}] logs".encode())
    held = ingest(store, RawMail(source="evil.eml", data=raw), now=now)
    assert held.outcome == Outcome.held
    with store.read() as session:
        [view] = review.held_mail(session)
        assert view.attachments == 4
    with store.write() as session:
        review.reject(session, held_id=held.held_id or 0, actor_id=None, now=now)
    with store.read() as session:
        assert review.held_mail(session) == []
        [decided] = review.held_mail(session, include_decided=True)
        assert decided.decision == ReviewDecision.rejected
        assert session.exec(select(Blob)).all() == []
    assert ingest(store, RawMail(source="evil.eml", data=raw), now=now).outcome == Outcome.duplicate


def test_an_accepted_attachment_is_stored_with_the_message(store: Store, now: datetime) -> None:
    world(store)
    ticket_id = _acme_ticket(store, now)
    raw = corpus("attachments.eml").replace(b"From: anna@acme.example", b"From: eve@evil.example")
    raw = raw.replace(b"Subject: logs attached", f"Subject: [#{ticket_id}] logs".encode())
    held = ingest(store, RawMail(source="evil.eml", data=raw), now=now)
    with store.write() as session:
        result = review.accept(session, held_id=held.held_id or 0, actor_id=None, now=now)
    with store.read() as session:
        rows = session.exec(
            select(Attachment).where(Attachment.message_id == result.message_row_id)
        ).all()
        assert [r.filename for r in rows] == ["report.pdf", "скрин.png", "журнал.log", "copy.pdf"]
        blob = session.get(Blob, rows[0].sha256)
        assert blob is not None
        assert blob.data.startswith(b"%PDF")


# --- noise --------------------------------------------------------------------------------


def test_bounces_and_auto_replies_are_labelled(store: Store, now: datetime) -> None:
    world(store)
    ticket_id = feed(store, "plain_utf8.eml", now=now).ticket_id or 0
    ack = _ack_id(store, ticket_id)
    delayed = trust("bounce_delayed.eml", now=now, store=store, ack=ack)
    with store.read() as session:
        point = session.exec(
            select(ContactPoint).where(ContactPoint.value == "anna@acme.example")
        ).one()
        assert not point.bouncing  # a delay is not a failure
    rejected = trust("bounce_rejected.eml", now=now, store=store, ack=ack)
    auto = feed(store, "auto_submitted.eml", now=now, ack=ack)
    assert [delayed.outcome, rejected.outcome, auto.outcome] == [
        Outcome.bounce,
        Outcome.bounce,
        Outcome.auto_reply,
    ]
    assert rejected.notes == ["bounce: address rejected", "flagged anna@acme.example"]
    labels = [(m.label, m.is_bounce, m.is_auto_reply) for m in _messages(store, ticket_id)[1:]]
    assert labels == [
        ("bounce: delivery delayed", True, False),
        ("bounce: address rejected", True, False),
        ("auto-reply", False, True),
    ]
    with store.read() as session:
        point = session.exec(
            select(ContactPoint).where(ContactPoint.value == "anna@acme.example")
        ).one()
        assert point.bouncing
    assert _ticket(store, ticket_id).status == TicketStatus.new


# --- the client's answer --------------------------------------------------------------


def test_the_answer_is_read_from_the_clients_own_words(store: Store, now: datetime) -> None:
    world(store)
    first = _acme_ticket(store, now)
    assert trust("answer_not_fixed_ru.eml", now=now, store=store, ticket=str(first)).notes == [
        "reopened"
    ]
    assert _ticket(store, first).reopen_count == 1
    _set_status(store, first, TicketStatus.resolved, now)
    rated = trust("answer_rating_ru.eml", now=now, store=store, ticket=str(first))
    assert rated.notes == ["closed", "rated 4"]
    with store.read() as session:
        [rating] = session.exec(select(Rating)).all()
        assert (rating.ticket_id, rating.score) == (first, 4)
        assert rating.comment == "Спасибо, всё заработало. Оценка: 4 из 5"


def test_an_unclear_answer_neither_closes_nor_reopens_and_asks_a_dispatcher(
    store: Store, now: datetime
) -> None:
    w = world(store)
    ticket_id = _acme_ticket(store, now)
    version = _ticket(store, ticket_id).version
    result = trust("answer_unclear.eml", now=now, store=store, ticket=str(ticket_id))
    assert (result.outcome, result.notes) == (Outcome.threaded, ["needs a dispatcher"])
    ticket = _ticket(store, ticket_id)
    assert (ticket.status, ticket.reopen_count) == (TicketStatus.resolved, 0)
    assert ticket.version == version + 1  # the message, nothing more
    [event] = [e for e in _history(store, ticket_id) if e.kind == EventKind.answer_unclear]
    assert event.data == {"message": result.message_row_id, "verdict": "unclear"}
    assert "i'll check" in event.reason
    with store.read() as session:
        [alert] = alerts.open_alerts(
            session, user_id=w.dispatcher.id or 0, role=Role.dispatcher, now=now
        )
        assert (alert.kind, alert.ticket_id) == ("attention", ticket_id)
        assert session.exec(select(Rating)).all() == []


def test_a_new_question_is_a_ticket_of_its_own(store: Store, now: datetime) -> None:
    w = world(store)
    ticket_id = _acme_ticket(store, now)
    result = trust("answer_question.eml", now=now, store=store, ticket=str(ticket_id))
    assert result.outcome == Outcome.new_ticket
    assert result.notes == [f"follows up #{ticket_id}", f"closed #{ticket_id}"]
    asked = _ticket(store, result.ticket_id)
    assert (asked.client_id, asked.contact_id) == (w.client.id, w.contact.id)
    assert _ticket(store, ticket_id).status == TicketStatus.closed
    with store.read() as session:
        [link] = session.exec(select(TicketLink)).all()
        assert (link.ticket_id, link.other_ticket_id) == (result.ticket_id, ticket_id)
        kinds = session.exec(select(OutboxItem.kind).order_by(col(OutboxItem.id))).all()
    # The question gets its acknowledgement; closing by the client sends no auto-close.
    assert kinds == ["acknowledgement", "resolution", "acknowledgement"]


# --- the queue of mail tickets ------------------------------------------------------------


def test_mail_tickets_get_a_queue(store: Store, now: datetime) -> None:
    w = world(store)
    with store.write() as session:
        inbox = Queue(name="First line")
        session.add(inbox)
        session.flush()
        inbox_id = inbox.id
    given = ingest(store, RawMail("a.eml", corpus("plain_utf8.eml")), now=now, queue_id=inbox_id)
    assert _ticket(store, given.ticket_id).queue_id == inbox_id
    # Without one: the queue of the client's latest ticket (which its category gave it).
    classified = new_ticket(store, w, now=now)
    assert classified.queue_id == w.queue.id
    by_client = feed(store, "cp1251.eml", now=now)
    assert _ticket(store, by_client.ticket_id).queue_id == w.queue.id
    # A stranger's ticket with nothing to go by has none.
    assert _ticket(store, feed(store, "unknown_sender.eml", now=now).ticket_id).queue_id is None


# --- HTML ---------------------------------------------------------------------------------


def test_hidden_html_never_reaches_the_ticket(store: Store, now: datetime) -> None:
    world(store)
    result = trust("html_hidden.eml", now=now, store=store)
    [message] = _messages(store, result.ticket_id or 0)
    assert message.body == (
        "The scanner on floor 2 shows error E-17.\n\nPlease call me at extension 214.\n[Acme logo]"
    )
