"""``sertiflow --help`` and ``--version`` against a bare ``python -c pass``, wall time per run.

Target: under 0.3 s each. The same interpreter starts every process, turn by turn (so that a
machine growing busier slows all of them alike); the figures are the median and the fastest of
``--runs`` runs, and each command's median less the bare interpreter's is what sertiflow itself
costs. For comparison, the same for a process that imports every command module up front (what
``--help`` cost before the commands were loaded lazily) and for one command that needs the
database engine (``process list``).

    python -m bench.bench_startup [--runs 15]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

from bench.common import print_table, versions

TARGET_SECONDS = 0.3
EAGER = (
    "import sertiflow.cli, sertiflow.cli_apps, sertiflow.cli_documents, sertiflow.cli_workers, "
    "sertiflow.cli_umkm, sertiflow.cli_today"
)
COMMANDS: dict[str, list[str]] = {
    "python -c pass": ["-c", "pass"],
    "sertiflow --help": ["-m", "sertiflow", "--help"],
    "sertiflow --version": ["-m", "sertiflow", "--version"],
    "every command module imported": ["-c", EAGER],
    "sertiflow process list": ["-m", "sertiflow", "process", "list"],
}


def _once(args: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, *args], check=True, capture_output=True)
    return time.perf_counter() - started


def measure(runs: int) -> dict[str, list[float]]:
    """Wall seconds of each of ``COMMANDS``, ``runs`` times, taking turns (after a warm-up)."""
    for args in COMMANDS.values():
        _once(args)
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(runs):
        for name, args in COMMANDS.items():
            times[name].append(_once(args))
    return times


def main() -> None:
    """Print the figures as a table, then as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    options = parser.parse_args()
    times = measure(options.runs)
    bare = statistics.median(times["python -c pass"])
    rows = []
    for name, samples in times.items():
        median = statistics.median(samples)
        target = f"< {TARGET_SECONDS} s" if name.startswith("sertiflow --") else ""
        rows.append((name, min(samples), median, median - bare, median / bare, target))
    print_table(["command", "fastest s", "median s", "over python s", "x python", "target"], rows)
    print(
        json.dumps(
            {
                "runs": options.runs,
                "median_seconds": {n: statistics.median(s) for n, s in times.items()},
                "versions": versions(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
