"""Figures a worker process computes at most every so often and shares between its requests
(the dashboard's backlog: reading the whole pipeline takes seconds on a national database).

One request computes at a time. Until there is a first value the others wait for it rather than
each reading the pipeline too; once a value has aged, the request that finds it so computes the
next while those arriving meanwhile are served the one before (the page says as of when).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

__all__ = ["Recent"]

T = TypeVar("T")


class Recent:
    """Values by key, each with when it was computed."""

    def __init__(self) -> None:
        self._held: dict[Hashable, tuple[datetime, Any]] = {}
        self._turns: dict[Hashable, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(
        self, key: Hashable, now: datetime, age: timedelta, compute: Callable[[], T]
    ) -> tuple[datetime, T]:
        """``key``'s value and when it was computed: the held one if younger than ``age`` (a
        clock set back makes it old), else ``compute()``'s, or the held one while another
        request computes."""
        held = self._held.get(key)
        if held is not None and _young(held[0], now, age):
            return held
        with self._guard:
            turn = self._turns.setdefault(key, threading.Lock())
        if not turn.acquire(blocking=held is None):
            return cast(tuple[datetime, T], held)  # the next is being computed: this one
        try:
            again = self._held.get(key)  # computed while this request waited for its turn
            if again is not None and _young(again[0], now, age):
                return again
            fresh = (now, compute())
            self._held[key] = fresh
            return fresh
        finally:
            turn.release()


def _young(at: datetime, now: datetime, age: timedelta) -> bool:
    return timedelta(0) <= now - at < age
