"""``sertiflow serve`` on an office without a broker runs the embedded worker beside the web
app, as ``make run`` does: the outbox is delivered while the pages are served, and SIGTERM stops
both. SQLite only: the processes, not the database, are under test."""

from __future__ import annotations

import gc
import os
import signal
import time
from contextlib import AbstractContextManager
from pathlib import Path
from subprocess import Popen

import pytest
from sqlalchemy import select

from tests.conftest import sqlite_db
from tests.services import serving, wait_for
from tests.support import Clock, drive, seed_office
from web.app import app_from_env
from workflow.ledger import OUTBOX
from workflow.persistence.database import connect


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
