"""The periodic work, run by Celery beat and by the embedded loop alike: the deadline sweep,
renewals and surveillance, and the consultants' daily digests."""

from __future__ import annotations

import logging

from workers.context import WorkerContext
from workers.sweeps import SweepReport, queue_digests, sweep_deadlines, sweep_renewals

__all__ = ["run_sweeps"]

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
