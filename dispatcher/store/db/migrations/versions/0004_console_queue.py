"""console queue: PostgreSQL notifies listeners when tickets or saved views change

On PostgreSQL a statement-level trigger on `ticket` and `saved_view` sends
`NOTIFY dispatcher_changes`, so every open console refreshes within a second of a commit
by any process (`dispatcher.store.changes`). SQLite needs nothing: consoles poll
`PRAGMA data_version`.

Revision ID: 0004
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANNEL = "dispatcher_changes"
TABLES = ("ticket", "saved_view")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE FUNCTION dispatcher_notify_change() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN PERFORM pg_notify('{CHANNEL}', TG_TABLE_NAME); RETURN NULL; END $$"
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_notify_change AFTER INSERT OR UPDATE OR DELETE "
            f'ON "{table}" FOR EACH STATEMENT EXECUTE FUNCTION dispatcher_notify_change()'
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f'DROP TRIGGER IF EXISTS {table}_notify_change ON "{table}"')
    op.execute("DROP FUNCTION IF EXISTS dispatcher_notify_change()")
