"""What goes in the outbox on which change, in the same transaction, shown in the history."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from dispatcher.domain.enums import EventKind, TicketStatus
from dispatcher.domain.notification_templates import DEFAULT_TEMPLATES
from dispatcher.domain.templating import Rendered
from dispatcher.intake.pipeline import ingest
from dispatcher.intake.sources import RawMail
from dispatcher.store.clients.clients import add_client_domain
from dispatcher.store.db.engine import Store
from dispatcher.store.mail.notifications import TEMPLATE_KEY
from dispatcher.store.models import OutboxItem, TicketEvent
from dispatcher.store.sla import alerts
from dispatcher.store.tickets.relations import merge
from dispatcher.store.tickets.writes import assign, change_status
from tests.factories import new_ticket, world
from tests.intake.helpers import feed
from tests.intake.make_trust_corpus import feed_trust, trust_mail


def _outbox(store: Store) -> list[OutboxItem]:
    with store.read() as session:
        return list(session.exec(select(OutboxItem).order_by(OutboxItem.id)).all())  # type: ignore[arg-type]


def _text(item: OutboxItem) -> Rendered:
    """What the sender makes of the row with the default templates."""
    template = item.headers[TEMPLATE_KEY]
    return DEFAULT_TEMPLATES.render(template["kind"], template["context"])


def test_acknowledgement_names_the_ticket_and_the_first_response_time_in_local_time(
    store: Store, now: datetime
) -> None:
    w = world(store)
    with store.write() as session:
        # The office calendar (Moscow) applies: move Acme's contract to the standard plan.
        contract = w.contract
        contract.sla_plan_id = w.default_plan.id or 0
        session.add(contract)
    ticket = new_ticket(store, w, now=now)  # 07:30 UTC = 10:30 MSK, high: 60 business min
    [item] = _outbox(store)
    assert (item.kind, item.to_addresses, item.ticket_id) == (
        "acknowledgement",
        "anna@acme.example",
        ticket.id,
    )
    # Nothing is rendered in the write: the row holds the values, the sender the text.
    assert (item.subject, item.body) == (f"[#{ticket.id}] VPN is down", "")
    text = _text(item)
    assert text.subject == f"[#{ticket.id}] We have your request: VPN is down"
    assert f"ticket #{ticket.id}" in text.body
    assert "by Wed 18 Nov 2026 11:30 MSK" in text.body
    assert item.headers["X-Dispatcher-Ticket"] == str(ticket.id)
    with store.read() as session:
        events = session.exec(
            select(TicketEvent).where(TicketEvent.kind == EventKind.notification_queued)
        ).all()
        assert [(e.ticket_id, e.data["kind"], e.data["outbox"]) for e in events] == [
            (ticket.id, "acknowledgement", item.id)
        ]


def test_a_ticket_written_in_russian_is_answered_in_russian(store: Store, now: datetime) -> None:
    w = world(store)
    english = new_ticket(store, w, now=now)
    russian = new_ticket(store, w, now=now, subject="Не работает VPN", body="Не подключается")
    texts = {item.ticket_id: _text(item) for item in _outbox(store)}
    assert texts[russian.id].subject == f"[#{russian.id}] Ваше обращение принято: Не работает VPN"
    assert "Мы зарегистрировали ваше обращение" in texts[russian.id].body
    assert texts[english.id].subject == f"[#{english.id}] We have your request: VPN is down"
    with store.write() as session:
        change_status(session, ticket_id=russian.id or 0, expected_version=None, actor_id=None,
                      status=TicketStatus.resolved, now=now + timedelta(hours=1))  # fmt: skip
    resolution = next(i for i in _outbox(store) if i.kind == "resolution")
    assert "«подтверждаю»" in _text(resolution).body


def test_assignment_tells_the_engineer_unless_they_took_it(store: Store, now: datetime) -> None:
    w = world(store)
    ticket = new_ticket(store, w, now=now)
    with store.write() as session:
        assign(
            session,
            ticket_id=ticket.id or 0,
            expected_version=None,
            actor_id=w.dispatcher.id,
            assignee_id=w.engineer.id,
            now=now,
        )
        assign(
            session,
            ticket_id=ticket.id or 0,
            expected_version=None,
            actor_id=w.engineer2.id,
            assignee_id=w.engineer2.id,
            now=now,
        )
    kinds = [(i.kind, i.to_addresses) for i in _outbox(store)]
    assert kinds == [("acknowledgement", "anna@acme.example"), ("assignment", "ivan@example.com")]


def test_resolution_and_auto_close_go_to_the_client(store: Store, now: datetime) -> None:
    w = world(store)
    ticket = new_ticket(store, w, now=now)
    with store.write() as session:
        change_status(
            session,
            ticket_id=ticket.id or 0,
            expected_version=None,
            actor_id=w.engineer.id,
            status=TicketStatus.resolved,
            now=now,
        )
    with store.write() as session:
        closed = alerts.auto_close(session, now=now + timedelta(days=30))
    assert closed == [ticket.id]
    items = _outbox(store)
    assert [i.kind for i in items] == ["acknowledgement", "resolution", "auto_close"]
    assert "confirm" in _text(items[1]).body
    assert "1 (poor) to 5" in _text(items[1]).body
    assert all(i.to_addresses == "anna@acme.example" for i in items)
    assert all(i.headers["In-Reply-To"] for i in items)  # the ticket's first message


def test_the_outbox_row_rolls_back_with_its_change(store: Store, now: datetime) -> None:
    w = world(store)
    ticket = new_ticket(store, w, now=now)
    queued: list[str] = []

    def resolve_then_fail() -> None:
        with store.write() as session:
            change_status(
                session,
                ticket_id=ticket.id or 0,
                expected_version=None,
                actor_id=w.engineer.id,
                status=TicketStatus.resolved,
                now=now,
            )
            queued.extend(session.exec(select(OutboxItem.kind)).all())
            raise RuntimeError("the change fails after the notification was queued")

    with pytest.raises(RuntimeError):
        resolve_then_fail()
    assert queued == ["acknowledgement", "resolution"]
    assert [i.kind for i in _outbox(store)] == ["acknowledgement"]


def test_no_address_no_notification(store: Store, now: datetime) -> None:
    from dispatcher.store.tickets.writes import NewTicket, create_ticket

    world(store)
    with store.write() as session:
        create_ticket(session, data=NewTicket(subject="walk-in"), actor_id=None, now=now)
    assert _outbox(store) == []


# --- who notifications go to: the ticket's contact and its client's people only ----------


def _resolve(store: Store, ticket_id: int, now: datetime) -> None:
    with store.write() as session:
        change_status(
            session,
            ticket_id=ticket_id,
            expected_version=None,
            actor_id=None,
            status=TicketStatus.resolved,
            now=now,
        )


def test_a_stranger_merged_into_a_clients_ticket_is_never_written_to(
    store: Store, now: datetime
) -> None:
    w = world(store)
    mine = feed(store, "plain_utf8.eml", now=now).ticket_id or 0
    stranger = feed(store, "unknown_sender.eml", now=now + timedelta(minutes=1)).ticket_id or 0
    with store.write() as session:
        merge(
            session,
            ticket_id=stranger,
            into_id=mine,
            expected_version=None,
            actor_id=w.dispatcher.id,
            now=now + timedelta(minutes=2),
        )
    _resolve(store, mine, now + timedelta(minutes=3))
    [resolution] = [i for i in _outbox(store) if i.kind == "resolution"]
    assert resolution.to_addresses == "anna@acme.example"


def test_the_clients_person_who_wrote_last_is_answered(store: Store, now: datetime) -> None:
    w = world(store)
    with store.write() as session:
        add_client_domain(session, client_id=w.client.id or 0, domain="acme.example")
    ticket_id = feed(store, "plain_utf8.eml", now=now).ticket_id or 0
    later = now + timedelta(minutes=5)
    feed_trust(store, "colleague_at_domain.eml", now=later, ticket=str(ticket_id))
    _resolve(store, ticket_id, later)
    [resolution] = [i for i in _outbox(store) if i.kind == "resolution"]
    assert resolution.to_addresses == "pavel@acme.example"


def test_a_ticket_without_client_or_contact_answers_whoever_opened_it(
    store: Store, now: datetime
) -> None:
    world(store)
    ticket_id = feed(store, "unknown_sender.eml", now=now).ticket_id
    [ack] = _outbox(store)
    assert (ack.ticket_id, ack.to_addresses) == (ticket_id, "stranger@nowhere.example")


def test_an_address_that_must_not_get_automatic_mail_falls_back_to_the_contact(
    store: Store, now: datetime
) -> None:
    w = world(store)
    with store.write() as session:
        add_client_domain(session, client_id=w.client.id or 0, domain="acme.example")
    raw = trust_mail("colleague_at_domain.eml").replace(b"pavel@", b"noreply@")
    ticket_id = feed(store, "plain_utf8.eml", now=now).ticket_id or 0
    ingest(store, RawMail("noreply.eml", raw.replace(b"[#1]", f"[#{ticket_id}]".encode())), now=now)
    _resolve(store, ticket_id, now)
    [resolution] = [i for i in _outbox(store) if i.kind == "resolution"]
    assert resolution.to_addresses == "anna@acme.example"
