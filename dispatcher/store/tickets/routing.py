"""Reading who might get a ticket, for `domain.routing` to choose among.

A candidate is every engineer or lead (deactivated ones too, so the suggestion can say why
they were left out) with their competences, where they stand at the instant (on shift, on
leave), how many SLA-active tickets they hold, and when they last got a ticket of the
ticket's category (read from the history's `assigned` events, newest first, stopping as
soon as every candidate is found), and when they are next on shift and not on leave.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from dispatcher.domain import shifts as shift_rules
from dispatcher.domain.enums import ACTIVE_STATUSES, EventKind, Role, TicketStatus
from dispatcher.domain.routing import Candidate, Fit, Suggestion, rank_for_tickets, suggest
from dispatcher.store.models import (
    Category,
    Competence,
    Leave,
    Ticket,
    TicketEvent,
    User,
    WorkShift,
    table_of,
)
from dispatcher.store.people import competences
from dispatcher.store.tickets.writes import get_ticket

# Statuses whose SLA clock runs: the load that counts when choosing.
SLA_RUNNING_STATUSES: tuple[TicketStatus, ...] = tuple(
    s for s in ACTIVE_STATUSES if s != TicketStatus.waiting_client
)
CANDIDATE_ROLES = (Role.engineer, Role.lead)
# How far back the history is read for round-robin before giving up on the rest.
MAX_ASSIGNMENT_EVENTS = 20_000


def needed_competence(session: Session, *, category_id: int | None) -> str | None:
    """The competence code a category needs, or None (no category, or no requirement)."""
    if category_id is None:
        return None
    category = session.get(Category, category_id)
    if category is None or category.competence_id is None:
        return None
    competence = session.get(Competence, category.competence_id)
    return competence.code if competence else None


def sla_active_counts(session: Session, *, user_ids: list[int]) -> dict[int, int]:
    """How many SLA-active tickets each user holds (walks `ix_ticket_assignee_status`)."""
    if not user_ids:
        return {}
    ticket = table_of(Ticket)
    rows = session.connection().execute(
        core_select(ticket.c.assignee_id, func.count())
        .where(
            ticket.c.assignee_id.in_(user_ids),
            ticket.c.status.in_([s.value for s in SLA_RUNNING_STATUSES]),
        )
        .group_by(ticket.c.assignee_id)
    )
    counts = dict.fromkeys(user_ids, 0)
    for user_id, count in rows:
        counts[user_id] = int(count)
    return counts


def last_assignments(
    session: Session, *, category_id: int | None, user_ids: list[int]
) -> dict[int, datetime]:
    """When each user last got a ticket of the category, from the history, newest first."""
    wanted = set(user_ids)
    found: dict[int, datetime] = {}
    if category_id is None or not wanted:
        return found
    event, ticket = table_of(TicketEvent), table_of(Ticket)
    statement = (
        core_select(event.c.at, event.c.data)
        .select_from(event.join(ticket, ticket.c.id == event.c.ticket_id))
        .where(event.c.kind == EventKind.assigned.value, ticket.c.category_id == category_id)
        .order_by(event.c.id.desc())
        .limit(MAX_ASSIGNMENT_EVENTS)
    )
    for at, data in session.connection().execute(statement):
        assignee = _assignee(data)
        if assignee in wanted and assignee not in found:
            found[assignee] = at
            if len(found) == len(wanted):
                break
    return found


def _assignee(data: Any) -> int | None:
    if isinstance(data, dict):
        value = data.get("assignee_id")
        return value if isinstance(value, int) else None
    return None


def candidates(session: Session, *, category_id: int | None, now: datetime) -> list[Candidate]:
    users = list(
        session.exec(
            select(User).where(col(User.role).in_(CANDIDATE_ROLES)).order_by(col(User.login))
        ).all()
    )
    ids = [u.id for u in users if u.id is not None]
    granted = competences.competences_by_user(session)
    counts = sla_active_counts(session, user_ids=ids)
    last = last_assignments(session, category_id=category_id, user_ids=ids)
    shifts_of, leave_of = _schedules(session, user_ids=ids, now=now)
    result = []
    for user in users:
        assert user.id is not None
        timezone = user.timezone
        where = shift_rules.availability(
            shifts=shifts_of.get(user.id, []),
            leaves=leave_of.get(user.id, []),
            timezone=timezone,
            at=now,
        )
        result.append(
            Candidate(
                user_id=user.id,
                login=user.login,
                name=user.name,
                active=user.active,
                competences=frozenset(granted.get(user.id, ())),
                on_shift=where.on_shift,
                on_leave=where.on_leave,
                sla_active_tickets=counts.get(user.id, 0),
                last_assigned_at=last.get(user.id),
                next_on_shift=shift_rules.next_available(
                    shifts=shifts_of.get(user.id, []),
                    leaves=leave_of.get(user.id, []),
                    timezone=timezone,
                    at=now,
                ),
            )
        )
    return result


def _schedules(
    session: Session, *, user_ids: Iterable[int], now: datetime
) -> tuple[dict[int, list[WorkShift]], dict[int, list[Leave]]]:
    """Every candidate's weekly shifts and their leave not over two days before `now`
    (leave is judged on the local date, at most a day from the UTC one), in two reads."""
    ids = list(user_ids)
    shifts: dict[int, list[WorkShift]] = {}
    leaves: dict[int, list[Leave]] = {}
    if not ids:
        return shifts, leaves
    for shift in session.exec(select(WorkShift).where(col(WorkShift.user_id).in_(ids))):
        shifts.setdefault(shift.user_id, []).append(shift)
    recent = now.astimezone(UTC).date() - timedelta(days=2)
    for leave in session.exec(
        select(Leave).where(col(Leave.user_id).in_(ids), col(Leave.ends_on) >= recent)
    ):
        leaves.setdefault(leave.user_id, []).append(leave)
    return shifts, leaves


def suggest_assignee(
    session: Session, *, ticket_id: int, now: datetime, tz: tzinfo = UTC
) -> Suggestion:
    """Who should get the ticket now, and why (see `domain.routing`); times in the reason
    are read in `tz`."""
    ticket = get_ticket(session, ticket_id=ticket_id)
    return suggest(
        candidates(session, category_id=ticket.category_id, now=now),
        competence=needed_competence(session, category_id=ticket.category_id),
        now=now,
        tz=tz,
    )


def fits_for_tickets(session: Session, *, ticket_ids: list[int], now: datetime) -> list[Fit]:
    """Everybody active by fit for all these tickets at once (a bulk assign): those lacking
    the competence for none of them first, then on shift now, then the load."""
    ticket = table_of(Ticket)
    category_ids = [
        row[0]
        for row in session.connection().execute(
            core_select(ticket.c.category_id).where(ticket.c.id.in_(ticket_ids))
        )
    ]
    needs = {c: needed_competence(session, category_id=c) for c in set(category_ids)}
    return rank_for_tickets(
        candidates(session, category_id=None, now=now),
        competences=[needs[c] for c in category_ids],
        now=now,
    )
