"""Taking a ticket, taking the next most urgent one, and an engineer's own list (with the
unassigned tickets nobody has classified yet, which "take next" cannot offer).

Writes go through the ticket repository (`store.tickets.writes`), so each one checks the
version and lands in history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, text
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from dispatcher.domain.enums import (
    ACTIVE_STATUSES,
    Priority,
    SlaTarget,
    TicketStatus,
)
from dispatcher.read_models.queue import due_target
from dispatcher.store.models import (
    ACTIVE_STATUS_SQL,
    Category,
    Client,
    Ticket,
    UserCompetence,
    table_of,
)
from dispatcher.store.tickets import writes

# What "take next" offers: work nobody has started (or that waits for this engineer).
TAKEABLE_STATUSES: tuple[TicketStatus, ...] = (
    TicketStatus.new,
    TicketStatus.open,
    TicketStatus.assigned,
)


def take(
    session: Session, *, ticket_id: int, expected_version: int | None, user_id: int, now: datetime
) -> Ticket:
    """The user takes the ticket: assigned to them and in progress (two history entries)."""
    ticket = writes.assign(
        session,
        ticket_id=ticket_id,
        expected_version=expected_version,
        actor_id=user_id,
        assignee_id=user_id,
        reason="taken",
        now=now,
    )
    if ticket.status in TAKEABLE_STATUSES:
        ticket = writes.change_status(
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
    first_responded: bool = False
    next_update_due: datetime | None = None

    @property
    def ref(self) -> str:
        return f"#{self.id}"

    @property
    def due_target(self) -> SlaTarget | None:
        return due_target(self.next_due_at, self.first_responded, self.next_update_due)


def my_work(session: Session, *, user_id: int, limit: int = 500) -> list[WorkRow]:
    """The user's assigned active tickets, most urgent first."""
    rows = session.exec(
        select(Ticket, Client.name)
        .join(Client, col(Client.id) == col(Ticket.client_id), isouter=True)
        .where(Ticket.assignee_id == user_id, col(Ticket.status).in_(ACTIVE_STATUSES))
        .order_by(col(Ticket.next_due_at), col(Ticket.id))
        .limit(limit)
    ).all()
    return _work_rows(rows)


def _work_rows(rows: Any) -> list[WorkRow]:
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
            first_responded=t.first_responded_at is not None,
            next_update_due=t.next_update_due,
        )
        for t, name in rows
    ]


def unclassified(session: Session, *, limit: int = 200) -> list[WorkRow]:
    """Active unassigned tickets without a category, most urgent first.

    "Take next" matches a ticket's category to the engineer's competences, so a ticket
    nobody has classified is never offered to anyone; engineers see these in a section of
    their own, so nothing falls between the first and the second line."""
    rows = session.exec(
        select(Ticket, Client.name)
        .join(Client, col(Client.id) == col(Ticket.client_id), isouter=True)
        .where(
            col(Ticket.category_id).is_(None),
            col(Ticket.assignee_id).is_(None),
            col(Ticket.status).in_(ACTIVE_STATUSES),
        )
        .order_by(col(Ticket.next_due_at), col(Ticket.id))
        .limit(limit)
    ).all()
    return _work_rows(rows)
