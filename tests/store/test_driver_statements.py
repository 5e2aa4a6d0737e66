"""Statements on the driver's cursor write and read what SQLAlchemy's execution would:
the same stored text for every column type of a fact row (instants, enums, JSON, flags,
NULLs), the same values read back, in the session's own transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import bindparam, func, insert, literal_column, select, text, update

from dispatcher.domain.enums import Channel, Priority, TicketStatus
from dispatcher.domain.kpi.facts import Outcome
from dispatcher.domain.sla import NO_DEADLINE
from dispatcher.store.db import driver
from dispatcher.store.db.engine import Store
from dispatcher.store.models import TicketFact, table_of
from tests.conftest import BACKEND
from tests.factories import World, new_ticket, world

FACT = table_of(TicketFact)
NOW = datetime(2026, 11, 13, 14, 0, tzinfo=UTC)
on_sqlite = pytest.mark.skipif(BACKEND != "sqlite", reason="the driver's cursor is SQLite's")


def _row(ticket_id: int, **changes: Any) -> dict[str, Any]:
    """A fact row with a value of every kind, NULLs among them."""
    row: dict[str, Any] = {column.name: None for column in FACT.columns}
    row.update(
        ticket_id=ticket_id,
        created_at=datetime(2026, 11, 13, 14, 0, 0, 123456, tzinfo=UTC),
        channel=Channel.phone,
        priority=Priority.urgent,
        queue_id=3,
        first_response_at=datetime(2026, 11, 13, 14, 5, tzinfo=UTC),
        first_response_minutes=5.25,
        first_response_business=0.1 + 0.2,
        responses_before_resolution=1,
        reopen_count=0,
        requester_wait=0.0,
        team_work=12.5,
        vendor_wait=0.0,
        inactive_since=NO_DEADLINE,
        reopened_spells=[["2026-11-13T14:00:00+00:00", "2026-11-14T09:30:00+00:00"]],
        first_response_outcome=Outcome.met,
        first_response_breaches=0,
        resolution_breaches=2,
        update_breaches=0,
        csat_score=4,
        status=TicketStatus.waiting_client,
        status_since_business=7.0,
        counted_business=7.0,
        update_target=True,
        folded_event_id=41,
    )
    row.update(changes)
    return row


def _stored_text(store: Store, ticket_id: int) -> tuple[Any, ...]:
    """The row as SQLite holds it: no type of either side converts it."""
    with store.read() as session:
        found = session.connection().execute(
            text("SELECT * FROM ticket_fact WHERE ticket_id = :id"), {"id": ticket_id}
        )
        return tuple(found.one())


@pytest.fixture
def w(store: Store) -> World:
    return world(store)


@pytest.fixture
def two(store: Store, w: World) -> tuple[int, int]:
    first, second = (new_ticket(store, w, now=NOW, subject=f"Fact {n}") for n in range(2))
    assert first.id is not None
    assert second.id is not None
    with store.write() as session:  # the upkeep's rows: these tests write their own
        session.connection().execute(FACT.delete())
    return first.id, second.id


def test_the_driver_runs_on_sqlite_alone(store: Store) -> None:
    with store.read() as session:
        assert driver.runs_on(session.connection()) is (BACKEND == "sqlite")


@on_sqlite
def test_an_insert_stores_what_sqlalchemy_stores(store: Store, two: tuple[int, int]) -> None:
    ours, theirs = two
    with store.write() as session:
        connection = session.connection()
        assert driver.DriverStatement(insert(FACT)).write(connection, _row(ours)) == 1
        connection.execute(insert(FACT), _row(theirs))
    stored_ours, stored_theirs = _stored_text(store, ours), _stored_text(store, theirs)
    assert stored_ours[1:] == stored_theirs[1:]
    assert stored_ours[0] == ours


@on_sqlite
def test_a_read_gives_what_sqlalchemy_gives(store: Store, two: tuple[int, int]) -> None:
    ours, _ = two
    with store.write() as session:
        session.connection().execute(insert(FACT), _row(ours))
    query = select(FACT).where(FACT.c.ticket_id == bindparam("id"))
    statement = driver.DriverStatement(query)
    with store.read() as session:
        connection = session.connection()
        read = statement.first(connection, {"id": ours})
        expected = dict(connection.execute(query, {"id": ours}).one()._mapping)
        assert statement.first(connection, {"id": ours + 100}) is None
    assert read == expected
    assert read is not None
    assert read["status"] is TicketStatus.waiting_client
    assert read["reopened_spells"] == _row(ours)["reopened_spells"]
    assert read["update_target"] is True


@on_sqlite
def test_an_update_sets_the_given_columns_alone(store: Store, two: tuple[int, int]) -> None:
    ours, theirs = two
    with store.write() as session:
        connection = session.connection()
        connection.execute(insert(FACT), [_row(ours), _row(theirs)])
    statement = driver.DriverStatement(update(FACT).where(FACT.c.ticket_id == bindparam("id")))
    later = datetime(2026, 11, 14, 9, 30, tzinfo=UTC)
    changes: dict[str, Any] = {
        "status": TicketStatus.resolved,
        "first_resolved_at": later,
        "reopened_spells": [],
        "update_target": False,
        "csat_score": None,
    }
    with store.write() as session:
        connection = session.connection()
        assert statement.write(connection, {"id": ours, **changes}) == 1
        assert statement.write(connection, {"id": ours, "reopen_count": 1}) == 1  # another set
        connection.execute(
            update(FACT).where(FACT.c.ticket_id == theirs), {**changes, "reopen_count": 1}
        )
    assert _stored_text(store, ours)[1:] == _stored_text(store, theirs)[1:]
    with store.read() as session:
        status = session.connection().execute(
            select(FACT.c.status, FACT.c.queue_id).where(FACT.c.ticket_id == ours)
        )
        assert tuple(status.one()) == (TicketStatus.resolved, 3)


@on_sqlite
def test_a_value_the_statement_holds_is_bound_with_the_given_ones(
    store: Store, two: tuple[int, int]
) -> None:
    """A literal in an expression (here `coalesce(..., 7)`) becomes a parameter the
    statement holds; the caller gives only its own."""
    ours, _ = two
    with store.write() as session:
        session.connection().execute(insert(FACT), _row(ours, folded_event_id=None))
    statement = driver.DriverStatement(
        select(
            func.coalesce(FACT.c.folded_event_id, 7).label("folded"),
            literal_column("'kept'").label("word"),
        ).where(FACT.c.ticket_id == bindparam("id"))
    )
    with store.read() as session:
        assert statement.first(session.connection(), {"id": ours}) == {
            "folded": 7,
            "word": "kept",
        }


@on_sqlite
def test_a_write_is_part_of_the_sessions_transaction(store: Store, two: tuple[int, int]) -> None:
    """Rolled back with the rest of the session's work; unseen by others until committed."""
    ours, theirs = two
    statement = driver.DriverStatement(insert(FACT))

    def write_then_fail() -> None:
        with store.write() as session:
            statement.write(session.connection(), _row(ours))
            raise RuntimeError("the write fails after the fact row")

    with pytest.raises(RuntimeError):
        write_then_fail()
    with store.read() as session:
        count = select(func.count()).select_from(FACT)
        assert session.connection().execute(count).scalar_one() == 0
    with store.write() as session:
        statement.write(session.connection(), _row(theirs, created_at=NOW + timedelta(days=1)))
        with store.read() as other:
            assert other.connection().execute(count).scalar_one() == 0
    with store.read() as session:
        assert session.connection().execute(count).scalar_one() == 1
