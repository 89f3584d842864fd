"""Persisted transitions per second: the engine against SQLAlchemy Core and the raw driver.

Every method does the same writes per transaction, on its own fresh database seeded with the same
data (N halal_regular applications in INTAKE, assigned to ``rina``), firing
``start_document_preparation`` (INTAKE -> DOC_PREPARATION) once on each application:

- ``engine``: ``Engine.advance`` - actor lookup, application read, trigger/role/ownership checks,
  the shared state machine, deadline in working days, hash chain, then update + audit + outbox;
- ``core + reads``: the floor below plus the engine's read (application and acting user in one
  round trip, ``SELECT_APP_AND_ACTOR``), the writes computed from the row read back (how much of
  the gap the read explains);
- ``core floor``: SQLAlchemy Core statements built once, one ``engine.begin()`` per transition:
  the optimistic-locked UPDATE of the application (same columns), one audit INSERT with the same
  columns and a SHA-256 chained like the engine's, one executemany INSERT of the same outbox rows;
- ``raw driver``: the same three statements through plain ``sqlite3`` (WAL, synchronous=NORMAL,
  BEGIN IMMEDIATE) or plain ``psycopg``.

The timed transitions run in rounds, each round giving every method the same number of
transitions in a rotating order, after an untimed warm-up. The target is engine/core floor >= 0.5.

    .venv/bin/python -m bench.bench_transitions [--backend sqlite|postgres|both] [--n N] [--json]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sqlite3
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import sqlalchemy as sa
from psycopg.types.json import Json

from bench.common import (
    CONSULTANT,
    BenchDB,
    Seeded,
    SeededApp,
    fresh_database,
    fresh_sqlite,
    print_table,
    seed,
    versions,
)
from workflow.audit import entry_hash, verify_chain
from workflow.calendar import WorkingCalendar
from workflow.engine import Engine
from workflow.ledger import (
    APPLICATIONS,
    AUDIT,
    MOVABLE_COLUMNS,
    OUTBOX,
    SELECT_APP,
    SELECT_APP_AND_ACTOR,
)
from workflow.model import Role
from workflow.policy import Policy
from workflow.processes import HALAL_REGULAR, ProcessRegistry

TRIGGER = "start_document_preparation"
DEST = HALAL_REGULAR.transition(TRIGGER, "INTAKE")
METHODS = ("engine", "core + reads", "core floor", "raw driver")
DEFAULT_N = {"sqlite": 3000, "postgres": 2000}
TARGET = 0.5

# What the engine emits for a move into DOC_PREPARATION with the default notify (UMKM, consultant)
# on an assigned application: see ``ledger.effect_kinds``.
EFFECTS = ("render_packet", "email_umkm", "notify_consultant")


def utcnow() -> datetime:
    """Naive UTC, as sertiflow stores time."""
    return datetime.now(UTC).replace(tzinfo=None)


# ------------------------------------------------------------------------------- the writes
@dataclass(frozen=True, slots=True)
class Move:
    """The constant part of the transition every method writes."""

    consultant_id: int
    deadline: date | None
    state: str = "DOC_PREPARATION"
    phase: str = "pipeline"
    from_state: str = "INTAKE"
    process_key: str = HALAL_REGULAR.key
    process_version: int = HALAL_REGULAR.version

    def audit_row(self, app: SeededApp, now: datetime) -> dict[str, Any]:
        """The chained audit row, hashed exactly as ``ledger.Step.chained`` does."""
        row: dict[str, Any] = {
            "application_id": app.id,
            "seq": app.audit_seq + 1,
            "at": now,
            "actor_id": self.consultant_id,
            "actor_role": Role.CONSULTANT.value,
            "source": "PLUT",
            "trigger": TRIGGER,
            "from_state": self.from_state,
            "to_state": self.state,
            "process_key": self.process_key,
            "process_version": self.process_version,
            "dwell_seconds": int((now - app.state_entered_at).total_seconds()),
            "note": "",
            "data": {},
            "prev_hash": app.audit_head,
        }
        row["hash"] = entry_hash(app.audit_head, row)
        return row

    def payload(self, app: SeededApp) -> dict[str, Any]:
        """The outbox payload."""
        return {
            "application_id": app.id,
            "seq": app.audit_seq + 1,
            "trigger": TRIGGER,
            "from": self.from_state,
            "to": self.state,
        }


def move_for(seeded: Seeded) -> Move:
    """The deadline the engine computes for DOC_PREPARATION today, computed once."""
    policy = Policy()
    dest = HALAL_REGULAR.states["DOC_PREPARATION"]
    spec = policy.deadline(HALAL_REGULAR.key, dest.name, dest.deadline)
    today = datetime.now(ZoneInfo(policy.timezone)).date()
    deadline = None if spec is None else WorkingCalendar().due(today, spec)
    return Move(seeded.consultant_id, deadline)


# ------------------------------------------------------------------------------- the methods
class Runner:
    """Fires the transition on a batch of applications, one transaction each."""

    def run(self, apps: Sequence[SeededApp]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Release connections."""


