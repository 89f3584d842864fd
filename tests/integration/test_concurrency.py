"""Several processes writing at once: one winner per application, no lost or doubled steps."""

from __future__ import annotations

import multiprocessing
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine, func, insert, select

from tests.support import Office
from workflow.engine import Engine as Workflow
from workflow.errors import ConflictError, SertiflowError
from workflow.ledger import APPLICATIONS, AUDIT, Step, record
from workflow.persistence.database import connect

_SPAWN = multiprocessing.get_context("spawn")


def _advance_after_barrier(
    url: str, app_id: int, username: str, version: int | None, barrier: Any, results: Any
) -> None:
    db = connect(url)
    workflow = Workflow(db)
    barrier.wait()
    try:
        workflow.advance(app_id, "start_document_preparation", username, expected_version=version)
        results.put("moved")
    except SertiflowError as error:
        results.put(type(error).__name__)
    finally:
        db.dispose()


def _advance_many(url: str, app_ids: list[int], username: str, results: Any) -> None:
    db = connect(url)
    workflow = Workflow(db)
    failures = 0
    for app_id in app_ids:
        try:
            workflow.advance(app_id, "start_document_preparation", username)
        except Exception:  # any failure counts, "database is locked" included
            failures += 1
    results.put(failures)
    db.dispose()


def _url(db: Engine) -> str:
    return db.url.render_as_string(hide_password=False)


def _counts(db: Engine, app_id: int) -> tuple[int, int, str]:
    with db.connect() as conn:
        audit_rows = conn.scalar(
            select(func.count()).select_from(AUDIT).where(AUDIT.c.application_id == app_id)
        )
        version, state = conn.execute(
            select(APPLICATIONS.c.version, APPLICATIONS.c.state).where(APPLICATIONS.c.id == app_id)
        ).one()
    return int(audit_rows or 0), int(version), str(state)


@pytest.mark.parametrize("expected_version", [1, None])
def test_two_processes_advancing_one_application_give_one_success_and_one_clear_refusal(
    office: Office, expected_version: int | None
) -> None:
    app_id = office.workflow.open_application(office.nib, "halal_regular", office.consultant)
    office.workflow.reassign(app_id, office.consultant, office.admin)  # version 2 now
    version = None if expected_version is None else 2
    barrier = _SPAWN.Barrier(2)
    results = _SPAWN.Queue()
    workers = [
        _SPAWN.Process(
            target=_advance_after_barrier,
            args=(_url(office.db), app_id, user, version, barrier, results),
        )
        for user in (office.consultant, office.admin)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    outcomes = sorted(results.get(timeout=5) for _ in workers)
    assert outcomes[1] == "moved" and outcomes[0] in ("ConflictError", "TriggerNotAllowed")
    assert _counts(office.db, app_id) == (3, 3, "DOC_PREPARATION")


def test_a_write_based_on_a_stale_read_is_refused_and_writes_nothing(office: Office) -> None:
    app_id = office.workflow.open_application(office.nib, "trademark", office.consultant)
    with office.db.connect() as conn:
        stale = office.workflow.application(conn, app_id)
    office.workflow.advance(app_id, "start_document_preparation", office.consultant)
    before = _counts(office.db, app_id)
    with office.db.connect() as conn:
        actor = office.workflow.actor(conn, office.consultant)
    step = Step(
        app_id,
        datetime(2026, 11, 3),
        actor,
        "PLUT",
        "cancel",
        "INTAKE",
        "CANCELLED",
        "trademark",
        1,
    )
    with (
        pytest.raises(
            ConflictError,
            match=f"#{app_id} was changed by someone else .*; reload it and try again$",
        ),
        office.db.begin() as conn,
    ):
        record(conn, stale, step, {"state": "CANCELLED"}, ["email_umkm"])
    assert _counts(office.db, app_id) == before


def test_two_writer_processes_on_one_sqlite_file_never_fail_with_database_locked(
    sqlite_only: Engine,
) -> None:
    from tests.support import seed_office

    office = seed_office(sqlite_only)
    ids = [
        office.workflow.open_application(nib, process, office.consultant)
        for nib in (office.nib, office.other_nib)
        for process in ("halal_regular", "trademark", "sni", "halal_self_declare")
    ]
    with sqlite_only.begin() as conn:  # many more applications, cloned cheaply for the race
        columns = [c for c in APPLICATIONS.c if c.name != "id"]
        originals = select(*columns).where(APPLICATIONS.c.id <= len(ids))
        for _ in range(30):
            conn.execute(insert(APPLICATIONS).from_select([c.name for c in columns], originals))
        all_ids = list(conn.scalars(select(APPLICATIONS.c.id)))
    assert len(all_ids) == len(ids) * 31
    half = len(all_ids) // 2
    results = _SPAWN.Queue()
    workers = [
        _SPAWN.Process(
            target=_advance_many, args=(_url(sqlite_only), chunk, office.consultant, results)
        )
        for chunk in (all_ids[:half], all_ids[half:])
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
    assert [results.get(timeout=5) for _ in workers] == [0, 0]
    with sqlite_only.connect() as conn:
        moved = conn.scalar(
            select(func.count()).select_from(APPLICATIONS).where(APPLICATIONS.c.state != "INTAKE")
        )
    assert moved == len(all_ids)
