"""The periodic work, run by Celery beat and by the embedded loop alike: the deadline sweep,
renewals and surveillance, the consultants' daily digests, and the journal's daily checkpoint."""

from __future__ import annotations

import logging
from pathlib import Path

from workers.context import WorkerContext
from workers.sweeps import SweepReport, queue_digests, sweep_deadlines, sweep_renewals
from workflow.errors import SertiflowError
from workflow.journal import save_checkpoint

__all__ = ["daily_checkpoint", "run_sweeps"]

_log = logging.getLogger(__name__)


def run_sweeps(
    ctx: WorkerContext,
    *,
    deadlines: bool = False,
    renewals: bool = False,
    digests: bool = False,
) -> list[SweepReport]:
    """Run the chosen sweeps (all of them when none is chosen); each queues outbox rows."""
    every = not (deadlines or renewals or digests)
    now = ctx.now()
    reports = []
    if every or deadlines:
        reports.append(sweep_deadlines(ctx.db, ctx.settings, now, ctx.workflow.calendar))
    if every or renewals:
        reports.append(sweep_renewals(ctx.db, ctx.settings, now, ctx.workflow))
    if every or digests:
        reports.append(queue_digests(ctx.db, ctx.settings, now))
    for report in reports:
        _log.info("sweep: %s", report)
    return reports


def daily_checkpoint(ctx: WorkerContext) -> Path | None:
    """Write today's journal checkpoint into the checkpoint folder, unless it is there already;
    the file written, or None. Someone must copy these files off the machine: a checkpoint
    next to the database proves nothing to whoever holds both."""
    now = ctx.now()
    path = Path(ctx.settings.checkpoint_dir) / f"journal-{ctx.workflow.today(now).isoformat()}.json"
    if path.exists():
        return None
    try:
        save_checkpoint(ctx.db, ctx.settings.secret_key.encode(), now, path)
    except (OSError, SertiflowError) as error:  # deliveries must go on; the next hour retries
        _log.error("journal checkpoint not written to %s: %s", path, error)
        return None
    _log.info("journal checkpoint written to %s", path)
    return path
