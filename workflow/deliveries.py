"""The outbox as an admin sees it: rows per status and kind, the newest rows, and putting failed
deliveries back in the queue. Plain SQL on workflow's outbox table, shared by the CLI
(``sertiflow outbox``), the admin pages and the workers (``workers.outbox`` re-exports it)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func, select, update

from workflow.errors import InvalidInput, NotFound
from workflow.ledger import OUTBOX
from workflow.persistence.database import reading

__all__ = [
    "DONE",
    "FAILED",
    "HISTORICAL",
    "LEASED",
    "PENDING",
    "STATUSES",
    "list_rows",
    "retry",
    "status_counts",
]

PENDING, LEASED, DONE, FAILED, HISTORICAL = "pending", "leased", "done", "failed", "historical"
STATUSES = (PENDING, LEASED, DONE, FAILED, HISTORICAL)


def retry(db: sa.Engine, ids: Iterable[int] | None, now: datetime) -> list[int]:
    """Put failed rows back to pending with fresh attempts (all of them when ``ids`` is None);
    the ids retried. A row that is not failed is refused, naming its status."""
    with db.begin() as conn:
        if ids is None:
            chosen = list(conn.scalars(select(OUTBOX.c.id).where(OUTBOX.c.status == FAILED)))
        else:
            chosen = sorted(set(ids))
            found = {
                row.id: row.status
                for row in conn.execute(
                    select(OUTBOX.c.id, OUTBOX.c.status).where(OUTBOX.c.id.in_(chosen))
                )
            }
            missing = [i for i in chosen if i not in found]
            if missing:
                raise NotFound(f"no outbox row {', '.join(map(str, missing))}")
            not_failed = {i: s for i, s in found.items() if s != FAILED}
            if not_failed:
                raise InvalidInput(
                    "only failed rows can be retried; "
                    + ", ".join(f"#{i} is {s}" for i, s in sorted(not_failed.items()))
                )
        if chosen:
            conn.execute(
                update(OUTBOX)
                .where(OUTBOX.c.id.in_(chosen), OUTBOX.c.status == FAILED)
                .values(status=PENDING, attempts=0, available_at=now)
            )
    return chosen


def status_counts(db: sa.Engine) -> dict[str, dict[str, int]]:
    """Rows per status and kind: ``{"pending": {"email_umkm": 3}, ...}``."""
    counts: dict[str, dict[str, int]] = {status: {} for status in STATUSES}
    with reading(db).connect() as conn:
        rows = conn.execute(
            select(OUTBOX.c.status, OUTBOX.c.kind, func.count()).group_by(
                OUTBOX.c.status, OUTBOX.c.kind
            )
        )
        for status, kind, count in rows:
            counts.setdefault(status, {})[kind] = count
    return counts


def list_rows(db: sa.Engine, *, status: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """The newest rows (of one status), newest first."""
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"status {status!r}: use one of {', '.join(STATUSES)}")
    query = select(
        OUTBOX.c.id,
        OUTBOX.c.kind,
        OUTBOX.c.status,
        OUTBOX.c.application_id,
        OUTBOX.c.user_id,
        OUTBOX.c.audit_seq,
        OUTBOX.c.attempts,
        OUTBOX.c.created_at,
        OUTBOX.c.available_at,
        OUTBOX.c.done_at,
        OUTBOX.c.last_error,
        OUTBOX.c.result,
    ).order_by(OUTBOX.c.id.desc())
    if status is not None:
        query = query.where(OUTBOX.c.status == status)
    with reading(db).connect() as conn:
        return [dict(row) for row in conn.execute(query.limit(limit)).mappings()]
