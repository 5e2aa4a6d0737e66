"""Reading a ticket whole for the detail view, the previews the console's forms show
before a write, and the names the queue's pickers offer. Read models are plain frozen
dataclasses, safe to hand to widgets.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from dispatcher.domain.enums import (
    ContactPointKind,
    LinkKind,
    MessageKind,
    Priority,
    TicketStatus,
)
from dispatcher.domain.errors import NotFoundError
from dispatcher.read_models.tickets import (
    AddressView,
    AttachmentView,
    ClassifyChoices,
    DeadlinePreview,
    EscalationView,
    HistoryEntry,
    LinkView,
    Named,
    ThreadMessage,
    TicketBrief,
    TicketDetail,
    TicketView,
)
from dispatcher.store.clients import contracts
from dispatcher.store.mail.attachments import ticket_attachments
from dispatcher.store.models import (
    Category,
    Client,
    Contact,
    ContactPoint,
    Contract,
    Equipment,
    Escalation,
    Message,
    Queue,
    SlaPlan,
    Ticket,
    TicketLink,
    User,
    table_of,
)
from dispatcher.store.sla import clock as sla_clock
from dispatcher.store.sla.explain import explain
from dispatcher.store.tickets import writes
from dispatcher.store.tickets.history import describe, history, names_for
from dispatcher.store.tickets.queue_names import queue_names as queue_names  # its old home


def _named(row: Any, label: str) -> Named | None:
    if row is None or row.id is None:
        return None
    return Named(row.id, getattr(row, label))


def contact_addresses(session: Session, *, contact_id: int | None) -> list[AddressView]:
    """The contact's email addresses, working ones first, each saying whether (since when,
    and why) mail to it bounces."""
    if contact_id is None:
        return []
    points = session.exec(
        select(ContactPoint)
        .where(
            ContactPoint.contact_id == contact_id,
            ContactPoint.kind == ContactPointKind.email,
        )
        .order_by(col(ContactPoint.bouncing), col(ContactPoint.id))
    ).all()
    return [
        AddressView(
            address=p.value,
            failing=p.bouncing,
            failing_since=p.bouncing_since,
            reason=p.bounce_reason,
        )
        for p in points
    ]


def recipient_addresses(session: Session, *, ticket_id: int) -> list[AddressView]:
    """The email addresses of the ticket's contact (see `contact_addresses`)."""
    ticket = writes.get_ticket(session, ticket_id=ticket_id)
    return contact_addresses(session, contact_id=ticket.contact_id)


def ticket_detail(session: Session, *, ticket_id: int) -> TicketDetail:
    t = writes.get_ticket(session, ticket_id=ticket_id)
    assert t.id is not None

    def get(model: Any, key: int | None) -> Any:
        return session.get(model, key) if key is not None else None

    plan = get(SlaPlan, t.sla_plan_id)
    creator = get(User, t.created_by_id)
    contract = get(Contract, t.contract_id)
    expired: Contract | None = None
    if contract is None and t.client_id is not None:
        check = contracts.check_client_contract(
            session, client_id=t.client_id, on=t.created_at.date()
        )
        if check.state == contracts.ContractState.expired:
            expired = check.contract
    escalations = session.exec(
        select(Escalation, User.login)
        .join(User, col(User.id) == col(Escalation.to_user_id), isouter=True)
        .where(Escalation.ticket_id == ticket_id)
        .order_by(col(Escalation.id))
    ).all()
    links = session.exec(
        select(TicketLink.other_ticket_id, TicketLink.kind, Ticket.subject, Ticket.status)
        .join(Ticket, col(Ticket.id) == col(TicketLink.other_ticket_id))
        .where(TicketLink.ticket_id == ticket_id)
        .order_by(col(TicketLink.id))
    ).all()
    return TicketDetail(
        id=t.id,
        subject=t.subject,
        status=t.status,
        priority=t.priority,
        channel=t.channel,
        version=t.version,
        queue=_named(get(Queue, t.queue_id), "name"),
        category=_named(get(Category, t.category_id), "name"),
        client=_named(get(Client, t.client_id), "name"),
        contact=_named(get(Contact, t.contact_id), "name"),
        contract=_named(contract, "number"),
        contract_ends=contract.valid_to if contract else None,
        expired_contract=_named(expired, "number"),
        expired_on=expired.valid_to if expired else None,
        equipment=_named(get(Equipment, t.equipment_id), "name"),
        plan=plan.name if plan else None,
        assignee=_named(get(User, t.assignee_id), "login"),
        created_by=creator.login if creator else None,
        created_at=t.created_at,
        updated_at=t.updated_at,
        first_response_due=t.first_response_due,
        first_responded_at=t.first_responded_at,
        resolution_due=t.resolution_due,
        next_update_due=t.next_update_due,
        sla_paused_since=t.sla_paused_since,
        next_due_at=t.next_due_at,
        resolved_at=t.resolved_at,
        closed_at=t.closed_at,
        reopen_count=t.reopen_count,
        merged_into_id=t.merged_into_id,
        escalations=tuple(
            EscalationView(
                target=e.target.value,
                to=login,
                vendor=e.vendor,
                vendor_ref=e.vendor_ref,
                promised_at=e.promised_at,
                next_checkin_at=e.next_checkin_at,
                note=e.note,
                created_at=e.created_at,
            )
            for e, login in escalations
        ),
        links=tuple(
            LinkView(other, LinkKind(kind), subject, TicketStatus(status))
            for other, kind, subject, status in links
        ),
        contact_addresses=tuple(contact_addresses(session, contact_id=t.contact_id)),
    )


