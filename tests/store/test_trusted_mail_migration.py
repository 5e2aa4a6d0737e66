"""Migration 0005 on a database that already has contacts and messages: up and back down."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, inspect, text

from dispatcher.store.db import migrate
from dispatcher.store.db.engine import make_engine

NOW = "2026-11-18 07:30:00.000000"


def _fill(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO client (name, notes, active, created_at) VALUES ('Acme', '', 1, :t)"),
            {"t": NOW},
        )
        conn.execute(
            text(
                "INSERT INTO contact (client_id, name, position, notes, active) "
                "VALUES (1, 'Anna', '', '', 1)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO ticket (subject, status, priority, channel, created_at, updated_at, "
                "next_due_at, next_alert_at, reopen_count, version) "
                "VALUES ('VPN', 'new', 'normal', 'email', :t, :t, :t, :t, 0, 1)"
            ),
            {"t": NOW},
        )
        conn.execute(
            text(
                "INSERT INTO message (ticket_id, kind, channel, contact_id, from_address, "
                "to_addresses, cc_addresses, subject, body, created_at, message_id, "
                "\"references\", is_auto_reply, is_bounce) VALUES (1, 'inbound', 'email', 1, "
                "'anna@acme.example', '', '', 'VPN', 'down', :t, '<m1@acme.example>', '', 0, 0)"
            ),
            {"t": NOW},
        )


def test_0005_keeps_the_rows_it_finds(tmp_path: Path) -> None:
    engine = make_engine(str(tmp_path / "old.db"))
    try:
        migrate.upgrade(engine, "0004")
        _fill(engine)
        migrate.upgrade(engine)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT label FROM message")).all() == [("",)]
            assert conn.execute(text("SELECT name, is_new FROM contact")).all() == [("Anna", 0)]
            assert conn.execute(text("SELECT count(*) FROM held_mail")).scalar() == 0
        migrate.downgrade(engine, "0004")
        columns = {c["name"] for c in inspect(engine).get_columns("message")}
        assert "label" not in columns
        assert "held_mail" not in inspect(engine).get_table_names()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT body FROM message")).all() == [("down",)]
    finally:
        engine.dispose()
