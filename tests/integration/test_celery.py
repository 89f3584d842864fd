"""Real Celery workers on a real Redis: a killed worker, a broker that goes away, several workers
and relays at once, and beat's relay. Every effect is delivered, none twice (counted)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, update

from tests.conftest import sqlite_db
from tests.services import (
    ROOT,
    SERTIFLOW,
    Processes,
    SmtpSink,
    free_port,
    service_missing,
    wait_for,
)
from tests.support import Clock, Office, drive, seed_office
from workers.app import Dispatcher, make_celery, relay
from workers.context import WorkerContext
from workers.dispatch import BackgroundDispatch
from workflow.engine import utcnow
from workflow.ledger import OUTBOX, USERS
from workflow.persistence.database import connect
from workflow.persistence.schema import IssuedPacket, table
from workflow.settings import Settings

pytestmark = pytest.mark.slow
PACKETS = table(IssuedPacket)
CONSULTANT_EMAIL = "rina@plut.example.id"


def live_office(db: Engine) -> Office:
    """A seeded office on the real clock (workers in other processes use the real clock)."""
    office = seed_office(db, Clock(utcnow()))
    office.workflow.clock = utcnow
    with db.begin() as conn:
        conn.execute(
            update(USERS)
            .where(USERS.c.username == office.consultant)
            .values(email=CONSULTANT_EMAIL)
        )
    return office


def worker_env(db_url: str, broker: str, sink: SmtpSink, tmp_path: Path) -> dict[str, str]:
    return {
        "SERTIFLOW_DATABASE_URL": db_url,
        "SERTIFLOW_BROKER_URL": broker,
        "SERTIFLOW_STORAGE_DIR": str(tmp_path / "packets"),
        "SERTIFLOW_MAIL_DIR": str(tmp_path / "mail"),
        "SERTIFLOW_CHECKPOINT_DIR": str(tmp_path / "checkpoints"),
        "SERTIFLOW_LEASE_SECONDS": "10",
        "SERTIFLOW_RELAY_GRACE_SECONDS": "1",
        "SERTIFLOW_RELAY_INTERVAL_SECONDS": "1",
        **sink.env(),
    }


def start_worker(processes: Processes, name: str, env: dict[str, str], concurrency: int = 1) -> Any:
    process = processes.start(
        name, [SERTIFLOW, "worker", f"--concurrency={concurrency}", "--loglevel=INFO"], env
    )
    wait_for(lambda: " ready." in processes.log(name), 60, f"{name} to be ready")
    return process


def outbox_rows(db: Engine) -> list[dict[str, Any]]:
    with db.connect() as conn:
        return [dict(r) for r in conn.execute(select(OUTBOX).order_by(OUTBOX.c.id)).mappings()]


def all_done(db: Engine) -> bool:
    return all(r["status"] == "done" for r in outbox_rows(db))


def assert_each_email_once(db: Engine, sink: SmtpSink) -> None:
    """Every email the rows say they sent arrived exactly once; nothing else arrived."""
    by_id = Counter(r.message["Message-ID"] for r in sink.received)
    assert by_id and max(by_id.values()) == 1, by_id.most_common(3)
    expected = 0
    for row in outbox_rows(db):
        result = row["result"] or {}
        if row["kind"] == "email_umkm":
            assert result["message_id"] in by_id
            expected += 1
        expected += len(result.get("emailed", []))
    assert sum(by_id.values()) == expected


def assert_each_packet_once(db: Engine) -> None:
    with db.connect() as conn:
        counts = conn.execute(
            select(
                PACKETS.c.application_id, PACKETS.c.state, PACKETS.c.lang, func.count()
            ).group_by(PACKETS.c.application_id, PACKETS.c.state, PACKETS.c.lang)
        ).all()
    assert counts and all(count == 1 for *_, count in counts), counts


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    engine = sqlite_db(tmp_path / "office.db")
    engine.dispose()
    yield f"sqlite:///{tmp_path / 'office.db'}"


def test_a_worker_killed_while_rendering_a_packet_leaves_it_issued_once_after_restart(
    sqlite_url: str, redis_url: str, smtp_sink: SmtpSink, processes: Processes, tmp_path: Path
) -> None:
    db = connect(sqlite_url)
    office = live_office(db)
    env = worker_env(sqlite_url, redis_url, smtp_sink, tmp_path)
    settings = Settings.from_env(env)
    app = make_celery(settings)
    office.workflow.dispatch = Dispatcher(app)
    first = start_worker(processes, "worker-1", env)
    app_id = office.workflow.open_application(office.nib, "trademark", office.consultant)
    wait_for(lambda: all_done(db), 60, "the opening's effects")
    result = drive(office, app_id, "start_document_preparation")
    [packet_row] = [
        r
        for r in outbox_rows(db)
        if r["audit_seq"] == result.audit_seq and r["kind"] == "render_packet"
    ]

    def rendering() -> bool:
        row = next(r for r in outbox_rows(db) if r["id"] == packet_row["id"])
        return bool(row["status"] == "leased" and row["attempts"] == 1)

    wait_for(rendering, 60, "the packet task to start")
    processes.kill(first, signal.SIGKILL)  # the whole worker: main process and children
    with db.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(PACKETS)) == 0  # killed mid-render
    start_worker(processes, "worker-2", env)
    ctx = WorkerContext.build(settings, db=db)

    def relayed_and_done() -> bool:
        relay(ctx, Dispatcher(app))
        return all_done(db)

    wait_for(relayed_and_done, 90, "the relay to hand the packet to the new worker")
    row = next(r for r in outbox_rows(db) if r["id"] == packet_row["id"])
    assert row["status"] == "done" and row["attempts"] == 2
    assert_each_packet_once(db)
    with db.connect() as conn:
        content_hash = str(conn.scalar(select(PACKETS.c.content_hash)))
    assert (tmp_path / "packets" / content_hash[:2] / f"{content_hash}.pdf").is_file()
    assert_each_email_once(db, smtp_sink)


def test_effects_of_steps_taken_while_redis_is_down_are_delivered_once_it_is_back(
    sqlite_url: str, smtp_sink: SmtpSink, processes: Processes, tmp_path: Path
) -> None:
    port = free_port()
    redis_args = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    redis_args += ["--appendonly", "no"]
    try:
        broker = processes.start("redis", redis_args, {})
    except FileNotFoundError as error:
        service_missing("redis-server", error)
    broker_url = f"redis://127.0.0.1:{port}/0"
    wait_for(lambda: "Ready to accept connections" in processes.log("redis"), 20, "redis")
    db = connect(sqlite_url)
    office = live_office(db)
    env = worker_env(sqlite_url, broker_url, smtp_sink, tmp_path)
    settings = Settings.from_env(env)
    app = make_celery(settings)
    office.workflow.dispatch = Dispatcher(app)
    start_worker(processes, "worker", env)
    first = office.workflow.open_application(office.nib, "halal_self_declare", office.consultant)
    wait_for(lambda: all_done(db), 60, "effects while Redis is up")
    processes.kill(broker, signal.SIGKILL)
    timings = []
    second = None
    for step in range(4):  # every step succeeds, quickly, while the broker is gone
        started = time.monotonic()
        if step == 0:
            second = office.workflow.open_application(
                office.other_nib, "trademark", office.consultant
            )
        elif step == 1:
            drive(office, second, "start_document_preparation")  # type: ignore[arg-type]
        elif step == 2:
            drive(office, first, "start_document_preparation")
        else:
            drive(office, first, "cancel")
        timings.append(time.monotonic() - started)
    assert max(timings) < 5, timings
    pending = [r for r in outbox_rows(db) if r["status"] != "done"]
    assert len(pending) >= 6 and {r["status"] for r in pending} == {"pending"}
    processes.start("redis-again", redis_args, {})
    wait_for(lambda: "Ready to accept connections" in processes.log("redis-again"), 20, "redis")
    ctx = WorkerContext.build(settings, db=db)

    def relayed_and_done() -> bool:
        relay(ctx, Dispatcher(app))
        return all_done(db)

    wait_for(relayed_and_done, 120, "every effect after Redis came back")
    assert_each_email_once(db, smtp_sink)
    assert_each_packet_once(db)


def test_two_workers_and_two_relays_on_postgresql_deliver_each_effect_once(
    pg_url: str, redis_url: str, smtp_sink: SmtpSink, processes: Processes, tmp_path: Path
) -> None:
    from tests.conftest import _truncate_all

    db = connect(pg_url)
    _truncate_all(db)
    office = live_office(db)
    env = worker_env(pg_url, redis_url, smtp_sink, tmp_path)
    settings = Settings.from_env(env)
    app = make_celery(settings)
    for name in ("worker-a", "worker-b"):
        start_worker(processes, name, env)
    stop = threading.Event()

    def relay_loop() -> None:
        ctx = WorkerContext.build(settings, db=connect(pg_url))
        while not stop.is_set():
            relay(ctx, Dispatcher(app), limit=3)
            stop.wait(0.3)

    relays = [threading.Thread(target=relay_loop) for _ in range(2)]
    for thread in relays:
        thread.start()
    try:
        # half the steps dispatch after commit (as the runtime does: batched from a thread, a
        # worker fanning a batch out), half are left to the relays
        background = BackgroundDispatch(lambda: Dispatcher(app).batch)
        for index, (nib, process) in enumerate(
            [(n, p) for n in (office.nib, office.other_nib) for p in ("trademark", "halal_regular")]
        ):
            office.workflow.dispatch = background if index % 2 else None
            app_id = office.workflow.open_application(nib, process, office.consultant)
            drive(office, app_id, "start_document_preparation")
        wait_for(lambda: all_done(db), 120, "every effect")
    finally:
        stop.set()
        for thread in relays:
            thread.join()
    assert len(outbox_rows(db)) >= 16
    logs = processes.log("worker-a") + processes.log("worker-b")
    assert "workers.fan_out" in logs  # a batch went out as one message and a worker split it
    assert_each_email_once(db, smtp_sink)
    assert_each_packet_once(db)


def test_beat_relays_rows_whose_dispatch_never_happened(
    sqlite_url: str, redis_url: str, smtp_sink: SmtpSink, processes: Processes, tmp_path: Path
) -> None:
    db = connect(sqlite_url)
    office = live_office(db)  # no dispatcher: as if the process died between commit and send
    env = worker_env(sqlite_url, redis_url, smtp_sink, tmp_path)
    start_worker(processes, "worker", env)
    schedule = tmp_path / "beat-schedule"
    processes.start("beat", [SERTIFLOW, "beat", f"--schedule={schedule}"], env)
    office.workflow.open_application(office.nib, "trademark", office.consultant)
    wait_for(lambda: all_done(db), 60, "beat's relay to deliver")
    assert_each_email_once(db, smtp_sink)


def test_ci_fails_rather_than_skips_when_redis_is_missing(tmp_path: Path) -> None:
    probe = tmp_path / "test_probe.py"
    probe.write_text("def test_needs_redis(redis_url):\n    pass\n")
    env = {"CI": "true", "SERTIFLOW_TEST_REDIS_PORT": str(free_port())}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "tests.services", str(probe)],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        cwd=ROOT,
        timeout=120,
    )
    assert run.returncode == 1, run.stdout
    assert "CI needs it" in run.stdout
