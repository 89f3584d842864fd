"""No stage waits forever unseen: the deadlines of the formerly silent stages, the self-declare
clock that runs from the submission, the whole path's target, legal limits told apart from
service targets, SNI surveillance and recertification, the halal consistency check; on SQLite and
PostgreSQL."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from typing import Any

from tests.support import (
    HALAL_EVIDENCE,
    SNI_EVIDENCE,
    TRADEMARK_EVIDENCE,
    Office,
    app_row,
    drive,
)
from workflow.backlog import compute_backlog
from workflow.engine import Engine
from workflow.milestones import application_measures, milestones
from workflow.model import Deadline
from workflow.policy import Policy
from workflow.processes import DEFAULT_DEFINITIONS, HALAL_SELF_DECLARE, ProcessRegistry
from workflow.queries import ApplicationFilter, application_detail, history, list_applications

HALAL_NUMBER = {"certificate_number": "ID31110000123450624", "issued_on": "2026-11-02"}


def on(office: Office, day: date) -> None:
    """Move the test clock to 09:00 office time (WIT, UTC+9) on ``day``."""
    office.clock.now = datetime(day.year, day.month, day.day, 9) - timedelta(hours=9)


def detail(office: Office, app: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    wf = office.workflow
    with office.db.connect() as conn:
        row = application_detail(conn, wf.registry, app, wf.today(), wf.calendar)
        return row, history(conn, app)


def measures(office: Office, app: int, policy: Policy | None = None) -> dict[str, Any]:
    row, steps = detail(office, app)
    wf = office.workflow
    definition = wf.registry.get(row["process_key"], row["process_version"])
    return application_measures(
        definition, row, steps, wf.today(), wf.calendar, policy or wf.policy
    )


def overdue_ids(office: Office) -> set[int]:
    wf = office.workflow
    with office.db.connect() as conn:
        rows = list_applications(
            conn, wf.registry, ApplicationFilter(overdue_only=True), wf.today(), wf.calendar
        )
    return {row["id"] for row in rows}


def after_certificate(office: Office) -> dict[str, tuple[str, int, int, int]]:
    """The backlog's checks after the certificate, by process."""
    wf = office.workflow
    with office.db.connect() as conn:
        backlog = compute_backlog(conn, wf.registry, wf.clock(), wf.today(), policy=wf.policy)
    return {
        r.process: (r.check, r.certificates, r.due_soon, r.past_due)
        for r in backlog.after_certificate
    }


def self_declare_submitted(office: Office) -> int:
    app = office.workflow.open_application(office.nib, "halal_self_declare", office.consultant)
    office.give_evidence(office.nib, HALAL_EVIDENCE, app=app)
    drive(office, app, "start_document_preparation", "submit")
    return app


def trademark_filed(office: Office) -> int:
    nib = office.other_nib
    app = office.workflow.open_application(
        nib, "trademark", office.consultant, details={"mark_name": "KOPI REMPAH BANDA"}
    )
    office.give_evidence(nib, TRADEMARK_EVIDENCE, app=app)
    drive(office, app, "start_document_preparation", "billing_paid_and_submitted")
    return app


def sni_certified(office: Office, issued_on: str = "2026-11-02") -> int:
    nib = office.other_nib
    app = office.workflow.open_application(
        nib, "sni", office.consultant, details={"brand": "KOPI REMPAH BANDA"}
    )
    office.give_evidence(nib, (*SNI_EVIDENCE, "trademark_licence"), app=app)
    drive(office, app, "start_document_preparation", "apply", "review_started", "accepted")
    drive(office, app, "paid", "audit_passed", "samples_taken", "test_passed", "recommend")
    drive(
        office,
        app,
        "grant",
        fields={"certificate_number": "LSPRO-123/SPPT/2026", "issued_on": issued_on},
    )
    return app


# --------------------------------------------------------------------------- self-declare


def test_the_pendamping_pph_has_10_working_days_from_the_submission_not_from_the_visit(
    office: Office,
) -> None:
    app = self_declare_submitted(office)  # Monday 2 November
    assert app_row(office, app)["deadline"] == date(2026, 11, 16)  # 10 HK, law
    on(office, date(2026, 11, 6))  # the P3H starts on Friday
    verval = drive(office, app, "pph_verval_started")
    assert (verval.to_state, verval.deadline) == ("PPH_VERVAL", date(2026, 11, 16))
    on(office, date(2026, 11, 17))
    assert app in overdue_ids(office)
    assert measures(office, app)["deadline_kind"] == "law"


