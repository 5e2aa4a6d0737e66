"""The demo generator: a complete setup, consistent histories, the SLA clock's due times,
and the same database for the same seed and `now`."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Table, select
from sqlmodel import Session, SQLModel, col, func

from dispatcher.demo import catalogue
from dispatcher.demo.bulk import encode_json
from dispatcher.demo.generate import generate
from dispatcher.domain.enums import (
    ACTIVE_STATUSES,
    Channel,
    EventKind,
    MessageKind,
    Priority,
    Role,
    SlaTarget,
    TicketStatus,
    Visibility,
)
from dispatcher.domain.errors import ConflictError
from dispatcher.domain.sla import NO_DEADLINE, TargetState, alert_steps
from dispatcher.store.db import migrate
from dispatcher.store.db.engine import Store
from dispatcher.store.models import (
    Calendar,
    ContactPoint,
    Contract,
    KbArticle,
    KbArticleTag,
    Leave,
    Message,
    ReplyTemplate,
    SlaPlan,
    SlaPlanTarget,
    Ticket,
    TicketEvent,
    TicketFact,
    User,
    WorkShift,
)
from dispatcher.store.sla import clock as sla_clock
from dispatcher.store.sla.explain import explain

# The columns the SLA clock derives: `sla_clock.refresh_due` writes them.
SLA_COLUMNS = (
    "first_response_due",
    "first_responded_at",
    "resolution_due",
    "next_update_due",
    "sla_paused_since",
    "next_due_at",
    "next_alert_at",
)


def _fresh_sqlite(path: Path) -> Store:
    store = Store.open(str(path))
    migrate.upgrade(store.engine)
    return store


def _digest(store: Store) -> str:
    """A hash of every row of every table, read back through the column types."""
    digest = hashlib.sha256()
    with store.read() as session:
        for table in SQLModel.metadata.sorted_tables:
            assert isinstance(table, Table)
            order = list(table.primary_key.columns) or list(table.columns)
            for row in session.execute(select(table).order_by(*order)):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


@pytest.fixture
def demo(store: Store, now: datetime) -> Store:
    generate(store, tickets=600, seed=11, now=now, batch=250)
    return store


def test_same_seed_and_now_give_the_same_database(tmp_path: Path, now: datetime) -> None:
    stores = [_fresh_sqlite(tmp_path / f"{name}.db") for name in ("a", "b", "c", "d")]
    generate(stores[0], tickets=300, seed=5, now=now)
    generate(stores[1], tickets=300, seed=5, now=now, batch=77)
    generate(stores[2], tickets=300, seed=6, now=now)
    generate(stores[3], tickets=300, seed=5, now=now + timedelta(days=1))
    digests = [_digest(store) for store in stores]
    for store in stores:
        store.dispose()
    assert digests[0] == digests[1]  # batches do not matter
    assert digests[0] != digests[2]  # another seed, another history
    assert digests[0] != digests[3]  # another now, another history


def test_fast_sqlite_path_writes_what_the_core_insert_writes(tmp_path: Path, now: datetime) -> None:
    fast, core = _fresh_sqlite(tmp_path / "fast.db"), _fresh_sqlite(tmp_path / "core.db")
    generate(fast, tickets=250, seed=3, now=now, fast=True)
    generate(core, tickets=250, seed=3, now=now, fast=False)
    try:
        assert _digest(fast) == _digest(core)
    finally:
        fast.dispose()
        core.dispose()


def test_the_fast_path_writes_json_as_json_dumps_does() -> None:
    """SQLAlchemy's JSON type writes `json.dumps(value)`; the fast path writes that text."""
    for value in (
        {"changes": {"category_id": [None, 3], "status": ["new", "open"]}},
        {"target": "resolution", "late": False},
        {"text": 'Пётр «ёлка» "quoted"\n', "score": 4.5, "none": None, "list": []},
        {},
    ):
        assert encode_json(value) == json.dumps(value)
    with pytest.raises(TypeError, match="not JSON serializable"):
        encode_json({"at": datetime(2026, 1, 1, tzinfo=UTC)})


def test_the_backend_does_not_change_the_data(store: Store, tmp_path: Path, now: datetime) -> None:
    """The database under test (SQLite or PostgreSQL) holds what a SQLite file holds."""
    reference = _fresh_sqlite(tmp_path / "reference.db")
    generate(reference, tickets=120, seed=9, now=now)
    generate(store, tickets=120, seed=9, now=now)
    try:
        assert _digest(store) == _digest(reference)
    finally:
        reference.dispose()


