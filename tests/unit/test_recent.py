"""``web.recent.Recent``: the dashboard's figures computed once per age, by one request at a
time, with the previous figures served while the next are computed."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from web.recent import Recent

NOW = datetime(2026, 12, 3, 2, 0)
MINUTE = timedelta(minutes=1)


def test_a_value_is_kept_for_its_age_and_computed_again_after() -> None:
    recent, computed = Recent(), []

    def compute() -> int:
        computed.append(1)
        return len(computed)

    assert recent.get("k", NOW, MINUTE, compute) == (NOW, 1)
    assert recent.get("k", NOW + timedelta(seconds=59), MINUTE, compute) == (NOW, 1)
    assert recent.get("other", NOW, MINUTE, compute) == (NOW, 2)  # keys apart
    assert recent.get("k", NOW + MINUTE, MINUTE, compute) == (NOW + MINUTE, 3)
    assert recent.get("k", NOW, MINUTE, compute) == (NOW, 4)  # a clock set back: computed


def test_the_first_value_is_computed_once_while_the_others_wait_for_it() -> None:
    recent, started, calls = Recent(), threading.Event(), []

    def slow() -> str:
        calls.append(1)
        started.set()
        threading.Event().wait(0.3)
        return "figures"

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: recent.get("k", NOW, MINUTE, slow), range(8)))
    assert calls == [1] and answers == [(NOW, "figures")] * 8


def test_an_aged_value_is_served_while_one_request_computes_the_next() -> None:
    recent = Recent()
    recent.get("k", NOW, MINUTE, lambda: "old")
    computing, release = threading.Event(), threading.Event()

    def next_value() -> str:
        computing.set()
        release.wait(10)
        return "new"

    later = NOW + 2 * MINUTE
    with ThreadPoolExecutor(2) as pool:
        try:
            first = pool.submit(recent.get, "k", later, MINUTE, next_value)
            assert computing.wait(10)
            meanwhile = pool.submit(recent.get, "k", later, MINUTE, lambda: "never")
            assert meanwhile.result(5) == (NOW, "old")  # served at once, not made to wait
        finally:
            release.set()
        assert first.result(10) == (later, "new")
    assert recent.get("k", later, MINUTE, lambda: "never") == (later, "new")


def test_a_failed_computation_lets_the_next_request_try_again() -> None:
    recent = Recent()

    def broken() -> str:
        raise RuntimeError("database gone")

    try:
        recent.get("k", NOW, MINUTE, broken)
    except RuntimeError:
        pass
    else:
        raise AssertionError("the error was swallowed")
    assert recent.get("k", NOW, MINUTE, lambda: "back") == (NOW, "back")
