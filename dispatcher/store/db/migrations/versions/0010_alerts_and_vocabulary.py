"""alerts close when their ticket no longer needs them

`alert.closed_at` and `alert.closed_reason`: an alert whose ticket was resolved, whose
target was met, whose clock is paused or whose deadline moved is closed by the store (not
acknowledged by a person), and leaves the alerts panel; a resume that brings the same
deadline back opens it again.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("closed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("closed_reason", sa.String(length=40), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_column("closed_reason")
        batch_op.drop_column("closed_at")
