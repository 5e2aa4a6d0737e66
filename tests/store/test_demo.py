"""The demo generator: a complete setup, consistent histories, the SLA clock's due times,
and the same database for the same seed and `now`."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Table, select
from sqlmodel import SQLModel, col, func

from dispatcher.demo import catalogue
from dispatcher.demo.generate import generate
from dispatcher.domain.enums import (
    ACTIVE_STATUSES,
    EventKind,
    MessageKind,
    Priority,
    Role,
    TicketStatus,
    Visibility,
)
from dispatcher.domain.errors import ConflictError
from dispatcher.domain.sla import NO_DEADLINE, alert_steps
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
    User,
    WorkShift,
)
from dispatcher.store.sla import clock as sla_clock


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


def test_a_database_with_data_is_refused(demo: Store, now: datetime) -> None:
    with pytest.raises(ConflictError, match="already has data"):
        generate(demo, tickets=5, seed=1, now=now)


def test_negative_ticket_count_is_refused(store: Store, now: datetime) -> None:
    with pytest.raises(ValueError, match="negative"):
        generate(store, tickets=-1, seed=1, now=now)


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
