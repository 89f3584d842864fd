"""outbox delivery: status, lease, backoff and result per row; notifications; email preferences

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

Rows written before this revision were never delivered: they become ``historical`` (recorded,
never sent), so upgrading an office does not mail a year of old news to its UMKM.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_pending")
        batch.alter_column("application_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("user_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("status", sa.String(length=12), nullable=False, server_default="historical")
        )
        batch.add_column(sa.Column("available_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("lease_token", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("done_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("result", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("dedupe_key", sa.String(length=120), nullable=True))
        batch.create_foreign_key("fk_outbox_user_id_app_user", "app_user", ["user_id"], ["id"])
        batch.create_unique_constraint("uq_outbox_dedupe_key", ["dedupe_key"])
    op.execute("UPDATE outbox SET available_at = created_at")
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("available_at", existing_type=sa.DateTime(), nullable=False)
        batch.alter_column("status", server_default=None, existing_type=sa.String(length=12))
    op.create_index("ix_outbox_claim", "outbox", ["status", "available_at", "id"])
    op.create_index("ix_outbox_application", "outbox", ["application_id", "audit_seq"])
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=True),
        sa.Column("emailed_at", sa.DateTime(), nullable=True),
        sa.Column("digested_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["application_id"], ["application.id"]),
        sa.ForeignKeyConstraint(["outbox_id"], ["outbox.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("outbox_id", "user_id"),
    )
    op.create_index("ix_notification_user", "notification", ["user_id", "read_at", "id"])
    # Plain ALTER TABLE, not a batch: SQLite cannot recreate tables that others reference.
    op.add_column(
        "umkm", sa.Column("language", sa.String(length=8), nullable=False, server_default="id")
    )
    op.add_column(
        "app_user",
        sa.Column("daily_digest", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_column("app_user", "daily_digest")
    op.drop_column("umkm", "language")
    op.drop_index("ix_notification_user", table_name="notification")
    op.drop_table("notification")
    op.drop_index("ix_outbox_application", table_name="outbox")
    op.drop_index("ix_outbox_claim", table_name="outbox")
    op.execute("DELETE FROM outbox WHERE application_id IS NULL")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_constraint("uq_outbox_dedupe_key", type_="unique")
        batch.drop_constraint("fk_outbox_user_id_app_user", type_="foreignkey")
        for column in (
            "dedupe_key",
            "result",
            "done_at",
            "lease_token",
            "lease_until",
            "available_at",
            "status",
            "user_id",
        ):
            batch.drop_column(column)
        batch.alter_column("application_id", existing_type=sa.Integer(), nullable=False)
        batch.create_index("ix_outbox_pending", ["dispatched_at", "id"])
