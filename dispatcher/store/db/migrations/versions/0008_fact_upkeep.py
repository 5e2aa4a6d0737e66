"""ticket facts kept by folding each change's new events into the stored row

`ticket_fact` gains the rest of the fold's state, so a change folds only the events it
recorded instead of the ticket's whole history: the status spell (`status`,
`status_since`, `status_since_business`), the odometer of business minutes (`counted_to`,
`counted_business`), whether the plan sets an update target (`update_target`), the last
history event folded in (`folded_event_id`) and the calendar the minutes were counted in
(`calendar_id`, `calendar_updated_at`).

No data step: existing rows get no `folded_event_id`, so each ticket's next change folds
its whole history once (as every change did before), and `dispatcher admin report
rebuild-facts` fills every row at once.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    "folded_event_id",
    "status",
    "status_since",
    "status_since_business",
    "counted_to",
    "counted_business",
    "update_target",
    "calendar_id",
    "calendar_updated_at",
)


def upgrade() -> None:
    instant = sqlmodel.sql.sqltypes.UTCDateTime
    with op.batch_alter_table("ticket_fact", schema=None) as batch_op:
        batch_op.add_column(sa.Column("folded_event_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("status", sa.String(length=20), server_default="new", nullable=False)
        )
        batch_op.add_column(sa.Column("status_since", instant(), nullable=True))
        batch_op.add_column(
            sa.Column("status_since_business", sa.Float(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("counted_to", instant(), nullable=True))
        batch_op.add_column(
            sa.Column("counted_business", sa.Float(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("update_target", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("calendar_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("calendar_updated_at", instant(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ticket_fact", schema=None) as batch_op:
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)
