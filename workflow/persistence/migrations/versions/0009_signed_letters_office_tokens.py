"""signed letters, the office profile, API tokens

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

- ``evidence`` gains ``signed_on``: the date a dated document was signed. DJKI wants the UMK
  recommendation letter signed in the year of the filing it is for, so the filing checks it.
  Existing documents have none (NULL): the journal's images of them hold no ``signed_on``, which
  ``audit verify`` reads as none, so the upgrade appends no entry.
- ``office_profile`` holds what the office's letters print about it (signatory, parent agency,
  phone, email, postcode ...), one row per key, set by an admin and journalled as
  ``office:KEY``.
- ``api_token`` holds the SHA-256 of each user's bearer tokens for the JSON API (the token
  itself is shown once and never stored), like ``web_session`` does for cookies.

The downgrade drops the three; journal entries about them stay (older code ignores them).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("evidence") as batch_op:
        batch_op.add_column(sa.Column("signed_on", sa.Date, nullable=True))
    op.create_table(
        "office_profile",
        sa.Column("key", sa.String(40), primary_key=True),
        sa.Column("value", sa.Text, nullable=False, server_default=""),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("updated_by", sa.Integer, sa.ForeignKey("app_user.id"), nullable=True),
    )
    op.create_table(
        "api_token",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("app_user.id"), nullable=False),
        sa.Column("label", sa.String(100), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("last_used_at", sa.DateTime, nullable=True),
        sa.Column("revoked_at", sa.DateTime, nullable=True),
    )
    op.create_index("ix_api_token_user_id", "api_token", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_api_token_user_id", table_name="api_token")
    op.drop_table("api_token")
    op.drop_table("office_profile")
    # Not a batch operation: SQLite's would copy evidence; both databases drop a plain column.
    op.execute("ALTER TABLE evidence DROP COLUMN signed_on")