class EngineRunner(Runner):
    def __init__(self, db: BenchDB) -> None:
        self.workflow = Engine(db.engine)

    def run(self, apps: Sequence[SeededApp]) -> None:
        advance = self.workflow.advance
        for app in apps:
            advance(app.id, TRIGGER, CONSULTANT)


_UPDATE_APP = (
    sa.update(APPLICATIONS)
    .where(
        APPLICATIONS.c.id == sa.bindparam("app_id"),
        APPLICATIONS.c.version == sa.bindparam("seen_version"),
    )
    .values(version=APPLICATIONS.c.version + 1, **{c: sa.bindparam(c) for c in MOVABLE_COLUMNS})
)
_INSERT_AUDIT = sa.insert(AUDIT)
_INSERT_OUTBOX = sa.insert(OUTBOX)


def _update_params(move: Move, app: SeededApp, now: datetime, head: str) -> dict[str, Any]:
    return {
        "app_id": app.id,
        "seen_version": app.version,
        "state": move.state,
        "phase": move.phase,
        "state_entered_at": now,
        "deadline": move.deadline,
        "flags": "",
        "filed_on": None,
        "certificate_number": None,
        "certificate_issued_on": None,
        "certificate_expires_on": None,
        "assignee_id": move.consultant_id,
        "process_version": move.process_version,
        "audit_seq": app.audit_seq + 1,
        "audit_head": head,
    }


def _raw_update_args(params: dict[str, Any]) -> tuple[Any, ...]:
    """``_update_params`` in the order of ``_RAW_UPDATE``'s placeholders."""
    return (*(params[c] for c in MOVABLE_COLUMNS), params["app_id"], params["seen_version"])


def _outbox_rows(move: Move, app: SeededApp, now: datetime) -> list[dict[str, Any]]:
    payload = move.payload(app)
    return [
        {
            "application_id": app.id,
            "audit_seq": app.audit_seq + 1,
            "kind": kind,
            "payload": payload,
            "created_at": now,
            "dispatched_at": None,
            "attempts": 0,
            "last_error": None,
        }
        for kind in EFFECTS
    ]


class CoreRunner(Runner):
    """The floor: prebuilt Core statements, the writes only (``reads=False``), or after the
    engine's one read with the writes computed from the row read back (``reads=True``)."""

    def __init__(self, db: BenchDB, move: Move, *, reads: bool) -> None:
        self.db = db.engine
        self.move = move
        self.reads = reads

    def run(self, apps: Sequence[SeededApp]) -> None:
        move, db, reads = self.move, self.db, self.reads
        for app in apps:
            with db.begin() as conn:
                if reads:
                    row = conn.execute(
                        SELECT_APP_AND_ACTOR, {"id": app.id, "username": CONSULTANT}
                    ).one()
                    assert row.actor_active and row.assignee_id == row.actor_id
                    app = SeededApp(
                        row.id,
                        row.umkm_id,
                        row.version,
                        row.audit_seq,
                        row.audit_head,
                        row.state_entered_at,
                    )
                now = utcnow()
                audit = move.audit_row(app, now)
                params = _update_params(move, app, now, audit["hash"])
                if conn.execute(_UPDATE_APP, params).rowcount != 1:
                    raise RuntimeError(f"application {app.id} changed under the benchmark")
                conn.execute(_INSERT_AUDIT, audit)
                conn.execute(_INSERT_OUTBOX, _outbox_rows(move, app, now))


