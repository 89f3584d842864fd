"""issued documents, reused between the packets of one application; verification by file hash

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "issued_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("reference", sa.String(length=60), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("document", sa.String(length=60), nullable=False),
        sa.Column("state", sa.String(length=40), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("template_version", sa.String(length=64), nullable=False),
        sa.Column("inputs_hash", sa.String(length=64), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("signature", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["application_id"], ["application.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_index(
        "ix_issued_document_inputs",
        "issued_document",
        ["application_id", "inputs_hash"],
        unique=False,
    )
    op.create_index("ix_issued_document_content", "issued_document", ["content_hash"])
    op.create_index("ix_issued_packet_content", "issued_packet", ["content_hash"])


def downgrade() -> None:
    op.drop_index("ix_issued_packet_content", table_name="issued_packet")
    op.drop_index("ix_issued_document_content", table_name="issued_document")
    op.drop_index("ix_issued_document_inputs", table_name="issued_document")
    op.drop_table("issued_document")
