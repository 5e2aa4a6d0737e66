"""trusted mail: mail held for review, labelled noise, contacts added from mail

`held_mail` keeps a message that refers to a ticket its sender may not write to, until a
dispatcher accepts or rejects it. `message.label` says what the intake made of a message
("auto-reply", "bounce: address rejected"). `contact.is_new` flags a contact the intake
added (a new person at a client's domain) for a dispatcher to check.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "held_mail",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sqlmodel.sql.sqltypes.AutoString(length=998), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("from_address", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("mail", sa.JSON(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("received_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=True),
        sa.Column("decided_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("accepted_ticket_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["accepted_ticket_id"], ["ticket.id"]),
        sa.ForeignKeyConstraint(["decided_by_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id"),
    )
    with op.batch_alter_table("held_mail", schema=None) as batch_op:
        batch_op.create_index("ix_held_mail_open", ["decided_at", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_held_mail_ticket_id"), ["ticket_id"], unique=False)
    # Plain ALTER TABLE on both backends (SQLite adds and, since 3.35, drops a column in
    # place): batch mode would copy `message` and `contact`, whose old tables cannot be
    # dropped while other rows point at them.
    op.add_column(
        "message",
        sa.Column(
            "label", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False, server_default=""
        ),
    )
    op.add_column(
        "contact", sa.Column("is_new", sa.Boolean(), nullable=False, server_default=sa.false())
    )


def downgrade() -> None:
    op.drop_column("contact", "is_new")
    op.drop_column("message", "label")
    with op.batch_alter_table("held_mail", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_held_mail_ticket_id"))
        batch_op.drop_index("ix_held_mail_open")
    op.drop_table("held_mail")
