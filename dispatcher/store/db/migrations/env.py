"""Alembic environment: runs with the connection `dispatcher.store.migrate` hands it."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlmodel import SQLModel

import dispatcher.store.models  # noqa: F401  (registers every table on the metadata)
from dispatcher.store.models._base import EnumText
from dispatcher.store.models.knowledge import is_model_table

config = context.config
target_metadata = SQLModel.metadata


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Migrations spell enum columns as the plain strings they are in the database."""
    if type_ == "type" and isinstance(obj, EnumText):
        return f"sa.String(length={obj.length})"
    return False


def run_migrations_online() -> None:
    connection = config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
        include_name=is_model_table,  # FTS5's tables are the search index, not models
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; give a database URL")
run_migrations_online()
