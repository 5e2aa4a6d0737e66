"""Which schema a database is at, without importing Alembic (the console checks it at
every start; Alembic's import alone costs ~0.2 s)."""

from __future__ import annotations

from sqlalchemy import Engine, inspect, text

# The newest migration's revision. `tests/store/test_migrations.py` checks it is Alembic's
# head, so a new migration cannot be forgotten here.
HEAD = "0014"


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
