"""Delivering one outbox row: claim it, run its effect, record the outcome.

The Celery task and the embedded loop both call ``deliver``; so the same code runs with and
without a broker. A transient failure (SMTP down, object store unreachable, a database hiccup)
backs off and retries from the database's clock; a domain error that no retry can mend (the
application is gone, a stage has no packet) fails the row at once. Either way the row keeps
its error for the admins, and ``sertiflow outbox retry`` puts a failed row back.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from workers import outbox
from workers.context import WorkerContext
from workers.effects import HANDLERS, NotYet
from workflow.errors import InvalidInput, NotFound

__all__ = ["deliver"]

_log = logging.getLogger(__name__)
_PERMANENT = (NotFound, InvalidInput, KeyError, ValueError)
"""Errors a retry cannot mend: the row, its application or its stage is not what it names."""


def deliver(ctx: WorkerContext, outbox_id: int, token: str | None = None) -> str:
    """Deliver row ``outbox_id`` if it is still to do; what happened: ``done``, ``pending``
    (will be retried), ``failed``, ``deferred`` (waits a few seconds on another effect), or
    ``skipped`` (done already, or someone else holds it)."""
    delivery = ctx.settings.delivery
    held = outbox.claim(ctx.db, outbox_id, token, ctx.now(), delivery.lease_seconds)
    if held is None:
        return "skipped"
    handler = HANDLERS.get(held.kind)
    try:
        if handler is None:
            raise InvalidInput(f"no handler for outbox kind {held.kind!r}")
        result = handler(ctx, held)
    except NotYet as waiting:
        outbox.defer(ctx.db, held, ctx.now() + timedelta(seconds=waiting.retry_after))
        return "deferred"
    except Exception as error:
        permanent = isinstance(error, _PERMANENT)
        status = outbox.fail(
            ctx.db,
            held,
            ctx.now(),
            f"{error.__class__.__name__}: {error}",
            max_attempts=delivery.max_attempts,
            base_backoff=delivery.backoff_seconds,
            permanent=permanent,
        )
        _log.warning(
            "outbox #%s (%s) attempt %s: %s -> %s", held.id, held.kind, held.attempts, error, status
        )
        return status
    if not outbox.complete(ctx.db, held, ctx.now(), result):
        _log.warning("outbox #%s: lease lost before it was marked done", held.id)
        return "skipped"
    return "done"
