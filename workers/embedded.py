"""The embedded worker: the same deliveries and sweeps in-process, with no broker.

What a newcomer or a one-laptop office runs (``sertiflow worker`` without
``SERTIFLOW_BROKER_URL``): it claims due outbox rows from the database exactly as the relay does,
delivers each with the Celery task's own function, and runs the sweeps once an hour.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from workers import outbox
from workers.context import WorkerContext
from workers.periodic import daily_checkpoint, run_sweeps
from workers.runner import deliver

__all__ = ["EmbeddedReport", "run_embedded"]

_SWEEP_EVERY = timedelta(hours=1)


@dataclass
class EmbeddedReport:
    """What one run of the embedded worker did."""

    outcomes: Counter[str] = field(default_factory=Counter)
    sweeps: int = 0


def run_embedded(
    ctx: WorkerContext,
    *,
    once: bool = False,
    stop: threading.Event | None = None,
    idle_seconds: float = 1.0,
    batch: int = 50,
) -> EmbeddedReport:
    """Deliver due rows until ``stop`` is set (or, with ``once``, until none is due now)."""
    stop = stop or threading.Event()
    report = EmbeddedReport()
    next_sweep: datetime | None = None
    lease = ctx.settings.delivery.lease_seconds
    while not stop.is_set():
        now = ctx.now()
        if next_sweep is None or now >= next_sweep:
            run_sweeps(ctx)
            daily_checkpoint(ctx)
            report.sweeps += 1
            next_sweep = now + _SWEEP_EVERY
        token, ids = outbox.claim_batch(ctx.db, ctx.now(), grace=0, lease=lease, limit=batch)
        for position, outbox_id in enumerate(ids):
            if stop.is_set():  # give the rest back rather than hold them until the lease ends
                outbox.release(ctx.db, ids[position:], token)
                break
            report.outcomes[deliver(ctx, outbox_id, token)] += 1
        if not ids:
            if once:
                break
            stop.wait(idle_seconds)
    return report
