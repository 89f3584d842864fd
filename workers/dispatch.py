"""Publishing committed outbox ids from a thread of the process's own, so that a consultant's
transition never waits on the broker.

Measured: publishing three Celery messages to Redis inside the transition made it 3.5x slower
(a client and a round trip per message). Here the transition only puts the ids on a queue; a
thread collects them for a moment and sends them, many transitions' ids in one message. Ids
that never get sent (the broker is down, the process exits first) are still pending in the
outbox, and the relay sends them; at exit the process waits a few seconds for the queue to
drain, so a command-line step is normally delivered at once.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence

__all__ = ["BackgroundDispatch"]

Sender = Callable[[Sequence[int]], None]
_log = logging.getLogger(__name__)


class BackgroundDispatch:
    """A dispatch for ``Engine.dispatch`` that hands ids to ``make_sender()``'s sender from a
    daemon thread; the sender (and so Celery) is created on the first use."""

    def __init__(
        self, make_sender: Callable[[], Sender], *, batch: int = 500, linger: float = 0.05
    ) -> None:
        self._make_sender = make_sender
        self._batch = batch
        self._linger = linger
        self._queue: queue.Queue[list[int]] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._hurry = threading.Event()  # set by flush: send now, do not wait for more
        atexit.register(self.flush, 5.0)

    def __call__(self, ids: Sequence[int]) -> None:
        """Queue ``ids`` for sending; returns at once."""
        self._queue.put(list(ids))
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._run, name="sertiflow-dispatch", daemon=True
                    )
                    self._thread.start()

    def _run(self) -> None:
        sender: Sender | None = None
        while True:
            taken = [self._queue.get()]
            # Wait a moment for more: under load one message carries many transitions' ids
            # (sending costs about what a transition does), and 50 ms is nothing to a person.
            # A plain wait, not a get per id: waking this thread for every put costs the
            # transitions their time.
            self._hurry.wait(self._linger)
            while len(taken) < self._batch:
                try:
                    taken.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            ids = [i for chunk in taken for i in chunk]
            try:
                if sender is None:
                    sender = self._make_sender()
                sender(ids)
            except Exception as error:  # they stay pending; the relay sends them
                _log.warning("outbox rows %s left for the relay: %s", ids, error)
            finally:
                for _ in taken:
                    self._queue.task_done()

    def flush(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds until every queued id was handed over (or given up
        for the relay); False when time ran out."""
        end = time.monotonic() + timeout
        self._hurry.set()
        try:
            with self._queue.all_tasks_done:
                while self._queue.unfinished_tasks:
                    remaining = end - time.monotonic()
                    if remaining <= 0:
                        return False
                    self._queue.all_tasks_done.wait(remaining)
            return True
        finally:
            self._hurry.clear()
