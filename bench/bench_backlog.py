"""``backlog`` on 100,000 applications with 1,000,000 audit rows, against a bare GROUP BY.

Target: under 1 second on SQLite, and within 3x of the bare GROUP BYs over the same tables (one
over the applications, one over the audit log: the least any backlog must read). The data is
synthetic but shaped like the demo office: four processes, their real states, six consultants,
eleven regencies, dwell times spread over a year. Rows are bulk-inserted (the hash chain is not
what is measured here).

    python -m bench.bench_backlog [--apps 100000] [--audit 1000000] [--backend sqlite|postgres]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from bench.common import BenchDB, fresh_database, print_table, versions
from workflow.backlog import compute_backlog
from workflow.ledger import APPLICATIONS, AUDIT, REGENCIES, UMKM, USERS
from workflow.model import Phase
from workflow.processes import ProcessRegistry
from workflow.regions import MALUKU_REGENCIES

_CHUNK = 20_000
_NOW = datetime(2026, 11, 28, 3, 0)


def populate(db: sa.Engine, n_apps: int, n_audit: int, rng: random.Random) -> None:
    """UMKM, consultants, applications in every state, and ``n_audit`` audit rows."""
    registry = ProcessRegistry()
    definitions = registry.all()
    with db.begin() as conn:
        conn.execute(
            sa.insert(REGENCIES),
            [
                {"code": r.code, "name": r.name, "kind": r.kind, "seat": r.seat}
                for r in MALUKU_REGENCIES
            ],
        )
        conn.execute(
            sa.insert(USERS),
            [
                {
                    "id": i,
                    "username": f"konsultan{i}",
                    "full_name": f"Konsultan {i}",
                    "role": "consultant",
                    "email": None,
                    "field": "produksi",
                    "umkm_id": None,
                    "active": True,
                }
                for i in range(1, 7)
            ],
        )
        codes = [r.code for r in MALUKU_REGENCIES]
        for start in range(1, n_apps + 1, _CHUNK):
            ids = range(start, min(start + _CHUNK, n_apps + 1))
            regency_of = {i: rng.choice(codes) for i in ids}
            conn.execute(
                sa.insert(UMKM),
                [
                    {
                        "id": i,
                        "nib": f"{i:013d}",
                        "name": f"UMKM {i}",
                        "owner_name": "Pemilik",
                        "kind": "umkm",
                        "scale": "mikro",
                        "regency_code": regency_of[i],
                        "email": None,
                        "phone": None,
                        "address": "",
                        "annual_turnover": None,
                        "production_sites": 1,
                        "simple_process": True,
                        "products": "",
                        "created_at": _NOW,
                        "updated_at": _NOW,
                    }
                    for i in ids
                ],
            )
            rows = []
            for i in ids:
                definition = rng.choice(definitions)
                state = rng.choice(list(definition.states.values()))
                opened = _NOW - timedelta(days=rng.uniform(0, 365))
                entered = opened + (_NOW - opened) * rng.random()
                rows.append(
                    {
                        "id": i,
                        "umkm_id": i,
                        "regency_code": regency_of[i],
                        "process_key": definition.key,
                        "process_version": definition.version,
                        "state": state.name,
                        "phase": state.phase.value,
                        "version": 10,
                        "assignee_id": rng.randint(1, 6),
                        "opened_at": opened,
                        "state_entered_at": entered,
                        "deadline": (entered + timedelta(days=rng.randint(1, 30))).date()
                        if state.phase is Phase.PIPELINE
                        else None,
                        "flags": "",
                        "title": "",
                        "filed_on": None,
                        "certificate_number": None,
                        "certificate_issued_on": None,
                        "certificate_expires_on": None,
                        "linked_from_id": None,
                        "audit_seq": 10,
                        "audit_head": "0" * 64,
                    }
                )
            conn.execute(sa.insert(APPLICATIONS), rows)
        per_app = max(1, n_audit // n_apps)
        batch: list[dict[str, Any]] = []
        for app_id in range(1, n_apps + 1):
            definition = rng.choice(definitions)
            states = list(definition.states)
            for seq in range(1, per_app + 1):
                batch.append(
                    {
                        "application_id": app_id,
                        "seq": seq,
                        "at": _NOW,
                        "actor_id": 1,
                        "actor_role": "consultant",
                        "source": "PLUT",
                        "trigger": "t",
                        "from_state": rng.choice(states),
                        "to_state": rng.choice(states),
                        "process_key": definition.key,
                        "process_version": 1,
                        "dwell_seconds": int(rng.expovariate(1 / 400_000)),
                        "note": "",
                        "data": {},
                        "prev_hash": "0" * 64,
                        "hash": "0" * 64,
                    }
                )
            if len(batch) >= _CHUNK:
                conn.execute(sa.insert(AUDIT), batch)
                batch = []
        if batch:
            conn.execute(sa.insert(AUDIT), batch)
    with db.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # PostgreSQL's VACUUM runs outside any transaction block
        conn.exec_driver_sql("ANALYZE" if conn.dialect.name == "sqlite" else "VACUUM ANALYZE")


def bare_group_by(db: sa.Engine) -> None:
    """The least a backlog must read: both tables grouped once."""
    with db.connect() as conn:
        conn.execute(
            sa.select(APPLICATIONS.c.process_key, APPLICATIONS.c.state, sa.func.count()).group_by(
                APPLICATIONS.c.process_key, APPLICATIONS.c.state
            )
        ).all()
        conn.execute(
            sa.select(
                AUDIT.c.process_key,
                AUDIT.c.from_state,
                sa.func.count(),
                sa.func.sum(AUDIT.c.dwell_seconds),
            ).group_by(AUDIT.c.process_key, AUDIT.c.from_state)
        ).all()


def full_backlog(db: sa.Engine, registry: ProcessRegistry) -> int:
    """What ``sertiflow backlog`` computes."""
    with db.connect() as conn:
        return compute_backlog(conn, registry, _NOW, _NOW.date()).open_total


def measure(bench: BenchDB, n_apps: int, n_audit: int, repeats: int) -> dict[str, Any]:
    """Populate, then time both side by side (median of ``repeats``)."""
    started = time.perf_counter()
    populate(bench.engine, n_apps, n_audit, random.Random(7))
    load = time.perf_counter() - started
    registry = ProcessRegistry()
    bare_group_by(bench.engine)  # warm the page cache for both
    full_backlog(bench.engine, registry)
    bare_times, backlog_times = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        bare_group_by(bench.engine)
        t1 = time.perf_counter()
        full_backlog(bench.engine, registry)
        t2 = time.perf_counter()
        bare_times.append(t1 - t0)
        backlog_times.append(t2 - t1)
    bare, full = statistics.median(bare_times), statistics.median(backlog_times)
    return {
        "backend": bench.backend,
        "applications": n_apps,
        "audit_rows": n_audit,
        "load_s": round(load, 1),
        "bare_group_by_s": round(bare, 3),
        "backlog_s": round(full, 3),
        "ratio": round(full / bare, 2),
    }


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--apps", type=int, default=100_000)
    parser.add_argument("--audit", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    results = []
    for backend in backends:
        with fresh_database(backend) as bench:
            results.append(measure(bench, args.apps, args.audit, args.repeats))
    if args.json:
        print(json.dumps({"results": results, "versions": versions()}, indent=2))
        return
    print_table(
        [
            "backend",
            "applications",
            "audit rows",
            "load s",
            "bare GROUP BY s",
            "backlog s",
            "backlog / bare",
        ],
        [
            [
                r["backend"],
                r["applications"],
                r["audit_rows"],
                r["load_s"],
                r["bare_group_by_s"],
                r["backlog_s"],
                r["ratio"],
            ]
            for r in results
        ],
    )
    print("targets: backlog < 1 s on SQLite; backlog / bare <= 3")


if __name__ == "__main__":
    main()
