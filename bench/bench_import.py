"""Importing a UMKM registry: peak memory flat in the file's size and its errors; rows per second.

Generates registry CSVs as offices export them (``;``-separated, the spellings they use for
Maluku's regencies, scales, phone numbers and Rupiah amounts; unique NIBs): valid files of about
``--sizes`` MB, and a file of ``--bad-rows`` rows that are all bad (one problem each, of six
kinds). Each is imported by the real command, ``sertiflow --json import FILE``, in a child
process on a fresh SQLite database (``sertiflow init`` first, not measured), side by side:

- start-up: a header-only file, what the command costs before it reads a row;
- each valid file (all rows written in one transaction; the rows in the database are counted
  afterwards: none may be lost), and the largest again with ``--dry-run`` (read and checked,
  nothing written);
- the bad file, refused (exit 1) with the first 100 errors and a count per kind of problem.

The child's peak resident set is ``ru_maxrss`` from ``os.wait4`` (that child alone), and so is its
CPU time (user + system). Rows per second are over the command's time less the start-up's; on a
machine shared with other work, wall time stretches with the load while CPU time mostly does not,
so rows per CPU second (less the start-up's CPU time) are shown too, to compare runs. Then, in
this process, ``upsert_umkm`` alone on the largest file's first ``--upsert-rows`` records in
batches of 1,000, to show what part of an import's time is the database writing. Targets: peak
RSS under 150 MB for the 50 MB file, flat in the file's size (10 MB against 50 MB), at least
20,000 rows/s.

    .venv/bin/python -m bench.bench_import [--sizes 10,50] [--bad-rows 300000] [--json]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any

from bench.common import fresh_sqlite, print_table, versions
from workflow.directory import ensure_regencies, upsert_umkm
from workflow.regions import MALUKU_REGENCIES
from workflow.umkm_import import BATCH_ROWS, RegistryReader

TARGET_PEAK_MB = 150.0
TARGET_ROWS_PER_S = 20_000.0
MB = 1_000_000

HEADER = [
    "No",
    "NIB",
    "Nama Usaha",
    "Nama Pemilik",
    "Jenis",
    "Skala Usaha",
    "Kabupaten/Kota",
    "Email",
    "No. HP",
    "Alamat",
    "Omzet",
    "Jumlah Lokasi Produksi",
    "Proses Sederhana",
    "Produk",
]
_PRODUCTS = ["Sagu lempeng", "Bagea", "Ikan asap", "Kopi rempah", "Minyak kayu putih", "Kenari"]
_FIRST = ["Ona", "Ana", "Yosef", "Maria", "Hasan", "Frans", "Rina", "Agus", "Ongen", "Dina"]
_LAST = ["Latuconsina", "Pattiasina", "Rahanra", "Tanamal", "Lim", "Sopacua", "Wattimena"]
_SCALES = ["Mikro", "Usaha Mikro", "Kecil", "kecil", "Menengah", "micro", "small"]
_TURNOVER = ["Rp 250.000.000", "120000000", "250 juta", "1,5 miliar", "Rp. 75.000.000", ""]


def _spellings() -> list[str]:
    """How offices write the eleven regencies: names, short names, BPS codes, abbreviations."""
    found: list[str] = []
    for regency in MALUKU_REGENCIES:
        short = regency.name.removeprefix("Kabupaten ").removeprefix("Kota ")
        found += [regency.name, short, regency.code]
    return [*found, "Kab. Buru", "SBB", "SBT", "MBD", "MTB", "Kab. Kep. Aru"]


def _good_row(n: int, rng: random.Random, regencies: Sequence[str]) -> list[str]:
    owner = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
    product = rng.choice(_PRODUCTS)
    phone = rng.choice(
        [
            f"0812-{n % 10_000:04d}-{rng.randrange(10_000):04d}",
            f"+62 813 {n % 10_000:04d} {rng.randrange(10_000):04d}",
            f"(0911) {300_000 + n % 100_000}",
            "",
        ]
    )
    return [
        str(n),
        f"{8100000000000 + n:013d}",
        f"{product} {owner.split()[0]} {n}",
        owner,
        "Koperasi" if n % 23 == 0 else "UMKM",
        rng.choice(_SCALES),
        rng.choice(regencies),
        "" if n % 7 == 0 else f"{owner.split()[0].lower()}.{n}@contoh.co.id",
        phone,
        f"Jl. Pattimura No. {n % 300}, RT {n % 20:02d}/RW {n % 9:02d}, Ambon",
        rng.choice(_TURNOVER),
        str(1 + n % 3),
        rng.choice(["ya", "tidak", "Ya", ""]),
        f"{product}, {rng.choice(_PRODUCTS).lower()}",
    ]


_BAD_CHANGES = [  # column index, bad value: one problem a row, six kinds
    (1, "81000000003"),  # a NIB of 11 digits
    (6, "Jakarta"),  # not a regency of Maluku
    (7, "bukan-email"),
    (8, "12345"),
    (10, "banyak"),
    (5, "besar"),
]


def write_valid(path: Path, size: int, seed: int = 2020) -> int:
    """A valid registry of about ``size`` bytes; returns its number of data rows."""
    rng, regencies = random.Random(seed), _spellings()
    rows = 0
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(HEADER)
        while handle.tell() < size:
            for _ in range(1_000):
                rows += 1
                writer.writerow(_good_row(rows, rng, regencies))
    return rows


def write_bad(path: Path, rows: int, seed: int = 2021) -> None:
    """``rows`` data rows, each with one bad cell (its kind by turns)."""
    rng, regencies = random.Random(seed), _spellings()
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(HEADER)
        for n in range(1, rows + 1):
            cells = _good_row(n, rng, regencies)
            column, value = _BAD_CHANGES[n % len(_BAD_CHANGES)]
            cells[column] = value
            writer.writerow(cells)


def run_import(path: Path, workdir: Path, *extra: str, expect_exit: int = 0) -> dict[str, Any]:
    """``sertiflow --json import PATH`` on a fresh SQLite database, in a child process."""
    database = workdir / f"{path.stem}-{'-'.join(extra) or 'import'}.db"
    database.unlink(missing_ok=True)
    env = {**os.environ, "SERTIFLOW_DATABASE_URL": f"sqlite:///{database}"}
    command = [sys.executable, "-m", "sertiflow"]
    subprocess.run([*command, "init"], env=env, check=True, capture_output=True)
    output = workdir / "output.json"
    with output.open("w") as out, open(os.devnull, "w") as errors:
        started = time.perf_counter()
        child = subprocess.Popen(
            [*command, "--json", "import", str(path), "--as", "sertiflow", *extra],
            env=env,
            stdout=out,
            stderr=errors,
        )
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, by wait4
    if child.returncode != expect_exit:
        raise AssertionError(f"import of {path.name} exited {child.returncode}")
    report = json.loads(output.read_text())
    with sqlite3.connect(database) as conn:
        stored = int(conn.execute("SELECT count(*) FROM umkm").fetchone()[0])
    database.unlink()
    return {
        "file": path.name,
        "file_mb": round(path.stat().st_size / MB, 1),
        "mode": " ".join(extra) or "import",
        "seconds": round(seconds, 2),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "rows": report.get("rows", 0),
        "valid": report.get("valid", 0),
        "bad_rows": report.get("bad_rows", 0),
        "errors_listed": len(report.get("errors", [])),
        "error_counts": report.get("error_counts", {}),
        "written": report.get("written", False),
        "stored": stored,
        "exit": child.returncode,
    }


def upsert_alone(path: Path, rows: int) -> dict[str, Any]:
    """``upsert_umkm`` on the first ``rows`` records of ``path``, in batches, on fresh SQLite."""
    records = list(islice(iter(RegistryReader(path)), rows))
    now = datetime(2026, 11, 2, 2, 0)
    with fresh_sqlite() as db:
        with db.engine.begin() as conn:
            ensure_regencies(conn, MALUKU_REGENCIES)
        started = time.perf_counter()
        with db.engine.begin() as conn:
            for start in range(0, len(records), BATCH_ROWS):
                upsert_umkm(conn, records[start : start + BATCH_ROWS], now)
        seconds = time.perf_counter() - started
    return {
        "rows": len(records),
        "seconds": round(seconds, 2),
        "rows_per_s": len(records) / seconds,
    }


def measure(sizes: Sequence[int], bad_rows: int, upsert_rows: int) -> dict[str, Any]:
    """Generate the files, import each in a child process, time ``upsert_umkm`` alone."""
    with tempfile.TemporaryDirectory(prefix="sertiflow-bench-import-") as tmp:
        workdir = Path(tmp)
        empty = workdir / "header-only.csv"
        write_valid(empty, 0)
        files: list[tuple[Path, int]] = []
        for size in sizes:
            path = workdir / f"registry-{size}mb.csv"
            files.append((path, write_valid(path, size * MB)))
        bad = workdir / f"bad-{bad_rows}.csv"
        write_bad(bad, bad_rows)
        startup = {mode: run_import(empty, workdir, *mode) for mode in [(), ("--dry-run",)]}
        runs = [run_import(path, workdir) for path, _ in files]
        largest = files[-1][0]
        runs.append(run_import(largest, workdir, "--dry-run"))
        runs.append(run_import(bad, workdir, expect_exit=1))
        for run in runs:
            start = startup[("--dry-run",) if run["mode"] == "--dry-run" else ()]
            run["rows_per_s_command"] = round(run["rows"] / run["seconds"])
            run["rows_per_s"] = round(run["rows"] / max(run["seconds"] - start["seconds"], 0.01))
            cpu = max(run["cpu_seconds"] - start["cpu_seconds"], 0.01)
            run["rows_per_cpu_s"] = round(run["rows"] / cpu)
        for (path, rows), run in zip(files, runs, strict=False):
            if run["stored"] != rows or run["rows"] != rows:
                raise AssertionError(f"{path.name}: {rows} rows, {run['stored']} stored")
        upsert = upsert_alone(largest, upsert_rows)
    imports = runs[: len(files)]
    return {
        "benchmark": "import",
        "backend": "sqlite",
        "startup": startup[()],
        "startup_dry_run": startup[("--dry-run",)],
        "runs": runs,
        "upsert_umkm": upsert,
        "peak_growth_mb": round(imports[-1]["peak_rss_mb"] - imports[0]["peak_rss_mb"], 1),
        "target_peak_mb": TARGET_PEAK_MB,
        "target_rows_per_s": TARGET_ROWS_PER_S,
        "versions": versions(),
    }


def report(result: dict[str, Any]) -> None:
    """Print the runs side by side and the verdicts."""
    startup, dry_start = result["startup"], result["startup_dry_run"]
    print("importing UMKM registries with 'sertiflow --json import' on fresh SQLite databases")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in result["versions"].items()))
    print(
        f"start-up (a header-only file): {startup['seconds']} s ({startup['cpu_seconds']} s CPU), "
        f"peak RSS {startup['peak_rss_mb']} MB; with --dry-run {dry_start['seconds']} s "
        f"({dry_start['cpu_seconds']} s CPU)"
    )
    print()
    print_table(
        [
            "file",
            "MB",
            "mode",
            "rows",
            "bad rows",
            "stored",
            "seconds",
            "rows/s",
            "less start-up",
            "CPU s",
            "rows/CPU s less start-up",
            "peak RSS MB",
        ],
        [
            [
                r["file"],
                r["file_mb"],
                r["mode"] + (" (refused)" if r["exit"] else ""),
                r["rows"],
                r["bad_rows"],
                r["stored"],
                r["seconds"],
                r["rows_per_s_command"],
                r["rows_per_s"],
                r["cpu_seconds"],
                r["rows_per_cpu_s"],
                r["peak_rss_mb"],
            ]
            for r in result["runs"]
        ],
    )
    bad = result["runs"][-1]
    counts = ", ".join(f"{k} {v:,}" for k, v in bad["error_counts"].items())
    print(f"\nbad file: {bad['errors_listed']} errors listed; problems counted: {counts}")
    imports = [r for r in result["runs"] if r["mode"] == "import" and not r["exit"]]
    largest, smallest = imports[-1], imports[0]
    peak = max(r["peak_rss_mb"] for r in result["runs"])
    rate = min(r["rows_per_s"] for r in imports)
    whole = min(r["rows_per_s_command"] for r in imports)
    per_cpu = min(r["rows_per_cpu_s"] for r in imports)
    upsert = result["upsert_umkm"]
    print(
        f"peak RSS: {largest['peak_rss_mb']} MB for {largest['file_mb']} MB against "
        f"{smallest['peak_rss_mb']} MB for {smallest['file_mb']} MB "
        f"({result['peak_growth_mb']:+} MB), at most {peak} MB in any run: "
        + ("meets" if peak < TARGET_PEAK_MB else "ABOVE")
        + f" the target < {TARGET_PEAK_MB:.0f} MB"
    )
    dry = next(r for r in result["runs"] if r["mode"] == "--dry-run")
    print(
        f"rows/s: import {rate:,.0f} less start-up, {whole:,.0f} over the whole command ("
        + ("meets" if rate >= TARGET_ROWS_PER_S else "BELOW")
        + f" the target {TARGET_ROWS_PER_S:,.0f}); {per_cpu:,.0f} a CPU second less start-up; "
        "reading and checking alone (--dry-run) "
        f"{dry['rows_per_s']:,}; upsert_umkm alone {upsert['rows_per_s']:,.0f} "
        f"({upsert['rows']:,} records in batches of {BATCH_ROWS:,})"
    )


def _sizes(text: str) -> list[int]:
    sizes = sorted({int(part) for part in text.split(",") if part.strip()})
    if not sizes or sizes[0] < 1:
        raise argparse.ArgumentTypeError("give sizes in MB such as 10,50")
    return sizes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=_sizes, default=[10, 50], help="valid files, in MB")
    parser.add_argument("--bad-rows", type=int, default=300_000, help="rows of the bad file")
    parser.add_argument("--upsert-rows", type=int, default=50_000, help="for upsert_umkm alone")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.bad_rows < 1 or args.upsert_rows < 1:
        parser.error("--bad-rows and --upsert-rows must be positive")
    result = measure(args.sizes, args.bad_rows, args.upsert_rows)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        report(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
