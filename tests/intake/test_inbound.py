"""Intake into the store: tickets, threads, noise, feedback, dedupe and the quarantine."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import col, select

from dispatcher.domain.enums import EventKind, TicketStatus
from dispatcher.intake.pipeline import release
from dispatcher.store.clients.clients import add_client_domain
from dispatcher.store.db.engine import Store
from dispatcher.store.mail import quarantine
from dispatcher.store.mail.inbound import Outcome
from dispatcher.store.models import (
    Attachment,
    Blob,
    Contact,
    ContactPoint,
    Message,
    OutboxItem,
    QuarantinedMail,
    Rating,
    Ticket,
    TicketEvent,
)
from dispatcher.store.tickets.writes import change_status
from tests.factories import world
from tests.intake.helpers import corpus, feed


def _ticket(store: Store, ticket_id: int | None) -> Ticket:
    assert ticket_id is not None
    with store.read() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        return ticket


def _messages(store: Store, ticket_id: int) -> list[Message]:
    with store.read() as session:
        return list(
            session.exec(
                select(Message).where(Message.ticket_id == ticket_id).order_by(col(Message.id))
            ).all()
        )


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
        item = session.exec(
            select(OutboxItem).where(
                OutboxItem.ticket_id == ticket_id, OutboxItem.kind == "acknowledgement"
            )
        ).one()
        return item.message_id


def test_new_mail_opens_a_ticket_for_the_contact_with_the_contract_sla(
    store: Store, now: datetime
) -> None:
    w = world(store)
    result = feed(store, "plain_utf8.eml", now=now)
    assert result.outcome == Outcome.new_ticket
    ticket = _ticket(store, result.ticket_id)
    assert (ticket.client_id, ticket.contact_id, ticket.contract_id) == (
        w.client.id,
        w.contact.id,
        w.contract.id,
    )
    assert ticket.sla_plan_id == w.plan.id
    assert ticket.channel == "email"
    assert ticket.subject == "VPN is down"
    [message] = _messages(store, ticket.id or 0)
    assert message.message_id == "<plain-1@acme.example>"
    assert message.body.startswith("Nobody can connect")


def test_client_by_domain_and_a_new_contact_then_none(store: Store, now: datetime) -> None:
    w = world(store)
    with store.write() as session:
        add_client_domain(session, client_id=w.client.id or 0, domain="acme.example")
    result = feed(store, "domain_sender.eml", now=now)
    by_domain = _ticket(store, result.ticket_id)
    assert by_domain.client_id == w.client.id
    assert result.notes == ["new contact boss@acme.example"]
    with store.read() as session:
        contact = session.get(Contact, by_domain.contact_id)
        assert contact is not None
        assert (contact.client_id, contact.name, contact.is_new) == (w.client.id, "Boss", True)
        [message] = _messages(store, by_domain.id or 0)
        assert message.contact_id == contact.id
    stranger = _ticket(store, feed(store, "unknown_sender.eml", now=now).ticket_id)
    assert (stranger.client_id, stranger.contact_id) == (None, None)
    assert stranger.status == TicketStatus.new


def test_the_same_message_twice_is_one_ticket(store: Store, now: datetime) -> None:
    world(store)
    assert feed(store, "plain_utf8.eml", now=now).outcome == Outcome.new_ticket
    assert feed(store, "plain_utf8.eml", now=now).outcome == Outcome.duplicate
    assert feed(store, "no_message_id.eml", now=now).outcome == Outcome.new_ticket
    assert feed(store, "no_message_id.eml", now=now).outcome == Outcome.duplicate
    with store.read() as session:
        assert len(session.exec(select(Ticket)).all()) == 2


def test_replies_thread_by_headers_by_subject_and_by_our_own_message_id(
    store: Store, now: datetime
) -> None:
    world(store)
    first = feed(store, "plain_utf8.eml", now=now)
    ticket_id = first.ticket_id or 0
    by_headers = feed(store, "reply_in_reply_to.eml", now=now)
    by_subject = feed(store, "reply_subject_ref.eml", now=now, ticket=str(ticket_id))
    by_ack = feed(store, "reply_to_notification.eml", now=now, ack=_ack_id(store, ticket_id))
    for result in (by_headers, by_subject, by_ack):
        assert (result.outcome, result.ticket_id) == (Outcome.threaded, ticket_id)
    assert len(_messages(store, ticket_id)) == 4


def test_a_reply_to_a_merged_ticket_goes_to_the_survivor(store: Store, now: datetime) -> None:
    w = world(store)
    first = feed(store, "plain_utf8.eml", now=now)
    other = feed(store, "unknown_sender.eml", now=now)
    from dispatcher.store.tickets.relations import merge

    with store.write() as session:
        merge(
            session,
            ticket_id=first.ticket_id or 0,
            into_id=other.ticket_id or 0,
            expected_version=None,
            actor_id=w.dispatcher.id,
        )
    reply = feed(store, "reply_in_reply_to.eml", now=now)
    assert reply.ticket_id == other.ticket_id


def test_auto_replies_and_bounces_never_open_or_reopen(store: Store, now: datetime) -> None:
    world(store)
    first = feed(store, "plain_utf8.eml", now=now)
    ticket_id = first.ticket_id or 0
    ack = _ack_id(store, ticket_id)
    _set_status(store, ticket_id, TicketStatus.resolved, now)
    outcomes = [
        feed(store, "auto_submitted.eml", now=now, ack=ack).outcome,
        feed(store, "out_of_office_en.eml", now=now, ticket=str(ticket_id)).outcome,
        feed(store, "out_of_office_ru.eml", now=now, ticket=str(ticket_id)).outcome,
        feed(store, "x_autoreply.eml", now=now, ticket=str(ticket_id)).outcome,
        feed(store, "bounce_dsn.eml", now=now, ack=ack).outcome,
    ]
    assert outcomes == [Outcome.auto_reply] * 4 + [Outcome.bounce]
    ticket = _ticket(store, ticket_id)
    assert ticket.status == TicketStatus.resolved
    assert ticket.reopen_count == 0
    noise = [m for m in _messages(store, ticket_id) if m.is_auto_reply or m.is_bounce]
    assert len(noise) == 5
    with store.read() as session:
        point = session.exec(
            select(ContactPoint).where(ContactPoint.value == "anna@acme.example")
        ).one()
        assert point.bouncing
        assert len(session.exec(select(Ticket)).all()) == 1


def test_noise_that_refers_to_nothing_is_kept_aside_not_a_ticket(
    store: Store, now: datetime
) -> None:
    world(store)
    bulk = feed(store, "precedence_bulk.eml", now=now)
    bounce = feed(store, "bounce_plain.eml", now=now)
    assert (bulk.outcome, bulk.ticket_id) == (Outcome.auto_reply, None)
    assert bounce.outcome == Outcome.bounce
    assert feed(store, "precedence_bulk.eml", now=now).outcome == Outcome.duplicate
    with store.read() as session:
        assert session.exec(select(Ticket)).all() == []
        kept = session.exec(select(QuarantinedMail)).all()
        assert {q.reason for q in kept} == {
            "auto-reply that refers to no ticket",
            "bounce that refers to no ticket",
        }
        point = session.exec(
            select(ContactPoint).where(ContactPoint.value == "anna@acme.example")
        ).one()
        assert point.bouncing  # X-Failed-Recipients named it


def test_a_client_reply_resumes_waiting_client(store: Store, now: datetime) -> None:
    world(store)
    ticket_id = feed(store, "plain_utf8.eml", now=now).ticket_id or 0
    _set_status(store, ticket_id, TicketStatus.waiting_client, now)
    later = now + timedelta(hours=1)
    result = feed(store, "reply_in_reply_to.eml", now=later)
    assert result.notes == ["resumed"]
    ticket = _ticket(store, ticket_id)
    assert ticket.status == TicketStatus.open
    assert ticket.sla_paused_since is None


def test_not_fixed_reopens_a_resolved_ticket_and_counts_it(store: Store, now: datetime) -> None:
    world(store)
    ticket_id = feed(store, "plain_utf8.eml", now=now).ticket_id or 0
    _set_status(store, ticket_id, TicketStatus.resolved, now)
    result = feed(store, "not_fixed_reply.eml", now=now, ticket=str(ticket_id))
    assert result.notes == ["reopened"]
    ticket = _ticket(store, ticket_id)
    assert (ticket.status, ticket.reopen_count) == (TicketStatus.open, 1)


def test_confirm_closes_and_a_rating_is_stored(store: Store, now: datetime) -> None:
    world(store)
    first = feed(store, "plain_utf8.eml", now=now).ticket_id or 0
    second = feed(store, "cp1251.eml", now=now).ticket_id or 0
    for ticket_id in (first, second):
        _set_status(store, ticket_id, TicketStatus.resolved, now)
    assert feed(store, "confirm_reply.eml", now=now, ticket=str(first)).notes == ["closed"]
    rated = feed(store, "rating_reply.eml", now=now, ticket=str(second))
    assert rated.notes == ["closed", "rated 5"]
    assert _ticket(store, first).status == TicketStatus.closed
    assert _ticket(store, second).status == TicketStatus.closed
    with store.read() as session:
        [rating] = session.exec(select(Rating)).all()
        assert (rating.ticket_id, rating.score, rating.kind) == (second, 5, "csat")
        assert rating.comment == "спасибо, быстро!"
        kinds = [
            e.kind for e in session.exec(select(TicketEvent).where(TicketEvent.ticket_id == second))
        ]
        assert EventKind.rated in kinds
        # Closed by the client: no auto-close notice goes out.
        assert not session.exec(select(OutboxItem).where(OutboxItem.kind == "auto_close")).all()


def test_mail_to_a_closed_ticket_opens_a_new_linked_one(store: Store, now: datetime) -> None:
    world(store)
    old = feed(store, "plain_utf8.eml", now=now).ticket_id or 0
    _set_status(store, old, TicketStatus.closed, now)
    result = feed(store, "reply_in_reply_to.eml", now=now)
    assert result.outcome == Outcome.new_ticket
    assert result.ticket_id != old
    assert result.notes == [f"follows up #{old}"]


def test_attachments_are_listed_and_stored_once_by_content(store: Store, now: datetime) -> None:
    world(store)
    result = feed(store, "attachments.eml", now=now)
    with store.read() as session:
        rows = session.exec(select(Attachment).order_by(col(Attachment.id))).all()
        assert [r.filename for r in rows] == ["report.pdf", "скрин.png", "журнал.log", "copy.pdf"]
        assert all(r.message_id == result.message_row_id for r in rows)
        assert rows[0].sha256 == rows[3].sha256
        assert len(session.exec(select(Blob)).all()) == 3
        blob = session.get(Blob, rows[0].sha256)
        assert blob is not None
        assert blob.data.startswith(b"%PDF")


def test_unreadable_mail_is_quarantined_with_its_bytes_and_can_be_released(
    store: Store, now: datetime
) -> None:
    world(store)
    outcomes = [feed(store, n, now=now).outcome for n in ("no_sender.eml", "unreadable_binary.eml")]
    assert outcomes == [Outcome.quarantined, Outcome.quarantined]
    assert feed(store, "no_sender.eml", now=now).outcome == Outcome.duplicate
    with store.read() as session:
        rows = quarantine.quarantined(session)
        assert [r.raw for r in rows] == [corpus("no_sender.eml"), corpus("unreadable_binary.eml")]
        assert rows[0].reason.startswith("no sender address")
    released = release(store, quarantine_id=rows[0].id or 0, now=now)
    assert released.outcome == Outcome.new_ticket
    ticket = _ticket(store, released.ticket_id)
    assert ticket.subject == "(unreadable message released from the quarantine)"
    with store.read() as session:
        assert [r.id for r in quarantine.quarantined(session)] == [rows[1].id]


def test_hostile_and_huge_mail_is_stored(store: Store, now: datetime) -> None:
    world(store)
    long = feed(store, "long_lines.eml", now=now)
    assert long.outcome == Outcome.new_ticket
    assert len(_ticket(store, long.ticket_id).subject) <= 500
    for name in ("malformed_headers.eml", "hostile_text.eml", "html_only.eml", "cp1251.eml"):
        assert feed(store, name, now=now).outcome == Outcome.new_ticket, name
