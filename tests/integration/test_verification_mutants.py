"""What ``audit verify`` says when rows go missing, appear or change under it, on SQLite and
PostgreSQL: audit rows left without their application (first or last), an application nobody
journalled, one deleted whole and asked for by number, a user edited in two columns, and a row
inserted before an edited one.

Found by mutation testing (``make mutation`` over workflow/verification.py): each test pins an
answer that a mutant of the verifier changed while every other test stayed green.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, delete, insert, select, update

from tests.integration.test_journal import _tamper
from tests.integration.test_journal_mutants import _chain_findings, _journal_findings, mark
from tests.support import Office
from workflow.ledger import APPLICATIONS, AUDIT, OUTBOX, USERS
from workflow.persistence.database import reading
from workflow.verification import verify_audit

__all__ = ["mark"]  # the fixture, shared with the journal's tests

ORPHANS = "audit rows of an application that does not exist"
GONE = (
    "the journal records this application (entry {seq} of its chain), but it is gone from the "
    "database: deleted outside sertiflow"
)


def _without_foreign_keys(db: Engine, *statements: Any) -> None:
    """Run ``statements`` as someone with the database in hand would: its own foreign keys off."""
    if db.dialect.name == "sqlite":
        raw = db.raw_connection()
        try:
            raw.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
            cursor = raw.cursor()
            for statement in statements:
                compiled = statement.compile(db, compile_kwargs={"literal_binds": True})
                cursor.execute(str(compiled))
            raw.commit()
        finally:
            raw.close()
        return
    with db.begin() as conn:
        conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        for statement in statements:
            conn.execute(statement)


def _app_ids(office: Office) -> list[int]:
    with office.db.connect() as conn:
        return list(conn.scalars(select(APPLICATIONS.c.id).order_by(APPLICATIONS.c.id)))


def _deleted_row_only(office: Office, app_id: int) -> None:
    _without_foreign_keys(
        office.db,
        delete(OUTBOX).where(OUTBOX.c.application_id == app_id),
        delete(APPLICATIONS).where(APPLICATIONS.c.id == app_id),
    )


def test_audit_rows_left_by_the_first_application_are_named_before_the_others(
    office: Office, mark: int
) -> None:
    first, *others = _app_ids(office)
    assert first == mark and others
    _deleted_row_only(office, first)
    findings = _chain_findings(office)
    assert (first, None, ORPHANS) in findings
    assert all(app == first for app, _, _ in findings)  # the others still verify


def test_audit_rows_left_by_the_last_application_are_named_after_the_others(
    office: Office, mark: int
) -> None:
    last = _app_ids(office)[-1]
    _deleted_row_only(office, last)
    findings = _chain_findings(office)
    assert (last, None, ORPHANS) in findings
    assert all(app == last for app, _, _ in findings)


def test_an_application_nobody_journalled_is_named_not_a_crash(office: Office, mark: int) -> None:
    with office.db.connect() as conn:
        row = dict(
            conn.execute(select(APPLICATIONS).where(APPLICATIONS.c.id == mark)).one()._mapping
        )
    row["id"] = max(_app_ids(office)) + 1
    row["audit_seq"], row["audit_head"] = 0, "0" * 64
    _tamper(office, insert(APPLICATIONS).values(**row))
    findings = _chain_findings(office)
    assert (
        row["id"],
        None,
        "the office journal never recorded this application: inserted outside sertiflow",
    ) in findings
    assert {app for app, _, _ in findings} == {row["id"]}


def test_an_application_deleted_whole_and_asked_for_by_number_says_it_is_gone(
    office: Office, mark: int
) -> None:
    with office.db.connect() as conn:
        seq = conn.scalar(select(APPLICATIONS.c.audit_seq).where(APPLICATIONS.c.id == mark))
    _without_foreign_keys(
        office.db,
        delete(OUTBOX).where(OUTBOX.c.application_id == mark),
        delete(AUDIT).where(AUDIT.c.application_id == mark),
        delete(APPLICATIONS).where(APPLICATIONS.c.id == mark),
    )
    with reading(office.db).connect() as conn:
        report = verify_audit(conn, office.workflow.registry, mark)
    assert [(p.application_id, p.seq, p.problem) for p in report.problems] == [
        (mark, None, GONE.format(seq=seq))
    ]


def test_a_user_edited_in_two_columns_names_both(office: Office, mark: int) -> None:
    _tamper(
        office,
        update(USERS)
        .where(USERS.c.username == office.owner)
        .values(full_name="Someone Else", email="x@example.org"),
    )
    with office.db.connect() as conn:
        owner = conn.scalar(select(USERS.c.id).where(USERS.c.username == office.owner))
    assert _journal_findings(office) == [
        (
            None,
            f"user:{owner}",
            "full_name, email differ from what the journal recorded: edited outside sertiflow",
        )
    ]


def test_a_row_inserted_before_an_edited_one_does_not_hide_the_edit(
    office: Office, mark: int
) -> None:
    with office.db.connect() as conn:
        owner = conn.scalar(select(USERS.c.id).where(USERS.c.username == office.owner))
    _tamper(
        office,
        insert(USERS).values(id=0, username="ghost", full_name="Ghost", role="admin", active=True),
        update(USERS).where(USERS.c.id == owner).values(full_name="Someone Else"),
    )
    assert _journal_findings(office) == [
        (None, "user:0", "not in the office journal: inserted outside sertiflow"),
        (
            None,
            f"user:{owner}",
            "full_name differs from what the journal recorded: edited outside sertiflow",
        ),
    ]