_RAW_UPDATE = (
    "UPDATE application SET version = version + 1, "
    + ", ".join(f"{c} = {{p}}" for c in MOVABLE_COLUMNS)
    + " WHERE id = {p} AND version = {p}"
)
_AUDIT_COLUMNS = (
    "application_id",
    "seq",
    "at",
    "actor_id",
    "actor_role",
    "source",
    "trigger",
    "from_state",
    "to_state",
    "process_key",
    "process_version",
    "dwell_seconds",
    "note",
    "data",
    "prev_hash",
    "hash",
)
_OUTBOX_COLUMNS = (
    "application_id",
    "audit_seq",
    "kind",
    "payload",
    "created_at",
    "dispatched_at",
    "attempts",
    "last_error",
)


def _raw_insert(name: str, columns: Sequence[str]) -> str:
    return f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({', '.join(['{p}'] * len(columns))})"


def _sqlite_time(value: datetime) -> str:
    # SQLAlchemy's SQLite DATETIME storage format, so every method stores the same text.
    return value.isoformat(" ", "microseconds")


class RawSqliteRunner(Runner):
    """Plain sqlite3 with the recipe ``workflow.persistence.database`` uses."""

    def __init__(self, db: BenchDB, move: Move) -> None:
        assert db.sqlite_path is not None
        self.conn = sqlite3.connect(db.sqlite_path, timeout=60, isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
            self.conn.execute(f"PRAGMA {pragma}")
        self.move = move
        self.update = _RAW_UPDATE.format(p="?")
        self.audit = _raw_insert("audit_entry", _AUDIT_COLUMNS).format(p="?")
        self.outbox = _raw_insert("outbox", _OUTBOX_COLUMNS).format(p="?")

    def run(self, apps: Sequence[SeededApp]) -> None:
        conn, move = self.conn, self.move
        deadline = None if move.deadline is None else move.deadline.isoformat()
        for app in apps:
            now = utcnow()
            audit = move.audit_row(app, now)
            stamp = _sqlite_time(now)
            seq = app.audit_seq + 1
            payload = json.dumps(move.payload(app))
            conn.execute("BEGIN IMMEDIATE")
            try:
                params = _update_params(move, app, now, audit["hash"])
                params.update(state_entered_at=stamp, deadline=deadline)
                updated = conn.execute(self.update, _raw_update_args(params))
                if updated.rowcount != 1:
                    raise RuntimeError(f"application {app.id} changed under the benchmark")
                audit["at"] = stamp
                audit["data"] = json.dumps(audit["data"])
                conn.execute(self.audit, [audit[c] for c in _AUDIT_COLUMNS])
                conn.executemany(
                    self.outbox,
                    [(app.id, seq, kind, payload, stamp, None, 0, None) for kind in EFFECTS],
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def close(self) -> None:
        self.conn.close()


class RawPsycopgRunner(Runner):
    """Plain psycopg 3, one transaction per transition."""

    def __init__(self, db: BenchDB, move: Move) -> None:
        assert db.pg_conninfo is not None
        self.conn = psycopg.connect(db.pg_conninfo)
        self.move = move
        self.update = _RAW_UPDATE.format(p="%s")
        self.audit = _raw_insert("audit_entry", _AUDIT_COLUMNS).format(p="%s")
        self.outbox = _raw_insert("outbox", _OUTBOX_COLUMNS).format(p="%s")

    def run(self, apps: Sequence[SeededApp]) -> None:
        conn, move = self.conn, self.move
        cur = conn.cursor()
        for app in apps:
            now = utcnow()
            audit = move.audit_row(app, now)
            seq = app.audit_seq + 1
            payload = Json(move.payload(app))
            with conn.transaction():
                params = _update_params(move, app, now, audit["hash"])
                cur.execute(self.update, _raw_update_args(params))
                if cur.rowcount != 1:
                    raise RuntimeError(f"application {app.id} changed under the benchmark")
                audit["data"] = Json(audit["data"])
                cur.execute(self.audit, [audit[c] for c in _AUDIT_COLUMNS])
                cur.executemany(
                    self.outbox,
                    [(app.id, seq, kind, payload, now, None, 0, None) for kind in EFFECTS],
                )
        cur.close()

    def close(self) -> None:
        self.conn.close()


def make_runner(method: str, db: BenchDB, move: Move) -> Runner:
    """The runner of ``method`` on ``db``."""
    if method == "engine":
        return EngineRunner(db)
    if method in ("core floor", "core + reads"):
        return CoreRunner(db, move, reads=method == "core + reads")
    if db.backend == "sqlite":
        return RawSqliteRunner(db, move)
    return RawPsycopgRunner(db, move)


# ------------------------------------------------------------------------------- measuring
@dataclass
class BackendResult:
    """Timings of every method on one backend."""

    backend: str
    n: int
    warmup: int
    seconds: dict[str, list[float]] = field(default_factory=dict)
    round_sizes: list[int] = field(default_factory=list)

    def rate(self, method: str) -> float:
        return self.n / sum(self.seconds[method])

    def round_rates(self, method: str) -> list[float]:
        return [k / s for k, s in zip(self.round_sizes, self.seconds[method], strict=True)]

    def as_json(self) -> dict[str, Any]:
        rates = {m: round(self.rate(m), 1) for m in METHODS}
        return {
            "transitions": self.n,
            "warmup": self.warmup,
            "rounds": len(self.round_sizes),
            "rate_per_s": rates,
            "round_rates_per_s": {m: [round(r, 1) for r in self.round_rates(m)] for m in METHODS},
            "engine_over_core_floor": round(self.rate("engine") / self.rate("core floor"), 3),
            "engine_over_core_with_reads": round(
                self.rate("engine") / self.rate("core + reads"), 3
            ),
            "engine_over_raw": round(self.rate("engine") / self.rate("raw driver"), 3),
            "core_floor_over_raw": round(self.rate("core floor") / self.rate("raw driver"), 3),
            "target_engine_over_core_floor": TARGET,
        }


def _chunks(items: Sequence[SeededApp], parts: int) -> Iterator[Sequence[SeededApp]]:
    size, extra = divmod(len(items), parts)
    start = 0
    for i in range(parts):
        end = start + size + (1 if i < extra else 0)
        yield items[start:end]
        start = end


def measure(backend: str, n: int, warmup: int, rounds: int) -> BackendResult:
    """Seed one fresh database per method, warm up, then time ``n`` transitions in rounds."""
    now = utcnow()
    result = BackendResult(backend, n, warmup, {m: [] for m in METHODS})
    with ExitStack() as stack:
        dbs = {m: stack.enter_context(fresh_database(backend)) for m in METHODS}
        seeded = {m: seed(dbs[m].engine, warmup + n, now=now) for m in METHODS}
        move = move_for(seeded["engine"])
        runners = {m: make_runner(m, dbs[m], move) for m in METHODS}
        for method in METHODS:
            stack.callback(runners[method].close)
            runners[method].run(seeded[method].apps[:warmup])
        timed = [seeded[m].apps[warmup:] for m in METHODS]
        chunked = [list(_chunks(apps, rounds)) for apps in timed]
        for r in range(rounds):
            result.round_sizes.append(len(chunked[0][r]))
            order = METHODS[r % len(METHODS) :] + METHODS[: r % len(METHODS)]
            for method in order:
                apps = chunked[METHODS.index(method)][r]
                start = time.perf_counter()
                runners[method].run(apps)
                result.seconds[method].append(time.perf_counter() - start)
        check_same_writes(dbs, warmup + n)
    return result


def check_same_writes(dbs: dict[str, BenchDB], total: int) -> None:
    """Every method wrote the same thing: row counts, moved rows, audit chains that verify."""
    registry = ProcessRegistry()
    shapes = {}
    for method, db in dbs.items():
        with db.engine.connect() as conn:
            counts = tuple(
                conn.execute(sa.text(sql)).scalar_one()
                for sql in (
                    "SELECT count(*) FROM application WHERE state = 'DOC_PREPARATION' "
                    "AND version = 2 AND audit_seq = 2",
                    "SELECT count(*) FROM audit_entry",
                    "SELECT count(*) FROM outbox",
                )
            )
            if counts != (total, 2 * total, len(EFFECTS) * total):
                raise AssertionError(f"{method} on {db.backend} wrote {counts}")
            for app_id in (1, total):
                app = conn.execute(SELECT_APP, {"id": app_id}).mappings().one()
                entries = (
                    conn.execute(
                        sa.select(AUDIT)
                        .where(AUDIT.c.application_id == app_id)
                        .order_by(AUDIT.c.seq)
                    )
                    .mappings()
                    .all()
                )
                problems = verify_chain(app, entries, registry.get)
                if problems:
                    raise AssertionError(f"{method} on {db.backend}: {problems}")
            row = conn.execute(
                sa.text(
                    "SELECT state, phase, deadline, flags, version, assignee_id "
                    "FROM application WHERE id = 1"
                )
            ).one()
            shapes[method] = tuple(row)
    if len(set(shapes.values())) != 1:
        raise AssertionError(f"methods disagree on the written row: {shapes}")


# ------------------------------------------------------------------------------- profiling
def profile_engine(n: int, top: int) -> None:
    """cProfile ``n`` engine transitions on SQLite and print the top functions."""
    with fresh_sqlite() as db:
        seeded = seed(db.engine, n + 200)
        runner = EngineRunner(db)
        runner.run(seeded.apps[:200])
        profiler = cProfile.Profile()
        profiler.enable()
        runner.run(seeded.apps[200:])
        profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.strip_dirs().sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)


# ------------------------------------------------------------------------------- output
def report(results: list[BackendResult], as_json: bool) -> None:
    """Print the figures as a table, or as one JSON object."""
    if as_json:
        print(
            json.dumps(
                {
                    "benchmark": "transitions",
                    "trigger": TRIGGER,
                    "versions": versions(),
                    "results": {r.backend: r.as_json() for r in results},
                },
                indent=2,
            )
        )
        return
    print(f"transition: halal_regular {TRIGGER} (INTAKE -> DOC_PREPARATION), one per transaction")
    print(
        f"writes per transition: 1 UPDATE application, 1 INSERT audit_entry, {len(EFFECTS)} outbox"
    )
    print("versions: " + ", ".join(f"{k} {v}" for k, v in versions().items()))
    print()
    rows: list[list[object]] = []
    for r in results:
        floor, raw = r.rate("core floor"), r.rate("raw driver")
        for method in METHODS:
            rate = r.rate(method)
            spread = r.round_rates(method)
            rows.append(
                [
                    r.backend,
                    method,
                    r.n,
                    round(rate),
                    f"{min(spread):,.0f}-{max(spread):,.0f}",
                    1000 / rate,
                    rate / floor,
                    rate / raw,
                ]
            )
    print_table(
        ["backend", "method", "n", "transitions/s", "rounds", "ms each", "/core floor", "/raw"],
        rows,
    )
    print()
    for r in results:
        ratio = r.rate("engine") / r.rate("core floor")
        verdict = "meets" if ratio >= TARGET else "BELOW"
        print(
            f"{r.backend}: engine/core floor = {ratio:.2f} ({verdict} the target >= {TARGET}), "
            f"engine/raw = {r.rate('engine') / r.rate('raw driver'):.2f}, "
            f"core floor/raw = {r.rate('core floor') / r.rate('raw driver'):.2f}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--n", type=int, help="timed transitions per method (3000 sqlite, 2000 pg)")
    parser.add_argument("--warmup", type=int, default=200, help="untimed transitions per method")
    parser.add_argument("--rounds", type=int, default=10, help="interleaved timed rounds")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the engine on SQLite instead"
    )
    parser.add_argument("--top", type=int, default=30, help="functions listed by --profile")
    args = parser.parse_args(argv)
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    if args.profile:
        profile_engine(args.n or DEFAULT_N["sqlite"], args.top)
        return 0
    results = []
    for backend in backends:
        n = args.n or DEFAULT_N[backend]
        results.append(measure(backend, n, args.warmup, max(1, min(args.rounds, n))))
    report(results, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
