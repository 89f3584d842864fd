"""web login: a password hash per user, signed-in sessions, and the attempts that throttle logins

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

``app_user`` gains ``password_hash`` (argon2id; empty for every existing user, who gets a web
login with ``sertiflow user passwd``). ``web_session`` holds the SHA-256 of each signed-in
session's token; ``web_attempt`` the failed logins and verification lookups the web app counts
per username and per client address, in the database so that every worker sees them.

The upgrade writes no journal entry: no user has a password yet. Setting one journals the
SHA-256 of the new hash (``password:USER_ID``), never the hash itself. The downgrade drops the
hashes, so it appends one ``user.password`` entry with an empty digest (no password) for every
user who had one: ``audit verify`` stays clean if the database is upgraded again.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from workflow.audit import GENESIS, entry_hash

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("app_user") as batch_op:
        batch_op.add_column(sa.Column("password_hash", sa.String(200), nullable=True))
    op.create_table(
        "web_session",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("app_user.id"), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("seen_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_web_session_user_id", "web_session", ["user_id"])
    op.create_table(
        "web_attempt",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("username", sa.String(64), nullable=True),
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_web_attempt_at", "web_attempt", ["at"])
    op.create_index("ix_web_attempt_user", "web_attempt", ["kind", "username", "at"])
    op.create_index("ix_web_attempt_client", "web_attempt", ["kind", "client", "at"])


def downgrade() -> None:
    conn = op.get_bind()
    meta = sa.MetaData()
    users = sa.Table("app_user", meta, autoload_with=conn)
    journal = sa.Table("journal", meta, autoload_with=conn)
    had = [
        int(row.id)
        for row in conn.execute(
            sa.select(users.c.id).where(users.c.password_hash.is_not(None)).order_by(users.c.id)
        )
    ]
    if had:
        now = datetime.now(UTC).replace(tzinfo=None)
        last = conn.execute(
            sa.select(journal.c.seq, journal.c.hash).order_by(journal.c.seq.desc()).limit(1)
        ).first()
        seq, prev = (int(last.seq), str(last.hash)) if last else (0, GENESIS)
        entries = []
        for user_id in had:
            seq += 1
            entry = {
                "seq": seq,
                "at": now,
                "actor_id": None,
                "action": "user.password",
                "subject": f"password:{user_id}",
                "data": {"digest": "", "reason": "schema 0008 downgraded"},
                "prev_hash": prev,
            }
            entry["hash"] = prev = entry_hash(prev, entry)
            entries.append(entry)
        conn.execute(journal.insert(), entries)
    op.drop_index("ix_web_attempt_client", table_name="web_attempt")
    op.drop_index("ix_web_attempt_user", table_name="web_attempt")
    op.drop_index("ix_web_attempt_at", table_name="web_attempt")
    op.drop_table("web_attempt")
    op.drop_index("ix_web_session_user_id", table_name="web_session")
    op.drop_table("web_session")
    # Not a batch operation: SQLite's would copy app_user, which rows of other tables reference
    # (foreign keys are enforced); both databases drop a plain column in place (SQLite 3.35+).
    op.execute("ALTER TABLE app_user DROP COLUMN password_hash")
