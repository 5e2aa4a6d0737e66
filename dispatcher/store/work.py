"""Working a ticket: reading it whole for the detail view, taking it, taking the next one,
an engineer's own list, and the previews the console's forms show before a write.

Read models are plain frozen dataclasses, safe to hand to widgets. Writes go through the
ticket repository (`store.tickets`), so each one checks the version and lands in history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, text
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from dispatcher.domain.enums import (
    ACTIVE_STATUSES,
    Channel,
    LinkKind,
    MessageKind,
    Priority,
    TicketStatus,
)
from dispatcher.domain.errors import NotFoundError
from dispatcher.store import clients as client_store
from dispatcher.store import sla_clock, tickets
from dispatcher.store.history import describe, history
from dispatcher.store.models import (
    ACTIVE_STATUS_SQL,
    Category,
    Client,
    Contact,
    Contract,
    Equipment,
    Escalation,
    Message,
    Queue,
    SlaPlan,
    Ticket,
    TicketLink,
    User,
    UserCompetence,
    table_of,
)
from dispatcher.store.sla_explain import explain

# What "take next" offers: work nobody has started (or that waits for this engineer).
TAKEABLE_STATUSES: tuple[TicketStatus, ...] = (
    TicketStatus.new,
    TicketStatus.open,
    TicketStatus.assigned,
)


# --- read models ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Named:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class EscalationView:
    target: str
    to: str | None
    vendor: str
    vendor_ref: str
    promised_at: datetime | None
    next_checkin_at: datetime | None
    note: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class LinkView:
    other_id: int
    kind: LinkKind
    subject: str
    status: TicketStatus


@dataclass(frozen=True, slots=True)
class TicketDetail:
    id: int
    subject: str
    status: TicketStatus
    priority: Priority
    channel: Channel
    version: int
    queue: Named | None
    category: Named | None
    client: Named | None
    contact: Named | None
    contract: Named | None
    equipment: Named | None
    plan: str | None
    assignee: Named | None
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    first_response_due: datetime | None
    first_responded_at: datetime | None
    resolution_due: datetime | None
    next_update_due: datetime | None
    sla_paused_since: datetime | None
    next_due_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    reopen_count: int
    merged_into_id: int | None
    escalations: tuple[EscalationView, ...] = ()
    links: tuple[LinkView, ...] = ()

    @property
    def ref(self) -> str:
        return f"#{self.id}"

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES


@dataclass(frozen=True, slots=True)
class ThreadMessage:
    id: int
    kind: MessageKind
    channel: Channel
    author: str
    created_at: datetime
    subject: str
    body: str


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    at: datetime
    actor: str
    kind: str
    text: str
    reason: str
    version: int


@dataclass(frozen=True, slots=True)
class TicketView:
    """Everything the detail screen shows, read in one unit of work."""

    detail: TicketDetail
    messages: tuple[ThreadMessage, ...]
    history: tuple[HistoryEntry, ...]
    sla: dict[str, Any] = field(default_factory=dict)


def _named(row: Any, label: str) -> Named | None:
    if row is None or row.id is None:
        return None
    return Named(row.id, getattr(row, label))


def ticket_detail(session: Session, *, ticket_id: int) -> TicketDetail:
    t = tickets.get_ticket(session, ticket_id=ticket_id)
    assert t.id is not None

    def get(model: Any, key: int | None) -> Any:
        return session.get(model, key) if key is not None else None

    plan = get(SlaPlan, t.sla_plan_id)
    creator = get(User, t.created_by_id)
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
        contract=_named(get(Contract, t.contract_id), "number"),
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
    )


def thread(session: Session, *, ticket_id: int) -> list[ThreadMessage]:
    rows = session.exec(
        select(Message, User.login, Contact.name)
        .join(User, col(User.id) == col(Message.author_id), isouter=True)
        .join(Contact, col(Contact.id) == col(Message.contact_id), isouter=True)
        .where(Message.ticket_id == ticket_id)
        .order_by(col(Message.created_at), col(Message.id))
    ).all()
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
            )
        )
    return result


def ticket_view(session: Session, *, ticket_id: int, now: datetime) -> TicketView:
    detail = ticket_detail(session, ticket_id=ticket_id)
    ticket = tickets.get_ticket(session, ticket_id=ticket_id)
    return TicketView(
        detail=detail,
        messages=tuple(thread(session, ticket_id=ticket_id)),
        history=tuple(
            HistoryEntry(
                at=event.at,
                actor=login or "the system",
                kind=event.kind.value,
                text=describe(event.kind, event.data),
                reason=event.reason,
                version=event.version,
            )
            for event, login in history(session, ticket_id=ticket_id)
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


@dataclass(frozen=True, slots=True)
class TicketBrief:
    """What a merge or link preview shows of the other ticket."""

    id: int
    subject: str
    status: TicketStatus
    client: str | None
    assignee: str | None
    messages: int

    @property
    def ref(self) -> str:
        return f"#{self.id}"


def ticket_brief(session: Session, *, ticket_id: int) -> TicketBrief:
    ticket = tickets.get_ticket(session, ticket_id=ticket_id)
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


# --- what the forms offer -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClassifyChoices:
    categories: tuple[Named, ...]
    clients: tuple[Named, ...]
    contracts: tuple[Named, ...]  # of the ticket's client
    equipment: tuple[Named, ...]  # of the ticket's client


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


@dataclass(frozen=True, slots=True)
class DeadlinePreview:
    """What the new-ticket form shows before saving: the contract and the deadlines."""

    contract: str  # one line: valid, expired, none
    covered: bool
    expired: bool
    plan: str | None
    first_response_due: datetime | None
    resolution_due: datetime | None


def deadline_preview(
    session: Session, *, client_id: int | None, priority: Priority, now: datetime
) -> DeadlinePreview:
    """The plan and deadlines a ticket created now for the client would get."""
    covered, expired = False, False
    line = "no client: the default SLA plan applies"
    if client_id is not None:
        check = client_store.check_client_contract(session, client_id=client_id, on=now.date())
        covered = check.covered
        expired = check.state == client_store.ContractState.expired
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


# --- taking work ----------------------------------------------------------------------


def take(
    session: Session, *, ticket_id: int, expected_version: int | None, user_id: int, now: datetime
) -> Ticket:
    """The user takes the ticket: assigned to them and in progress (two history entries)."""
    ticket = tickets.assign(
        session,
        ticket_id=ticket_id,
        expected_version=expected_version,
        actor_id=user_id,
        assignee_id=user_id,
        reason="taken",
        now=now,
    )
    if ticket.status in TAKEABLE_STATUSES:
        ticket = tickets.change_status(
            session,
            ticket_id=ticket_id,
            expected_version=ticket.version,
            actor_id=user_id,
            status=TicketStatus.in_progress,
            reason="taken",
            now=now,
        )
    return ticket


def eligible_category_ids(session: Session, *, user_id: int) -> list[int]:
    """Categories whose competence the user has, and categories that need none."""
    mine = select(UserCompetence.competence_id).where(UserCompetence.user_id == user_id)
    return [
        category_id
        for category_id in session.exec(
            select(Category.id).where(
                or_(
                    col(Category.competence_id).is_(None),
                    col(Category.competence_id).in_(mine),
                )
            )
        ).all()
        if category_id is not None
    ]


def next_ticket_statement(*, user_id: int, category_ids: list[int]) -> Any:
    """The most urgent takeable ticket for the user, on the `ix_ticket_active_due` path."""
    ticket = table_of(Ticket)
    return (
        core_select(ticket.c.id, ticket.c.version)
        .where(
            and_(
                text(f"{ticket.name}.{ACTIVE_STATUS_SQL}"),
                ticket.c.status.in_([s.value for s in TAKEABLE_STATUSES]),
                # Unassigned or mine, written so no index on the assignee tempts the planner
                # away from walking the due-time index (it then sorts every unassigned row).
                func.coalesce(ticket.c.assignee_id, user_id) == user_id,
                ticket.c.category_id.in_(category_ids),
            )
        )
        .order_by(ticket.c.next_due_at, ticket.c.id)
        .limit(1)
    )


def take_next(session: Session, *, user_id: int, now: datetime) -> Ticket | None:
    """Take the most urgent ticket the user is eligible for, or None when there is none.

    Call inside `Store.write()`: on SQLite the write transaction (`BEGIN IMMEDIATE`) already
    serialises takers; on PostgreSQL the row is locked and rows another taker holds are
    skipped, so two engineers taking next at once never get the same ticket.
    """
    category_ids = eligible_category_ids(session, user_id=user_id)
    if not category_ids:
        return None
    statement = next_ticket_statement(user_id=user_id, category_ids=category_ids)
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True)
    row = session.connection().execute(statement).first()
    if row is None:
        return None
    return take(session, ticket_id=row[0], expected_version=row[1], user_id=user_id, now=now)


@dataclass(frozen=True, slots=True)
class WorkRow:
    id: int
    subject: str
    status: TicketStatus
    priority: Priority
    next_due_at: datetime
    sla_paused_since: datetime | None
    client: str | None
    version: int

    @property
    def ref(self) -> str:
        return f"#{self.id}"


def my_work(session: Session, *, user_id: int, limit: int = 500) -> list[WorkRow]:
    """The user's assigned active tickets, most urgent first."""
    rows = session.exec(
        select(Ticket, Client.name)
        .join(Client, col(Client.id) == col(Ticket.client_id), isouter=True)
        .where(Ticket.assignee_id == user_id, col(Ticket.status).in_(ACTIVE_STATUSES))
        .order_by(col(Ticket.next_due_at), col(Ticket.id))
        .limit(limit)
    ).all()
    return [
        WorkRow(
            id=t.id or 0,
            subject=t.subject,
            status=t.status,
            priority=t.priority,
            next_due_at=t.next_due_at,
            sla_paused_since=t.sla_paused_since,
            client=name,
            version=t.version,
        )
        for t, name in rows
    ]
