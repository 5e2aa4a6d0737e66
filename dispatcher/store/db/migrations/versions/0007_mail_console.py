"""mail shown in the console: when and why a contact's address started failing

`contact_point.bouncing_since` and `contact_point.bounce_reason` say when the first
permanent bounce for the address came in and what it said ("address rejected"), so the
ticket and the composer can show "failing since DATE: address rejected".

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE on both backends, as 0005 does for `message` and `contact`.
    op.add_column(
        "contact_point",
        sa.Column("bouncing_since", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    )
    op.add_column(
        "contact_point",
        sa.Column(
            "bounce_reason",
            sqlmodel.sql.sqltypes.AutoString(length=200),
            nullable=False,
            server_default="",
        ),
    )


def downgrade() -> None:
    op.drop_column("contact_point", "bounce_reason")
    op.drop_column("contact_point", "bouncing_since")
