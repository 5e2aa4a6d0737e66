"""Escalating, merging and linking: a ticket handed to a colleague or a vendor, folded into
another, or tied to one. Each is a version-checked write with its history event, as in
`writes`."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from dispatcher.domain.clock import utcnow
from dispatcher.domain.enums import (
    ACTIVE_STATUSES,
    EscalationTarget,
    EventKind,
    LinkKind,
    TicketStatus,
)
from dispatcher.domain.errors import (
    ConflictError,
    NotFoundError,
    ValidationError,
)
from dispatcher.store.models import (
    Escalation,
    Message,
    Ticket,
    TicketLink,
    User,
)
from dispatcher.store.reports.facts import refresh_facts
from dispatcher.store.sla import clock as sla_clock
from dispatcher.store.tickets.history import record
from dispatcher.store.tickets.writes import get_ticket, lock_for_write, require_active


def escalate(
    session: Session,
    *,
    ticket_id: int,
    expected_version: int | None,
    actor_id: int | None,
    target: EscalationTarget,
    to_user_id: int | None = None,
    vendor: str = "",
    vendor_ref: str = "",
    promised_at: datetime | None = None,
    next_checkin_at: datetime | None = None,
    note: str = "",
    now: datetime | None = None,
) -> Escalation:
    """Hand the ticket to a more qualified colleague or an external vendor."""
    now = now or utcnow()
    target = EscalationTarget(target)
    if target == EscalationTarget.colleague and to_user_id is None:
        raise ValidationError("escalating to a colleague needs the colleague")
    if target == EscalationTarget.vendor and not vendor.strip():
        raise ValidationError("escalating to a vendor needs the vendor's name")
    ticket = lock_for_write(session, ticket_id=ticket_id, expected_version=expected_version)
    require_active(session, actor_id=actor_id)
    if ticket.status not in ACTIVE_STATUSES:
        raise ConflictError(f"{ticket.ref} is {ticket.status}; only open work can be escalated")
    colleague = session.get(User, to_user_id) if to_user_id is not None else None
    if to_user_id is not None and colleague is None:
        raise NotFoundError("user", to_user_id)
    escalation = Escalation(
        ticket_id=ticket_id,
        target=target,
        to_user_id=to_user_id,
        vendor=vendor.strip(),
        vendor_ref=vendor_ref.strip(),
        promised_at=promised_at,
        next_checkin_at=next_checkin_at,
        note=note,
        created_at=now,
        created_by_id=actor_id,
    )
    session.add(escalation)
    old = ticket.status
    if target == EscalationTarget.colleague:
        ticket.assignee_id = to_user_id
        ticket.status = TicketStatus.assigned
    else:
        ticket.status = TicketStatus.escalated
    record(
        session,
        ticket=ticket,
        kind=EventKind.escalated,
        actor_id=actor_id,
        now=now,
        data={
            "target": target.value,
            "to": colleague.login if colleague else None,
            "vendor": escalation.vendor or None,
            "vendor_ref": escalation.vendor_ref or None,
            "promised_at": promised_at.isoformat() if promised_at else None,
            "next_checkin_at": next_checkin_at.isoformat() if next_checkin_at else None,
            "status": [old.value, ticket.status.value],
        },
        reason=note,
    )
    sla_clock.on_status_change(session, ticket=ticket, old=old, actor_id=actor_id, now=now)
    session.flush()
    refresh_facts(session, ticket)
    return escalation


def merge(
    session: Session,
    *,
    ticket_id: int,
    into_id: int,
    expected_version: int | None,
    actor_id: int | None,
    reason: str = "",
    now: datetime | None = None,
) -> Ticket:
    """Merge a duplicate into another ticket: its messages move, it becomes `merged`."""
    now = now or utcnow()
    if ticket_id == into_id:
        raise ValidationError("a ticket cannot be merged into itself")
    source = lock_for_write(session, ticket_id=ticket_id, expected_version=expected_version)
    require_active(session, actor_id=actor_id)
    target = lock_for_write(session, ticket_id=into_id, expected_version=None)
    if source.status in (TicketStatus.merged, TicketStatus.spam):
        raise ConflictError(f"{source.ref} is {source.status} and cannot be merged")
    if target.status in (TicketStatus.merged, TicketStatus.spam):
        raise ConflictError(f"{target.ref} is {target.status}; merge into the ticket it went to")
    moved = session.exec(select(Message).where(Message.ticket_id == ticket_id)).all()
    for message in moved:
        message.ticket_id = into_id
        session.add(message)
    old = source.status
    source.status = TicketStatus.merged
    source.merged_into_id = into_id
    record(
        session,
        ticket=source,
        kind=EventKind.merged,
        actor_id=actor_id,
        now=now,
        data={"into": into_id, "messages": len(moved), "status": [old.value, "merged"]},
        reason=reason,
    )
    record(
        session,
        ticket=target,
        kind=EventKind.merged,
        actor_id=actor_id,
        now=now,
        data={"from": ticket_id, "messages": len(moved)},
        reason=reason,
    )
    sla_clock.on_status_change(session, ticket=source, old=old, actor_id=actor_id, now=now)
    session.flush()
    refresh_facts(session, source, target)
    return target


def link(
    session: Session,
    *,
    ticket_id: int,
    other_id: int,
    kind: LinkKind = LinkKind.related,
    actor_id: int | None,
    now: datetime | None = None,
) -> TicketLink:
    now = now or utcnow()
    if ticket_id == other_id:
        raise ValidationError("a ticket cannot be linked to itself")
    ticket = lock_for_write(session, ticket_id=ticket_id, expected_version=None)
    require_active(session, actor_id=actor_id)
    get_ticket(session, ticket_id=other_id)
    existing = session.exec(
        select(TicketLink).where(
            TicketLink.ticket_id == ticket_id,
            TicketLink.other_ticket_id == other_id,
            TicketLink.kind == kind,
        )
    ).first()
    if existing is not None:
        return existing
    row = TicketLink(
        ticket_id=ticket_id,
        other_ticket_id=other_id,
        kind=kind,
        created_at=now,
        created_by_id=actor_id,
    )
    session.add(row)
    record(
        session,
        ticket=ticket,
        kind=EventKind.linked,
        actor_id=actor_id,
        now=now,
        data={"other": other_id, "link": kind.value},
    )
    session.flush()
    return row
