"""Memory while advancing many applications in one process: growth must stay under 50 MB.

Seeds N halal_regular applications in INTAKE on a fresh SQLite file (bulk inserts, as
``Engine.open_application`` would have left them), then fires ``start_document_preparation`` on
every one through ``Engine.advance`` in a single process and one ``Engine``, sampling the resident
set size (VmRSS) every ``--every`` transitions. The figure is the growth from the first sample
(after the warm-up: compiled-statement cache, machines, calendar years loaded) to the end; a
per-application leak (a machine kept per model, a cache keyed by application id) shows up as
steady growth.

    .venv/bin/python -m bench.bench_memory [--n 100000] [--every 10000] [--json]
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from bench.common import CONSULTANT, fresh_sqlite, print_table, rss_mb, seed, versions
from workflow.engine import Engine

TRIGGER = "start_document_preparation"
TARGET_MB = 50.0


def measure(n: int, every: int) -> dict[str, Any]:
    """Advance ``n`` seeded applications once each; RSS samples and timings."""
    started = time.perf_counter()
    with fresh_sqlite() as db:
        seeded = seed(db.engine, n)
        ids = [app.id for app in seeded.apps]
        del seeded
        gc.collect()
        seeded_in = time.perf_counter() - started
        workflow = Engine(db.engine)
        samples: list[tuple[int, float, float]] = [(0, 0.0, rss_mb())]
        advance = workflow.advance
        begin = time.perf_counter()
        for done, app_id in enumerate(ids, 1):
            advance(app_id, TRIGGER, CONSULTANT)
            if done % every == 0 or done == n:
                samples.append((done, time.perf_counter() - begin, rss_mb()))
        advanced_in = time.perf_counter() - begin
        gc.collect()
        after_gc = rss_mb()
        with db.engine.connect() as conn:
            moved = conn.execute(
                sa.text("SELECT count(*) FROM application WHERE state = 'DOC_PREPARATION'")
            ).scalar_one()
        if moved != n:
            raise AssertionError(f"{moved} of {n} applications moved")
    warm = samples[1] if len(samples) > 2 else samples[0]
    end = samples[-1]
    return {
        "benchmark": "memory",
        "trigger": TRIGGER,
        "backend": "sqlite",
        "applications": n,
        "sample_every": every,
        "seed_seconds": round(seeded_in, 1),
        "advance_seconds": round(advanced_in, 1),
        "total_seconds": round(time.perf_counter() - started, 1),
        "transitions_per_s": round(n / advanced_in, 1),
        "rss_mb": [
            {"advanced": k, "seconds": round(s, 2), "rss_mb": round(r, 1)} for k, s, r in samples
        ],
        "rss_before_mb": round(samples[0][2], 1),
        "rss_warm_mb": round(warm[2], 1),
        "warm_at": warm[0],
        "rss_end_mb": round(end[2], 1),
        "rss_after_gc_mb": round(after_gc, 1),
        "growth_after_warm_mb": round(end[2] - warm[2], 1),
        "target_growth_mb": TARGET_MB,
        "versions": versions(),
    }


def report(result: dict[str, Any]) -> None:
    """Print the samples and the verdict."""
    print(
        f"advancing {result['applications']:,} halal_regular applications ({TRIGGER}) "
        "with one Engine on SQLite (WAL)"
    )
    print("versions: " + ", ".join(f"{k} {v}" for k, v in result["versions"].items()))
    print()
    rows: list[list[object]] = []
    previous: dict[str, Any] | None = None
    warm = result["rss_warm_mb"]
    for sample in result["rss_mb"]:
        interval: object = ""
        if previous is not None:
            span = sample["seconds"] - previous["seconds"]
            count = sample["advanced"] - previous["advanced"]
            interval = round(count / span) if span > 0 else ""
        rows.append(
            [
                sample["advanced"],
                sample["seconds"],
                interval,
                sample["rss_mb"],
                sample["rss_mb"] - warm if sample["advanced"] >= result["warm_at"] else "",
            ]
        )
        previous = sample
    print_table(["advanced", "seconds", "transitions/s", "RSS MB", "MB since warm"], rows)
    print()
    growth = result["growth_after_warm_mb"]
    verdict = "meets" if growth < TARGET_MB else "ABOVE"
    print(
        f"RSS before {result['rss_before_mb']} MB, after {result['warm_at']:,} (warm) "
        f"{warm} MB, at the end {result['rss_end_mb']} MB, after gc.collect() "
        f"{result['rss_after_gc_mb']} MB"
    )
    print(
        f"growth after warm-up: {growth} MB ({verdict} the target < {TARGET_MB:.0f} MB); "
        f"{result['transitions_per_s']:,.0f} transitions/s"
    )
    print(
        f"elapsed: seeding {result['seed_seconds']} s, advancing {result['advance_seconds']} s, "
        f"total {result['total_seconds']} s"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=100_000, help="applications to advance")
    parser.add_argument("--every", type=int, default=10_000, help="RSS sample interval")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.n < 1 or args.every < 1:
        parser.error("--n and --every must be positive")
    result = measure(args.n, args.every)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        report(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
