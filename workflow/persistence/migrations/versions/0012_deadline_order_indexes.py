"""deadline-order indexes: a consultant's day and queue read their first rows from an index

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02

The day's work (``workflow.agenda``) and the queue (``workflow.queries.list_applications``)
list applications nearest deadline first with the undated last, and count them by deadline.
Without an index in that order the database read and sorted every application of a consultant
holding 16,700 of them for each page (the queue's SQL 46 ms, the day's counts 57 ms on SQLite).
``ix_application_assignee_due`` orders a consultant's by deadline and carries the columns the
day's sections test (phase, process, state), so a page reads its first rows and counts a range
of deadlines from the index alone (the undated are read apart: no index sorts them last on both
databases; the phase before the id makes the open undated one short range, not a walk through
every closed application the consultant held); ``ix_application_due`` does the same for the
whole office (an admin's queue, every overdue application). The first leads with the assignee,
so it replaces ``ix_application_assignee_id``. Indexes only: no row changes, nothing to journal.
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_application_assignee_due",
        "application",
        [
            "assignee_id",
            "deadline",
            "phase",
            "id",
            "process_key",
            "process_version",
            "state",
        ],
    )
    op.create_index(
        "ix_application_due",
        "application",
        ["deadline", "phase", "id", "assignee_id"],
    )
    op.drop_index("ix_application_assignee_id", table_name="application")


def downgrade() -> None:
    op.create_index("ix_application_assignee_id", "application", ["assignee_id"])
    op.drop_index("ix_application_due", table_name="application")
    op.drop_index("ix_application_assignee_due", table_name="application")
