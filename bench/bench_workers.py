"""Workers: the outbox pipeline on a real Celery worker, dispatch and relay costs, a projection.

The outbox pipeline end to end, what dispatching costs a transition, and the relay's claim as
the outbox's history grows; then how many worker processes 100,000 certificates a day need.

Measured side by side in one run, on this machine:

1. pipeline. The demo office (``sertiflow.demo.build_demo``, ``--apps`` UMKM and applications)
   plus ``--latency-apps`` halal_regular applications driven (without dispatch) to LPH_AUDIT, in
   a SQLite file (``--db postgresql``: a scratch PostgreSQL database, dropped at the end); a real
   Celery worker (``sertiflow worker --concurrency 2`` in its own session, stopped by its process
   group at the end, also on error); Redis database ``--redis`` (FLUSHDB before and after); an
   SMTP sink (aiosmtpd) in this process. Every effect of the demo's history is ``historical``.

   a. latency: ``--transitions`` transitions at ``--rate`` per second (then ``--extra-transitions``
      at ``--extra-rate``, a pace two processes can keep up with) through ``Engine.advance``
      with ``Dispatcher(make_celery(settings))``, alternating lab_test_required and
      lab_result_in (LPH_AUDIT <-> LAB_TESTING). Those stages have no documents, so each
      transition's effects are an ``email_umkm`` (a status email) and a ``notify_consultant``
      (a notification and an email): the figure measures dispatch, not queueing behind packet
      renders. Commit-to-task-start from the database: ``created_at`` is taken in the committing
      transaction; the first claim sets ``lease_until = claim time + LEASE_SECONDS`` and
      ``attempts = 1``, so start = lease_until - lease for rows done in one attempt (one clock:
      same machine). ``outbox.complete`` clears ``lease_until``, so the scratch database keeps
      the value the first claim wrote in a side table (``bench_first_claim``, filled by a
      trigger; the project's code is untouched); ``notification.created_at`` (written by the
      handler itself) is the cross-check. Target: p99 < 1 s at 50 transitions/s.
   b. emails: ``--burst`` such transitions committed without dispatch, then all their ids
      dispatched at once (as the relay does): emails per second arriving at the sink, deliveries
      per second, and each kind's time in a process (``done_at`` - start).
   c. packets: ``--packets`` packets of the demo office, one per application (so no packet
      reuses documents of another and the order they run in cannot change the work), each the
      stage of the application's latest ``render_packet`` message. Bare: ``issue_packet`` in 2
      ``spawn`` processes pulling from one queue, on a copy of the database made before the
      worker started (no packet issued yet) and an empty store. Pipeline: the same packets as
      new ``render_packet`` outbox rows dispatched at once and delivered by the Celery worker,
      on the original database and another empty store. Both warm up with one packet of another
      application per process first, then run in two halves (same mix) in the order bare A,
      pipeline A, pipeline B, bare B, so that a drift of the machine's load hits both alike.
      Target: pipeline / bare >= 0.8 (packets/s).
   d. ``--race`` transitions into a UMKM-court stage with documents (trademark DOC_PREPARATION),
      one at a time: its ``render_packet`` and its ``email_umkm`` (which issues the same packet
      to attach it) start together on the two processes; what each did and how long it took.
2. dispatch cost: ``Engine.advance`` (start_document_preparation, 3 effects) on SQLite with
   ``dispatch=None`` against ``Dispatcher`` to Redis (no worker: messages only queue; flushed
   after), interleaved rounds on two databases seeded alike. Target: at most 10 % slower. Over
   target, cProfile shows where the dispatch's time goes (``--profile`` always does).
3. relay cost: ``outbox.claim_batch`` of 100 pending rows on an outbox with no other rows
   against one with ``--history`` done rows (bulk inserted: executemany in chunks on SQLite,
   COPY then ANALYZE on PostgreSQL), interleaved; the claim's query plan is printed.
4. projection: worker processes for 100,000 certificates a day in 8 working hours, from the
   demo's steps and effects per certificate (along the paths of the applications that reached a
   certificate; and office-wide) and the seconds per effect measured in 1: a process's wall time
   as measured here (2 processes on 2 shared cores) and the worker's CPU time (a core each). An
   ``email_umkm`` into a UMKM-court stage with documents (``email_umkm_packet``, see d.) waits
   for the step's packet and attaches it: counted as two emails' work.

    .venv/bin/python -m bench.bench_workers [--db sqlite|postgresql] [--transitions 1000]
        [--rate 50] [--extra-rate 15] [--extra-transitions 300] [--burst 300] [--packets 80]
        [--race 6] [--apps 150] [--dispatch-n 3000] [--history 1000000]
        [--only pipeline|dispatch|relay] [--profile] [--json] [--save FILE]

The defaults take about 3.5 minutes on 2 cores; the sizes scale each part down or up.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import math
import multiprocessing
import os
import pstats
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any, NamedTuple

import psycopg
import redis
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from sqlalchemy.engine import make_url

from bench.common import (
    CONSULTANT,
    PG_ADMIN_URL,
    BenchDB,
    fresh_database,
    fresh_sqlite,
    print_table,
    seed,
    versions,
)
from workflow.audit import DETAILS, MIGRATE, REASSIGN
from workflow.engine import Engine, utcnow
from workflow.ledger import APPLICATIONS, AUDIT, OUTBOX
from workflow.model import Court, Phase
from workflow.persistence.database import connect
from workflow.processes import ProcessRegistry
from workflow.settings import Delivery, Settings

LATENCY_TARGET_S = 1.0
PACKET_RATIO_TARGET = 0.8
DISPATCH_TARGET = 1.10  # time per transition with dispatch / without
WORKERS = 2
LEASE_SECONDS = 600
SECRET = "bench-workers-" + "s" * 32
DEMO_CONSULTANT = "rina.produksi"  # the demo's consultant with the most applications
SETUP_PATH = (
    "start_document_preparation",
    "submit",
    "start_doc_verification",
    "docs_complete",
    "lph_fee_entered",
    "payment_proof_uploaded",
    "payment_verified",
    "audit_started",
)
"""INTAKE -> LPH_AUDIT of halal_regular, committed without dispatch before the worker starts."""
EVIDENCE = (
    "nib",
    "product_list",
    "materials_list",
    "process_flow",
    "sjph_manual",
    "penyelia_halal",
    "payment_proof",
)
CYCLE = {"LPH_AUDIT": "lab_test_required", "LAB_TESTING": "lab_result_in"}
"""Two stages without documents that a transition can alternate between indefinitely."""
DISPATCH_TRIGGER = "start_document_preparation"
SERTIFLOW = str(Path(sys.executable).with_name("sertiflow"))
CERTIFICATES_PER_DAY = 100_000
EMAIL_PACKET = "email_umkm_packet"
"""An ``email_umkm`` into a UMKM-court stage with documents: its handler issues the packet to
attach it, at the same moment as the transition's ``render_packet`` (a second layout)."""
_SPAWN = multiprocessing.get_context("spawn")
_CLAIMS = sa.Table(
    "bench_first_claim",
    sa.MetaData(),
    sa.Column("outbox_id", sa.Integer, primary_key=True),
    sa.Column("lease_until", sa.DateTime, nullable=False),
)
NOTIFICATIONS = sa.table(
    "notification", sa.column("outbox_id", sa.Integer), sa.column("created_at", sa.DateTime)
)


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(143)  # so that every ``finally`` (the worker's process group) runs


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100), linear between closest ranks."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _ms(seconds: float) -> float:
    return round(1000 * seconds, 2)


@contextmanager
def reading(db: sa.Engine) -> Iterator[sa.Connection]:
    """A read-only connection: on SQLite a deferred BEGIN, which never holds up the workers."""
    with db.connect() as conn:
        yield conn.execution_options(readonly=True)


# ------------------------------------------------------------------------------- services
@contextmanager
def redis_database(url: str) -> Iterator[redis.Redis]:
    """The Redis database of ``url``, flushed before and after."""
    client = redis.Redis.from_url(url, socket_timeout=10)
    client.ping()
    client.flushdb()
    try:
        yield client
    finally:
        client.flushdb()
        client.close()


def queued_messages(client: redis.Redis) -> int:
    """Messages waiting in every list of the database (kombu keeps a queue as a list)."""
    total = 0
    for key in client.scan_iter(count=1000):
        if client.type(key) in (b"list", "list"):
            total += int(client.llen(key))
    return total


class Sink:
    """An aiosmtpd handler that accepts every message and remembers when it arrived."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.arrivals: list[float] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.arrivals.append(time.monotonic())
        return "250 OK"

    def since(self, moment: float) -> list[float]:
        """Arrival times (monotonic) at or after ``moment``."""
        with self.lock:
            return [t for t in self.arrivals if t >= moment]


def free_port() -> int:
    """A loopback TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def smtp_sink() -> Iterator[tuple[Sink, int]]:
    """A real SMTP server on loopback, in a thread of this process."""
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port, loop=asyncio.new_event_loop())
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


