"""An application that entered a stage before the stage had a deadline (an office upgrading to
a sertiflow where every waiting stage has one) gets it from ``app fill-deadlines``: counted from
the day it entered the stage, audited, and then counted as overdue like any other. On SQLite and
PostgreSQL."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import sqlite_db
from tests.integration.test_cli import Cli
from tests.support import TRADEMARK_EVIDENCE, Clock, Office, drive, seed_office
from workflow.engine import Engine as Workflow
from workflow.errors import NotPermitted
from workflow.ledger import APPLICATIONS
from workflow.persistence.database import reading
from workflow.processes import DEFAULT_DEFINITIONS, ProcessRegistry
from workflow.queries import ApplicationFilter, history, list_applications
from workflow.verification import verify_audit


def _without_filed_deadline() -> ProcessRegistry:
    """The processes as an older sertiflow had them: a trademark's FILED stage with no deadline."""
    definitions = []
    for definition in DEFAULT_DEFINITIONS:
        if definition.key == "trademark":
            states = dict(definition.states)
            states["FILED"] = dataclasses.replace(states["FILED"], deadline=None)
            definition = dataclasses.replace(definition, states=states)
        definitions.append(definition)
    return ProcessRegistry(definitions)


def _filed_long_ago(office: Office) -> int:
    """A trademark filed on 2026-11-02 by the older sertiflow: FILED, no deadline."""
    older = Workflow(office.db, registry=_without_filed_deadline(), clock=office.clock)
    app = older.open_application(
        office.nib, "trademark", office.consultant, details={"mark_name": "SAGU IBU ANA"}
    )
    office.give_evidence(office.nib, TRADEMARK_EVIDENCE, app=app)
    for trigger in ("start_document_preparation", "billing_paid_and_submitted"):
        older.advance(app, trigger, office.consultant)
    assert _deadline(office, app) is None
    return app


def _deadline(office: Office, app: int) -> date | None:
    with reading(office.db).connect() as conn:
        found: date | None = conn.scalar(
            select(APPLICATIONS.c.deadline).where(APPLICATIONS.c.id == app)
        )
    return found


def test_a_stage_that_gained_a_deadline_gives_it_to_who_waits_there_audited(
    office: Office,
) -> None:
    app = _filed_long_ago(office)
    office.clock.advance(days=60)  # 2027-01-01: FILED's 15 days have long run out
    workflow = office.workflow
    assert workflow.fill_deadlines(office.admin, dry_run=True)[0].deadline == date(2026, 11, 17)
    assert _deadline(office, app) is None  # a dry run writes nothing

    (filled,) = workflow.fill_deadlines(office.admin, note="upgrade")
    assert (filled.application_id, filled.state, filled.entered_on, filled.deadline) == (
        app,
        "FILED",
        date(2026, 11, 2),
        date(2026, 11, 17),
    )
    assert _deadline(office, app) == date(2026, 11, 17)
    with reading(office.db).connect() as conn:
        overdue = list_applications(
            conn,
            workflow.registry,
            ApplicationFilter(overdue_only=True),
            workflow.today(),
            workflow.calendar,
        )
        report = verify_audit(conn, workflow.registry)
        steps = history(conn, app)
    assert [a["id"] for a in overdue] == [app]
    assert report.problems == [] and report.journal_problems == []
    assert workflow.fill_deadlines(office.admin) == []  # once is enough
    assert (steps[-1]["trigger"], steps[-1]["note"]) == ("@deadline", "upgrade")
    assert drive(office, app, "formality_exam_started").to_state == "FORMALITY_EXAM"


def test_only_an_admin_fills_deadlines(office: Office) -> None:
    _filed_long_ago(office)
    with pytest.raises(NotPermitted):
        office.workflow.fill_deadlines(office.consultant)


def test_the_cli_lists_then_fills_and_refuses_a_consultant(tmp_path: Path) -> None:
    """SQLite only: the command's words and exit codes, not the database, are under test."""
    office = seed_office(sqlite_db(tmp_path / "office.db"), Clock())
    app = _filed_long_ago(office)
    office.db.dispose()
    cli = Cli(tmp_path / "office.db")
    refused = cli("app", "fill-deadlines", "--as", office.consultant, ok=False)
    assert "admin" in refused.stderr
    listed = cli.json("app", "fill-deadlines", "--dry-run", "--as", office.admin)
    assert listed == {
        "dry_run": True,
        "applications": [
            {
                "application_id": app,
                "process_key": "trademark",
                "state": "FILED",
                "entered_on": "2026-11-02",
                "deadline": "2026-11-17",
            }
        ],
    }
    filled = cli("app", "fill-deadlines", "--as", office.admin).stdout
    assert "Deadlines filled" in filled and "2026-11-17" in filled
    assert cli.json("app", "fill-deadlines", "--as", office.admin)["applications"] == []