def test_setup_without_tickets(store: Store, now: datetime) -> None:
    summary = generate(store, tickets=0, seed=1, now=now)
    assert summary.tickets == 0
    with store.read() as session:
        users = session.execute(select(User)).scalars().all()
        roles = {u.role for u in users}
        assert roles == set(Role)
        logins = {u.login for u in users}
        assert {"admin", "olga", "ivan", "lena"} <= logins
        assert next(u for u in users if u.login == "olga").role == Role.dispatcher
        assert session.execute(select(func.count()).select_from(WorkShift)).one()[0] > 10
        leaves = session.execute(select(Leave)).scalars().all()
        assert any(lv.starts_on <= now.date() <= lv.ends_on for lv in leaves)  # on leave now
        calendars = {c.name: c for c in session.execute(select(Calendar)).scalars().all()}
        assert {calendars[n].country for n in ("Moscow office", "London office")} == {"RU", "GB"}
        assert calendars["24x7"].always_open
        plans = session.execute(select(SlaPlan)).scalars().all()
        assert [p.name for p in plans if p.is_default] == ["standard"]
        targets = session.execute(select(SlaPlanTarget)).scalars().all()
        for plan in plans:
            assert {t.priority for t in targets if t.plan_id == plan.id} == set(Priority)
        contracts = session.execute(select(Contract)).scalars().all()
        today = now.date()
        assert any(c.valid_to is not None and c.valid_to < today for c in contracts)
        assert any(c.valid_to is None or c.valid_to >= today for c in contracts)
        points = session.execute(select(ContactPoint)).scalars().all()
        assert {p.kind for p in points} == {"email", "phone"}
        assert all(p.value.endswith(".example") for p in points if p.kind == "email")
        templates = session.execute(select(ReplyTemplate)).scalars().all()
        assert len(templates) >= 10
        assert all("{{" in t.body for t in templates)
        articles = session.execute(select(KbArticle)).scalars().all()
        assert len(articles) >= 20
        assert {a.visibility for a in articles} == set(Visibility)
        assert any(any("а" <= ch <= "я" for ch in a.title.lower()) for a in articles)
        assert session.execute(select(func.count()).select_from(KbArticleTag)).one()[0] >= 40
        assert session.execute(select(func.count()).select_from(Ticket)).one()[0] == 0
    assert summary.clients == len(catalogue.CLIENTS)


def test_histories_are_complete_and_versions_add_up(demo: Store, now: datetime) -> None:
    with demo.read() as session:
        tickets = {t.id: t for t in session.execute(select(Ticket)).scalars().all()}
        events = session.execute(select(TicketEvent).order_by(col(TicketEvent.id))).scalars().all()
        messages = session.execute(select(Message)).scalars().all()
    assert len(tickets) == 600
    by_ticket: dict[int, list[TicketEvent]] = {}
    for event in events:
        by_ticket.setdefault(event.ticket_id, []).append(event)
    for ticket_id, ticket in tickets.items():
        history = by_ticket[ticket_id or 0]
        assert history[0].kind == EventKind.created
        assert history[0].version == 1
        assert any(e.kind == EventKind.sla_started for e in history)
        versions = [e.version for e in history]
        assert versions == sorted(versions)
        assert ticket.version == versions[-1]
        ats = [e.at for e in history]
        assert ats == sorted(ats)
        assert ats[-1] <= now
        assert ticket.updated_at == max(
            [ticket.created_at] + [e.at for e in history if e.version > 1]
        )
    statuses = Counter(t.status for t in tickets.values())
    assert set(statuses) >= {
        TicketStatus.open,
        TicketStatus.assigned,
        TicketStatus.in_progress,
        TicketStatus.waiting_client,
        TicketStatus.resolved,
        TicketStatus.closed,
        TicketStatus.merged,
        TicketStatus.spam,
    }
    assert len({m.message_id for m in messages}) == len(messages)
    kinds = Counter(m.kind for m in messages)
    assert set(kinds) == set(MessageKind)
    languages = {
        "ru" if any("а" <= ch <= "я" for ch in t.subject.lower()) else "en"
        for t in tickets.values()
    }
    assert languages == {"ru", "en"}
    for ticket in tickets.values():
        if ticket.status == TicketStatus.merged:
            assert ticket.merged_into_id in tickets
            assert not [m for m in messages if m.ticket_id == ticket.id]
            target = by_ticket[ticket.merged_into_id or 0]
            assert any(e.kind == EventKind.merged and e.data["from"] == ticket.id for e in target)
        if ticket.status == TicketStatus.closed:
            assert ticket.closed_at is not None
        if ticket.status in (TicketStatus.resolved, TicketStatus.closed) and ticket.reopen_count:
            assert any(e.kind == EventKind.reopened for e in by_ticket[ticket.id or 0])


