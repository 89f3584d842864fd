"""``sertiflow serve`` on an office without a broker runs the embedded worker beside the web
app, as ``make run`` does: the outbox is delivered while the pages are served, and SIGTERM stops
both. SQLite only: the processes, not the database, are under test."""

from __future__ import annotations

import gc
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import AbstractContextManager
from pathlib import Path
from subprocess import Popen

import pytest
from anyio.to_thread import current_default_thread_limiter
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.pool import QueuePool

from tests.conftest import sqlite_db
from tests.services import serving, wait_for
from tests.support import Clock, drive, seed_office
from web.app import THREADS, app_from_env, create_app, threads_from_env
from workflow.ledger import OUTBOX
from workflow.persistence.database import connect
from workflow.settings import Settings, SettingsError


def _serving(folder: Path, *options: str) -> AbstractContextManager[tuple[str, Popen[bytes]]]:
    """``sertiflow serve`` on the office in ``folder``, without a broker."""
    env = {
        "SERTIFLOW_DATABASE_URL": f"sqlite:///{folder / 'office.db'}",
        "SERTIFLOW_MAIL_DIR": str(folder / "mail"),
        "SERTIFLOW_STORAGE_DIR": str(folder / "packets"),
        "SERTIFLOW_BROKER_URL": "",
    }
    return serving(folder, env, *options)


def _statuses(folder: Path) -> list[str]:
    db = connect(f"sqlite:///{folder / 'office.db'}")
    try:
        with db.connect() as conn:
            return sorted(conn.scalars(select(OUTBOX.c.status)))
    finally:
        db.dispose()


def test_serve_delivers_the_outbox_with_its_embedded_worker_and_stops_on_sigterm(
    tmp_path: Path,
) -> None:
    db = sqlite_db(tmp_path / "office.db")
    office = seed_office(db, Clock())
    app = office.workflow.open_application(office.nib, "halal_regular", office.consultant)
    drive(office, app, "start_document_preparation")
    db.dispose()
    assert "pending" in _statuses(tmp_path)

    with _serving(tmp_path, "--no-worker"):
        time.sleep(3)  # what the embedded worker would have delivered by now
        assert not list(tmp_path.glob("mail/**/*.eml"))
    assert "pending" in _statuses(tmp_path)

    with _serving(tmp_path) as (_url, process):
        wait_for(lambda: "pending" not in _statuses(tmp_path), 90, "the outbox delivered")
        os.kill(process.pid, signal.SIGTERM)
        assert process.wait(timeout=60) == 0
    assert list(tmp_path.glob("mail/**/*.eml"))
    assert "leased" not in _statuses(tmp_path)
    log = (tmp_path / "serve.log").read_text()
    assert "embedded worker running" in log and "Traceback" not in log


def test_a_served_app_compiles_its_pages_first_and_leaves_them_to_no_collection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What start-up built is frozen out of the garbage collector's rounds, the pages'
    templates with it (each full round walked all of it: a 50-row page rendered 3x slower)."""
    engine = sqlite_db(tmp_path / "sertiflow.db")
    engine.dispose()
    monkeypatch.setenv("SERTIFLOW_DATABASE_URL", f"sqlite:///{tmp_path / 'sertiflow.db'}")
    monkeypatch.setenv("SERTIFLOW_SECRET_KEY", "s" * 48)
    gc.unfreeze()
    try:
        web = app_from_env().state.web
        frozen = gc.get_freeze_count()
        assert frozen > 50_000
        cached = web.env.cache
        assert cached is not None
        names = {name for _, name in cached}
        assert names >= set(web.env.list_templates(extensions=["j2"]))
        assert "workspace/queue.html.j2" in names
    finally:
        gc.unfreeze()


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _sockets_on(port: int, state: str) -> set[int]:
    """The inodes of the TCP sockets whose local port is ``port``, in ``state`` (``0A``
    listening, ``01`` established), from ``/proc/net/tcp``."""
    inodes: set[int] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == state:
                inodes.add(int(fields[9]))
    return inodes


def _held_by(pid: int, inodes: set[int]) -> int:
    """How many of ``inodes``' sockets process ``pid`` has open."""
    held = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:[") and int(target[8:-1]) in inodes:
            held += 1
    return held


def test_each_worker_listens_on_its_own_socket_and_gets_its_share_of_connections(
    tmp_path: Path,
) -> None:
    """``--workers 2``: two listening sockets (``SO_REUSEPORT``), one in each worker, and 40
    keep-alive clients spread over both, where one shared socket let one worker take them all."""
    sqlite_db(tmp_path / "office.db").dispose()
    with _serving(tmp_path, "--no-worker", "--workers", "2") as (url, process):
        port = int(url.rsplit(":", 1)[1])
        workers = _children(process.pid)
        wait_for(lambda: len(_sockets_on(port, "0A")) == 2, 30, "both workers listening")
        listening = _sockets_on(port, "0A")
        held = [_held_by(pid, listening) for pid in workers]
        assert sorted(h for h in held if h) == [1, 1], held  # (a resource tracker holds none)
        assert _held_by(process.pid, listening) == 0  # the supervisor holds none
        clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(40)]
        try:
            for client in clients:
                client.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            for client in clients:
                assert client.recv(1024).startswith(b"HTTP/1.1 200")
            connected = _sockets_on(port, "01")
            shares = sorted(_held_by(pid, connected) for pid in workers)
            assert sum(shares) == 40 and shares[-2] >= 8, shares
        finally:
            for client in clients:
                client.close()


def test_serve_refuses_a_port_in_use_and_says_so(tmp_path: Path) -> None:
    """A second ``sertiflow serve`` on a port is refused, not silently made a third worker."""
    sqlite_db(tmp_path / "office.db").dispose()
    with _serving(tmp_path, "--no-worker", "--workers", "2") as (url, _process):
        port = url.rsplit(":", 1)[1]
        second = subprocess.run(
            [sys.executable, "-m", "sertiflow", "serve", "--port", port, "--workers", "2"],
            env={**os.environ, "SERTIFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'office.db'}"},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert second.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in second.stderr
    assert "choose another with --port" in second.stderr


def test_the_app_takes_as_many_requests_at_once_as_it_has_threads_and_a_connection_each(
    tmp_path: Path,
) -> None:
    """A worker runs at most ``threads`` page handlers at once (anyio's default is 40, and
    forty threads contending for the interpreter were slower than four), and keeps a database
    connection open for each, plus two."""
    sqlite_db(tmp_path / "office.db").dispose()
    env = {"SERTIFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'office.db'}"}
    app = create_app(
        Settings.from_env(env), threads=threads_from_env({"SERTIFLOW_WEB_THREADS": "3"})
    )

    @app.get("/tokens")
    async def tokens() -> dict[str, float]:
        return {"tokens": current_default_thread_limiter().total_tokens}

    with TestClient(app) as client:  # runs the lifespan, as uvicorn does
        assert client.get("/tokens").json() == {"tokens": 3}
    pool = app.state.web.db.pool
    assert isinstance(pool, QueuePool) and pool.size() == 5
    assert threads_from_env({}) == THREADS == 4
    for wrong in ("0", "65", "four", "-1", "2.5"):
        with pytest.raises(SettingsError, match="SERTIFLOW_WEB_THREADS must be a whole number"):
            threads_from_env({"SERTIFLOW_WEB_THREADS": wrong})