def test_an_application_submitted_before_submission_had_a_deadline_counts_from_that_day(
    office: Office,
) -> None:
    silent = {
        **HALAL_SELF_DECLARE.states,
        "SUBMITTED": dataclasses.replace(HALAL_SELF_DECLARE.states["SUBMITTED"], deadline=None),
    }
    before = dataclasses.replace(HALAL_SELF_DECLARE, states=silent)
    definitions = [before if d is HALAL_SELF_DECLARE else d for d in DEFAULT_DEFINITIONS]
    old = Engine(office.db, registry=ProcessRegistry(definitions), clock=office.clock)
    app = old.open_application(office.nib, "halal_self_declare", office.consultant)
    office.give_evidence(office.nib, HALAL_EVIDENCE, app=app)
    old.advance(app, "start_document_preparation", office.consultant)
    assert old.advance(app, "submit", office.consultant).deadline is None
    on(office, date(2026, 11, 10))
    verval = drive(office, app, "pph_verval_started")  # today's rules
    assert verval.deadline == date(2026, 11, 16)  # 10 HK from Monday 2 November


def test_the_whole_path_target_runs_beside_the_stage_deadline_until_the_certificate(
    office: Office,
) -> None:
    app = self_declare_submitted(office)
    (path,) = measures(office, app)["milestones"]
    assert (path["name"], path["due"], path["status"]) == ("path", "2026-11-18", "running")
    assert (path["basis"], path["kind"], path["working_days_left"]) == ("practice", "target", 12)
    on(office, date(2026, 11, 19))
    (path,) = measures(office, app)["milestones"]
    assert (path["due"], path["status"], path["working_days_left"]) == (
        "2026-11-18",
        "overdue",
        None,
    )
    drive(office, app, "pph_verval_started", "return_to_pu")
    drive(office, app, "resubmit")  # Thursday 19 November: a new submission, a new clock
    (path,) = measures(office, app)["milestones"]
    assert (path["due"], path["status"]) == ("2026-12-07", "running")
    drive(office, app, "pph_verval_started", "verval_passed", "sttd_issued_sent_to_komite")
    drive(office, app, "ketetapan_halal")
    issued = {**HALAL_NUMBER, "issued_on": "2026-11-19"}
    drive(office, app, "sh_issued", fields=issued)
    path, check = measures(office, app)["milestones"]
    assert (path["status"], check["name"]) == ("met", "consistency_check")
    policy = Policy(
        timezone=office.workflow.policy.timezone,
        deadline_overrides={"halal_self_declare.PATH": Deadline.parse("1hk")},
    )
    path, _ = measures(office, app, policy)["milestones"]
    assert (path["due"], path["status"], path["basis"]) == ("2026-11-20", "met", "configured")


# --------------------------------------------------------------------------- silent stages


def test_formerly_silent_stages_show_as_overdue_against_the_law_or_a_target(
    office: Office,
) -> None:
    legal = self_declare_submitted(office)  # SUBMITTED: 10 HK, law
    target = trademark_filed(office)  # FILED: 15 days, unconfirmed
    assert app_row(office, target)["deadline"] == date(2026, 11, 17)
    on(office, date(2026, 11, 16))  # the last day of both
    assert overdue_ids(office) == set()
    on(office, date(2026, 11, 18))
    assert overdue_ids(office) == {legal, target}
    wf = office.workflow
    with office.db.connect() as conn:
        backlog = compute_backlog(conn, wf.registry, wf.clock(), wf.today(), policy=wf.policy)
    assert (backlog.overdue_total, backlog.overdue_law_total, backlog.overdue_target_total) == (
        2,
        1,
        1,
    )
    by_state = {(s.process, s.state): s for s in backlog.by_state}
    submitted = by_state[("halal_self_declare", "SUBMITTED")]
    filed = by_state[("trademark", "FILED")]
    assert (submitted.deadline_kind, submitted.overdue_law, submitted.overdue_target) == (
        "law",
        1,
        0,
    )
    assert (filed.deadline_kind, filed.overdue_law, filed.overdue_target) == ("target", 0, 1)
    by_process = {g.key: (g.overdue_law, g.overdue_target) for g in backlog.by_process}
    assert by_process == {"halal_self_declare": (1, 0), "trademark": (0, 1)}
    (rina,) = backlog.by_consultant
    assert (rina.overdue, rina.overdue_law, rina.overdue_target) == (2, 1, 1)
    # an office that sets its own figure for a legal stage counts it against a target
    configured = Policy(
        timezone=wf.policy.timezone,
        deadline_overrides={"halal_self_declare.SUBMITTED": Deadline.parse("20hk")},
    )
    with office.db.connect() as conn:
        backlog = compute_backlog(conn, wf.registry, wf.clock(), wf.today(), policy=configured)
    assert (backlog.overdue_law_total, backlog.overdue_target_total) == (0, 2)


def test_an_override_of_the_substantive_exam_covers_an_opposed_mark(office: Office) -> None:
    policy = Policy(
        timezone=office.workflow.policy.timezone,
        deadline_overrides={"trademark.SUBSTANTIVE_EXAM": Deadline.parse("150days")},
    )
    engine = Engine(office.db, policy=policy, clock=office.clock)
    app = trademark_filed(office)
    for trigger in ("formality_exam_started", "formality_passed", "opposition_filed"):
        engine.advance(app, trigger, office.consultant)
    for trigger in ("rebuttal_filed", "publication_ended", "queued_for_substantive"):
        engine.advance(app, trigger, office.consultant)
    exam = engine.advance(app, "substantive_exam_started", office.consultant)
    assert exam.deadline == date(2026, 11, 2) + timedelta(days=150)  # not the law's 90


