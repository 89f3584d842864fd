"""Persisted transitions per second: the engine against SQLAlchemy Core and the raw driver.

Every method does the same writes per transaction, on its own fresh database seeded with the same
data (N halal_regular applications in INTAKE, assigned to ``rina``), firing
``start_document_preparation`` (INTAKE -> DOC_PREPARATION) once on each application:

- ``engine``: ``Engine.advance`` - actor lookup, application read, trigger/role/ownership checks,
  the shared state machine, deadline in working days, hash chain, then update + audit + outbox
  + journal;
- ``core + reads``: the floor below plus the engine's read (application and acting user in one
  round trip, ``SELECT_APP_AND_ACTOR``), the writes computed from the row read back (how much of
  the gap the read explains);
- ``core floor``: SQLAlchemy Core statements built once, one ``engine.begin()`` per transition:
  the optimistic-locked UPDATE of the application (the same columns, ``details`` included), one
  audit INSERT with the same columns, the same ``data["@set"]`` image of the columns the step set
  (compared with the row as seeded, as ``ledger.record`` compares with the row it read) and a
  SHA-256 chained like the engine's, one executemany INSERT of the same outbox rows, then the
  office journal's append as ``journal.flush`` does it: on PostgreSQL the advisory lock, the
  journal's last row read, and one INSERT of the ``step`` entry chained to it;
- ``raw driver``: the same statements through plain ``sqlite3`` (WAL, synchronous=NORMAL,
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
from collections.abc import Callable, Iterator, Mapping, Sequence
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
from workflow.audit import GENESIS, IMAGE, IMAGE_COLUMNS, ChainProblem, entry_hash, plain
from workflow.audit import verify_chain as verify_audit_chain
from workflow.calendar import WorkingCalendar
from workflow.dates import flags_of
from workflow.engine import Engine
from workflow.journal import _LOCK as JOURNAL_LOCK  # the lock journal.flush takes on PostgreSQL
from workflow.journal import JOURNAL, STEP, replay_journal
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
    flags: str
    seeded: Mapping[str, Any]
    """A seeded application row: every one is alike but for what ``SeededApp`` holds."""
    state: str = "DOC_PREPARATION"
    phase: str = HALAL_REGULAR.states["DOC_PREPARATION"].phase.value
    from_state: str = "INTAKE"
    process_key: str = HALAL_REGULAR.key
    process_version: int = HALAL_REGULAR.version

    def before(self, app: SeededApp) -> dict[str, Any]:
        """The row of ``app`` as seeded, for the floor that does not read it."""
        return {
            **self.seeded,
            "id": app.id,
            "umkm_id": app.umkm_id,
            "version": app.version,
            "state_entered_at": app.state_entered_at,
            "audit_seq": app.audit_seq,
            "audit_head": app.audit_head,
        }

    def writes(
        self, before: Mapping[Any, Any], now: datetime
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The UPDATE's parameters and the chained audit row, computed from the application row
        ``before`` the step as ``ledger.record`` computes them (for a step that is not the first:
        the image holds the columns whose plain value changed, and the new version)."""
        seq: int = before["audit_seq"] + 1
        params = {c: before[c] for c in MOVABLE_COLUMNS}
        params.update(
            state=self.state,
            phase=self.phase,
            state_entered_at=now,
            deadline=self.deadline,
            flags=self.flags,
        )
        after = {c: params.get(c, before[c]) for c in IMAGE_COLUMNS}
        after["version"] = before["version"] + 1
        moved = {c: plain(v) for c, v in after.items() if plain(v) != plain(before[c])}
        row: dict[str, Any] = {
            "application_id": before["id"],
            "seq": seq,
            "at": now,
            "actor_id": self.consultant_id,
            "actor_role": Role.CONSULTANT.value,
            "source": "PLUT",
            "trigger": TRIGGER,
            "from_state": self.from_state,
            "to_state": self.state,
            "process_key": self.process_key,
            "process_version": self.process_version,
            "dwell_seconds": int((now - before["state_entered_at"]).total_seconds()),
            "note": "",
            "data": {IMAGE: moved},
            "prev_hash": before["audit_head"],
        }
        row["hash"] = entry_hash(before["audit_head"], row)
        params.update(
            app_id=before["id"],
            seen_version=before["version"],
            audit_seq=seq,
            audit_head=row["hash"],
        )
        return params, row

    def payload(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The outbox payload."""
        return {
            "application_id": params["app_id"],
            "seq": params["audit_seq"],
            "trigger": TRIGGER,
            "from": self.from_state,
            "to": self.state,
            "deadline": None if self.deadline is None else self.deadline.isoformat(),
            "actor": CONSULTANT,
            "note": "",
        }

    def journal_row(
        self, params: Mapping[str, Any], now: datetime, last: Sequence[Any] | None
    ) -> dict[str, Any]:
        """The journal's ``step`` entry for the new chain head, chained to the ``last`` journal
        row (seq, hash) as ``journal.flush`` chains it."""
        seq, prev = (int(last[0]), str(last[1])) if last else (0, GENESIS)
        row: dict[str, Any] = {
            "at": now,
            "actor_id": self.consultant_id,
            "action": STEP,
            "subject": f"application:{params['app_id']}",
            "data": {"seq": params["audit_seq"], "hash": params["audit_head"]},
            "seq": seq + 1,
            "prev_hash": prev,
        }
        row["hash"] = entry_hash(prev, row)
        return row


def move_for(seeded: Seeded, db: BenchDB) -> Move:
    """The deadline and flags the engine computes for DOC_PREPARATION today, computed once, and
    the row as seeded (read once, before any run)."""
    assert DEST is not None
    policy = Policy()
    dest = HALAL_REGULAR.states["DOC_PREPARATION"]
    spec = policy.deadline(HALAL_REGULAR.key, dest.name, dest.deadline)
    today = datetime.now(ZoneInfo(policy.timezone)).date()
    deadline = None if spec is None else WorkingCalendar().due(today, spec)
    with db.engine.connect() as conn:
        row = conn.execute(SELECT_APP, {"id": seeded.apps[0].id}).mappings().one()
    flags = ",".join(sorted(flags_of(row["flags"]) | frozenset(DEST.sets_flags)))
    return Move(seeded.consultant_id, deadline, flags, dict(row))


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
_JOURNAL_LOCK = sa.text("SELECT pg_advisory_xact_lock(:key)")
_JOURNAL_LAST = sa.select(JOURNAL.c.seq, JOURNAL.c.hash).order_by(JOURNAL.c.seq.desc()).limit(1)
_INSERT_JOURNAL = sa.insert(JOURNAL)


def _raw_update_args(params: dict[str, Any], value: Callable[[Any], Any]) -> tuple[Any, ...]:
    """``params`` in the order of ``_RAW_UPDATE``'s placeholders, each through ``value``."""
    return (*(value(params[c]) for c in MOVABLE_COLUMNS), params["app_id"], params["seen_version"])


def _outbox_rows(params: Mapping[str, Any], payload: Any, now: datetime) -> list[dict[str, Any]]:
    """The outbox rows ``ledger.record`` inserts."""
    return [
        {
            "application_id": params["app_id"],
            "user_id": None,
            "audit_seq": params["audit_seq"],
            "kind": kind,
            "payload": payload,
            "created_at": now,
            "status": "pending",
            "available_at": now,
            "attempts": 0,
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
        self.lock = db.backend == "postgresql"

    def run(self, apps: Sequence[SeededApp]) -> None:
        move, db, reads, lock = self.move, self.db, self.reads, self.lock
        for app in apps:
            with db.begin() as conn:
                before: Mapping[Any, Any]
                if reads:
                    row = conn.execute(
                        SELECT_APP_AND_ACTOR, {"id": app.id, "username": CONSULTANT}
                    ).one()
                    assert row.actor_active and row.assignee_id == row.actor_id
                    before = row._mapping
                else:
                    before = move.before(app)
                now = utcnow()
                params, audit = move.writes(before, now)
                if conn.execute(_UPDATE_APP, params).rowcount != 1:
                    raise RuntimeError(f"application {app.id} changed under the benchmark")
                conn.execute(_INSERT_AUDIT, audit)
                conn.execute(_INSERT_OUTBOX, _outbox_rows(params, move.payload(params), now))
                if lock:
                    conn.execute(_JOURNAL_LOCK, {"key": JOURNAL_LOCK})
                last = conn.execute(_JOURNAL_LAST).first()
                conn.execute(_INSERT_JOURNAL, move.journal_row(params, now, last))


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
    "user_id",
    "audit_seq",
    "kind",
    "payload",
    "created_at",
    "status",
    "available_at",
    "attempts",
)
_JOURNAL_COLUMNS = ("seq", "at", "actor_id", "action", "subject", "data", "prev_hash", "hash")
_RAW_JOURNAL_LAST = "SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1"


def _raw_insert(name: str, columns: Sequence[str]) -> str:
    return f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({', '.join(['{p}'] * len(columns))})"


def _sqlite_time(value: datetime) -> str:
    # SQLAlchemy's SQLite DATETIME storage format, so every method stores the same text.
    return value.isoformat(" ", "microseconds")


def _sqlite_value(value: Any) -> Any:
    """``value`` as SQLAlchemy stores it in SQLite: times and dates as text, JSON as text."""
    if isinstance(value, datetime):
        return _sqlite_time(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return json.dumps(value)
    return value


def _pg_value(value: Any) -> Any:
    """``value`` as psycopg takes it: JSON wrapped."""
    return Json(value) if isinstance(value, dict) else value


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
        self.journal = _raw_insert("journal", _JOURNAL_COLUMNS).format(p="?")

    def run(self, apps: Sequence[SeededApp]) -> None:
        conn, move = self.conn, self.move
        for app in apps:
            now = utcnow()
            stamp = _sqlite_time(now)
            params, audit = move.writes(move.before(app), now)
            payload = json.dumps(move.payload(params))
            seq = params["audit_seq"]
            conn.execute("BEGIN IMMEDIATE")
            try:
                updated = conn.execute(self.update, _raw_update_args(params, _sqlite_value))
                if updated.rowcount != 1:
                    raise RuntimeError(f"application {app.id} changed under the benchmark")
                audit["at"] = stamp
                audit["data"] = json.dumps(audit["data"])
                conn.execute(self.audit, [audit[c] for c in _AUDIT_COLUMNS])
                conn.executemany(
                    self.outbox,
                    [
                        (app.id, None, seq, kind, payload, stamp, "pending", stamp, 0)
                        for kind in EFFECTS
                    ],
                )
                last = conn.execute(_RAW_JOURNAL_LAST).fetchone()
                entry = move.journal_row(params, now, last)
                entry["at"] = stamp
                entry["data"] = json.dumps(entry["data"])
                conn.execute(self.journal, [entry[c] for c in _JOURNAL_COLUMNS])
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
        self.journal = _raw_insert("journal", _JOURNAL_COLUMNS).format(p="%s")

    def run(self, apps: Sequence[SeededApp]) -> None:
        conn, move = self.conn, self.move
        cur = conn.cursor()
        for app in apps:
            now = utcnow()
            params, audit = move.writes(move.before(app), now)
            payload = Json(move.payload(params))
            seq = params["audit_seq"]
            with conn.transaction():
                cur.execute(self.update, _raw_update_args(params, _pg_value))
                if cur.rowcount != 1:
                    raise RuntimeError(f"application {app.id} changed under the benchmark")
                audit["data"] = Json(audit["data"])
                cur.execute(self.audit, [audit[c] for c in _AUDIT_COLUMNS])
                cur.executemany(
                    self.outbox,
                    [
                        (app.id, None, seq, kind, payload, now, "pending", now, 0)
                        for kind in EFFECTS
                    ],
                )
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (JOURNAL_LOCK,))
                last = cur.execute(_RAW_JOURNAL_LAST).fetchone()
                entry = move.journal_row(params, now, last)
                entry["data"] = Json(entry["data"])
                cur.execute(self.journal, [entry[c] for c in _JOURNAL_COLUMNS])
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
        move = move_for(seeded["engine"], dbs["engine"])
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
    """Every method wrote the same thing: row counts, moved rows, the same ``@set`` images and
    outbox rows, audit chains that verify, and an office journal that replays to every
    application's chain head."""
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
                    "SELECT count(*) FROM outbox WHERE status = 'pending'",
                    "SELECT count(*) FROM journal",
                )
            )
            if counts != (total, 2 * total, len(EFFECTS) * total, total):
                raise AssertionError(f"{method} on {db.backend} wrote {counts}")
            images = []
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
                problems = _chain_problems(app, entries, registry)
                if problems:
                    raise AssertionError(f"{method} on {db.backend}: {problems}")
                image = dict(entries[-1]["data"][IMAGE])
                image.pop("state_entered_at", None)  # the moment each method wrote it
                images.append(tuple(sorted(entries[-1]["data"][IMAGE])) + tuple(image.items()))
            replay = replay_journal(
                conn.execute(sa.select(JOURNAL).order_by(JOURNAL.c.seq)).mappings()
            )
            heads = {
                r.id: (r.audit_seq, r.audit_head)
                for r in conn.execute(
                    sa.select(
                        APPLICATIONS.c.id, APPLICATIONS.c.audit_seq, APPLICATIONS.c.audit_head
                    )
                )
            }
            if replay.problems or replay.entries != total or replay.applications != heads:
                raise AssertionError(
                    f"{method} on {db.backend}: the journal does not replay to the chain heads "
                    f"({replay.entries} entries, problems {replay.problems[:3]})"
                )
            outbox = tuple(
                tuple(r)
                for r in conn.execute(
                    sa.select(
                        OUTBOX.c.kind,
                        OUTBOX.c.user_id,
                        OUTBOX.c.status,
                        OUTBOX.c.attempts,
                        OUTBOX.c.payload,
                        OUTBOX.c.available_at == OUTBOX.c.created_at,
                    )
                    .where(OUTBOX.c.application_id == 1)
                    .order_by(OUTBOX.c.id)
                )
            )
            row = conn.execute(
                sa.text(
                    "SELECT state, phase, deadline, flags, version, assignee_id "
                    "FROM application WHERE id = 1"
                )
            ).one()
            shapes[method] = (tuple(row), tuple(images), repr(outbox))
    if len(set(shapes.values())) != 1:
        raise AssertionError(f"methods disagree on what they wrote: {shapes}")


def _chain_problems(
    app: Mapping[Any, Any], entries: Sequence[Mapping[Any, Any]], registry: ProcessRegistry
) -> list[ChainProblem]:
    """``verify_chain``'s problems with the chain, but for the columns only the seeded ``@open``
    entry would record when, as ``bench.common.seed`` writes it, it carries no ``@set`` image."""
    problems = verify_audit_chain(app, entries, registry.get)
    if entries and IMAGE not in (entries[0]["data"] or {}):
        problems = [p for p in problems if not p.problem.startswith("the log never records ")]
    return problems


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
        f"writes per transition: 1 UPDATE application (details included), 1 INSERT audit_entry "
        f"(data @set image), {len(EFFECTS)} outbox, 1 journal append (PostgreSQL: advisory lock; "
        "last journal row read, 1 INSERT journal)"
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
