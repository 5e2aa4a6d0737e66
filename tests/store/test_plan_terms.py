"""A plan's terms in one read (`plan_terms`) are what the separate reads give.

The clock inside a write reads its plan, calendar, budgets and warnings in one statement;
these tests hold it to `plan_for`, `budgets_for`, `warn_thresholds` and the plan's
calendar, for every plan and priority of config/sla.example.toml and for tickets with and
without a contract.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from dispatcher.domain.enums import Priority
from dispatcher.domain.sla_config import parse_sla_config
from dispatcher.store.db.engine import Store
from dispatcher.store.models import Client, Contract, SlaPlan, SlaPlanTarget, Ticket
from dispatcher.store.sla import clock
from dispatcher.store.sla.plans import load_sla_config

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "sla.example.toml"


@pytest.fixture
def example(store: Store, now: datetime) -> Store:
    """The example's calendars and plans, a client with a contract on each plan, and the
    premium plan without a target for low priority (a plan may leave one out)."""
    config = parse_sla_config(EXAMPLE.read_text(encoding="utf-8"))
    with store.write() as session:
        load_sla_config(session, config=config, now=now)
        session.flush()
        for plan in session.exec(select(SlaPlan).order_by(col(SlaPlan.id))).all():
            client = Client(name=f"Client on {plan.name}")
            session.add(client)
            session.flush()
            session.add(
                Contract(
                    number=f"C-{plan.name}",
                    client_id=client.id or 0,
                    sla_plan_id=plan.id or 0,
                    valid_from=date(2026, 1, 1),
                )
            )
        premium = session.exec(select(SlaPlan).where(SlaPlan.name == "premium")).one()
        low = session.exec(
            select(SlaPlanTarget).where(
                SlaPlanTarget.plan_id == premium.id, SlaPlanTarget.priority == Priority.low
            )
        ).one()
        session.delete(low)
    return store


def _separately(session: Session, plan: SlaPlan, priority: Priority) -> clock.PlanTerms:
    """The terms as the reads one by one give them."""
    assert plan.id is not None
    budgets = clock.budgets_for(session, plan_id=plan.id, priority=priority)
    return clock.PlanTerms(
        plan_id=plan.id,
        name=plan.name,
        calendar=clock.calendar_of_plan(session, plan=plan),
        budgets=budgets,
        warn_before=clock.warn_thresholds(session, plan_id=plan.id, priority=priority),
        confirm_window_minutes=plan.confirm_window_minutes,
    )


def _comparable(terms: clock.PlanTerms | None) -> tuple[object, ...] | None:
    if terms is None:
        return None
    return (
        terms.plan_id,
        terms.name,
        terms.calendar.spec,
        terms.budgets,
        terms.warn_before,
        terms.confirm_window_minutes,
    )


def test_every_plan_and_priority_of_the_example(example: Store) -> None:
    with example.read() as session:
        plans = session.exec(select(SlaPlan).order_by(col(SlaPlan.id))).all()
        assert sorted(p.name for p in plans) == ["premium", "standard"]
        compared = 0
        for plan in plans:
            for priority in Priority:
                one_read = clock.plan_terms(session, plan_id=plan.id, priority=priority)
                assert _comparable(one_read) == _comparable(_separately(session, plan, priority))
                compared += 1
        assert compared == len(plans) * len(Priority)
        premium = next(p for p in plans if p.name == "premium")
        low = clock.plan_terms(session, plan_id=premium.id, priority=Priority.low)
        assert low is not None
        assert (low.budgets, low.warn_before) == (None, ())
        assert clock.plan_terms(session, plan_id=None, priority=Priority.high) is None
        assert clock.plan_terms(session, plan_id=10**6, priority=Priority.high) is None


@pytest.mark.parametrize("default_name", ["standard", "premium"])
def test_the_plan_of_a_contract_or_else_the_default(example: Store, default_name: str) -> None:
    """The example's default plan comes first; the other way round, the default is not the
    plan of the lowest id."""
    with example.write() as session:
        for plan in session.exec(select(SlaPlan)).all():
            plan.is_default = plan.name == default_name
            session.add(plan)
    with example.read() as session:
        contracts = session.exec(select(Contract).order_by(col(Contract.id))).all()
        # Each contract, no contract, and a contract that is gone: the default plan.
        for contract_id in [*(c.id for c in contracts), None, 10**6]:
            for priority in Priority:
                ticket = Ticket(subject="x", contract_id=contract_id, priority=priority)
                chosen = clock.plan_for(session, ticket=ticket)
                assert chosen is not None
                one_read = clock.plan_terms(
                    session, contract_id=contract_id, priority=priority, by_contract=True
                )
                assert _comparable(one_read) == _comparable(_separately(session, chosen, priority))
        default = clock.plan_for(session, ticket=Ticket(subject="x", priority=Priority.high))
        assert default is not None
        assert (default.name, default.is_default) == (default_name, True)