@dataclass
class WorkerProcess:
    """``sertiflow worker`` started in its own session; its process group id is its pid."""

    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def successes(self) -> Counter[str]:
        """Tasks each pool process reported done so far (Celery's INFO log lines)."""
        found: Counter[str] = Counter()
        for line in self.output().splitlines():
            if " succeeded in " in line and "/ForkPoolWorker-" in line:
                found[line.split("/", 1)[1].split("]", 1)[0]] += 1
        return found

    def cpu_seconds(self, main_only: bool = False) -> float:
        """CPU time (user + system) of every process in the worker's process group (or of its
        main process only)."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for entry in os.listdir("/proc"):
            if main_only and entry != str(self.process.pid):
                continue
            if not entry.isdigit():
                continue
            try:
                text = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = text.rsplit(")", 1)[1].split()
            if int(fields[2]) == self.process.pid:  # pgrp
                total += int(fields[11]) + int(fields[12])
        return total / ticks


@contextmanager
def celery_worker(env: dict[str, str], cwd: Path, concurrency: int) -> Iterator[WorkerProcess]:
    """A real Celery worker; stopped (SIGTERM, then SIGKILL) by process group, whatever happens."""
    log = cwd / "worker.log"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SERTIFLOW_")}
    with log.open("ab") as out:
        process = subprocess.Popen(
            [SERTIFLOW, "worker", f"--concurrency={concurrency}", "--loglevel=INFO"],
            cwd=cwd,
            env={**clean, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    worker = WorkerProcess(process, log)
    try:
        deadline = time.monotonic() + 90
        while " ready." not in worker.output():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the worker did not start:\n" + worker.output()[-3000:])
            time.sleep(0.1)
        yield worker
    finally:
        _stop_group(process)


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    for sig, wait in ((signal.SIGTERM, 30.0), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue


# ------------------------------------------------------------------------------- the office
class PacketItem(NamedTuple):
    """One packet: an application, the stage of its latest ``render_packet`` message."""

    app_id: int
    process: str
    stage: str
    audit_seq: int


@dataclass
class Office:
    """The demo office plus the applications the latency phase moves."""

    summary: dict[str, int]
    paths: dict[str, Any]
    cycling: dict[int, str]  # application id -> its state (LPH_AUDIT or LAB_TESTING)
    packets: list[PacketItem]
    warmups: list[PacketItem]
    build_seconds: float


def build_office(db: sa.Engine, apps: int, seed_value: int, cycling: int, packets: int) -> Office:
    """The demo office, ``cycling`` applications in LPH_AUDIT, every effect so far historical."""
    from sertiflow.demo import build_demo
    from workers.outbox import mark_historical
    from workflow.directory import add_evidence, upsert_umkm
    from workflow.evidence import EVIDENCE_KINDS, Scope
    from workflow.umkm_import import UmkmRecord

    started = time.perf_counter()
    engine = Engine(db)
    summary = build_demo(engine, apps, 5, apps, seed_value, logins=False)
    paths = demo_paths(db, engine.registry)
    items = packet_items(db, packets + WORKERS)
    records = [
        UmkmRecord(
            nib=f"95{i:011d}",
            name=f"Sagu Bench {i}",
            owner_name=f"Pemilik Bench {i}",
            kind="umkm",
            scale="mikro",
            regency_code="8171",
            email=f"bench{i:04d}@contoh.id",
            phone="+6281234567890",
            address="Jl. Pattimura 1, Ambon",
            annual_turnover=120_000_000,
            production_sites=1,
            simple_process=True,
            products="Sagu lempeng",
            row=i + 2,
        )
        for i in range(cycling)
    ]
    with db.begin() as conn:
        upsert_umkm(conn, records, utcnow())
    year_end = date(engine.today().year + 1, 12, 31)
    states = {}
    for record in records:
        app_id = engine.open_application(
            record.nib, "halal_regular", "admin", assignee=DEMO_CONSULTANT
        )
        for kind in EVIDENCE:  # the business's documents, and this application's payment proof
            add_evidence(
                db,
                record.nib,
                kind,
                f"{kind}-{record.nib}.pdf",
                valid_until=year_end if EVIDENCE_KINDS[kind].expires else None,
                acting="admin",  # the demo office's admin
                now=utcnow(),
                application_id=None if EVIDENCE_KINDS[kind].scope is Scope.UMKM else app_id,
            )
        for trigger in SETUP_PATH:
            engine.advance(app_id, trigger, DEMO_CONSULTANT)
        states[app_id] = "LPH_AUDIT"
    # the demo's last day and the setup above: recorded, never sent
    mark_historical(db, before=utcnow() + timedelta(seconds=1))
    step = len(items) / WORKERS
    warm_at = {int(step * k + step / 2) for k in range(WORKERS)}
    return Office(
        {
            "umkm": summary.umkm,
            "cooperatives": summary.cooperatives,
            "applications": summary.applications,
            "transitions": summary.transitions,
        },
        paths,
        states,
        [item for k, item in enumerate(items) if k not in warm_at],
        [item for k, item in enumerate(items) if k in warm_at],
        time.perf_counter() - started,
    )


def packet_items(db: sa.Engine, n: int) -> list[PacketItem]:
    """``n`` applications' latest ``render_packet`` stage, evenly over the mix of stages."""
    query = (
        sa.select(
            OUTBOX.c.application_id,
            OUTBOX.c.audit_seq,
            OUTBOX.c.payload,
            APPLICATIONS.c.process_key,
        )
        .join(APPLICATIONS, APPLICATIONS.c.id == OUTBOX.c.application_id)
        .where(OUTBOX.c.kind == "render_packet")
        .order_by(OUTBOX.c.id)
    )
    latest: dict[int, PacketItem] = {}
    with reading(db) as conn:
        for row in conn.execute(query):
            payload = json.loads(row.payload) if isinstance(row.payload, str) else row.payload
            latest[row.application_id] = PacketItem(
                row.application_id, row.process_key, str(payload["to"]), row.audit_seq
            )
    ordered = sorted(latest.values(), key=lambda i: (i.process, i.stage, i.app_id))
    if n >= len(ordered):
        return ordered
    return [ordered[k * len(ordered) // n] for k in range(n)]


def demo_paths(db: sa.Engine, registry: ProcessRegistry) -> dict[str, Any]:
    """Steps and effects per certificate in the demo: along the paths of the applications that
    reached a certificate (with the applications they were redirected from), and office-wide
    (every step and effect of the simulated year over the certificates it produced)."""
    in_place = {DETAILS, REASSIGN, MIGRATE}
    with reading(db) as conn:
        audit = conn.execute(
            sa.select(
                AUDIT.c.application_id,
                AUDIT.c.seq,
                AUDIT.c.trigger,
                AUDIT.c.to_state,
                AUDIT.c.process_key,
                AUDIT.c.process_version,
            ).order_by(AUDIT.c.application_id, AUDIT.c.seq)
        ).all()
        effects = conn.execute(
            sa.select(
                OUTBOX.c.application_id,
                OUTBOX.c.audit_seq,
                OUTBOX.c.kind,
                OUTBOX.c.payload,
                APPLICATIONS.c.process_key,
                APPLICATIONS.c.process_version,
            ).join(APPLICATIONS, APPLICATIONS.c.id == OUTBOX.c.application_id)
        ).all()
        links = {
            r.id: r.linked_from_id
            for r in conn.execute(sa.select(APPLICATIONS.c.id, APPLICATIONS.c.linked_from_id))
        }
    certified_at: dict[int, int] = {}
    steps: dict[int, list[int]] = {}
    for row in audit:
        if row.trigger in in_place:
            continue
        steps.setdefault(row.application_id, []).append(row.seq)
        state = registry.get(row.process_key, row.process_version).states.get(row.to_state)
        if state is not None and state.phase is Phase.CERTIFIED:
            certified_at.setdefault(row.application_id, row.seq)
    kinds: dict[int, dict[int, list[str]]] = {}
    all_effects: Counter[str] = Counter()
    for effect in effects:
        found = [effect.kind]
        if effect.kind == "email_umkm":  # attaches the packet of a UMKM-court stage
            payload = effect.payload
            payload = json.loads(payload) if isinstance(payload, str) else payload
            definition = registry.get(effect.process_key, effect.process_version)
            state = definition.states.get(str(payload.get("to")))
            if state is not None and state.court is Court.UMKM and state.documents:
                found.append(EMAIL_PACKET)
        kinds.setdefault(effect.application_id, {}).setdefault(effect.audit_seq, []).extend(found)
        all_effects.update(found)
    path_steps = 0
    path_effects: Counter[str] = Counter()
    for app_id, until in certified_at.items():
        chain: list[tuple[int, int | None]] = [(app_id, until)]
        previous = links.get(app_id)
        while previous is not None and previous not in certified_at:
            chain.append((previous, None))
            previous = links.get(previous)
        for member, last in chain:
            seqs = [s for s in steps.get(member, []) if last is None or s <= last]
            path_steps += len(seqs)
            for seq in seqs:
                path_effects.update(kinds.get(member, {}).get(seq, []))
    certificates = len(certified_at)
    all_steps = sum(len(s) for s in steps.values())
    per = max(certificates, 1)
    return {
        "certificates": certificates,
        "applications": len(steps),
        "path": {
            "steps_per_certificate": round(path_steps / per, 2),
            "effects_per_certificate": {k: round(v / per, 3) for k, v in path_effects.items()},
        },
        "office_wide": {
            "steps_per_certificate": round(all_steps / per, 2),
            "effects_per_certificate": {k: round(v / per, 3) for k, v in all_effects.items()},
        },
    }


@contextmanager
def database_copy(db: BenchDB, tmp: Path) -> Iterator[str]:
    """A copy of ``db`` as it is now; its URL. Dropped (PostgreSQL) at the end."""
    if db.backend == "sqlite":
        assert db.sqlite_path is not None
        target = tmp / "bare.db"
        with sqlite3.connect(db.sqlite_path) as lite:
            lite.execute("VACUUM INTO ?", (str(target),))
        lite.close()
        yield f"sqlite:///{target}"
        return
    source = make_url(db.url)
    name = f"{source.database}_bare"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    db.engine.dispose()  # TEMPLATE needs no other connection to the source
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{source.database}"')
        try:
            yield source.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


def install_claim_log(db: sa.Engine) -> None:
    """Keep each row's first ``lease_until`` (``outbox.complete`` clears the column)."""
    with db.begin() as conn:
        _CLAIMS.create(conn)
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql(
                "CREATE TRIGGER bench_first_claim AFTER UPDATE OF attempts ON outbox "
                "WHEN NEW.attempts = 1 AND OLD.attempts = 0 AND NEW.status = 'leased' BEGIN "
                "INSERT OR IGNORE INTO bench_first_claim (outbox_id, lease_until) "
                "VALUES (NEW.id, NEW.lease_until); END"
            )
            return
        conn.exec_driver_sql(
            "CREATE FUNCTION bench_first_claim() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "INSERT INTO bench_first_claim (outbox_id, lease_until) "
            "VALUES (NEW.id, NEW.lease_until) ON CONFLICT DO NOTHING; RETURN NEW; END $$"
        )
        conn.exec_driver_sql(
            "CREATE TRIGGER bench_first_claim AFTER UPDATE OF attempts ON outbox FOR EACH ROW "
            "WHEN (NEW.attempts = 1 AND OLD.attempts = 0 AND NEW.status = 'leased') "
            "EXECUTE FUNCTION bench_first_claim()"
        )


# ------------------------------------------------------------------------------- outbox rows
def max_outbox_id(db: sa.Engine) -> int:
    with reading(db) as conn:
        return int(conn.scalar(sa.select(sa.func.max(OUTBOX.c.id))) or 0)


def wait_delivered(db: sa.Engine, ids: Sequence[int] | tuple[int, int], timeout: float) -> None:
    """Until every row (a list of ids, or a ``(low, high]`` range) is done or failed."""
    if isinstance(ids, tuple):
        where = sa.and_(OUTBOX.c.id > ids[0], OUTBOX.c.id <= ids[1])
    else:
        where = OUTBOX.c.id.in_(list(ids))
    query = sa.select(sa.func.count()).where(where, OUTBOX.c.status.in_(("pending", "leased")))
    deadline = time.monotonic() + timeout
    while True:
        with reading(db) as conn:
            left = int(conn.scalar(query) or 0)
        if not left:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{left} outbox rows still not delivered after {timeout:.0f} s")
        time.sleep(0.1)


class Delivered(NamedTuple):
    """One delivered outbox row, its times from the database (naive UTC)."""

    id: int
    kind: str
    status: str
    attempts: int
    created_at: datetime
    started: datetime | None  # first claim (lease_until - lease)
    done_at: datetime | None
    notified_at: datetime | None  # notification.created_at (notify_* rows)
    result: dict[str, Any]


def delivered_rows(db: sa.Engine, low: int, high: int) -> list[Delivered]:
    """Rows ``(low, high]`` with their first claim and notification times."""
    lease = timedelta(seconds=LEASE_SECONDS)
    query = (
        sa.select(
            OUTBOX.c.id,
            OUTBOX.c.kind,
            OUTBOX.c.status,
            OUTBOX.c.attempts,
            OUTBOX.c.created_at,
            OUTBOX.c.done_at,
            OUTBOX.c.result,
            _CLAIMS.c.lease_until,
            sa.select(sa.func.min(NOTIFICATIONS.c.created_at))
            .where(NOTIFICATIONS.c.outbox_id == OUTBOX.c.id)
            .scalar_subquery()
            .label("notified_at"),
        )
        .select_from(OUTBOX.outerjoin(_CLAIMS, _CLAIMS.c.outbox_id == OUTBOX.c.id))
        .where(OUTBOX.c.id > low, OUTBOX.c.id <= high)
        .order_by(OUTBOX.c.id)
    )
    rows = []
    with reading(db) as conn:
        for r in conn.execute(query):
            result = json.loads(r.result) if isinstance(r.result, str) else (r.result or {})
            notified = r.notified_at
            if isinstance(notified, str):  # SQLite: a scalar subquery comes back as text
                notified = datetime.fromisoformat(notified)
            rows.append(
                Delivered(
                    r.id,
                    r.kind,
                    r.status,
                    r.attempts,
                    r.created_at,
                    None if r.lease_until is None else r.lease_until - lease,
                    r.done_at,
                    notified,
                    result,
                )
            )
    return rows


def _seconds(a: datetime | None, b: datetime | None) -> float | None:
    return None if a is None or b is None else (b - a).total_seconds()


def latency_summary(rows: Sequence[Delivered]) -> dict[str, Any]:
    """Commit-to-start, start-to-done and commit-to-done over rows done in one attempt."""
    once = [r for r in rows if r.status == "done" and r.attempts == 1 and r.started is not None]
    start = [s for r in once if (s := _seconds(r.created_at, r.started)) is not None]
    done = [s for r in once if (s := _seconds(r.created_at, r.done_at)) is not None]
    notified = [s for r in once if (s := _seconds(r.created_at, r.notified_at)) is not None]

    def spread(values: Sequence[float]) -> dict[str, float]:
        return {
            "p50_ms": _ms(percentile(values, 50)),
            "p90_ms": _ms(percentile(values, 90)),
            "p99_ms": _ms(percentile(values, 99)),
            "max_ms": _ms(max(values)) if values else math.nan,
        }

    service: dict[str, dict[str, float]] = {}
    for kind in sorted({r.kind for r in once}):
        values = [
            s for r in once if r.kind == kind and (s := _seconds(r.started, r.done_at)) is not None
        ]
        service[kind] = {
            "n": len(values),
            "mean_ms": _ms(statistics.fmean(values)),
            "p50_ms": _ms(percentile(values, 50)),
            "p99_ms": _ms(percentile(values, 99)),
        }
    tenth = max(1, len(start) // 10)
    return {
        "rows": len(rows),
        "done_in_one_attempt": len(once),
        "commit_to_start_p50_first_tenth_ms": _ms(percentile(start[:tenth], 50)),
        "commit_to_start_p50_last_tenth_ms": _ms(percentile(start[-tenth:], 50)),
        "not_done": Counter(r.status for r in rows if r.status != "done"),
        "retried": sum(1 for r in rows if r.attempts > 1),
        "commit_to_start": spread(start),
        "commit_to_handler_notification": spread(notified),
        "commit_to_done": spread(done),
        "service_by_kind": service,
        "service_all_mean_ms": _ms(
            statistics.fmean([s for r in once if (s := _seconds(r.started, r.done_at)) is not None])
        ),
    }


# ------------------------------------------------------------------------------- 1. pipeline
def drive(
    workflow: Engine, states: dict[int, str], n: int, rate: float, offset: int = 0
) -> dict[str, float]:
    """``n`` transitions at ``rate`` per second (0: as fast as possible), round-robin over the
    cycling applications; how it kept the pace."""
    apps = list(states)
    started = time.perf_counter()
    late = 0
    busy = 0.0
    for k in range(n):
        if rate > 0:
            wait = started + k / rate - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            elif wait < -0.05:
                late += 1
        app_id = apps[(offset + k) % len(apps)]
        before = time.perf_counter()
        result = workflow.advance(app_id, CYCLE[states[app_id]], DEMO_CONSULTANT)
        busy += time.perf_counter() - before
        states[app_id] = result.to_state
    seconds = time.perf_counter() - started
    return {
        "transitions": n,
        "seconds": round(seconds, 3),
        "achieved_per_s": round(n / seconds, 2),
        "advance_ms_mean": round(1000 * busy / n, 3),
        "late_over_50ms": late,
    }


def packet_race(db: sa.Engine, workflow: Engine, nibs: Sequence[str]) -> dict[str, Any]:
    """One at a time, a transition into a UMKM-court stage with documents (trademark
    DOC_PREPARATION, opened for UMKM ``nibs``): what its render_packet and email_umkm each did."""
    from workers.outbox import mark_historical

    plain = Engine(db)
    apps = [plain.open_application(n, "trademark", "admin", assignee=DEMO_CONSULTANT) for n in nibs]
    mark_historical(db, before=utcnow() + timedelta(seconds=1))  # the openings' effects
    low = max_outbox_id(db)
    for app_id in apps:
        before = max_outbox_id(db)
        workflow.advance(app_id, "start_document_preparation", DEMO_CONSULTANT)
        wait_delivered(db, (before, max_outbox_id(db)), 600)
    rows = [r for r in delivered_rows(db, low, max_outbox_id(db)) if r.started and r.done_at]
    by_kind: dict[str, dict[str, Any]] = {}
    slow: Counter[datetime] = Counter()  # rows of one transition share created_at
    for kind in ("render_packet", "email_umkm"):
        mine = [r for r in rows if r.kind == kind]
        times = [s for r in mine if (s := _seconds(r.started, r.done_at)) is not None]
        by_kind[kind] = {
            "n": len(mine),
            "outcomes": dict(Counter(str(r.result.get("outcome")) for r in mine)),
            "packet_attached": sum(int(r.result.get("attachments") or 0) for r in mine),
            "service_ms": [_ms(t) for t in times],
            "service_mean_ms": _ms(statistics.fmean(times)) if times else math.nan,
        }
        for r, t in zip(mine, times, strict=True):
            if t > 0.3:  # laid a packet out (a stored packet is found in a few ms)
                slow[r.created_at] += 1
    return {
        "transitions": len(apps),
        "stage": "trademark DOC_PREPARATION (court umkm, 5 documents)",
        "by_kind": by_kind,
        "both_over_300ms": sum(1 for count in slow.values() if count >= 2),
    }


def latency_run(
    db: sa.Engine,
    workflow: Engine,
    office: Office,
    sink: Sink,
    worker: WorkerProcess,
    n: int,
    rate: float,
) -> dict[str, Any]:
    """``n`` transitions at ``rate`` with dispatch after commit; latencies from the database."""
    low = max_outbox_id(db)
    first_email = time.monotonic()
    cpu = worker.cpu_seconds()
    pace = drive(workflow, office.cycling, n, rate)
    high = max_outbox_id(db)
    wait_delivered(db, (low, high), 900)
    cpu = worker.cpu_seconds() - cpu
    rows = delivered_rows(db, low, high)
    arrivals = sink.since(first_email)
    span = (max(arrivals) - first_email) if arrivals else math.nan
    return {
        "rate": rate,
        "pace": pace,
        **latency_summary(rows),
        "emails": len(arrivals),
        "seconds_to_last_email": round(span, 3),
        "emails_per_s": round(len(arrivals) / span, 2),
        "worker_cpu_s_per_delivery": round(cpu / max(len(rows), 1), 4),
    }


def _bare_worker(
    url: str,
    env: dict[str, str],
    warm: PacketItem,
    queues: list[Any],
    barrier: Any,
    results: Any,
) -> None:
    try:
        from documents import issue_packet

        db = connect(url)
        settings = Settings.from_env(env)
        issue_packet(db, settings, warm.app_id, warm.stage)
        for queue in queues:  # one round each; the parent releases the barrier
            barrier.wait()
            started, cpu = time.monotonic(), time.process_time()
            done = []
            while True:
                item = queue.get()
                if item is None:
                    break
                stored = issue_packet(db, settings, item[0], item[1])
                done.append((item[0], item[1], stored.outcome, stored.pages))
            results.put(
                {
                    "start": started,
                    "end": time.monotonic(),
                    "cpu": time.process_time() - cpu,
                    "done": done,
                }
            )
        db.dispose()
    except BaseException as error:
        barrier.abort()
        results.put({"error": f"{type(error).__name__}: {error}"})


class BarePool:
    """``issue_packet`` in 2 ``spawn`` processes (no Celery), each warmed with one packet, that
    pull each round's packets from one queue when the parent releases them."""

    def __init__(
        self,
        url: str,
        env: dict[str, str],
        rounds: Sequence[Sequence[PacketItem]],
        warmups: Sequence[PacketItem],
    ) -> None:
        self.queues = [_SPAWN.Queue() for _ in rounds]
        for queue, items in zip(self.queues, rounds, strict=True):
            for item in items:
                queue.put((item.app_id, item.stage))
            for _ in warmups:
                queue.put(None)
        self.barrier = _SPAWN.Barrier(len(warmups) + 1)
        self.results = _SPAWN.Queue()
        self.processes = [
            _SPAWN.Process(
                target=_bare_worker,
                args=(url, env, warm, self.queues, self.barrier, self.results),
            )
            for warm in warmups
        ]
        for process in self.processes:
            process.start()

    def run(self) -> dict[str, Any]:
        """The next round, timed from the barrier to the last packet."""
        self.barrier.wait(timeout=600)
        outcomes = [self.results.get(timeout=1800) for _ in self.processes]
        errors = [o["error"] for o in outcomes if "error" in o]
        if errors:
            raise RuntimeError("; ".join(errors))
        done = [d for o in outcomes for d in o["done"]]
        return {
            "seconds": max(o["end"] for o in outcomes) - min(o["start"] for o in outcomes),
            "cpu": sum(o["cpu"] for o in outcomes),
            "done": done,
        }

    def close(self) -> None:
        self.barrier.abort()
        for process in self.processes:
            process.join(timeout=60)
            if process.is_alive():
                process.kill()
                process.join()


def packet_totals(runs: Sequence[dict[str, Any]], processes: int) -> dict[str, Any]:
    """The figures of a path over its rounds."""
    done = [d for run in runs for d in run["done"]]
    wall = sum(run["seconds"] for run in runs)
    return {
        "processes": processes,
        "packets": len(done),
        "outcomes": dict(Counter(d[2] for d in done)),
        "pages": sum(d[3] for d in done),
        "seconds": round(wall, 3),
        "packets_per_s": round(len(done) / wall, 3),
        "round_packets_per_s": [round(len(r["done"]) / r["seconds"], 3) for r in runs],
        "cpu_s_per_packet": round(sum(run["cpu"] for run in runs) / len(done), 4),
        "pages_by_packet": {f"{d[0]}:{d[1]}": d[3] for d in done},
    }


def enqueue_packets(db: sa.Engine, items: Sequence[PacketItem]) -> list[int]:
    """New pending ``render_packet`` rows for ``items``, as a transition writes them."""
    from workers.outbox import enqueue

    ids = []
    now = utcnow()
    with db.begin() as conn:
        for item in items:
            payload = {"application_id": item.app_id, "seq": item.audit_seq, "to": item.stage}
            new_id = enqueue(
                conn,
                "render_packet",
                now=now,
                payload=payload,
                application_id=item.app_id,
                audit_seq=item.audit_seq,
            )
            assert new_id is not None
            ids.append(new_id)
    return ids


def warm_pipeline(
    db: sa.Engine,
    dispatch: Callable[[Sequence[int]], None],
    worker: WorkerProcess,
    warmups: Sequence[PacketItem],
) -> dict[str, int]:
    """One packet per pool process before the timed rounds; who ran them (from the log)."""
    before = worker.successes()
    ids = enqueue_packets(db, warmups)
    dispatch(ids)
    wait_delivered(db, ids, 600)
    time.sleep(0.3)  # the log line follows the row's completion
    return dict(worker.successes() - before)


def pipeline_round(
    db: sa.Engine,
    dispatch: Callable[[Sequence[int]], None],
    worker: WorkerProcess,
    items: Sequence[PacketItem],
) -> dict[str, Any]:
    """``items`` as new outbox rows, dispatched at once, delivered by the Celery worker."""
    ids = enqueue_packets(db, items)
    cpu, main = worker.cpu_seconds(), worker.cpu_seconds(main_only=True)
    started = utcnow()
    dispatch(ids)
    wait_delivered(db, ids, 1800)
    cpu, main = worker.cpu_seconds() - cpu, worker.cpu_seconds(main_only=True) - main
    with reading(db) as conn:
        rows = conn.execute(
            sa.select(
                OUTBOX.c.application_id,
                OUTBOX.c.payload,
                OUTBOX.c.status,
                OUTBOX.c.done_at,
                OUTBOX.c.result,
                OUTBOX.c.last_error,
            ).where(OUTBOX.c.id.in_(ids))
        ).all()
    failed = [f"{r.application_id}: {r.last_error}" for r in rows if r.status != "done"]
    if failed:
        raise RuntimeError("packets failed in the pipeline: " + "; ".join(failed[:5]))

    def loads(value: Any) -> dict[str, Any]:
        return json.loads(value) if isinstance(value, str) else dict(value)

    done = []
    for r in rows:
        result = loads(r.result)
        stage = loads(r.payload)["to"]
        done.append((r.application_id, stage, str(result["outcome"]), int(result["pages"])))
    return {
        "seconds": (max(r.done_at for r in rows) - started).total_seconds(),
        "cpu": cpu,
        "main_cpu": main,
        "done": done,
    }


def measure_pipeline(args: argparse.Namespace, redis_url: str) -> dict[str, Any]:
    """Part 1: the demo office, a real worker, Redis and an SMTP sink."""
    from workers.app import Dispatcher, make_celery
    from workers.dispatch import BackgroundDispatch

    result: dict[str, Any] = {}
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sertiflow-bench-w-")))
        db = stack.enter_context(fresh_database(args.db))
        _log(f"1. building the demo office ({args.apps} UMKM and applications) ...")
        office = build_office(db.engine, args.apps, args.seed, args.latency_apps, args.packets)
        install_claim_log(db.engine)
        result["office"] = {
            **office.summary,
            "backend": db.backend,
            "cycling_applications": len(office.cycling),
            "build_seconds": round(office.build_seconds, 1),
        }
        result["paths"] = office.paths
        sink, port = stack.enter_context(smtp_sink())
        client = stack.enter_context(redis_database(redis_url))
        env = {
            "SERTIFLOW_DATABASE_URL": db.url,
            "SERTIFLOW_BROKER_URL": redis_url,
            "SERTIFLOW_SMTP_HOST": "127.0.0.1",
            "SERTIFLOW_SMTP_PORT": str(port),
            "SERTIFLOW_SMTP_SECURITY": "none",
            "SERTIFLOW_STORAGE_DIR": str(tmp / "store-pipeline"),
            "SERTIFLOW_MAIL_DIR": str(tmp / "mail"),
            "SERTIFLOW_LEASE_SECONDS": str(LEASE_SECONDS),
            "SERTIFLOW_SECRET_KEY": SECRET,
        }
        settings = Settings.from_env(env)
        copy_url = stack.enter_context(database_copy(db, tmp))  # no packet issued yet
        _log(f"1. starting sertiflow worker --concurrency {WORKERS} ...")
        worker = stack.enter_context(celery_worker(env, tmp, WORKERS))
        dispatcher = Dispatcher(make_celery(settings))
        # as sertiflow's runtime wires it: published from a background thread
        workflow = Engine(
            db.engine, policy=settings.policy, dispatch=BackgroundDispatch(lambda: dispatcher.batch)
        )

        # warm: every worker process builds its context on its first task
        low = max_outbox_id(db.engine)
        drive(workflow, office.cycling, 4 * WORKERS, 10)
        wait_delivered(db.engine, (low, max_outbox_id(db.engine)), 120)

        runs = [(args.transitions, args.rate)]
        if args.extra_rate > 0 and args.extra_transitions > 0:
            runs.append((args.extra_transitions, args.extra_rate))
        result["latency"] = []
        for n, rate in runs:
            _log(f"1a. latency: {n} transitions at {rate:g}/s ...")
            result["latency"].append(
                latency_run(db.engine, workflow, office, sink, worker, n, rate)
            )

        _log(f"1b. emails: {args.burst} transitions' effects dispatched at once ...")
        workflow.dispatch = None
        low = max_outbox_id(db.engine)
        drive(workflow, office.cycling, args.burst, 0, offset=args.transitions)
        high = max_outbox_id(db.engine)
        ids = list(range(low + 1, high + 1))
        cpu, main = worker.cpu_seconds(), worker.cpu_seconds(main_only=True)
        started_at = time.monotonic()
        started_utc = utcnow()
        dispatcher(ids)
        wait_delivered(db.engine, (low, high), 600)
        cpu, main = worker.cpu_seconds() - cpu, worker.cpu_seconds(main_only=True) - main
        rows = delivered_rows(db.engine, low, high)
        arrivals = sink.since(started_at)
        done_at = max(r.done_at for r in rows if r.done_at is not None)
        wall = (done_at - started_utc).total_seconds()
        email_wall = (max(arrivals) - started_at) if arrivals else math.nan
        summary = latency_summary(rows)
        result["emails"] = {
            "transitions": args.burst,
            "deliveries": len(rows),
            "emails": len(arrivals),
            "seconds_to_last_done": round(wall, 3),
            "seconds_to_last_email": round(email_wall, 3),
            "emails_per_s": round(len(arrivals) / email_wall, 2),
            "deliveries_per_s": round(len(rows) / wall, 2),
            "process_s_per_delivery": round(WORKERS * wall / len(rows), 4),
            "worker_cpu_s_per_delivery": round(cpu / len(rows), 4),
            "celery_main_cpu_s_per_delivery": round(main / len(rows), 4),
            "service_by_kind": summary["service_by_kind"],
            "service_all_mean_ms": summary["service_all_mean_ms"],
            "not_done": summary["not_done"],
            "retried": summary["retried"],
        }

        halves = [office.packets[0::2], office.packets[1::2]]  # the same mix in each
        _log(f"1c. packets: {len(office.packets)} packets, bare and pipeline, ABBA rounds ...")
        bare_env = {
            **env,
            "SERTIFLOW_DATABASE_URL": copy_url,
            "SERTIFLOW_STORAGE_DIR": str(tmp / "store-bare"),
        }
        pool = BarePool(copy_url, bare_env, halves, office.warmups)
        try:
            warmed = warm_pipeline(db.engine, dispatcher, worker, office.warmups)
            bare_runs = [pool.run()]
            pipe_runs = [pipeline_round(db.engine, dispatcher, worker, half) for half in halves]
            bare_runs.append(pool.run())
        finally:
            pool.close()
        bare = packet_totals(bare_runs, WORKERS)
        pipe = packet_totals(pipe_runs, WORKERS)
        pipe["celery_main_cpu_s_per_packet"] = round(
            sum(r["main_cpu"] for r in pipe_runs) / pipe["packets"], 4
        )
        pipe["warmups_by_process"] = warmed
        same = pipe["pages_by_packet"] == bare["pages_by_packet"]
        same = same and pipe["outcomes"] == bare["outcomes"]
        result["packets"] = {
            "mix": dict(Counter(f"{i.process} {i.stage}" for i in office.packets).most_common()),
            "order": "bare(A) pipeline(A) pipeline(B) bare(B)",
            "bare": {k: v for k, v in bare.items() if k != "pages_by_packet"},
            "pipeline": {k: v for k, v in pipe.items() if k != "pages_by_packet"},
            "same_work": same,
            "ratio": round(pipe["packets_per_s"] / bare["packets_per_s"], 3),
            "cpu_ratio": round(bare["cpu_s_per_packet"] / pipe["cpu_s_per_packet"], 3),
            "target": PACKET_RATIO_TARGET,
        }
        if args.race:
            _log(f"1d. {args.race} transitions into trademark DOC_PREPARATION, one at a time ...")
            nibs = [f"95{i:011d}" for i in range(min(args.race, args.latency_apps))]
            workflow.dispatch = dispatcher
            result["race"] = packet_race(db.engine, workflow, nibs)
        result["worker_log_warnings"] = [
            line for line in worker.output().splitlines() if "WARNING" in line or "ERROR" in line
        ][:10]
        result["redis_left"] = queued_messages(client)
    return result


# ------------------------------------------------------------------------------- 2. dispatch
_LIBRARIES = (
    ("/kombu/", "kombu"),
    ("/celery/", "celery"),
    ("/redis/", "redis-py"),
    ("/amqp/", "amqp"),
    ("/vine/", "vine"),
    ("/sqlalchemy/", "SQLAlchemy"),
    ("/workflow/", "sertiflow workflow/"),
    ("/workers/", "sertiflow workers/"),
    ("socket", "socket (C)"),
    ("json", "json"),
    ("uuid", "uuid"),
)


_DISPATCH_STEPS = (
    ("workers/app.py", "__call__", "Dispatcher.__call__ (3 ids)"),
    ("celery/app/base.py", "send_task", "  Celery send_task, one per id"),
    ("celery/app/amqp.py", "as_task_v2", "    building the task message"),
    ("kombu/messaging.py", "maybe_declare", "    maybe_declare (queue known)"),
    ("kombu/transport/redis.py", "_put", "    kombu Redis _put"),
    ("kombu/transport/redis.py", "_create_client", "      a new redis.Redis client per message"),
    ("redis/commands/core.py", "lpush", "      LPUSH, one round trip per message"),
)
"""Where a publish goes: (file suffix, function, label), read as cumulative time."""


def _library(filename: str, function: str) -> str:
    for key, label in _LIBRARIES:
        if key in filename or (filename == "~" and key in function):
            return label
    return "C builtins" if filename == "~" else "stdlib/other"


def _own_times(profile: cProfile.Profile) -> dict[str, float]:
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = pstats.Stats(
        profile
    ).stats  # type: ignore[attr-defined]
    grouped: dict[str, float] = {}
    for (filename, _, function), (_, _, tottime, _, _) in raw.items():
        label = _library(filename, function)
        grouped[label] = grouped.get(label, 0.0) + tottime
    return grouped


def profile_dispatch(redis_url: str, n: int, top: int, verbose: bool) -> dict[str, Any]:
    """cProfile ``n`` transitions without and with dispatch; own time by library, per
    transition, and the difference: what dispatching adds."""
    from workers.app import Dispatcher, make_celery

    dispatcher = Dispatcher(make_celery(Settings(delivery=Delivery(broker_url=redis_url))))
    profiles = {}
    call_us = 0.0
    with fresh_sqlite() as plain, fresh_sqlite() as sending:
        for label, db, dispatch in (("none", plain, None), ("dispatch", sending, dispatcher)):
            apps = seed(db.engine, n + 50).apps
            workflow = Engine(db.engine, dispatch=dispatch)
            for app in apps[:50]:
                workflow.advance(app.id, DISPATCH_TRIGGER, CONSULTANT)
            profile = cProfile.Profile()
            profile.enable()
            for app in apps[50:]:
                workflow.advance(app.id, DISPATCH_TRIGGER, CONSULTANT)
            profile.disable()
            profiles[label] = profile
            if dispatch is not None:
                stats = pstats.Stats(profile)
                raw: dict[tuple[str, int, str], tuple[int, int, float, float, Any]]
                raw = stats.stats  # type: ignore[attr-defined]
                call_us = (
                    sum(
                        cumtime
                        for (filename, _, function), (_, _, _, cumtime, _) in raw.items()
                        if function == "__call__" and filename.endswith("workers/app.py")
                    )
                    * 1e6
                    / n
                )
                if verbose:
                    stats.sort_stats("cumulative").print_stats(top)
                    stats.print_callees("__call__")
    none, sent = _own_times(profiles["none"]), _own_times(profiles["dispatch"])
    rows = sorted(
        (
            (label, 1e6 * none.get(label, 0.0) / n, 1e6 * sent.get(label, 0.0) / n)
            for label in set(none) | set(sent)
        ),
        key=lambda r: -(r[2] - r[1]),
    )
    raw_sent: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = pstats.Stats(
        profiles["dispatch"]
    ).stats  # type: ignore[attr-defined]
    steps = []
    for suffix, function, label in _DISPATCH_STEPS:
        calls, cumulative = 0, 0.0
        for (filename, _, name), (_, ncalls, _, cumtime, _) in raw_sent.items():
            if name == function and filename.endswith(suffix):
                calls += ncalls
                cumulative += cumtime
        steps.append({"step": label, "calls": calls, "us": round(cumulative * 1e6 / n, 1)})
    return {
        "transitions": n,
        "dispatcher_call_us_per_transition": round(call_us, 1),
        "own_us_per_transition": [
            {"where": w, "none": round(a, 1), "dispatch": round(b, 1), "added": round(b - a, 1)}
            for w, a, b in rows
        ],
        "steps_us_per_transition": steps,
        "note": "cProfile slows Python code more than C; read the split, not the absolute us",
    }


def measure_dispatch(
    redis_url: str, n: int, warmup: int, rounds: int, profile: bool, top: int
) -> dict[str, Any]:
    """Part 2: transitions/s without and with dispatch, interleaved rounds."""
    from workers.app import Dispatcher, make_celery
    from workers.dispatch import BackgroundDispatch

    with redis_database(redis_url) as client:
        dispatcher = Dispatcher(make_celery(Settings(delivery=Delivery(broker_url=redis_url))))
        seconds: dict[str, list[float]] = {"none": [], "dispatch": []}
        sizes: list[int] = []
        with fresh_sqlite() as plain, fresh_sqlite() as sending:
            apps = {
                "none": seed(plain.engine, warmup + n).apps,
                "dispatch": seed(sending.engine, warmup + n).apps,
            }
            background = BackgroundDispatch(lambda: dispatcher.batch)  # as the runtime wires it
            engines = {
                "none": Engine(plain.engine),
                "dispatch": Engine(sending.engine, dispatch=background),
            }
            for label, workflow in engines.items():
                for app in apps[label][:warmup]:
                    workflow.advance(app.id, DISPATCH_TRIGGER, CONSULTANT)
            size, extra = divmod(n, rounds)
            start = warmup
            for r in range(rounds):
                end = start + size + (1 if r < extra else 0)
                sizes.append(end - start)
                order = ("none", "dispatch") if r % 2 == 0 else ("dispatch", "none")
                for label in order:
                    advance = engines[label].advance
                    began = time.perf_counter()
                    for app in apps[label][start:end]:
                        advance(app.id, DISPATCH_TRIGGER, CONSULTANT)
                    background.flush(60)  # the round ends when its messages are in Redis
                    seconds[label].append(time.perf_counter() - began)
                start = end
            with reading(sending.engine) as conn:
                written = int(conn.scalar(sa.select(sa.func.count()).select_from(OUTBOX)) or 0)
        queued = queued_messages(client)
        client.flushdb()
        # the publish alone: one Dispatcher call with three ids, as after each transition
        calls = 1000
        began = time.perf_counter()
        for k in range(calls):
            dispatcher([3 * k + 1, 3 * k + 2, 3 * k + 3])
        publish_us = 1e6 * (time.perf_counter() - began) / calls
        client.flushdb()
        profiled = None
        ms = {label: 1000 * sum(s) / n for label, s in seconds.items()}
        ratio = ms["dispatch"] / ms["none"]
        if profile or ratio > DISPATCH_TARGET:
            _log("2. over target (or --profile): cProfile of the dispatch ...")
            profiled = profile_dispatch(redis_url, min(n, 1000), top, profile)
            client.flushdb()
    rates = {label: n / sum(s) for label, s in seconds.items()}
    return {
        "transitions": n,
        "warmup": warmup,
        "rounds": rounds,
        "trigger": DISPATCH_TRIGGER,
        "messages_per_transition": 3,
        "rate_per_s": {k: round(v, 1) for k, v in rates.items()},
        "round_rates_per_s": {
            k: [round(z / s, 1) for z, s in zip(sizes, v, strict=True)] for k, v in seconds.items()
        },
        "ms_per_transition": {k: round(v, 4) for k, v in ms.items()},
        "added_ms_per_transition": round(ms["dispatch"] - ms["none"], 4),
        "time_ratio": round(ratio, 3),
        "target_time_ratio": DISPATCH_TARGET,
        "outbox_rows_written": written,
        "messages_queued": queued,
        "publish_only_us_per_call_of_3": round(publish_us, 1),
        "profile": profiled,
    }


# ------------------------------------------------------------------------------- 3. relay
_HISTORY_COLUMNS = (
    "application_id",
    "user_id",
    "audit_seq",
    "kind",
    "payload",
    "created_at",
    "status",
    "available_at",
    "dispatched_at",
    "done_at",
    "attempts",
    "result",
)
_KINDS = ("email_umkm", "notify_consultant", "render_packet", "notify_admins")


def _history_rows(n: int, now: datetime) -> Iterator[tuple[Any, ...]]:
    """``n`` done rows spread over the past year, oldest first."""
    year = timedelta(days=365).total_seconds()
    for i in range(n):
        at = now - timedelta(seconds=year * (n - i) / n + 3600)
        yield (
            None,
            None,
            i % 40 + 1,
            _KINDS[i % len(_KINDS)],
            "{}",
            at,
            "done",
            at,
            at,
            at + timedelta(seconds=1),
            1,
            '{"outcome": "sent"}',
        )


def bulk_history(db: BenchDB, n: int, chunk: int = 50_000) -> float:
    """Insert ``n`` done rows fast (sqlite3 executemany / COPY); the seconds it took."""
    started = time.perf_counter()
    now = utcnow()
    columns = ", ".join(_HISTORY_COLUMNS)
    if db.backend == "sqlite":
        assert db.sqlite_path is not None
        conn = sqlite3.connect(db.sqlite_path, isolation_level=None)
        sql = f"INSERT INTO outbox ({columns}) VALUES ({', '.join('?' * len(_HISTORY_COLUMNS))})"
        rows = _history_rows(n, now)
        try:
            conn.execute("BEGIN IMMEDIATE")
            while True:
                batch = [
                    tuple(
                        v.isoformat(" ", "microseconds") if isinstance(v, datetime) else v
                        for v in r
                    )
                    for _, r in zip(range(chunk), rows, strict=False)
                ]
                if not batch:
                    break
                conn.executemany(sql, batch)
            conn.execute("COMMIT")
        finally:
            conn.close()
    else:
        assert db.pg_conninfo is not None
        with psycopg.connect(db.pg_conninfo) as pg, pg.cursor() as cur:
            with cur.copy(f"COPY outbox ({columns}) FROM STDIN") as copy:
                for row in _history_rows(n, now):
                    copy.write_row(row)
            pg.commit()
    return time.perf_counter() - started


def add_pending(db: sa.Engine, n: int) -> None:
    """``n`` pending rows an hour old: new rows whose own dispatch never arrived."""
    at = utcnow() - timedelta(hours=1)
    with db.begin() as conn:
        conn.execute(
            sa.insert(OUTBOX),
            [
                {
                    "application_id": None,
                    "user_id": None,
                    "audit_seq": 1,
                    "kind": _KINDS[i % 2],
                    "payload": {},
                    "created_at": at,
                    "status": "pending",
                    "available_at": at,
                    "attempts": 0,
                }
                for i in range(n)
            ],
        )


def _reset(db: sa.Engine, ids: Sequence[int]) -> None:
    with db.begin() as conn:
        conn.execute(
            sa.update(OUTBOX)
            .where(OUTBOX.c.id.in_(list(ids)))
            .values(status="pending", lease_token=None, lease_until=None, dispatched_at=None)
        )


def claim_plan(db: sa.Engine) -> list[str]:
    """The query plan of ``claim_batch``'s SELECT, captured from one real call."""
    from workers.outbox import claim_batch

    captured: list[tuple[str, Any]] = []

    def listen(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and not captured:
            captured.append((statement, params))

    sa.event.listen(db, "before_cursor_execute", listen)
    try:
        _, ids = claim_batch(db, utcnow(), grace=30, lease=LEASE_SECONDS, limit=100)
    finally:
        sa.event.remove(db, "before_cursor_execute", listen)
    _reset(db, ids)
    statement, params = captured[0]
    with db.connect() as conn:
        driver = conn.connection.driver_connection
        assert driver is not None
        cursor = driver.cursor()
        if db.dialect.name == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + statement, params)
            plan = [str(row[-1]) for row in cursor.fetchall()]
        else:
            cursor.execute("EXPLAIN " + statement, params)
            plan = [str(row[0]) for row in cursor.fetchall()]
        cursor.close()
        conn.rollback()
    return plan


def measure_relay(backend: str, history: int, pending: int, reps: int) -> dict[str, Any]:
    """Part 3: claim_batch of ``pending`` rows with no history against ``history`` done rows."""
    from workers.outbox import claim_batch

    with fresh_database(backend) as empty, fresh_database(backend) as full:
        _log(f"3. relay: inserting {history:,} done rows ({backend}) ...")
        insert_seconds = bulk_history(full, history)
        for db in (empty, full):
            add_pending(db.engine, pending)
            if backend != "sqlite":  # what autovacuum does after a bulk load
                with db.engine.connect() as conn:
                    conn.execute(sa.text("ANALYZE outbox"))
                    conn.commit()
        plans = {"empty": claim_plan(empty.engine), "history": claim_plan(full.engine)}
        dbs = {"empty": empty.engine, "history": full.engine}
        times: dict[str, list[float]] = {"empty": [], "history": []}
        for rep in range(reps + 2):
            order = ("empty", "history") if rep % 2 == 0 else ("history", "empty")
            for label in order:
                target = dbs[label]
                began = time.perf_counter()
                _, ids = claim_batch(target, utcnow(), grace=30, lease=LEASE_SECONDS, limit=100)
                took = time.perf_counter() - began
                if len(ids) != min(pending, 100):
                    raise AssertionError(f"{label}: claimed {len(ids)} of {pending}")
                _reset(target, ids)
                if rep >= 2:  # two warm-up rounds
                    times[label].append(took)
        with reading(full.engine) as conn:
            total = int(conn.scalar(sa.select(sa.func.count()).select_from(OUTBOX)) or 0)
    median = {k: statistics.median(v) for k, v in times.items()}
    return {
        "backend": backend,
        "history_rows": history,
        "rows_in_outbox": total,
        "pending": pending,
        "claims": reps,
        "insert_seconds": round(insert_seconds, 1),
        "median_ms": {k: _ms(v) for k, v in median.items()},
        "p90_ms": {k: _ms(percentile(v, 90)) for k, v in times.items()},
        "ratio": round(median["history"] / median["empty"], 3),
        "analyze": backend != "sqlite",
        "plans": plans,
    }


# ------------------------------------------------------------------------------- 4. projection
def project(pipeline: dict[str, Any], basis: str) -> dict[str, Any]:
    """Worker processes for 100,000 certificates a day, from the demo's ``basis`` counts."""
    paths = pipeline["paths"]
    counts: dict[str, float] = paths[basis]["effects_per_certificate"]
    emails = pipeline["emails"]
    packets = pipeline["packets"]["pipeline"]
    service = emails["service_by_kind"]
    kinds = ("email_umkm", "notify_consultant")
    share = {k: service[k]["mean_ms"] / emails["service_all_mean_ms"] for k in kinds}
    # wall: a process's time per effect as measured (2 processes on 2 busy cores); CPU: the
    # worker's CPU time per effect, what a process with a core to itself would need
    seconds = {k: emails["process_s_per_delivery"] * share[k] for k in kinds}
    cpu = {k: emails["worker_cpu_s_per_delivery"] * share[k] for k in kinds}
    for table, per_packet in (
        (seconds, WORKERS * packets["seconds"] / packets["packets"]),
        (cpu, packets["cpu_s_per_packet"]),
    ):
        table["notify_admins"] = table["notify_consultant"]  # the demo office has one admin
        table["render_packet"] = per_packet
        # the email waits for render_packet's PDF and attaches it: an email's work, claimed twice
        table[EMAIL_PACKET] = 2 * table["email_umkm"]
    busy = {kind: counts.get(kind, 0.0) * seconds.get(kind, 0.0) for kind in counts}
    busy_cpu = {kind: counts.get(kind, 0.0) * cpu.get(kind, 0.0) for kind in counts}
    per_certificate = sum(busy.values())
    hours = 8
    peak = CERTIFICATES_PER_DAY / (hours * 3600)
    processes = peak * per_certificate
    processes_cpu = peak * sum(busy_cpu.values())
    return {
        "basis": basis,
        "certificates_per_day": CERTIFICATES_PER_DAY,
        "working_hours": hours,
        "certificates_per_s_at_peak": round(peak, 3),
        "steps_per_certificate": paths[basis]["steps_per_certificate"],
        "transitions_per_s_at_peak": round(peak * paths[basis]["steps_per_certificate"], 1),
        "effects_per_certificate": counts,
        "process_s_per_effect": {k: round(v, 4) for k, v in seconds.items()},
        "cpu_s_per_effect": {k: round(v, 4) for k, v in cpu.items()},
        "process_s_per_certificate": {k: round(v, 3) for k, v in busy.items()},
        "process_s_per_certificate_total": round(per_certificate, 3),
        "cpu_s_per_certificate_total": round(sum(busy_cpu.values()), 3),
        "processes_at_100pct": round(processes, 1),
        "processes_at_70pct": math.ceil(processes / 0.7),
        "processes_cpu_bound_at_100pct": round(processes_cpu, 1),
        "processes_cpu_bound_at_70pct": math.ceil(processes_cpu / 0.7),
    }


# ------------------------------------------------------------------------------- output
def report(result: dict[str, Any]) -> None:
    """Print every part as tables with the verdicts."""
    print("versions: " + ", ".join(f"{k} {v}" for k, v in result["versions"].items()))
    load = result["load_average"]
    print(f"load average (1 min) at start {load['start']:.2f}, at end {load['end']:.2f}")
    pipe = result.get("pipeline")
    if pipe:
        office = pipe["office"]
        print()
        print(
            f"1. pipeline on {office['backend']}: demo office {office['umkm']} UMKM + "
            f"{office['cooperatives']} cooperatives, {office['applications']} applications, "
            f"{office['transitions']} transitions (built in {office['build_seconds']} s), "
            f"+{office['cycling_applications']} halal_regular applications in LPH_AUDIT; "
            f"sertiflow worker --concurrency {WORKERS}, Redis, aiosmtpd sink"
        )
        for lat in pipe["latency"]:
            pace = lat["pace"]
            print(
                f"a. latency: {pace['transitions']} transitions lab_test_required/lab_result_in "
                "(stages without documents: email_umkm + notify_consultant each) at "
                f"{pace['achieved_per_s']}/s (asked {lat['rate']:g}/s; advance + dispatch "
                f"{pace['advance_ms_mean']} ms each, {pace['late_over_50ms']} started > 50 ms "
                f"late); {lat['rows']} rows, {lat['done_in_one_attempt']} done in one attempt, "
                f"retried {lat['retried']}, not done {dict(lat['not_done'])}"
            )
            rows: list[list[object]] = []
            for label, key in (
                ("commit -> task start (first claim)", "commit_to_start"),
                ("commit -> handler's notification row", "commit_to_handler_notification"),
                ("commit -> done", "commit_to_done"),
            ):
                s = lat[key]
                rows.append([label, s["p50_ms"], s["p90_ms"], s["p99_ms"], s["max_ms"]])
            print_table(["interval", "p50 ms", "p90 ms", "p99 ms", "max ms"], rows)
            p99 = lat["commit_to_start"]["p99_ms"] / 1000
            verdict = "meets" if p99 < LATENCY_TARGET_S else "MISSES"
            print(
                f"commit-to-start p99 {p99:.3f} s at {pace['achieved_per_s']} transitions/s "
                f"({verdict} the target < {LATENCY_TARGET_S:g} s); p50 over the first tenth "
                f"{lat['commit_to_start_p50_first_tenth_ms']:,.0f} ms, over the last tenth "
                f"{lat['commit_to_start_p50_last_tenth_ms']:,.0f} ms; {lat['emails']} emails at "
                f"the sink in {lat['seconds_to_last_email']} s = {lat['emails_per_s']}/s; "
                "worker CPU "
                f"{1000 * lat['worker_cpu_s_per_delivery']:.1f} ms per delivery"
            )
        em = pipe["emails"]
        print()
        print(
            f"b. emails: {em['transitions']} transitions' {em['deliveries']} effects dispatched "
            f"at once: {em['emails']} emails in {em['seconds_to_last_email']} s = "
            f"{em['emails_per_s']} emails/s, {em['deliveries_per_s']} deliveries/s; "
            f"{1000 * em['process_s_per_delivery']:.1f} ms of a process per delivery "
            f"(worker CPU {1000 * em['worker_cpu_s_per_delivery']:.1f} ms, of which Celery's "
            f"main process {1000 * em['celery_main_cpu_s_per_delivery']:.1f} ms); not done "
            f"{dict(em['not_done'])}, retried {em['retried']}"
        )
        print_table(
            ["kind", "n", "start->done mean ms", "p50 ms", "p99 ms"],
            [
                [k, v["n"], v["mean_ms"], v["p50_ms"], v["p99_ms"]]
                for k, v in em["service_by_kind"].items()
            ],
        )
        pk = pipe["packets"]
        print()
        print(
            f"c. packets: {pk['bare']['packets']} packets, one per application, in rounds "
            f"{pk['order']}; mix: " + ", ".join(f"{k} {v}" for k, v in pk["mix"].items())
        )
        print_table(
            ["path", "packets", "outcomes", "pages", "wall s", "packets/s", "A, B", "CPU s each"],
            [
                [
                    label,
                    pk[key]["packets"],
                    ", ".join(f"{k} {v}" for k, v in pk[key]["outcomes"].items()),
                    pk[key]["pages"],
                    pk[key]["seconds"],
                    pk[key]["packets_per_s"],
                    ", ".join(f"{r:.2f}" for r in pk[key]["round_packets_per_s"]),
                    pk[key]["cpu_s_per_packet"],
                ]
                for label, key in (
                    (f"bare issue_packet x{WORKERS} (multiprocessing)", "bare"),
                    (f"pipeline: outbox + Celery x{WORKERS}", "pipeline"),
                )
            ],
        )
        verdict = "meets" if pk["ratio"] >= PACKET_RATIO_TARGET else "MISSES"
        print(
            f"pipeline / bare = {pk['ratio']:.3f} packets/s ({verdict} the target >= "
            f"{PACKET_RATIO_TARGET}); CPU per packet bare / pipeline = {pk['cpu_ratio']:.3f}; "
            f"same packets and pages: {pk['same_work']}; Celery's main process "
            f"{pk['pipeline']['celery_main_cpu_s_per_packet']:.3f} CPU s per packet; warm-up "
            f"packets per pool process: {pk['pipeline']['warmups_by_process']}"
        )
        race = pipe.get("race")
        if race:
            rp, em = race["by_kind"]["render_packet"], race["by_kind"]["email_umkm"]
            print()
            print(
                f"d. {race['transitions']} transitions into {race['stage']}, one at a time: "
                f"render_packet {rp['outcomes']} in {rp['service_mean_ms']:,.0f} ms on average, "
                f"email_umkm {em['outcomes']} ({em['packet_attached']} with the packet attached) "
                f"in {em['service_mean_ms']:,.0f} ms (claim to done, a wait for the packet "
                f"included); render_packet issued {rp['outcomes'].get('issued', 0)} of "
                f"{race['transitions']} packets itself (had the email laid one out first, it "
                "would show as 'reused')"
            )
        if pipe["worker_log_warnings"]:
            print("worker log warnings: " + " | ".join(pipe["worker_log_warnings"]))
    dis = result.get("dispatch")
    if dis:
        print()
        print(
            f"2. dispatch cost: {dis['transitions']} x {dis['trigger']} (3 effects) on SQLite, "
            f"{dis['rounds']} interleaved rounds; {dis['messages_queued']} messages queued in "
            f"Redis for {dis['outbox_rows_written']} outbox rows (no worker)"
        )
        rows = [
            [
                label,
                dis["rate_per_s"][key],
                f"{min(dis['round_rates_per_s'][key]):,.0f}-"
                f"{max(dis['round_rates_per_s'][key]):,.0f}",
                dis["ms_per_transition"][key],
            ]
            for label, key in (("dispatch=None", "none"), ("Dispatcher (Redis)", "dispatch"))
        ]
        print_table(["engine", "transitions/s", "rounds", "ms each"], rows)
        verdict = "meets" if dis["time_ratio"] <= DISPATCH_TARGET else "MISSES"
        print(
            f"time with / without = {dis['time_ratio']:.3f} (+{dis['added_ms_per_transition']:.3f}"
            f" ms per transition; {verdict} the target <= {DISPATCH_TARGET:.2f}); one Dispatcher "
            f"call of 3 ids alone: {dis['publish_only_us_per_call_of_3']:.0f} us"
        )
        prof = dis.get("profile")
        if prof:
            print(
                f"cProfile, {prof['transitions']} transitions each way: Dispatcher.__call__ "
                f"{prof['dispatcher_call_us_per_transition']:.0f} us per transition; own time "
                "per transition by library (profiled, so inflated):"
            )
            print_table(
                ["where", "dispatch=None us", "Dispatcher us", "added us"],
                [
                    [r["where"], r["none"], r["dispatch"], r["added"]]
                    for r in prof["own_us_per_transition"]
                    if abs(r["added"]) >= 1
                ],
            )
            print("the publish step by step (cumulative us per transition, profiled):")
            print_table(
                ["step", "calls", "us"],
                [[r["step"], r["calls"], r["us"]] for r in prof["steps_us_per_transition"]],
            )
    rel = result.get("relay")
    if rel:
        print()
        print(
            f"3. relay: claim_batch of {rel['pending']} pending rows on {rel['backend']}, "
            f"{rel['claims']} interleaved claims each ({rel['history_rows']:,} done rows "
            f"inserted in {rel['insert_seconds']} s"
            + ("; ANALYZE after the load)" if rel["analyze"] else "; no ANALYZE, as in use)")
        )
        print_table(
            ["outbox", "median ms", "p90 ms"],
            [
                [
                    f"{rel['pending']} pending, 0 done",
                    rel["median_ms"]["empty"],
                    rel["p90_ms"]["empty"],
                ],
                [
                    f"{rel['pending']} pending, {rel['history_rows']:,} done",
                    rel["median_ms"]["history"],
                    rel["p90_ms"]["history"],
                ],
            ],
        )
        print(f"ratio history / empty = {rel['ratio']:.2f} (should be ~1)")
        for label, plan in rel["plans"].items():
            print(f"  plan ({label}): " + " | ".join(p.strip() for p in plan))
    proj = result.get("projection")
    if proj:
        print()
        print(
            f"4. projection: {proj['certificates_per_day']:,} certificates a day in "
            f"{proj['working_hours']} working hours = {proj['certificates_per_s_at_peak']} "
            f"certificates/s; demo basis '{proj['basis']}': {proj['steps_per_certificate']} "
            f"steps per certificate = {proj['transitions_per_s_at_peak']} transitions/s"
        )
        print_table(
            ["effect", "per certificate", "process s each", "CPU s each", "process s/cert"],
            [
                [
                    k,
                    proj["effects_per_certificate"][k],
                    proj["process_s_per_effect"].get(k, ""),
                    proj["cpu_s_per_effect"].get(k, ""),
                    proj["process_s_per_certificate"][k],
                ]
                for k in sorted(proj["effects_per_certificate"])
            ],
        )
        print(
            f"{proj['process_s_per_certificate_total']} process-seconds per certificate -> "
            f"{proj['processes_at_100pct']} worker processes busy all the time; "
            f"{proj['processes_at_70pct']} at 70 % utilisation (a core each); from CPU time "
            f"({proj['cpu_s_per_certificate_total']} s per certificate, a core per process): "
            f"{proj['processes_cpu_bound_at_100pct']} at 100 %, "
            f"{proj['processes_cpu_bound_at_70pct']} at 70 %"
        )
        print(
            f"({EMAIL_PACKET}: email_umkm into a UMKM-court stage with documents waits for "
            "render_packet's PDF and attaches it: counted as two emails' work)"
        )
        other = result.get("projection_office_wide")
        if other:
            print(
                f"office-wide basis (every step of the demo's year over its certificates: "
                f"{other['steps_per_certificate']} steps): {other['processes_at_100pct']} "
                f"processes at 100 %, {other['processes_at_70pct']} at 70 % (CPU-bound: "
                f"{other['processes_cpu_bound_at_100pct']} and "
                f"{other['processes_cpu_bound_at_70pct']})"
            )
    print()
    print(f"total {result['total_seconds']} s")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    add = parser.add_argument
    add("--db", choices=("sqlite", "postgresql"), default="sqlite", help="parts 1 and 3")
    add("--redis", default="redis://127.0.0.1:6379/13", help="a Redis database of its own")
    add("--apps", type=int, default=150, help="demo UMKM and applications (150)")
    add("--seed", type=int, default=7, help="demo random seed (7)")
    add("--latency-apps", type=int, default=200, help="applications the latency phase moves")
    add("--transitions", type=int, default=1000, help="transitions in the latency phase (1000)")
    add("--rate", type=float, default=50.0, help="transitions per second there (50)")
    add(
        "--extra-rate",
        type=float,
        default=15.0,
        help="then a second latency run at this rate (15; 0: none)",
    )
    add("--extra-transitions", type=int, default=300, help="transitions of that run (300)")
    add(
        "--race",
        type=int,
        default=6,
        help="transitions into a UMKM-court packet stage, one at a time (6; 0: none)",
    )
    add("--burst", type=int, default=300, help="transitions whose effects go at once (300)")
    add("--packets", type=int, default=80, help="packets through bare and pipeline (80)")
    add("--dispatch-n", type=int, default=3000, help="timed transitions per method, part 2")
    add("--warmup", type=int, default=200, help="untimed transitions per method, part 2")
    add("--rounds", type=int, default=10, help="interleaved rounds, part 2")
    add("--history", type=int, default=1_000_000, help="done rows in part 3 (1,000,000)")
    add("--claims", type=int, default=20, help="timed claims per outbox, part 3")
    add(
        "--only",
        choices=("pipeline", "dispatch", "relay"),
        action="append",
        help="run only this part (repeatable; the projection needs pipeline)",
    )
    add("--profile", action="store_true", help="cProfile the dispatch even within target")
    add("--top", type=int, default=12, help="functions listed by the profile")
    add("--json", action="store_true", help="print one JSON object")
    add("--save", type=Path, help="also write the JSON object to this file")
    args = parser.parse_args(argv)
    if min(args.apps, args.latency_apps, args.transitions, args.burst, args.packets) < 1:
        parser.error("counts must be positive")
    if min(args.dispatch_n, args.rounds, args.history, args.claims) < 1 or args.rate < 0:
        parser.error("counts must be positive")
    signal.signal(signal.SIGTERM, _on_sigterm)
    only = set(args.only or ("pipeline", "dispatch", "relay"))
    started = time.perf_counter()
    load_start = os.getloadavg()[0]
    result: dict[str, Any] = {"benchmark": "workers", "versions": versions()}
    if "dispatch" in only:
        _log(f"2. dispatch cost: {args.dispatch_n} transitions per method ...")
        result["dispatch"] = measure_dispatch(
            args.redis, args.dispatch_n, args.warmup, args.rounds, args.profile, args.top
        )
    if "relay" in only:
        result["relay"] = measure_relay(args.db, args.history, 100, args.claims)
    if "pipeline" in only:
        result["pipeline"] = measure_pipeline(args, args.redis)
        result["projection"] = project(result["pipeline"], "path")
        result["projection_office_wide"] = project(result["pipeline"], "office_wide")
    result["load_average"] = {"start": load_start, "end": os.getloadavg()[0]}
    result["total_seconds"] = round(time.perf_counter() - started, 1)
    text = json.dumps(result, indent=2, default=str)
    if args.save:
        args.save.write_text(text + "\n")
    if args.json:
        print(text)
    else:
        report(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
