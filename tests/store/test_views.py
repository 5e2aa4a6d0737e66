"""Saved views (per user, ordered, named sections) and the filtered, sorted queue windows
the console reads: filters, every sort order, keyset paging, counts; the names its pickers
offer."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel import col, select

from dispatcher.demo.generate import generate
from dispatcher.domain.enums import ACTIVE_STATUSES, MessageKind, Priority, Role, TicketStatus
from dispatcher.domain.errors import ConflictError, NotFoundError, ValidationError
from dispatcher.read_models.queue import QueueFilter, QueueSort, SortKey
from dispatcher.store.db.engine import Store
from dispatcher.store.models import Client, Queue, Ticket, User
from dispatcher.store.tickets import reading, saved_views
from dispatcher.store.tickets import writes as repo
from dispatcher.store.tickets.queue import count_queue, find_tickets, queue_window
from tests.factories import World, new_ticket, world


@pytest.fixture
def w(store: Store) -> World:
    return world(store)


def _uid(user: User) -> int:
    assert user.id is not None
    return user.id


# --- saved views ----------------------------------------------------------------------


def test_views_are_per_user_ordered_and_renamed(store: Store, w: World) -> None:
    olga, ivan = _uid(w.dispatcher), _uid(w.engineer)
    with store.write() as session:
        urgent = saved_views.create_view(
            session,
            user_id=olga,
            name="  Urgent  ones ",
            filters=QueueFilter(priorities=(Priority.urgent,)),
        )
        mine = saved_views.create_view(
            session, user_id=olga, name="Mine", filters=QueueFilter(assignee_id=olga)
        )
        saved_views.create_view(session, user_id=ivan, name="Mine", filters=QueueFilter())
    assert urgent.name == "Urgent ones"
    with store.read() as session:
        listed = saved_views.list_views(session, user_id=olga)
    assert [v.name for v in listed] == ["Urgent ones", "Mine"]
    assert listed[0].filters == QueueFilter(priorities=(Priority.urgent,))
    with store.write() as session:
        saved_views.rename_view(session, user_id=olga, view_id=mine.id, name="My tickets")
        order = saved_views.move_view(session, user_id=olga, view_id=mine.id, offset=-1)
    assert [v.name for v in order] == ["My tickets", "Urgent ones"]
    with store.read() as session:
        keys = [s.key for s in saved_views.sections(session, user_id=olga)]
        ivans = saved_views.list_views(session, user_id=ivan)
    assert keys == ["all", "first-response", f"view-{mine.id}", f"view-{urgent.id}"]
    assert [v.name for v in ivans] == ["Mine"]


def test_view_names_are_checked(store: Store, w: World) -> None:
    olga = _uid(w.dispatcher)
    with store.write() as session:
        first = saved_views.create_view(session, user_id=olga, name="Mine", filters=QueueFilter())
    with store.write() as session, pytest.raises(ConflictError, match="already have"):
        saved_views.create_view(session, user_id=olga, name="MINE", filters=QueueFilter())
    with store.write() as session, pytest.raises(ValidationError):
        saved_views.create_view(session, user_id=olga, name="   ", filters=QueueFilter())
    with store.write() as session, pytest.raises(ValidationError):
        saved_views.create_view(session, user_id=olga, name="x" * 101, filters=QueueFilter())
    # Somebody else's view is not found, not changed.
    with store.write() as session, pytest.raises(NotFoundError):
        saved_views.rename_view(session, user_id=_uid(w.engineer), view_id=first.id, name="Hijack")
    with store.write() as session:
        saved_views.delete_view(session, user_id=olga, view_id=first.id)
    with store.read() as session:
        assert saved_views.list_views(session, user_id=olga) == []


def test_filter_round_trips_through_json_and_refuses_junk() -> None:
    full = QueueFilter(
        queue_id=1,
        statuses=(TicketStatus.new, TicketStatus.open),
        assignee_id=3,
        priorities=(Priority.high,),
        client_id=4,
        text="vpn",
        category_ids=(1, 2),
        needs_first_response=True,
    )
    assert QueueFilter.from_json(full.to_json()) == full
    assert QueueFilter.from_json({}) == QueueFilter()
    assert QueueFilter().to_json() == {}
    with pytest.raises(ValidationError):
        QueueFilter.from_json({"bogus": 1})
    with pytest.raises(ValidationError):
        QueueFilter.from_json({"statuses": ["nonsense"]})


def test_sections_count_live_within_a_scope(store: Store, w: World, now: datetime) -> None:
    a = new_ticket(store, w, now=now, priority=Priority.urgent)
    new_ticket(store, w, now=now, priority=Priority.low)
    with store.write() as session:
        repo.add_message(
            session,
            ticket_id=a.id or 0,
            kind=MessageKind.reply,
            body="On it",
            actor_id=w.dispatcher.id,
            now=now + timedelta(minutes=1),
        )
        saved_views.create_view(
            session,
            user_id=_uid(w.dispatcher),
            name="Urgent",
            filters=QueueFilter(priorities=(Priority.urgent,)),
        )
    with store.read() as session:
        sections = saved_views.sections(session, user_id=_uid(w.dispatcher))
        counts = saved_views.section_counts(session, scope=QueueFilter(), of=sections)
        none = saved_views.section_counts(session, scope=QueueFilter(category_ids=()), of=sections)
        ivan = saved_views.competence_categories(session, user_id=_uid(w.engineer))
        olga = saved_views.competence_categories(session, user_id=_uid(w.dispatcher))
    assert list(counts.values()) == [2, 1, 1]  # all, needs first response, Urgent
    assert list(none.values()) == [0, 0, 0]
    assert ivan == (w.category.id,)
    assert olga == ()


def test_queue_names_are_queues_and_active_users_and_clients_in_name_order(
    store: Store, w: World
) -> None:
    with store.write() as session:
        session.add(Queue(name="Accounting"))
        session.add(Client(name="Zeta [b]Ltd[/b]"))
        session.add(Client(name="Gone Corp", active=False))
        gone = User(login="aaron", name="Aaron Left", role=Role.engineer, active=False)
        session.add(gone)
    with store.read() as session:
        names = reading.queue_names(session)
    assert list(names.queues.values()) == ["Accounting", w.queue.name]
    assert names.users == {
        _uid(u): (u.login, u.role)
        for u in sorted((w.dispatcher, w.engineer, w.engineer2, w.lead), key=lambda u: u.login)
    }
    assert list(names.users) == sorted(names.users, key=lambda k: names.users[k][0])
    assert list(names.clients.values()) == ["Acme", "Zeta [b]Ltd[/b]"]  # inactive left out


# --- windows --------------------------------------------------------------------------


@pytest.fixture
def demo(store: Store, now: datetime) -> Store:
    generate(store, tickets=400, seed=7, now=now, batch=200)
    return store


def _all_active(store: Store) -> list[Ticket]:
    with store.read() as session:
        return list(session.exec(select(Ticket).where(col(Ticket.status).in_(ACTIVE_STATUSES))))


def _walk(store: Store, filters: QueueFilter, sort: QueueSort, limit: int) -> list[int]:
    seen: list[int] = []
    after = None
    for _ in range(1000):
        with store.read() as session:
            window = queue_window(session, filters=filters, sort=sort, after=after, limit=limit)
        seen += [r.id for r in window.rows]
        if window.next_key is None:
            return seen
        after = window.next_key
    raise AssertionError("paging never ended")


@pytest.mark.parametrize("key", list(SortKey))
@pytest.mark.parametrize("descending", [False, True])
def test_every_sort_order_pages_through_every_active_ticket_once(
    demo: Store, key: SortKey, descending: bool
) -> None:
    sort = QueueSort(key, descending)
    walked = _walk(demo, QueueFilter(), sort, limit=13)
    with demo.read() as session:
        whole = queue_window(session, sort=sort, limit=1000).rows
    assert walked == [r.id for r in whole]  # paging matches one big window
    assert sorted(walked) == sorted(t.id for t in _all_active(demo) if t.id is not None)
    values = [r.sort_value for r in whole]
    assert values == sorted(values, reverse=descending)


def test_filters_narrow_the_window_and_the_count(demo: Store) -> None:
    active = _all_active(demo)
    some = active[0]
    with demo.read() as session:
        client = session.get(Client, some.client_id)
    assert client is not None
    cases: list[tuple[QueueFilter, list[Ticket]]] = [
        (QueueFilter(queue_id=some.queue_id), [t for t in active if t.queue_id == some.queue_id]),
        (
            QueueFilter(statuses=(some.status,)),
            [t for t in active if t.status == some.status],
        ),
        (
            QueueFilter(assignee_id=some.assignee_id),
            [t for t in active if t.assignee_id == some.assignee_id],
        ),
        (QueueFilter(unassigned=True), [t for t in active if t.assignee_id is None]),
        (
            QueueFilter(priorities=(Priority.urgent, Priority.low)),
            [t for t in active if t.priority in (Priority.urgent, Priority.low)],
        ),
        (QueueFilter(client_id=client.id), [t for t in active if t.client_id == client.id]),
        (
            QueueFilter(needs_first_response=True),
            [t for t in active if t.first_responded_at is None],
        ),
        (
            QueueFilter(category_ids=(some.category_id or 0,)),
            [t for t in active if t.category_id == some.category_id],
        ),
    ]
    for filters, expected in cases:
        with demo.read() as session:
            rows = queue_window(session, filters=filters, limit=1000).rows
            count = count_queue(session, filters=filters)
        assert sorted(r.id for r in rows) == sorted(t.id or 0 for t in expected), filters
        assert count == len(expected), filters
    assert any(len(e) < len(active) for f, e in cases)


def test_text_filter_matches_words_in_any_case_and_treats_wildcards_literally(
    store: Store, w: World, now: datetime
) -> None:
    vpn = new_ticket(store, w, now=now, subject="VPN drops every hour")
    new_ticket(store, w, now=now, subject="Printer offline")
    pct = new_ticket(store, w, now=now, subject="Disk 100% full")
    with store.read() as session:
        assert [r.id for r in queue_window(session, filters=QueueFilter(text="vpn HOUR")).rows] == [
            vpn.id
        ]
        assert [r.id for r in queue_window(session, filters=QueueFilter(text="100%")).rows] == [
            pct.id
        ]
        assert queue_window(session, filters=QueueFilter(text="%")).rows[0].id == pct.id
        assert queue_window(session, filters=QueueFilter(text="_")).rows == []
        hits = find_tickets(session, text=f"#{vpn.id}")
        words = find_tickets(session, text="printer")
    assert [h.id for h in hits] == [vpn.id]
    assert [h.subject for h in words] == ["Printer offline"]


def test_window_carries_category_and_paused_state(store: Store, w: World, now: datetime) -> None:
    t = new_ticket(store, w, now=now)
    with store.write() as session:
        repo.change_status(
            session,
            ticket_id=t.id or 0,
            expected_version=t.version,
            actor_id=w.dispatcher.id,
            status=TicketStatus.waiting_client,
            now=now,
        )
    with store.read() as session:
        (row,) = queue_window(session).rows
    assert row.category == w.category.name
    assert row.client == w.client.name
    assert row.sla_paused_since is not None
    assert row.first_responded is False


def test_window_size_is_checked(store: Store) -> None:
    with store.read() as session, pytest.raises(ValidationError):
        queue_window(session, limit=0)
