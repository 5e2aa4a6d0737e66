"""ticket facts: one row per ticket of what the KPI reports aggregate

`ticket_fact` holds, per ticket, what `dispatcher.domain.kpi.facts` folds from its history
(first response, first and latest resolution, business minutes, public responses before
the first resolution, reopens, SLA outcome and breaches per target, the rating, waits),
kept up to date in the transaction of every ticket change. `ix_rating_kind_at` finds the
CSAT and NPS answers of a period.

No data step: the facts of tickets that exist before this revision are computed from
their history by `dispatcher admin report rebuild-facts` (a progress bar, minutes at a
million tickets), which a migration must not depend on (it runs today's code, this
revision must not). `dispatcher report kpi` says so while facts are missing.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_ticket_fact_created": ["created_at"],
    "ix_ticket_fact_resolved": ["first_resolved_at"],
    "ix_ticket_fact_sla_first_response": ["first_response_decided_at"],
    "ix_ticket_fact_sla_resolution": ["resolution_decided_at"],
    "ix_ticket_fact_sla_update": ["update_decided_at"],
    "ix_ticket_fact_csat": ["csat_at"],
    "ix_ticket_fact_backlog": ["inactive_since", "created_at", "reopen_count"],
}


def upgrade() -> None:
    instant = sqlmodel.sql.sqltypes.UTCDateTime
    op.create_table(
        "ticket_fact",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("created_at", instant(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("queue_id", sa.Integer(), nullable=True),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("first_response_at", instant(), nullable=True),
        sa.Column("first_response_minutes", sa.Float(), nullable=True),
        sa.Column("first_response_business", sa.Float(), nullable=True),
        sa.Column("responses_before_resolution", sa.Integer(), nullable=False),
        sa.Column("first_resolved_at", instant(), nullable=True),
        sa.Column("resolution_minutes", sa.Float(), nullable=True),
        sa.Column("resolution_business", sa.Float(), nullable=True),
        sa.Column("last_resolved_at", instant(), nullable=True),
        sa.Column("full_resolution_minutes", sa.Float(), nullable=True),
        sa.Column("full_resolution_business", sa.Float(), nullable=True),
        sa.Column("reopen_count", sa.Integer(), nullable=False),
        sa.Column("requester_wait", sa.Float(), nullable=False),
        sa.Column("team_work", sa.Float(), nullable=False),
        sa.Column("vendor_wait", sa.Float(), nullable=False),
        sa.Column("inactive_since", instant(), nullable=False),
        sa.Column("reopened_spells", sa.JSON(), nullable=False),
        sa.Column("first_response_outcome", sa.String(length=10), nullable=True),
        sa.Column("first_response_decided_at", instant(), nullable=True),
        sa.Column("first_response_breaches", sa.Integer(), nullable=False),
        sa.Column("resolution_outcome", sa.String(length=10), nullable=True),
        sa.Column("resolution_decided_at", instant(), nullable=True),
        sa.Column("resolution_breaches", sa.Integer(), nullable=False),
        sa.Column("update_outcome", sa.String(length=10), nullable=True),
        sa.Column("update_decided_at", instant(), nullable=True),
        sa.Column("update_breaches", sa.Integer(), nullable=False),
        sa.Column("csat_score", sa.Integer(), nullable=True),
        sa.Column("csat_at", instant(), nullable=True),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("ticket_id"),
    )
    with op.batch_alter_table("ticket_fact", schema=None) as batch_op:
        for name, columns in INDEXES.items():
            batch_op.create_index(name, columns, unique=False)
    with op.batch_alter_table("rating", schema=None) as batch_op:
        batch_op.create_index("ix_rating_kind_at", ["kind", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rating", schema=None) as batch_op:
        batch_op.drop_index("ix_rating_kind_at")
    with op.batch_alter_table("ticket_fact", schema=None) as batch_op:
        for name in INDEXES:
            batch_op.drop_index(name)
    op.drop_table("ticket_fact")