# --------------------------------------------------------------------------- after the certificate


def test_sni_surveillance_falls_due_yearly_from_issue_and_shows_as_overdue(
    office: Office,
) -> None:
    app = sni_certified(office)  # issued Monday 2 November 2026, valid 4 years
    (audit,) = measures(office, app)["milestones"]
    assert (audit["name"], audit["due"], audit["status"]) == (
        "surveillance",
        "2027-11-02",
        "upcoming",
    )
    assert after_certificate(office) == {"sni": ("surveillance", 1, 0, 0)}
    on(office, date(2027, 10, 15))
    assert after_certificate(office) == {"sni": ("surveillance", 1, 1, 0)}
    on(office, date(2027, 11, 3))  # the sweep did not start it
    (audit,) = measures(office, app)["milestones"]
    assert (audit["due"], audit["status"]) == ("2027-11-02", "overdue")
    assert after_certificate(office) == {"sni": ("surveillance", 1, 0, 1)}
    drive(office, app, "surveillance_due")
    (audit,) = measures(office, app)["milestones"]
    assert (audit["label_en"], audit["status"]) == ("SNI surveillance audit no. 1", "in_progress")
    drive(office, app, "maintained")
    (audit,) = measures(office, app)["milestones"]
    assert (audit["due"], audit["status"]) == ("2028-11-02", "upcoming")
    assert after_certificate(office) == {"sni": ("surveillance", 1, 0, 0)}  # counted the cycle
    row, steps = detail(office, app)
    wf = office.workflow
    definition = wf.registry.get("sni")
    every_six = milestones(definition, row, steps, wf.today(), wf.calendar, wf.policy, 6)
    assert every_six[0].due == date(2027, 11, 2)  # 1 surveillance done: issue + 2 x 6 months
    on(office, date(2030, 6, 1))  # the fourth falls on the expiry: recertification instead
    drive(office, app, "surveillance_due", "maintained", "surveillance_due", "maintained")
    assert measures(office, app)["milestones"] == []


def test_sni_recertification_opens_a_new_application_linked_to_the_old_one(
    office: Office,
) -> None:
    app = sni_certified(office)
    on(office, date(2030, 6, 1))
    moved = drive(office, app, "recertification_opened")
    assert moved.to_state == "RECERTIFICATION_OPENED"
    assert moved.opened_application_id is not None
    new = app_row(office, moved.opened_application_id)
    assert (new["process_key"], new["state"], new["linked_from_id"]) == ("sni", "INTAKE", app)
    assert app_row(office, app)["phase"] == "closed"


def test_an_sni_certificate_that_expires_opens_its_recertification(office: Office) -> None:
    app = sni_certified(office)
    on(office, date(2030, 11, 3))
    ended = drive(office, app, "expired")
    assert ended.to_state == "EXPIRED" and ended.opened_application_id is not None
    new = app_row(office, ended.opened_application_id)
    assert (new["state"], new["linked_from_id"], new["assignee_id"]) == (
        "INTAKE",
        app,
        app_row(office, app)["assignee_id"],
    )


def test_a_halal_certificate_never_expires_but_its_consistency_check_falls_due(
    office: Office,
) -> None:
    app = self_declare_submitted(office)
    drive(office, app, "pph_verval_started", "verval_passed", "sttd_issued_sent_to_komite")
    drive(office, app, "ketetapan_halal")
    drive(office, app, "sh_issued", fields=HALAL_NUMBER)
    _, check = measures(office, app)["milestones"]
    assert (check["due"], check["status"], check["basis"]) == (
        "2030-11-02",
        "upcoming",
        "unconfirmed",
    )
    assert after_certificate(office) == {"halal_self_declare": ("consistency_check", 1, 0, 0)}
    on(office, date(2030, 11, 2))
    _, check = measures(office, app)["milestones"]
    assert check["status"] == "due"  # never "expired": the certificate stays valid
    assert after_certificate(office) == {"halal_self_declare": ("consistency_check", 1, 0, 1)}
    assert app_row(office, app)["certificate_expires_on"] is None
    drive(office, app, "surveillance_started")
    assert [m["name"] for m in measures(office, app)["milestones"]] == ["path"]
    drive(office, app, "surveillance_passed")
    _, check = measures(office, app)["milestones"]
    assert (check["due"], check["status"]) == ("2034-11-02", "upcoming")
    assert after_certificate(office) == {"halal_self_declare": ("consistency_check", 1, 0, 0)}
    yearly = Policy(timezone=office.workflow.policy.timezone, halal_consistency_check_years=1)
    _, check = measures(office, app, yearly)["milestones"]
    assert check["due"] == "2031-11-02"
