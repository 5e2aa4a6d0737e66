"""PostgreSQL's id sequences left behind the rows (a demo killed midway, a bulk load):
`admin init` and `admin db repair` move them on; on SQLite there is nothing to do."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from dispatcher.store.db.engine import Store
from dispatcher.store.db.repair import reset_sequences
from dispatcher.store.models import Client
from tests.cli.helpers import ok, run
from tests.factories import new_ticket, world


def _leave_sequences_behind(store: Store) -> None:
    """What the demo's explicit ids do when it dies before it sets the sequences."""
    with store.write() as session:
        session.execute(text("SELECT setval('ticket_id_seq', 1, false)"))
        session.execute(text("SELECT setval('client_id_seq', 1, false)"))


@pytest.mark.postgres
def test_a_sequence_left_behind_is_repaired(pg_url: str, now: datetime) -> None:
    store = Store.open(pg_url)
    try:
        w = world(store)
        made = [new_ticket(store, w, now=now).id for _ in range(3)]
        assert made == [1, 2, 3]
        _leave_sequences_behind(store)
        with pytest.raises(IntegrityError, match="duplicate key"):
            new_ticket(store, w, now=now)

        resets = {r.table: (r.next_before, r.next_after) for r in reset_sequences(store.engine)}
        # The failed insert took id 1 from the sequence: the next was 2.
        assert resets == {"ticket": (2, 4), "client": (1, 2)}
        assert new_ticket(store, w, now=now).id == 4
        with store.write() as session:
            client = Client(name="Globex")
            session.add(client)
            session.flush()
            assert client.id == 2
        assert reset_sequences(store.engine) == []  # nothing behind any more
    finally:
        store.dispose()


@pytest.mark.postgres
def test_a_sequence_is_never_moved_back(pg_url: str, now: datetime) -> None:
    store = Store.open(pg_url)
    try:
        w = world(store)
        new_ticket(store, w, now=now)
        with store.write() as session:
            session.execute(text("SELECT setval('ticket_id_seq', 100, true)"))
        assert reset_sequences(store.engine) == []
        assert new_ticket(store, w, now=now).id == 101
    finally:
        store.dispose()


@pytest.mark.postgres
def test_init_and_repair_commands_move_the_sequences(pg_url: str, now: datetime) -> None:
    store = Store.open(pg_url)
    try:
        w = world(store)
        new_ticket(store, w, now=now)
        _leave_sequences_behind(store)
        repaired = ok(pg_url, "db", "repair").stdout
        assert "repaired ticket_id_seq" in repaired
        assert "now 2" in repaired
        assert "nothing to repair" in ok(pg_url, "db", "repair").stdout

        _leave_sequences_behind(store)
        assert "repaired ticket_id_seq" in ok(pg_url, "init").stdout
        assert new_ticket(store, w, now=now).id == 2
    finally:
        store.dispose()


def test_sqlite_has_nothing_to_repair(sqlite_url: str) -> None:
    store = Store.open(sqlite_url)
    try:
        assert reset_sequences(store.engine) == []
    finally:
        store.dispose()
    result = run(sqlite_url, "db", "repair")
    assert result.exit_code == 0, result.output
    assert "nothing to repair" in result.stdout


@pytest.mark.postgres
def test_a_bulk_load_sets_the_sequences_in_its_own_transaction(pg_url: str) -> None:
    store = Store.open(pg_url)
    try:
        with store.write() as session:
            session.add(Client(id=50, name="Loaded with its id"))
            session.flush()
            resets = reset_sequences(session.connection())
            assert [(r.table, r.next_after) for r in resets] == [("client", 51)]
        with store.write() as session:
            client = Client(name="Added after")
            session.add(client)
            session.flush()
            assert client.id == 51
    finally:
        store.dispose()
