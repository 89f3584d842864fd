"""``verify_audit`` over a real database finds every kind of tampering, on both backends."""

from __future__ import annotations

import threading
import time
from datetime import datetime

import pytest
from sqlalchemy import Engine, delete, select, update

from tests.support import TRADEMARK_EVIDENCE, Office, seed_office
from workflow.audit import entry_hash
from workflow.ledger import APPLICATIONS, AUDIT
from workflow.persistence.database import reading
from workflow.verification import verify_audit


def _moved_application(office: Office) -> int:
    app = office.workflow.open_application(
        office.nib, "trademark", office.consultant, details={"mark_name": "SAGU IBU ANA"}
    )
    office.give_evidence(office.nib, TRADEMARK_EVIDENCE, app=app)
    for trigger in (
        "start_document_preparation",
        "billing_paid_and_submitted",
        "formality_exam_started",
    ):
        office.clock.advance(days=1)
        office.workflow.advance(app, trigger, office.consultant)
    return app


def _problems(office: Office) -> list[str]:
    with office.db.connect() as conn:
        report = verify_audit(conn, office.workflow.registry)
    return [f"{p.application_id}:{p.seq}:{p.problem}" for p in report.problems]


def test_an_untouched_log_verifies(office: Office) -> None:
    app = _moved_application(office)
    office.workflow.open_application(office.other_nib, "sni", office.consultant)
    with office.db.connect() as conn:
        report = verify_audit(conn, office.workflow.registry)
    assert (report.ok, report.applications, report.entries) == (True, 2, 6)
    with office.db.connect() as conn:  # opened, its mark recorded, three steps
        assert verify_audit(conn, office.workflow.registry, app).entries == 5


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        (
            update(AUDIT).where(AUDIT.c.seq == 2).values(note="diubah"),
            ":2:content does not match its hash",
        ),
        (
            update(AUDIT).where(AUDIT.c.seq == 3).values(actor_role="admin"),
            ":3:content does not match its hash",
        ),
        (delete(AUDIT).where(AUDIT.c.seq == 2), "rows deleted or inserted"),
        (delete(AUDIT).where(AUDIT.c.seq == 5), "the tail was removed"),
        (update(APPLICATIONS).values(state="MARK_ACTIVE"), "the application says MARK_ACTIVE"),
    ],
)
def test_each_kind_of_tampering_is_reported(office: Office, tamper: object, expected: str) -> None:
    _moved_application(office)
    with office.db.begin() as conn:
        conn.execute(tamper)  # type: ignore[call-overload]
    problems = _problems(office)
    assert any(expected in p for p in problems), problems


def test_verify_while_the_office_works_never_cries_wolf(office: Office) -> None:
    """Writers keep moving applications during every verify; the snapshot stays consistent."""
    apps = [
        office.workflow.open_application(
            nib,
            process,
            office.consultant,
            details={"mark_name": "SAGU"} if process == "trademark" else None,
        )
        for nib in (office.nib, office.other_nib)
        for process in ("trademark", "sni")
    ]
    office.give_evidence(office.nib, TRADEMARK_EVIDENCE, app=apps[0])
    office.give_evidence(office.other_nib, TRADEMARK_EVIDENCE, app=apps[2])
    stop = threading.Event()
    steps = [0]
    errors: list[Exception] = []

    def work() -> None:  # reassign back and forth: a step that is always allowed
        turn = 0
        while not stop.is_set():
            who = (office.other_consultant, office.consultant)[turn % 2]
            for app in apps:
                try:
                    office.workflow.reassign(app, who, office.admin)
                except Exception as error:
                    errors.append(error)
                    return
                steps[0] += 1
            turn += 1

    writer = threading.Thread(target=work)
    writer.start()
    verified = 0
    deadline = time.monotonic() + 60
    try:  # until the writer has taken 40 steps while verifies ran (and at least 10 verifies)
        while (steps[0] < 40 or verified < 10) and not errors and time.monotonic() < deadline:
            with reading(office.db).connect() as conn:
                report = verify_audit(conn, office.workflow.registry)
            assert report.ok, report.problems
            verified += 1
    finally:
        stop.set()
        writer.join()
    assert errors == [] and steps[0] >= 40


def test_a_long_read_on_sqlite_does_not_hold_up_a_writer(sqlite_only: Engine) -> None:
    office = seed_office(sqlite_only)
    app = office.workflow.open_application(office.nib, "trademark", office.consultant)
    with reading(sqlite_only).connect() as conn:
        verify_audit(conn, office.workflow.registry)  # the read transaction stays open
        started = time.monotonic()
        office.workflow.advance(app, "start_document_preparation", office.consultant)
        assert time.monotonic() - started < 2  # not the 60 s busy timeout
        # and the snapshot still shows the state before the writer's step
        assert verify_audit(conn, office.workflow.registry).entries == 1


@pytest.mark.parametrize(
    "column",
    [
        {"actor_id": None},
        {"at": datetime(2020, 1, 1)},
        {"source": "DJKI"},
        {"data": {"injected": True}},
        {"dwell_seconds": 1},
        {"trigger": "withdraw"},
        {"process_version": 2},
    ],
    ids=lambda c: next(iter(c)),
)
def test_every_audited_column_is_covered_by_the_rows_hash(
    office: Office, column: dict[str, object]
) -> None:
    _moved_application(office)
    with office.db.begin() as conn:
        conn.execute(update(AUDIT).where(AUDIT.c.seq == 2).values(**column))
    assert any(":2:content does not match its hash" in p for p in _problems(office))


def test_an_edited_last_row_with_a_recomputed_hash_no_longer_matches_the_head(
    office: Office,
) -> None:
    app = _moved_application(office)
    with office.db.begin() as conn:
        last = (
            conn.execute(
                select(AUDIT).where(AUDIT.c.application_id == app).order_by(AUDIT.c.seq.desc())
            )
            .mappings()
            .first()
        )
        assert last is not None
        forged = {**last, "note": "disetujui tanpa pemeriksaan"}
        forged["hash"] = entry_hash(last["prev_hash"], forged)
        conn.execute(
            update(AUDIT)
            .where(AUDIT.c.id == last["id"])
            .values(note=forged["note"], hash=forged["hash"])
        )
    problems = _problems(office)
    altered = "the chain's last entry is not the one the application records: the tail was altered"
    assert any(p.split(":", 2)[2] == altered for p in problems), problems
