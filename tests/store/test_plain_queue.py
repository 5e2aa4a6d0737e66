"""The queue's first window over sqlite3 alone (`store.tickets.plain_queue`, the console's
quick start): the very SQL and parameters `queue_window` runs for the default window, and
the same rows, on a database with every state a ticket can be in."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

import pytest
from sqlalchemy.dialects import sqlite as sqlite_dialect

from dispatcher.demo.generate import generate
from dispatcher.read_models.queue import PAGE_SIZE
from dispatcher.store.db.engine import Store
from dispatcher.store.tickets.plain_queue import FIRST_WINDOW_PARAMS, FIRST_WINDOW_SQL, first_window
from dispatcher.store.tickets.queue import driver_sql, queue_window, queue_window_statement
from tests.conftest import BACKEND

pytestmark = pytest.mark.skipif(BACKEND != "sqlite", reason="the quick start reads SQLite files")


def test_the_sql_is_the_one_queue_window_runs_for_the_default_window() -> None:
    sql, params = driver_sql(queue_window_statement(), sqlite_dialect.dialect())
    assert (FIRST_WINDOW_SQL, FIRST_WINDOW_PARAMS) == (sql, params)


@pytest.mark.parametrize("tickets", [0, 40, 700])
def test_the_window_is_the_one_the_store_reads(store: Store, db_url: str, tickets: int) -> None:
    now = datetime(2026, 11, 20, 9, 0).astimezone()
    if tickets:
        generate(store, tickets=tickets, seed=11, now=now - timedelta(days=1), batch=200)
    with store.read() as session:
        expected = queue_window(session)
    connection = sqlite3.connect(db_url.removeprefix("sqlite:///"))
    try:
        window = first_window(connection)
    finally:
        connection.close()
    assert window == expected
    assert len(window.rows) == min(PAGE_SIZE, len(expected.rows))
