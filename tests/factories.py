"""A small, complete helpdesk world for store, CLI and UI tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

from sqlmodel import Session

from dispatcher.domain.enums import Channel, ContactPointKind, Priority, Role
from dispatcher.store.db.engine import Store
from dispatcher.store.models import (
    Calendar,
    Category,
    Client,
    Competence,
    Contact,
    ContactPoint,
    Contract,
    Queue,
    SlaPlan,
    SlaPlanTarget,
    Ticket,
    User,
    UserCompetence,
)
from dispatcher.store.tickets.writes import NewTicket, create_ticket

T = TypeVar("T")

OFFICE_HOURS = {d: ["09:00-13:00", "14:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
# (first response, resolution) in business minutes per priority
TARGETS = {
    Priority.urgent: (30, 240),
    Priority.high: (60, 480),
    Priority.normal: (240, 1440),
    Priority.low: (480, 2880),
}


@dataclass
class World:
    dispatcher: User
    engineer: User
    engineer2: User
    lead: User
    queue: Queue
    category: Category
    client: Client
    contact: Contact
    contract: Contract
    plan: SlaPlan
    calendar: Calendar
    default_plan: SlaPlan


def _add(session: Session, row: T) -> T:
    session.add(row)
    session.flush()
    return row


def build_world(session: Session) -> World:
    office = _add(
        session, Calendar(name="office", timezone="Europe/Moscow", hours=OFFICE_HOURS, country="RU")
    )
    always = _add(session, Calendar(name="24x7", timezone="UTC", always_open=True))
    plans = []
    for name, calendar, is_default in (("standard", office, True), ("premium", always, False)):
        plan = _add(
            session, SlaPlan(name=name, calendar_id=calendar.id or 0, is_default=is_default)
        )
        for priority, (first, resolution) in TARGETS.items():
            _add(
                session,
                SlaPlanTarget(
                    plan_id=plan.id or 0,
                    priority=priority,
                    first_response_minutes=first,
                    resolution_minutes=resolution,
                ),
            )
        plans.append(plan)
    standard, premium = plans
    network = _add(session, Competence(code="network", name="Networks"))
    queue = _add(session, Queue(name="Support"))
    category = _add(session, Category(name="Network", queue_id=queue.id, competence_id=network.id))
    users = [
        _add(session, User(login=login, name=name, role=role, email=f"{login}@example.com"))
        for login, name, role in (
            ("olga", "Olga Dispatcher", Role.dispatcher),
            ("ivan", "Ivan Engineer", Role.engineer),
            ("petr", "Petr Engineer", Role.engineer),
            ("lena", "Lena Lead", Role.lead),
        )
    ]
    for engineer in users[1:3]:
        _add(session, UserCompetence(user_id=engineer.id or 0, competence_id=network.id or 0))
    client = _add(session, Client(name="Acme"))
    contact = _add(session, Contact(client_id=client.id or 0, name="Anna Client"))
    _add(
        session,
        ContactPoint(
            contact_id=contact.id or 0,
            kind=ContactPointKind.email,
            value="anna@acme.example",
            display="anna@acme.example",
        ),
    )
    contract = _add(
        session,
        Contract(
            number="C-1",
            client_id=client.id or 0,
            sla_plan_id=premium.id or 0,
            valid_from=date(2026, 1, 1),
        ),
    )
    return World(
        dispatcher=users[0],
        engineer=users[1],
        engineer2=users[2],
        lead=users[3],
        queue=queue,
        category=category,
        client=client,
        contact=contact,
        contract=contract,
        plan=premium,
        calendar=always,
        default_plan=standard,
    )


def world(store: Store) -> World:
    with store.write() as session:
        return build_world(session)


def new_ticket(
    store: Store,
    w: World,
    *,
    now: datetime,
    subject: str = "VPN is down",
    priority: Priority = Priority.high,
    body: str = "Nobody can connect since the morning.",
) -> Ticket:
    with store.write() as session:
        return create_ticket(
            session,
            data=NewTicket(
                subject=subject,
                body=body,
                client_id=w.client.id,
                contact_id=w.contact.id,
                priority=priority,
                channel=Channel.phone,
                queue_id=w.queue.id,
                category_id=w.category.id,
            ),
            actor_id=w.dispatcher.id,
            now=now,
        )
