"""The outbox as a durable queue: claiming, leasing, completing, failing and retrying its rows.

The database decides who runs an effect; Celery only carries row ids. A row is claimed with one
conditional ``UPDATE`` (PostgreSQL re-checks the condition after a concurrent writer commits;
SQLite's ``BEGIN IMMEDIATE`` serialises writers), so two workers handed the same id run it once.
A relay takes batches of rows nobody has picked up with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL,
so relays on several machines never take the same row. Every "due at" time is a column here,
never a broker countdown.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection, and_, bindparam, or_, select, update

from workflow.deliveries import (
    DONE,
    FAILED,
    HISTORICAL,
    LEASED,
    PENDING,
    STATUSES,
    list_rows,
    retry,
    status_counts,
)
from workflow.ledger import OUTBOX
from workflow.persistence.database import dialect_insert

__all__ = [
    "DONE",
    "FAILED",
    "HISTORICAL",
    "LEASED",
    "PENDING",
    "STATUSES",
    "Claim",
    "backoff_seconds",
    "claim",
    "claim_batch",
    "complete",
    "defer",
    "enqueue",
    "fail",
    "list_rows",
    "mark_historical",
    "release",
    "retry",
    "status_counts",
]

_MAX_BACKOFF = 3600.0


@dataclass(frozen=True, slots=True)
class Claim:
    """A row a worker holds until its lease ends; ``token`` proves the lease is still its own."""

    id: int
    kind: str
    application_id: int | None
    user_id: int | None
    audit_seq: int
    payload: Mapping[str, Any]
    attempts: int
    token: str
    created_at: datetime


_CLAIMABLE = or_(
    # a new row (attempts 0) may run at once; one backing off waits for its time
    and_(
        OUTBOX.c.status == PENDING,
        or_(OUTBOX.c.attempts == 0, OUTBOX.c.available_at <= bindparam("now")),
    ),
    and_(
        OUTBOX.c.status == LEASED,
        or_(
            OUTBOX.c.lease_token == bindparam("token"),  # the relay leased it for this message
            OUTBOX.c.lease_until < bindparam("now"),  # its holder died or gave up
        ),
    ),
)
_CLAIM = (
    update(OUTBOX)
    .where(OUTBOX.c.id == bindparam("outbox_id"), _CLAIMABLE)
    .values(
        status=LEASED,
        lease_until=bindparam("until"),
        lease_token=bindparam("new_token"),
        attempts=OUTBOX.c.attempts + 1,
    )
    .returning(
        OUTBOX.c.id,
        OUTBOX.c.kind,
        OUTBOX.c.application_id,
        OUTBOX.c.user_id,
        OUTBOX.c.audit_seq,
        OUTBOX.c.payload,
        OUTBOX.c.attempts,
        OUTBOX.c.created_at,
    )
)


def claim(
    db: sa.Engine, outbox_id: int, token: str | None, now: datetime, lease: float
) -> Claim | None:
    """Lease row ``outbox_id`` for ``lease`` seconds, or None when it is done, failed, backing
    off or held by someone else (then this delivery of its id is a duplicate)."""
    new_token = secrets.token_hex(16)
    params = {
        "outbox_id": outbox_id,
        "token": token or "",
        "now": now,
        "until": now + timedelta(seconds=lease),
        "new_token": new_token,
    }
    with db.begin() as conn:
        row = conn.execute(_CLAIM, params).first()
    if row is None:
        return None
    return Claim(
        row.id,
        row.kind,
        row.application_id,
        row.user_id,
        row.audit_seq,
        row.payload,
        row.attempts,
        new_token,
        row.created_at,
    )


def claim_batch(
    db: sa.Engine, now: datetime, *, grace: float, lease: float, limit: int = 100
) -> tuple[str, list[int]]:
    """Lease up to ``limit`` rows that nobody is working on, for a relay to dispatch (or the
    embedded worker to run): new rows older than ``grace`` seconds (their own dispatch after
    commit did not arrive), rows whose backoff is over, and rows whose lease ran out. Returns
    the lease token and the ids, oldest first."""
    fresh_cutoff = now - timedelta(seconds=grace)
    due = select(OUTBOX.c.id).where(
        or_(
            and_(
                OUTBOX.c.status == PENDING,
                OUTBOX.c.available_at <= now,
                or_(OUTBOX.c.attempts > 0, OUTBOX.c.available_at <= fresh_cutoff),
            ),
            and_(OUTBOX.c.status == LEASED, OUTBOX.c.lease_until < now),
        )
    )
    due = due.order_by(OUTBOX.c.id).limit(limit).with_for_update(skip_locked=True)
    token = secrets.token_hex(16)
    with db.begin() as conn:
        ids = list(conn.scalars(due))
        if ids:
            conn.execute(
                update(OUTBOX)
                .where(OUTBOX.c.id.in_(ids))
                .values(
                    status=LEASED,
                    lease_token=token,
                    lease_until=now + timedelta(seconds=lease),
                    dispatched_at=now,
                )
            )
    return token, ids


def release(db: sa.Engine, ids: Sequence[int], token: str) -> None:
    """Give back rows a relay leased but could not dispatch (broker down): pending again, so the
    next relay run takes them instead of waiting for the lease to run out."""
    if ids:
        with db.begin() as conn:
            conn.execute(
                update(OUTBOX)
                .where(OUTBOX.c.id.in_(ids), OUTBOX.c.lease_token == token)
                .values(status=PENDING, lease_token=None, lease_until=None)
            )


def complete(db: sa.Engine, held: Claim, now: datetime, result: Mapping[str, Any]) -> bool:
    """Mark the row done with what it did; False when the lease was lost meanwhile (the effect
    is idempotent, so whoever holds it now finds the work done)."""
    with db.begin() as conn:
        changed = conn.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id == held.id, OUTBOX.c.lease_token == held.token)
            .values(
                status=DONE,
                done_at=now,
                result=dict(result),
                lease_token=None,
                lease_until=None,
            )
        ).rowcount
    return bool(changed)


def defer(db: sa.Engine, held: Claim, until: datetime) -> None:
    """Give a row back untouched until ``until``: it waited on another effect, which is not a
    failed attempt."""
    with db.begin() as conn:
        conn.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id == held.id, OUTBOX.c.lease_token == held.token)
            .values(
                status=PENDING,
                available_at=until,
                attempts=OUTBOX.c.attempts - 1,
                lease_token=None,
                lease_until=None,
            )
        )


def backoff_seconds(attempts: int, base: float, rng: random.Random | None = None) -> float:
    """Seconds to wait after the ``attempts``-th failure: doubling from ``base``, capped at an
    hour, with jitter (0.5-1.5x) so that rows failing together do not retry together."""
    delay = min(_MAX_BACKOFF, base * 2.0 ** max(0, attempts - 1))
    jitter: float = (rng or random).uniform(0.5, 1.5)
    return float(delay * jitter)


def fail(
    db: sa.Engine,
    held: Claim,
    now: datetime,
    error: str,
    *,
    max_attempts: int,
    base_backoff: float,
    permanent: bool = False,
) -> str:
    """Record a failed attempt: back to pending after a backoff, or ``failed`` once the retries
    are spent (or at once for a ``permanent`` error); returns the new status."""
    status = FAILED if permanent or held.attempts >= max_attempts else PENDING
    values: dict[str, Any] = {
        "status": status,
        "last_error": error[:2000],
        "lease_token": None,
        "lease_until": None,
    }
    if status == PENDING:
        values["available_at"] = now + timedelta(
            seconds=backoff_seconds(held.attempts, base_backoff)
        )
    with db.begin() as conn:
        conn.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id == held.id, OUTBOX.c.lease_token == held.token)
            .values(**values)
        )
    return status


def enqueue(
    conn: Connection,
    kind: str,
    *,
    now: datetime,
    payload: Mapping[str, Any],
    application_id: int | None = None,
    user_id: int | None = None,
    audit_seq: int = 0,
    dedupe_key: str | None = None,
    available_at: datetime | None = None,
) -> int | None:
    """Queue an effect that no transition wrote (a reminder, a digest, a renewal notice) in the
    caller's transaction; its id, or None when a row with ``dedupe_key`` exists already."""
    statement = (
        dialect_insert(conn)(OUTBOX)
        .values(
            application_id=application_id,
            user_id=user_id,
            audit_seq=audit_seq,
            kind=kind,
            payload=dict(payload),
            created_at=now,
            status=PENDING,
            available_at=available_at or now,
            attempts=0,
            dedupe_key=dedupe_key,
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(OUTBOX.c.id)
    )
    new_id: int | None = conn.execute(statement).scalar()
    return new_id


def mark_historical(db: sa.Engine, before: datetime) -> int:
    """Record every pending row created before ``before`` as history that is never sent (the
    demo's simulated year, an imported backlog); how many."""
    with db.begin() as conn:
        return conn.execute(
            update(OUTBOX)
            .where(OUTBOX.c.status == PENDING, OUTBOX.c.created_at < before)
            .values(status=HISTORICAL)
        ).rowcount
