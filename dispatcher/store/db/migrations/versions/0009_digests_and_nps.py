"""KPI digests by mail and the NPS pulse

`report_schedule`: what is mailed (the weekly KPI digest to leads, a client's monthly
report), to whom, when (`mon 08:00`, `1st 09:00` in the schedule's time zone) and in which
language. `report_run`: each period a schedule mailed, unique per schedule and period, so
a schedule run twice, or by two consoles at once, mails one digest. `nps_pulse`: every
0-10 question mailed to a client contact (at most one per contact every N days) and the
answer read from the reply.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    instant = sqlmodel.sql.sqltypes.UTCDateTime
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "report_schedule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", text(length=32), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("at", text(length=32), nullable=False),
        sa.Column("timezone", text(length=64), nullable=False),
        sa.Column("language", text(length=8), nullable=False),
        sa.Column("created_at", instant(), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("report_schedule", schema=None) as batch_op:
        batch_op.create_index("ix_report_schedule_client_id", ["client_id"], unique=False)
    op.create_table(
        "report_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("period", text(length=32), nullable=False),
        sa.Column("mails", sa.Integer(), nullable=False),
        sa.Column("queued_at", instant(), nullable=False),
        sa.ForeignKeyConstraint(["schedule_id"], ["report_schedule.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("schedule_id", "period"),
    )
    op.create_table(
        "nps_pulse",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("message_id", text(length=998), nullable=False),
        sa.Column("asked_at", instant(), nullable=False),
        sa.Column("rating_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["rating_id"], ["rating.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id"),
    )
    with op.batch_alter_table("nps_pulse", schema=None) as batch_op:
        batch_op.create_index(
            "ix_nps_pulse_contact_asked", ["contact_id", "asked_at"], unique=False
        )
        batch_op.create_index("ix_nps_pulse_ticket_id", ["ticket_id"], unique=False)


def downgrade() -> None:
    op.drop_table("nps_pulse")
    op.drop_table("report_run")
    op.drop_table("report_schedule")