def test_some_tickets_are_solved_by_their_first_answer(demo: Store) -> None:
    """A lead's first-contact resolution on the demo is a figure, not 0 %: calls and chats
    solved in the first answer, mail more rarely."""
    with demo.read() as session:
        facts = (
            session.execute(
                select(TicketFact).where(col(TicketFact.first_resolved_at).is_not(None))
            )
            .scalars()
            .all()
        )
    assert facts
    first_contact = Counter(
        f.channel for f in facts if f.responses_before_resolution == 1 and not f.reopen_count
    )
    resolved = Counter(f.channel for f in facts)
    assert 0.15 < sum(first_contact.values()) / len(facts) < 0.5
    phone = first_contact[Channel.phone] / resolved[Channel.phone]
    assert phone > first_contact[Channel.email] / resolved[Channel.email]


def test_due_times_are_what_the_sla_clock_derives(demo: Store, now: datetime) -> None:
    breached = active = paused = 0
    with demo.read() as session:
        tickets = session.execute(select(Ticket)).scalars().all()
        for ticket in tickets:
            clock = sla_clock.state(session, ticket=ticket, now=now)
            assert clock is not None
            if ticket.status not in ACTIVE_STATUSES:
                assert ticket.next_due_at == NO_DEADLINE
                assert ticket.sla_paused_since is not None
                if ticket.status == TicketStatus.resolved:
                    # Its next act is the auto-close, at the end of the confirmation window.
                    plan = session.get(SlaPlan, ticket.sla_plan_id)
                    assert plan is not None
                    assert ticket.resolved_at is not None
                    close_at = sla_clock.calendar_of_plan(session, plan=plan).add_business_minutes(
                        ticket.resolved_at, plan.confirm_window_minutes
                    )
                    assert ticket.next_alert_at == close_at, ticket.id
                continue
            active += 1
            assert ticket.next_due_at == (clock.next_due() or NO_DEADLINE), ticket.id
            steps = alert_steps(clock)
            assert ticket.next_alert_at == (steps[0].fire_at if steps else NO_DEADLINE)
            assert clock.paused == (ticket.sla_paused_since is not None)
            if clock.paused:
                paused += 1
                assert ticket.status == TicketStatus.waiting_client
                assert ticket.next_due_at == NO_DEADLINE
            for target in clock.targets.values():
                if target.due_at is not None:
                    assert target.due_at in (
                        ticket.first_response_due,
                        ticket.resolution_due,
                        ticket.next_update_due,
                    )
            if ticket.next_due_at <= now:
                breached += 1
    assert active > 10
    assert paused > 0
    assert 0 < breached < active * 0.4


def _sample(tickets: list[Ticket], *, each: int = 12) -> list[Ticket]:
    """The first few tickets of every status, and of the reopened ones."""
    groups: dict[str, list[Ticket]] = {}
    for ticket in tickets:
        groups.setdefault(ticket.status, []).append(ticket)
        if ticket.reopen_count:
            groups.setdefault("reopened", []).append(ticket)
    chosen = {t.id: t for group in groups.values() for t in group[:each]}
    return [chosen[key] for key in sorted(chosen, key=lambda i: i or 0)]


def _replayed(session: Session, ticket: Ticket, *, now: datetime) -> Ticket:
    """The ticket's SLA columns as the console would have left them: the store's own
    `refresh_due` after each of its clock events, at the time it happened, then at `now`.
    Every `sla_met` must be one the store's clock would write, "late" where it would say so."""
    assert ticket.id is not None
    replica = Ticket(**ticket.model_dump(exclude=set(SLA_COLUMNS)))
    events = sla_clock.clock_events(session, ticket_id=ticket.id)
    query = (
        select(TicketEvent)
        .where(
            col(TicketEvent.ticket_id) == ticket.id,
            col(TicketEvent.kind).in_(sla_clock.CLOCK_EVENTS),
        )
        .order_by(col(TicketEvent.id))
    )
    rows = session.execute(query).scalars().all()
    assert [(r.at, r.kind) for r in rows] == [(e.at, e.kind) for e in events]
    met = [e.target for e in events if e.kind == EventKind.sla_met]
    # `sla_clock._meet` records first response and resolution once each, even after a reopen.
    assert met.count(SlaTarget.first_response) <= 1
    assert met.count(SlaTarget.resolution) <= 1
    plans = sla_clock.PlanCache(session)
    with session.no_autoflush:
        for index, (row, event) in enumerate(zip(rows, events, strict=True)):
            if event.kind == EventKind.sla_met and event.target != SlaTarget.update:
                due = (
                    replica.first_response_due
                    if event.target == SlaTarget.first_response
                    else replica.resolution_due
                )
                assert row.data["late"] == bool(due and event.at > due), (ticket.id, row.data)
            clock = sla_clock.state(
                session, ticket=replica, now=event.at, plans=plans, events=events[: index + 1]
            )
            sla_clock.refresh_due(session, ticket=replica, now=event.at, clock=clock)
        clock = sla_clock.state(session, ticket=replica, now=now, plans=plans, events=events)
        sla_clock.refresh_due(session, ticket=replica, now=now, clock=clock)
    session.expunge(replica)
    return replica


