"""``verify_audit`` over a real database finds every kind of tampering, on both backends."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, update

from tests.support import TRADEMARK_EVIDENCE, Office
from workflow.ledger import APPLICATIONS, AUDIT
from workflow.queries import verify_audit


def _moved_application(office: Office) -> int:
    office.give_evidence(office.nib, TRADEMARK_EVIDENCE)
    app = office.workflow.open_application(office.nib, "trademark", office.consultant)
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
    assert (report.ok, report.applications, report.entries) == (True, 2, 5)
    with office.db.connect() as conn:
        assert verify_audit(conn, office.workflow.registry, app).entries == 4


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
        (delete(AUDIT).where(AUDIT.c.seq == 4), "the tail was removed"),
        (update(APPLICATIONS).values(state="MARK_ACTIVE"), "the application says MARK_ACTIVE"),
    ],
)
def test_each_kind_of_tampering_is_reported(office: Office, tamper: object, expected: str) -> None:
    _moved_application(office)
    with office.db.begin() as conn:
        conn.execute(tamper)  # type: ignore[call-overload]
    problems = _problems(office)
    assert any(expected in p for p in problems), problems
