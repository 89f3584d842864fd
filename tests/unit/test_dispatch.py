"""Publishing after commit happens off the transition's thread, in batches, and never raises."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from workers.dispatch import BackgroundDispatch


def test_ids_are_sent_from_another_thread_and_flushed_before_exit() -> None:
    sent: list[int] = []
    threads: set[str] = set()
    gate = threading.Event()

    def sender(ids: Sequence[int]) -> None:
        gate.wait(5)
        threads.add(threading.current_thread().name)
        sent.extend(ids)

    dispatch = BackgroundDispatch(lambda: sender)
    for first in range(0, 30, 3):
        dispatch([first, first + 1, first + 2])  # returns at once, the sender is blocked
    assert sent == []
    gate.set()
    assert dispatch.flush(5)
    assert sent == list(range(30)) and threads == {"sertiflow-dispatch"}


def test_a_broker_that_is_down_loses_the_send_but_never_raises_to_the_caller() -> None:
    calls: list[list[int]] = []

    def sender(ids: Sequence[int]) -> None:
        calls.append(list(ids))
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    dispatch = BackgroundDispatch(lambda: sender)
    dispatch([1, 2])
    assert dispatch.flush(5)
    dispatch([3])
    assert dispatch.flush(5)
    assert calls == [[1, 2], [3]]  # tried each time; the relay sends them later


def test_flush_gives_up_after_its_timeout() -> None:
    release = threading.Event()

    def sender(ids: Sequence[int]) -> None:
        release.wait(10)

    dispatch = BackgroundDispatch(lambda: sender)
    dispatch([1])
    assert dispatch.flush(0.2) is False
    release.set()
    assert dispatch.flush(5)