def test_the_store_clock_over_each_history_gives_the_demo_columns(
    demo: Store, now: datetime
) -> None:
    """The demo emits the store's clock events and lets the domain derive the due times;
    replayed through `sla_clock` event by event, a sample of every state ends where the
    demo's columns are, and `sla explain` shows the same deadlines."""
    with demo.read() as session:
        tickets = list(session.execute(select(Ticket)).scalars().all())
        sample = _sample(tickets)
        assert {t.status for t in sample} >= {
            TicketStatus.open,
            TicketStatus.assigned,
            TicketStatus.in_progress,
            TicketStatus.waiting_client,
            TicketStatus.resolved,
            TicketStatus.closed,
            TicketStatus.merged,
            TicketStatus.spam,
        }
        assert any(t.reopen_count for t in sample)
        for ticket in sample:
            assert ticket.id is not None
            replica = _replayed(session, ticket, now=now)
            for column in SLA_COLUMNS:
                assert getattr(replica, column) == getattr(ticket, column), (ticket.id, column)

            # Started as `sla_clock.start` starts a clock: the plan's budgets, the contract.
            started = session.execute(
                select(TicketEvent).where(
                    col(TicketEvent.ticket_id) == ticket.id,
                    col(TicketEvent.kind) == EventKind.sla_started,
                )
            ).scalar_one()
            plan = session.get(SlaPlan, ticket.sla_plan_id)
            assert plan is not None
            assert plan.id is not None
            budgets = sla_clock.budgets_for(session, plan_id=plan.id, priority=ticket.priority)
            assert budgets is not None
            assert started.at == ticket.created_at
            assert started.data == {
                "plan": plan.name,
                "priority": ticket.priority.value,
                "budgets": {
                    "first_response": budgets.first_response,
                    "resolution": budgets.resolution,
                    "update": budgets.update,
                },
                "contract_id": ticket.contract_id,
            }

            explained = explain(session, ticket=ticket, now=now)["targets"]
            for target, due in (
                (SlaTarget.first_response, ticket.first_response_due),
                (SlaTarget.resolution, ticket.resolution_due),
                (SlaTarget.update, ticket.next_update_due),
            ):
                shown = explained[target.value]
                if shown["state"] in (TargetState.pending, TargetState.breached):
                    assert datetime.fromisoformat(shown["due_at"]) == due, (ticket.id, target)
                    # A breach stays on the record of a ticket no longer worked on (merged
                    # before anyone answered); only an active ticket has one still to come.
                    if shown["state"] == TargetState.pending:
                        assert ticket.status in ACTIVE_STATUSES
                    else:
                        assert ticket.status in ACTIVE_STATUSES or ticket.next_due_at == NO_DEADLINE
                elif target == SlaTarget.update:
                    assert due is None


def test_a_database_with_data_is_refused(demo: Store, now: datetime) -> None:
    with pytest.raises(ConflictError, match="already has data"):
        generate(demo, tickets=5, seed=1, now=now)


def test_negative_ticket_count_is_refused(store: Store, now: datetime) -> None:
    with pytest.raises(ValueError, match="negative"):
        generate(store, tickets=-1, seed=1, now=now)


def test_a_now_past_the_calendars_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="from 1900 to 2999"):
        generate(store, tickets=1, seed=1, now=datetime(9999, 12, 31, tzinfo=UTC))
    with store.read() as session:
        assert session.execute(select(func.count()).select_from(User)).one()[0] == 0


def test_new_rows_after_the_demo_get_fresh_ids(demo: Store, now: datetime) -> None:
    """Explicit ids must not leave PostgreSQL's sequences behind."""
    from dispatcher.store.tickets.writes import NewTicket, create_ticket

    with demo.write() as session:
        top = session.execute(select(func.max(Ticket.id))).one()[0]
        ticket = create_ticket(session, data=NewTicket(subject="after"), actor_id=None, now=now)
    assert ticket.id == top + 1


def test_demo_articles_are_searchable(demo: Store) -> None:
    from dispatcher.store.knowledge import search

    with demo.read() as session:
        russian = search.search(session, query="сброс паролей", limit=5)
        english = search.search(session, query="how do I reset passwords", limit=5)
    assert "password-reset-ru" in [hit.slug for hit in russian]
    assert "password-reset-en" in [hit.slug for hit in english]
