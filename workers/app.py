"""The Celery app: built from settings on demand, so importing this module connects to nothing.

Tasks carry only outbox ids (and the relay's lease token); the database holds every due time, so
no task ever waits in the broker with a countdown (a countdown longer than Redis' visibility
timeout runs the task several times). Measured with Celery 5 on Redis, and so configured here:
early acks lose a killed worker's task (``acks_late``); without ``reject_on_worker_lost`` a killed
child's task is lost; one task per process at a time (prefetch 1) so a killed process holds back
nothing else. A dispatch after commit must never hold up the person who acted: publishing does
not retry, and a failure leaves the row to the relay.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from celery import Celery
from celery.schedules import crontab

from workers import outbox
from workers.context import WorkerContext
from workers.effects import NotYet
from workers.periodic import daily_checkpoint, run_sweeps
from workers.runner import deliver
from workflow.settings import Settings

__all__ = ["DELIVER", "RELAY", "Dispatcher", "make_celery"]

DELIVER = "workers.deliver"
FAN_OUT = "workers.fan_out"
RELAY = "workers.relay"
SWEEP_DEADLINES = "workers.sweep_deadlines"
SWEEP_RENEWALS = "workers.sweep_renewals"
QUEUE_DIGESTS = "workers.queue_digests"
CHECKPOINT = "workers.journal_checkpoint"
_log = logging.getLogger(__name__)
_ONE_STEP = 4  # a transition writes at most four effects


class _Lazy:
    """The process's worker context, built on its first task (after a prefork child forked)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._context: WorkerContext | None = None

    def __call__(self) -> WorkerContext:
        if self._context is None:
            self._context = WorkerContext.build(self.settings)
        return self._context


def make_celery(
    settings: Settings, *, context: Callable[[], WorkerContext] | None = None
) -> Celery:
    """The Celery app of ``settings.delivery.broker_url``, with its tasks and beat schedule."""
    delivery = settings.delivery
    if not delivery.broker_url:
        raise ValueError("the Celery app needs SERTIFLOW_BROKER_URL (redis://...)")
    app = Celery("sertiflow", set_as_current=False)
    app.conf.update(
        broker_url=delivery.broker_url,
        result_backend=None,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_publish_retry=False,
        broker_connection_timeout=3,
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            # longer than any lease, so Redis does not hand a running task to a second worker
            "visibility_timeout": max(3600, 2 * delivery.lease_seconds),
            "socket_connect_timeout": 3,
            # a publish with the broker down fails at once (the relay sends the row later)
            # instead of retrying for seconds while a consultant waits on a transition
            "max_retries": 0,
            "socket_timeout": 10,
        },
        worker_hijack_root_logger=False,
        timezone=settings.policy.timezone,
        enable_utc=True,
        beat_schedule={
            "relay": {
                "task": RELAY,
                "schedule": timedelta(seconds=delivery.relay_interval_seconds),
            },
            "deadlines": {"task": SWEEP_DEADLINES, "schedule": crontab(minute=5)},
            "renewals": {"task": SWEEP_RENEWALS, "schedule": crontab(minute=15)},
            "digests": {"task": QUEUE_DIGESTS, "schedule": crontab(minute=25)},
            # hourly, but a day's file is written once: a beat down at midnight catches up
            "checkpoint": {"task": CHECKPOINT, "schedule": crontab(minute=35)},
        },
    )
    ctx = context or _Lazy(settings)

    @app.task(name=DELIVER, acks_late=True, ignore_result=True)  # type: ignore[untyped-decorator]
    def deliver_task(outbox_id: int, token: str | None = None) -> str:
        outcome = deliver(ctx(), outbox_id, token)
        if outcome == "deferred":  # a few seconds, far below Redis' visibility timeout
            deliver_task.apply_async(args=[outbox_id, None], countdown=NotYet.retry_after)
        return outcome

    @app.task(name=FAN_OUT, acks_late=True, ignore_result=True)  # type: ignore[untyped-decorator]
    def fan_out_task(ids: list[int]) -> int:
        # a worker turns one batch into a message per row, so the rows run in parallel; sent
        # twice (a redelivery), each row still runs once: its claim decides
        Dispatcher(app)(ids)
        return len(ids)

    @app.task(name=RELAY, ignore_result=True)  # type: ignore[untyped-decorator]
    def relay_task() -> int:
        return relay(ctx(), Dispatcher(app))

    def sweep_task(which: str) -> Callable[[], None]:
        def sweep() -> None:  # then send what it queued at once, not at the next relay
            run_sweeps(ctx(), **{which: True})
            relay(ctx(), Dispatcher(app))

        return sweep

    for name, which in (
        (SWEEP_DEADLINES, "deadlines"),
        (SWEEP_RENEWALS, "renewals"),
        (QUEUE_DIGESTS, "digests"),
    ):
        app.task(name=name, ignore_result=True)(sweep_task(which))

    @app.task(name=CHECKPOINT, ignore_result=True)  # type: ignore[untyped-decorator]
    def checkpoint_task() -> str | None:
        path = daily_checkpoint(ctx())
        return None if path is None else str(path)

    return app


class Dispatcher:
    """Sends outbox ids to the workers: one ``workers.deliver`` message per id."""

    def __init__(self, app: Celery) -> None:
        self.app = app

    def __call__(self, ids: Sequence[int], token: str | None = None) -> None:
        """Publish one ``workers.deliver`` message per id; raises if the broker is down."""
        with self.app.producer_or_acquire() as producer:
            for outbox_id in ids:
                self.app.send_task(DELIVER, args=[outbox_id, token], producer=producer, retry=False)

    def batch(self, ids: Sequence[int]) -> None:
        """What a transition's process sends: its ids as they are, when one transition's few,
        else in one ``workers.fan_out`` message that a worker splits. Measured: a Celery message
        to Redis costs about as much as a whole transition, so a busy web or CLI process sends
        one message per batch of transitions, not one per effect."""
        if len(ids) <= _ONE_STEP:
            self(ids)
        else:
            self.app.send_task(FAN_OUT, args=[list(ids)], retry=False)


def relay(ctx: WorkerContext, dispatch: Callable[..., Any], *, limit: int = 500) -> int:
    """Dispatch rows nobody picked up: new rows whose own dispatch never arrived, rows whose
    backoff is over, rows whose lease ran out. Rows it cannot send go back to pending; returns
    how many it sent."""
    delivery = ctx.settings.delivery
    sent = 0
    while True:
        token, ids = outbox.claim_batch(
            ctx.db,
            ctx.now(),
            grace=delivery.relay_grace_seconds,
            lease=delivery.lease_seconds,
            limit=limit,
        )
        if not ids:
            return sent
        try:
            dispatch(ids, token)
        except Exception as error:
            outbox.release(ctx.db, ids, token)
            _log.warning("relay: broker unreachable, %d rows stay pending: %s", len(ids), error)
            return sent
        sent += len(ids)
        if len(ids) < limit:
            return sent
