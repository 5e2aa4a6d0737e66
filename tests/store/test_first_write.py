"""A process's first write builds nothing under the write lock that it could build before.

Consoles started together used to queue behind each other's first writes, each of which
imported the holidays and built the business calendars holding SQLite's write lock. The
store now builds them before its first write transaction begins (`before_first_write`);
these tests look at what is cached at the moment the write lock is taken.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, event

from dispatcher.domain import calendar as domain_calendar
from dispatcher.domain.clock import utcnow
from dispatcher.domain.enums import MessageKind
from dispatcher.store.db import engine as store_engine
from dispatcher.store.db.engine import Store, before_first_write
from dispatcher.store.models import Ticket
from dispatcher.store.reports import facts
from dispatcher.store.sla import clock
from dispatcher.store.tickets import writes
from tests.factories import World, new_ticket, world


@pytest.fixture
def made(sqlite_url: str, now: datetime) -> tuple[World, int, int]:
    store = Store.open(sqlite_url)
    w = world(store)
    ticket = new_ticket(store, w, now=now)  # on the office calendar: RU holidays
    store.dispose()
    return w, ticket.id or 0, ticket.version


@pytest.fixture
def cold_caches() -> Iterator[None]:
    """As in a new process: no calendar built yet."""
    clock._CALENDARS.clear()
    facts._CALENDARS.clear()
    yield
    clock._CALENDARS.clear()
    facts._CALENDARS.clear()


def _calendars_when_locked(store: Store) -> list[int]:
    """How many calendars were built each time a write transaction began."""
    seen: list[int] = []

    def begun(conn: Connection) -> None:
        if conn.get_execution_options().get("dispatcher_immediate"):
            seen.append(len(clock._CALENDARS))

    event.listen(store.engine, "begin", begun)
    return seen


def _note(store: Store, w: World, ticket_id: int, version: int) -> None:
    with store.write() as session:
        writes.add_message(
            session,
            ticket_id=ticket_id,
            kind=MessageKind.note,
            body="called the client back",
            actor_id=w.engineer.id,
            expected_version=version,
        )


@pytest.mark.usefixtures("cold_caches")
def test_first_write_finds_the_calendars_built(
    sqlite_url: str, made: tuple[World, int, int]
) -> None:
    w, ticket_id, version = made
    store = Store.open(sqlite_url)
    try:
        locked = _calendars_when_locked(store)
        _note(store, w, ticket_id, version)
        assert locked, "the note took the write lock"
        assert locked[0] == 2  # office and 24x7, both built before the lock was taken
    finally:
        store.dispose()


@pytest.mark.usefixtures("cold_caches")
def test_warm_up_asked_early_is_not_done_again(
    sqlite_url: str, made: tuple[World, int, int]
) -> None:
    w, ticket_id, version = made
    store = Store.open(sqlite_url)
    runs: list[Engine] = []
    try:
        store.warm_up()
        assert len(clock._CALENDARS) == 2
        office = next(c for c in clock._CALENDARS.values() if c.spec.country == "RU")
        misses = domain_calendar._public_holidays.cache_info().misses
        for year in (utcnow().year - 1, utcnow().year, utcnow().year + 1):
            office.holiday_name(date(year, 5, 9))
        assert domain_calendar._public_holidays.cache_info().misses == misses  # all loaded
        counting = before_first_write(runs.append)
        _note(store, w, ticket_id, version)
        assert runs == [store.engine]  # registered later: done once, before this write
        _note(store, w, ticket_id, version + 1)
        assert runs == [store.engine]
    finally:
        store_engine._BEFORE_FIRST_WRITE.remove(counting)
        store.dispose()


@pytest.mark.usefixtures("cold_caches")
def test_a_failing_warm_up_does_not_stop_the_write(
    sqlite_url: str, made: tuple[World, int, int]
) -> None:
    w, ticket_id, version = made

    def broken(_engine: Any) -> None:
        raise RuntimeError("no calendars today")

    store_engine._BEFORE_FIRST_WRITE.insert(0, broken)
    store = Store.open(sqlite_url)
    try:
        _note(store, w, ticket_id, version)
        with store.read() as session:
            assert session.get(Ticket, ticket_id).version == version + 1  # type: ignore[union-attr]
        assert len(clock._CALENDARS) == 2  # the warm-up after the broken one still ran
    finally:
        store_engine._BEFORE_FIRST_WRITE.remove(broken)
        store.dispose()