def thread(session: Session, *, ticket_id: int) -> list[ThreadMessage]:
    rows = session.exec(
        select(Message, User.login, Contact.name)
        .join(User, col(User.id) == col(Message.author_id), isouter=True)
        .join(Contact, col(Contact.id) == col(Message.contact_id), isouter=True)
        .where(Message.ticket_id == ticket_id)
        .order_by(col(Message.created_at), col(Message.id))
    ).all()
    files: dict[int, list[AttachmentView]] = {}
    for a in ticket_attachments(session, ticket_id=ticket_id):
        files.setdefault(a.message_id, []).append(AttachmentView(a.name, a.content_type, a.size))
    result = []
    for message, login, contact in rows:
        if message.kind == MessageKind.inbound:
            author = contact or message.from_address or "client"
        else:
            author = login or "the system"
        result.append(
            ThreadMessage(
                id=message.id or 0,
                kind=message.kind,
                channel=message.channel,
                author=author,
                created_at=message.created_at,
                subject=message.subject,
                body=message.body,
                label=message.label,
                attachments=tuple(files.get(message.id or 0, ())),
            )
        )
    return result


def ticket_view(session: Session, *, ticket_id: int, now: datetime) -> TicketView:
    detail = ticket_detail(session, ticket_id=ticket_id)
    ticket = writes.get_ticket(session, ticket_id=ticket_id)
    events = history(session, ticket_id=ticket_id)
    names = names_for(session, (event for event, _ in events))
    return TicketView(
        detail=detail,
        messages=tuple(thread(session, ticket_id=ticket_id)),
        history=tuple(
            HistoryEntry(
                at=event.at,
                actor=login or "the system",
                kind=event.kind.value,
                text=describe(event.kind, event.data, names),
                reason=event.reason,
                version=event.version,
            )
            for event, login in events
        ),
        sla=explain(session, ticket=ticket, now=now),
    )


def ticket_version(session: Session, *, ticket_id: int) -> int:
    """The ticket's current version: one indexed read, cheap enough to poll every second."""
    ticket = table_of(Ticket)
    version = (
        session.connection()
        .execute(core_select(ticket.c.version).where(ticket.c.id == ticket_id))
        .scalar_one_or_none()
    )
    if version is None:
        raise NotFoundError("ticket", f"#{ticket_id}")
    return int(version)


def ticket_brief(session: Session, *, ticket_id: int) -> TicketBrief:
    ticket = writes.get_ticket(session, ticket_id=ticket_id)
    client = session.get(Client, ticket.client_id) if ticket.client_id else None
    assignee = session.get(User, ticket.assignee_id) if ticket.assignee_id else None
    count = len(session.exec(select(Message.id).where(Message.ticket_id == ticket_id)).all())
    return TicketBrief(
        id=ticket_id,
        subject=ticket.subject,
        status=ticket.status,
        client=client.name if client else None,
        assignee=assignee.login if assignee else None,
        messages=count,
    )


def classify_choices(session: Session, *, client_id: int | None) -> ClassifyChoices:
    categories = session.exec(select(Category).order_by(col(Category.name))).all()
    clients = session.exec(
        select(Client).where(col(Client.active).is_(True)).order_by(col(Client.name))
    ).all()
    contracts: list[Named] = []
    equipment: list[Named] = []
    if client_id is not None:
        contracts = [
            Named(c.id or 0, f"{c.number} ({c.valid_from} to {c.valid_to or 'open'})")
            for c in session.exec(
                select(Contract)
                .where(Contract.client_id == client_id)
                .order_by(col(Contract.valid_from))
            ).all()
        ]
        equipment = [
            Named(e.id or 0, e.name + (f" ({e.serial})" if e.serial else ""))
            for e in session.exec(
                select(Equipment)
                .where(Equipment.client_id == client_id)
                .order_by(col(Equipment.name))
            ).all()
        ]
    return ClassifyChoices(
        categories=tuple(Named(c.id or 0, c.name) for c in categories),
        clients=tuple(Named(c.id or 0, c.name) for c in clients),
        contracts=tuple(contracts),
        equipment=tuple(equipment),
    )


def colleagues(session: Session) -> list[Named]:
    """Active people who can be given work, by login (shown as `login (Name)`)."""
    users = session.exec(
        select(User).where(col(User.active).is_(True)).order_by(col(User.login))
    ).all()
    return [Named(u.id or 0, f"{u.login} ({u.name})") for u in users]


def deadline_preview(
    session: Session, *, client_id: int | None, priority: Priority, now: datetime
) -> DeadlinePreview:
    """The plan and deadlines a ticket created now for the client would get."""
    covered, expired = False, False
    line = "no client: the default SLA plan applies"
    if client_id is not None:
        check = contracts.check_client_contract(session, client_id=client_id, on=now.date())
        covered = check.covered
        expired = check.state == contracts.ContractState.expired
        line = check.describe()
    contract = sla_clock.contract_for(session, client_id=client_id, on=now)
    plan = (
        session.get(SlaPlan, contract.sla_plan_id)
        if contract is not None
        else sla_clock.default_plan(session)
    )
    if plan is None or plan.id is None:
        return DeadlinePreview(line, covered, expired, None, None, None)
    budgets = sla_clock.budgets_for(session, plan_id=plan.id, priority=priority)
    calendar = sla_clock.calendar_of_plan(session, plan=plan)
    first = resolution = None
    if budgets is not None and budgets.first_response is not None:
        first = calendar.add_business_minutes(now, budgets.first_response)
    if budgets is not None and budgets.resolution is not None:
        resolution = calendar.add_business_minutes(now, budgets.resolution)
    return DeadlinePreview(line, covered, expired, plan.name, first, resolution)
