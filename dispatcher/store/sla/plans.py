"""Calendars and SLA plans from configuration; what a plan change does to open tickets."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, select

from dispatcher.domain.enums import Priority
from dispatcher.domain.errors import NotFoundError
from dispatcher.domain.sla_config import PlanSpec, SlaConfig
from dispatcher.store.models import ACTIVE_STATUS_SQL, Calendar, SlaPlan, SlaPlanTarget, Ticket
from dispatcher.store.sla import clock as sla_clock


@dataclass
class LoadResult:
    calendars_created: int = 0
    calendars_updated: int = 0
    plans_created: int = 0
    plans_updated: int = 0
    tickets_recomputed: int = 0

    @property
    def changed(self) -> bool:
        return any(
            (self.calendars_created, self.calendars_updated, self.plans_created, self.plans_updated)
        )


def load_sla_config(session: Session, *, config: SlaConfig, now: datetime) -> LoadResult:
    """Create or update calendars and plans as the file says (idempotent).

    Open tickets on a changed plan get an `sla_plan_changed` event with the new budgets;
    those on a changed calendar are recomputed. No past event is rewritten.
    """
    result = LoadResult()
    changed_calendars: set[int] = set()
    for name, spec in config.calendars.items():
        data = spec.to_json()
        row = session.exec(select(Calendar).where(Calendar.name == name)).first()
        if row is None:
            session.add(Calendar(name=name, updated_at=now, **data))
            result.calendars_created += 1
            continue
        current = row.model_dump(include=set(data))
        if current != data:
            for key, value in data.items():
                setattr(row, key, value)
            row.updated_at = now
            session.add(row)
            changed_calendars.add(row.id or 0)
            result.calendars_updated += 1
    session.flush()

    changed_plans: set[int] = set()
    for plan_spec in config.plans.values():
        plan_id, created, updated = _upsert_plan(session, spec=plan_spec, now=now)
        result.plans_created += created
        result.plans_updated += updated
        if updated:
            changed_plans.add(plan_id)
    if config.default_plan is not None:
        for plan in session.exec(select(SlaPlan).where(col(SlaPlan.is_default))).all():
            if plan.name != config.default_plan.name:
                plan.is_default = False
                session.add(plan)
    session.flush()

    for ticket in _active_tickets_on(session, plan_ids=changed_plans):
        sla_clock.replan(session, ticket=ticket, actor_id=None, now=now)
        result.tickets_recomputed += 1
    calendar_plans = {
        plan.id or 0
        for plan in session.exec(
            select(SlaPlan).where(col(SlaPlan.calendar_id).in_(changed_calendars))
        ).all()
    } - changed_plans
    for ticket in _active_tickets_on(session, plan_ids=calendar_plans):
        sla_clock.refresh_due(session, ticket=ticket, now=now)
        result.tickets_recomputed += 1
    return result


def _upsert_plan(session: Session, *, spec: PlanSpec, now: datetime) -> tuple[int, int, int]:
    calendar = session.exec(select(Calendar).where(Calendar.name == spec.calendar)).first()
    if calendar is None or calendar.id is None:
        raise NotFoundError("calendar", spec.calendar)
    fields: dict[str, Any] = {
        "description": spec.description,
        "calendar_id": calendar.id,
        "is_default": spec.is_default,
        "confirm_window_minutes": spec.confirm_window_minutes,
        "breach_raises_priority": spec.breach_raises_priority,
    }
    plan = session.exec(select(SlaPlan).where(SlaPlan.name == spec.name)).first()
    created = plan is None
    if plan is None:
        plan = SlaPlan(name=spec.name, updated_at=now, **fields)
        session.add(plan)
        session.flush()
    assert plan.id is not None
    updated = not created and any(getattr(plan, k) != v for k, v in fields.items())
    for key, value in fields.items():
        setattr(plan, key, value)
    existing = {
        t.priority: t
        for t in session.exec(select(SlaPlanTarget).where(SlaPlanTarget.plan_id == plan.id)).all()
    }
    for priority in Priority:
        target = spec.targets.get(priority)
        row = existing.get(priority)
        if target is None:
            if row is not None:
                session.delete(row)
                updated = not created
            continue
        values: dict[str, Any] = {
            "first_response_minutes": target.first_response_minutes,
            "resolution_minutes": target.resolution_minutes,
            "update_minutes": target.update_minutes,
            "warn_before_minutes": list(target.warn_before_minutes),
        }
        if row is None:
            session.add(SlaPlanTarget(plan_id=plan.id, priority=priority, **values))
            updated = updated or not created
        elif any(getattr(row, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(row, key, value)
            session.add(row)
            updated = True
    if updated:
        plan.updated_at = now
    session.add(plan)
    session.flush()
    return plan.id, int(created), int(updated)


def _active_tickets_on(session: Session, *, plan_ids: set[int]) -> Iterator[Ticket]:
    if not plan_ids:
        return
    last_id = 0
    while True:
        batch = session.exec(
            select(Ticket)
            .where(
                text(ACTIVE_STATUS_SQL),
                col(Ticket.sla_plan_id).in_(plan_ids),
                col(Ticket.id) > last_id,
            )
            .order_by(col(Ticket.id))
            .limit(500)
        ).all()
        if not batch:
            return
        yield from batch
        last_id = batch[-1].id or 0


def get_plan(session: Session, *, name: str) -> SlaPlan:
    plan = session.exec(select(SlaPlan).where(SlaPlan.name == name)).first()
    if plan is None:
        known = ", ".join(p.name for p in session.exec(select(SlaPlan)).all()) or "none yet"
        raise NotFoundError("SLA plan", f"{name!r} (known: {known})")
    return plan


def get_calendar(session: Session, *, name: str) -> Calendar:
    row = session.exec(select(Calendar).where(Calendar.name == name)).first()
    if row is None:
        known = ", ".join(c.name for c in session.exec(select(Calendar)).all()) or "none yet"
        raise NotFoundError("calendar", f"{name!r} (known: {known})")
    return row


@dataclass(frozen=True, slots=True)
class PlanView:
    plan: SlaPlan
    calendar: str
    targets: list[SlaPlanTarget]


def list_plans(session: Session) -> list[PlanView]:
    """Every plan with its calendar's name and its targets, most urgent priority first."""
    calendars = {c.id: c.name for c in session.exec(select(Calendar)).all()}
    targets = session.exec(select(SlaPlanTarget)).all()
    return [
        PlanView(
            plan=plan,
            calendar=calendars.get(plan.calendar_id, ""),
            targets=sorted(
                (t for t in targets if t.plan_id == plan.id), key=lambda t: t.priority.rank
            ),
        )
        for plan in session.exec(select(SlaPlan).order_by(col(SlaPlan.name))).all()
    ]


def list_calendars(session: Session) -> list[Calendar]:
    return list(session.exec(select(Calendar).order_by(col(Calendar.name))).all())
