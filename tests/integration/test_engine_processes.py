"""Each process driven through its main path on SQLite and PostgreSQL, with its loops and rules.

Every step is checked against the database: the application row (state, deadline, certificate),
the chained audit rows and the outbox rows written in the same transaction.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.support import (
    HALAL_EVIDENCE,
    HALAL_TO_FATWA,
    SNI_EVIDENCE,
    TRADEMARK_EVIDENCE,
    Office,
    app_row,
    audit_rows,
    drive,
    umkm_record,
)
from workflow.audit import DETAILS, GENESIS, IMAGE, OPEN, verify_chain
from workflow.directory import upsert_umkm
from workflow.errors import GuardRefused, InvalidInput, TriggerNotAllowed
from workflow.model import Phase
from workflow.persistence.schema import Application, AuditEntry, OutboxMessage, table

APPLICATIONS = table(Application)
AUDIT = table(AuditEntry)
OUTBOX = table(OutboxMessage)

HALAL_NUMBER = {"certificate_number": "ID31110000123450624", "issued_on": "2026-11-02"}
MONDAY = date(2026, 11, 2)  # the office's today when the test clock starts


# --------------------------------------------------------------------------- helpers


def outbox_kinds(office: Office, app_id: int) -> dict[int, list[str]]:
    """Outbox message kinds of an application, by the audit seq that wrote them."""
    with office.db.connect() as conn:
        rows = conn.execute(
            select(OUTBOX.c.audit_seq, OUTBOX.c.kind, OUTBOX.c.payload, OUTBOX.c.dispatched_at)
            .where(OUTBOX.c.application_id == app_id)
            .order_by(OUTBOX.c.id)
        ).all()
    kinds: dict[int, list[str]] = {}
    for row in rows:
        assert row.dispatched_at is None
        assert row.payload["application_id"] == app_id
        assert row.payload["seq"] == row.audit_seq
        kinds.setdefault(row.audit_seq, []).append(row.kind)
    return kinds


def count(office: Office, model: type[Application] | type[AuditEntry] | type[OutboxMessage]) -> int:
    with office.db.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(table(model))) or 0)


def assert_chain_is_sound(office: Office, app_id: int) -> list[dict[str, Any]]:
    """The audit chain links seq 1..n, matches the application's head and replays to its state."""
    app = app_row(office, app_id)
    rows = audit_rows(office, app_id)
    assert [r["seq"] for r in rows] == list(range(1, len(rows) + 1))
    assert rows[0]["prev_hash"] == GENESIS
    assert rows[0]["trigger"] == OPEN
    for before, after in itertools.pairwise(rows):
        assert after["prev_hash"] == before["hash"]
        assert after["from_state"] == before["to_state"]
    assert app["audit_seq"] == len(rows) == app["version"]
    assert app["audit_head"] == rows[-1]["hash"]
    assert app["state"] == rows[-1]["to_state"]
    assert verify_chain(app, rows, office.workflow.registry.get) == []
    return rows


def open_app(office: Office, process: str, nib: str | None = None, **details: str) -> int:
    return office.workflow.open_application(
        nib or office.nib, process, office.consultant, details=details or None
    )


def halal_at_fatwa(office: Office) -> int:
    """A regular halal application of ``office.nib`` waiting for MUI's fatwa session."""
    app = open_app(office, "halal_regular")
    office.give_evidence(office.nib, HALAL_EVIDENCE, app=app)
    drive(office, app, *HALAL_TO_FATWA)
    return app


def file_trademark(office: Office, nib: str) -> int:
    app = open_app(office, "trademark", nib, mark_name="SAGU IBU ANA", nice_classes="30")
    office.give_evidence(nib, TRADEMARK_EVIDENCE, app=app)
    drive(office, app, "start_document_preparation", "billing_paid_and_submitted")
    return app


# --------------------------------------------------------------------------- halal regular


def test_a_regular_halal_application_reaches_an_active_certificate(office: Office) -> None:
    wf = office.workflow
    app = open_app(office, "halal_regular")
    opened = app_row(office, app)
    assert (opened["state"], opened["phase"], opened["version"]) == ("INTAKE", "pipeline", 1)
    assert opened["deadline"] == date(2026, 11, 5)  # 3 HK service target

    result = drive(office, app, "start_document_preparation")
    assert (result.from_state, result.to_state, result.version) == (
        "INTAKE",
        "DOC_PREPARATION",
        2,
    )
    assert result.deadline == date(2026, 11, 16)  # 10 HK

    with pytest.raises(GuardRefused) as refused:
        wf.advance(app, "submit", office.consultant)
    assert len(refused.value.reasons) == 6
    assert "missing sjph_manual" in str(refused.value)
    assert app_row(office, app)["version"] == 2

    office.give_evidence(office.nib, HALAL_EVIDENCE, app=app)
    assert drive(office, app, "submit").deadline == date(2026, 11, 3)  # BPJPH: 1 HK target
    verification = drive(office, app, "start_doc_verification")
    assert verification.deadline == date(2026, 11, 3)  # 1 HK, UU 6/2023 Pasal 29(3)

    # the return-to-PU loop
    returned = drive(office, app, "return_incomplete")
    assert (returned.to_state, returned.deadline) == ("RETURNED_TO_PU", date(2026, 11, 9))
    office.clock.advance(days=1)
    assert drive(office, app, "resubmit").to_state == "SUBMITTED"
    drive(office, app, "start_doc_verification", "docs_complete", "lph_fee_entered")
    paid = drive(office, app, "payment_proof_uploaded", user=office.owner)
    assert paid.to_state == "PAYMENT_UPLOADED"
    audit = drive(office, app, "payment_verified", "audit_started")
    assert audit.to_state == "LPH_AUDIT"
    assert audit.deadline == date(2026, 11, 24)  # 15 HK from Tuesday 3 November

    # the lab-testing loop counts within the LPH audit: the deadline does not move
    office.clock.advance(days=2)
    lab = drive(office, app, "lab_test_required")
    assert (lab.to_state, lab.deadline) == ("LAB_TESTING", date(2026, 11, 24))
    office.clock.advance(days=5)
    back = drive(office, app, "lab_result_in")
    assert (back.to_state, back.deadline) == ("LPH_AUDIT", date(2026, 11, 24))

    # the extension moves the running deadline by 10 working days
    asked = drive(office, app, "extension_requested")
    assert (asked.to_state, asked.deadline) == ("AUDIT_EXTENDED", date(2026, 11, 24))
    granted = drive(office, app, "extension_granted")
    assert (granted.to_state, granted.deadline) == ("LPH_AUDIT", date(2026, 12, 8))
    assert (
        office.workflow.calendar.working_days_between(date(2026, 11, 24), date(2026, 12, 8)) == 10
    )

    fatwa = drive(office, app, "audit_report_uploaded")
    assert fatwa.to_state == "FATWA_SESSION"
    assert fatwa.deadline == date(2026, 11, 13)  # 3 HK from Tuesday 10 November
    drive(office, app, "ketetapan_halal")
    issued = drive(office, app, "sh_issued", fields={**HALAL_NUMBER, "issued_on": "2026-11-10"})
    assert issued.to_state == "HALAL_ACTIVE"
    final = app_row(office, app)
    assert final["phase"] == Phase.CERTIFIED.value
    assert final["certificate_number"] == "ID31110000123450624"
    assert final["certificate_issued_on"] == date(2026, 11, 10)
    assert final["certificate_expires_on"] is None  # valid while nothing changes

    rows = assert_chain_is_sound(office, app)
    assert [r["trigger"] for r in rows] == [
        OPEN,
        "start_document_preparation",
        "submit",
        "start_doc_verification",
        "return_incomplete",
        "resubmit",
        "start_doc_verification",
        "docs_complete",
        "lph_fee_entered",
        "payment_proof_uploaded",
        "payment_verified",
        "audit_started",
        "lab_test_required",
        "lab_result_in",
        "extension_requested",
        "extension_granted",
        "audit_report_uploaded",
        "ketetapan_halal",
        "sh_issued",
    ]
    by_trigger = {r["trigger"]: r for r in rows}
    assert by_trigger["payment_proof_uploaded"]["actor_role"] == "umkm"
    assert by_trigger["payment_proof_uploaded"]["source"] == "UMKM"
    assert by_trigger["docs_complete"]["source"] == "BPJPH"
    assert by_trigger["lab_test_required"]["source"] == "LPH"
    assert by_trigger["ketetapan_halal"]["source"] == "MUI"
    assert by_trigger["submit"]["source"] == "PLUT"
    issued = by_trigger["sh_issued"]["data"]
    assert issued.pop(IMAGE)["certificate_number"] == "ID31110000123450624"
    assert issued == {"certificate_number": "ID31110000123450624", "issued_on": "2026-11-10"}
    assert by_trigger["lab_result_in"]["dwell_seconds"] == 5 * 86_400


def test_every_transition_writes_its_outbox_rows(office: Office) -> None:
    app = halal_at_fatwa(office)
    drive(office, app, "ketetapan_halal")
    drive(office, app, "sh_issued", fields=HALAL_NUMBER)
    rows = audit_rows(office, app)
    kinds = outbox_kinds(office, app)
    assert sorted(kinds) == [r["seq"] for r in rows]  # one batch per audit row, nothing else
    definition = office.workflow.registry.get("halal_regular")
    for row in rows:  # a packet exactly when the stage entered has paperwork
        has_packet = bool(definition.states[row["to_state"]].documents)
        assert ("render_packet" in kinds[row["seq"]]) == has_packet, row["to_state"]
    assert kinds[1] == ["email_umkm", "notify_consultant"]  # opened: INTAKE has no paperwork
    assert kinds[3] == ["render_packet", "email_umkm", "notify_consultant"]  # submit
    assert kinds[len(rows)] == ["email_umkm", "notify_consultant", "notify_admins"]  # sh_issued
    assert count(office, OutboxMessage) == sum(len(k) for k in kinds.values())


def test_a_closing_transition_renders_no_packet(office: Office) -> None:
    app = halal_at_fatwa(office)
    result = drive(office, app, "ketetapan_tidak_halal")
    assert result.to_state == "NOT_HALAL"
    assert app_row(office, app)["phase"] == "closed"
    assert outbox_kinds(office, app)[result.audit_seq] == [
        "email_umkm",
        "notify_consultant",
        "notify_admins",
    ]
    with pytest.raises(TriggerNotAllowed, match="nothing \\(the application is closed\\)"):
        office.workflow.advance(app, "sh_issued", office.consultant, fields=HALAL_NUMBER)


def test_the_komite_fatwa_takes_over_only_after_mui_misses_its_deadline(office: Office) -> None:
    app = halal_at_fatwa(office)
    assert app_row(office, app)["deadline"] == date(2026, 11, 5)  # Monday + 3 HK
    before = app_row(office, app)["version"]
    with pytest.raises(GuardRefused) as refused:
        office.workflow.advance(app, "mui_deadline_missed", office.consultant)
    assert refused.value.reasons == [
        "the MUI fatwa session still has time: the deadline 2026-11-05 has not passed yet"
    ]
    office.clock.advance(days=3)  # Thursday 5 November: the last day MUI has
    with pytest.raises(GuardRefused, match="has not passed yet"):
        office.workflow.advance(app, "mui_deadline_missed", office.consultant)
    assert app_row(office, app)["version"] == before

    office.clock.advance(days=1)  # Friday: three working days have passed
    takeover = drive(office, app, "mui_deadline_missed")
    assert takeover.to_state == "KOMITE_FATWA_TAKEOVER"
    assert takeover.deadline == date(2026, 11, 10)  # 2 HK from Friday, Pasal 33(6)
    decided = drive(office, app, "ketetapan_halal")
    assert decided.to_state == "HALAL_DETERMINED"
    rows = assert_chain_is_sound(office, app)
    assert [r["source"] for r in rows[-2:]] == ["KOMITE_FATWA", "KOMITE_FATWA"]


# --------------------------------------------------------------------------- halal self-declare


def test_a_self_declare_application_loops_back_and_gets_its_certificate(office: Office) -> None:
    app = open_app(office, "halal_self_declare")
    office.give_evidence(office.nib, HALAL_EVIDENCE, app=app)
    drive(office, app, "start_document_preparation", "submit")
    verval = drive(office, app, "pph_verval_started")
    assert (verval.to_state, verval.deadline) == ("PPH_VERVAL", date(2026, 11, 16))  # 10 HK

    # returned by the P3H, by LP3H/BPJPH and by the Komite Fatwa, each time resubmitted
    assert drive(office, app, "return_to_pu").to_state == "RETURNED_TO_PU"
    drive(office, app, "resubmit", "pph_verval_started", "verval_passed")
    assert drive(office, app, "return_to_pu").to_state == "RETURNED_TO_PU"
    drive(office, app, "resubmit", "pph_verval_started", "verval_passed")
    at_komite = drive(office, app, "sttd_issued_sent_to_komite")
    assert (at_komite.to_state, at_komite.deadline) == ("AT_KOMITE_FATWA", date(2026, 11, 3))
    assert drive(office, app, "return_to_pu").to_state == "RETURNED_TO_PU"
    drive(
        office,
        app,
        "resubmit",
        "pph_verval_started",
        "verval_passed",
        "sttd_issued_sent_to_komite",
        "ketetapan_halal",
    )
    issued = drive(office, app, "sh_issued", fields=HALAL_NUMBER)
    assert issued.to_state == "HALAL_ACTIVE"
    final = app_row(office, app)
    assert (final["phase"], final["certificate_number"]) == ("certified", "ID31110000123450624")

    rows = assert_chain_is_sound(office, app)
    returns = [r for r in rows if r["trigger"] == "return_to_pu"]
    assert [(r["from_state"], r["source"]) for r in returns] == [
        ("PPH_VERVAL", "P3H"),
        ("LP3H_BPJPH_VERIFICATION", "LP3H"),
        ("AT_KOMITE_FATWA", "KOMITE_FATWA"),
    ]
    assert len(rows) == 20


def test_self_declare_is_refused_for_a_medium_business_and_names_the_redirect(
    office: Office,
) -> None:
    with office.db.begin() as conn:
        upsert_umkm(
            conn, [umkm_record(office.nib, "Sagu Ibu Ana", scale="menengah")], office.clock()
        )
    app = open_app(office, "halal_self_declare")
    office.give_evidence(office.nib, HALAL_EVIDENCE, app=app)
    drive(office, app, "start_document_preparation")
    before = (app_row(office, app), count(office, AuditEntry), count(office, OutboxMessage))
    with pytest.raises(GuardRefused) as refused:
        office.workflow.advance(app, "submit", office.consultant)
    assert "redirect_to_regular" in str(refused.value)
    (reason,) = refused.value.reasons
    assert reason.startswith(
        "not eligible for self-declare: scale is menengah; self-declare is for micro and small "
        "businesses. "
    )
    assert reason.endswith("use 'redirect_to_regular' to move to the regular path")
    assert (app_row(office, app), count(office, AuditEntry), count(office, OutboxMessage)) == before


def test_redirecting_to_the_regular_path_opens_a_linked_regular_application(
    office: Office,
) -> None:
    with office.db.begin() as conn:
        upsert_umkm(
            conn, [umkm_record(office.nib, "Sagu Ibu Ana", scale="menengah")], office.clock()
        )
    app = open_app(office, "halal_self_declare")
    drive(office, app, "start_document_preparation")
    apps_before = count(office, Application)
    result = drive(office, app, "redirect_to_regular")
    assert result.to_state == "REDIRECTED_TO_REGULAR"
    assert result.opened_application_id is not None
    assert count(office, Application) == apps_before + 1

    old = app_row(office, app)
    assert (old["phase"], old["deadline"]) == ("closed", None)
    new = app_row(office, result.opened_application_id)
    assert new["process_key"] == "halal_regular"
    assert (new["state"], new["phase"], new["version"]) == ("INTAKE", "pipeline", 1)
    assert new["linked_from_id"] == app
    assert new["assignee_id"] == old["assignee_id"]
    assert new["umkm_id"] == old["umkm_id"]
    assert new["deadline"] == date(2026, 11, 5)

    opened = assert_chain_is_sound(office, result.opened_application_id)
    assert opened[0]["note"] == f"opened by #{app} redirect_to_regular"
    assert opened[0]["data"]["linked_from"] == app
    assert_chain_is_sound(office, app)
    # the regular application then moves on as any other
    assert drive(office, new["id"], "start_document_preparation").to_state == "DOC_PREPARATION"


def test_an_eligible_umkm_is_not_redirected(office: Office) -> None:
    app = open_app(office, "halal_self_declare")
    drive(office, app, "start_document_preparation")
    with pytest.raises(GuardRefused, match="meets every self-declare criterion"):
        office.workflow.advance(app, "redirect_to_regular", office.consultant)
    assert count(office, Application) == 1


# --------------------------------------------------------------------------- trademark


def test_a_trademark_is_registered_after_deficiency_opposition_and_provisional_refusal(
    office: Office,
) -> None:
    wf = office.workflow
    app = file_trademark(office, office.nib)
    filed = app_row(office, app)
    assert (filed["state"], filed["filed_on"]) == ("FILED", MONDAY)

    formality = drive(office, app, "formality_exam_started")
    assert formality.deadline == date(2026, 11, 17)  # 15 calendar days
    # the formality deficiency loop
    deficient = drive(office, app, "formality_deficient")
    assert (deficient.to_state, deficient.deadline) == ("FORMALITY_INCOMPLETE", date(2027, 1, 2))
    with pytest.raises(GuardRefused, match="the applicant still has time to fix the deficiency"):
        wf.advance(app, "deadline_missed", office.consultant)
    assert drive(office, app, "deficiency_fixed").to_state == "FORMALITY_EXAM"

    published = drive(office, app, "formality_passed")
    assert (published.to_state, published.deadline) == ("PUBLICATION", date(2027, 1, 2))
    opposed = drive(office, app, "opposition_filed")
    assert opposed.to_state == "OPPOSITION"
    assert app_row(office, app)["flags"] == "opposed"
    assert drive(office, app, "rebuttal_filed", user=office.owner).to_state == "REBUTTAL_FILED"
    drive(office, app, "publication_ended", "queued_for_substantive")

    office.clock.advance(days=61)  # Saturday 2 January 2027
    substantive = drive(office, app, "substantive_exam_started")
    assert substantive.to_state == "SUBSTANTIVE_EXAM"
    assert substantive.deadline == date(2027, 4, 2)  # opposed: 90 days, not 30

    refusal = drive(office, app, "provisional_refusal")
    assert (refusal.to_state, refusal.deadline) == ("PROVISIONAL_REFUSAL", date(2027, 2, 1))
    with pytest.raises(GuardRefused, match="the 30 days to respond have not run out"):
        wf.advance(app, "no_response_deadline", office.consultant)
    assert drive(office, app, "response_filed", user=office.owner).to_state == "RESPONSE_REVIEW"

    office.clock.advance(days=40)
    with pytest.raises(InvalidInput, match="is not a valid Nomor pendaftaran merek"):
        wf.advance(
            app,
            "response_accepted",
            office.consultant,
            fields={"certificate_number": "IDM12345678", "issued_on": "2027-02-11"},
        )
    registered = drive(
        office,
        app,
        "response_accepted",
        fields={"certificate_number": "IDM000123456", "issued_on": "2027-02-11"},
    )
    assert registered.to_state == "MARK_ACTIVE"
    mark = app_row(office, app)
    assert mark["phase"] == "certified"
    assert mark["certificate_number"] == "IDM000123456"
    assert mark["certificate_issued_on"] == date(2027, 2, 11)
    assert mark["certificate_expires_on"] == date(2036, 11, 2)  # filing date + 10 years

    rows = assert_chain_is_sound(office, app)
    assert rows[1]["trigger"] == DETAILS  # the mark, recorded at opening
    assert rows[1]["data"][IMAGE]["details"] == {"mark_name": "SAGU IBU ANA", "nice_classes": "30"}
    assert rows[3]["trigger"] == "billing_paid_and_submitted"
    assert rows[3]["data"]["filed_on"] == rows[3]["data"][IMAGE]["filed_on"] == "2026-11-02"
    assert [r["trigger"] for r in rows].count("formality_exam_started") == 1
    assert [r["to_state"] for r in rows].count("FORMALITY_EXAM") == 2


def test_an_unopposed_trademark_gets_thirty_days_of_substantive_exam(office: Office) -> None:
    app = file_trademark(office, office.nib)
    drive(office, app, "formality_exam_started", "formality_passed", "publication_ended")
    drive(office, app, "queued_for_substantive")
    substantive = drive(office, app, "substantive_exam_started")
    assert substantive.deadline == date(2026, 12, 2)
    assert app_row(office, app)["flags"] == ""
    office.clock.advance(days=5)
    approved = drive(
        office,
        app,
        "approved",
        fields={"certificate_number": "IDM000000001", "issued_on": "2026-11-07"},
    )
    assert approved.to_state == "MARK_ACTIVE"
    assert app_row(office, app)["certificate_expires_on"] == date(2036, 11, 2)


def test_the_filing_date_may_be_given_and_is_the_start_of_protection(office: Office) -> None:
    app = open_app(office, "trademark", mark_name="SAGU IBU ANA")
    office.give_evidence(office.nib, TRADEMARK_EVIDENCE, app=app)
    drive(office, app, "start_document_preparation")
    drive(
        office,
        app,
        "billing_paid_and_submitted",
        fields={"filed_on": "2026-10-30", "application_number": "JID2026123456"},
    )
    assert app_row(office, app)["filed_on"] == date(2026, 10, 30)
    drive(office, app, "formality_exam_started", "formality_passed", "publication_ended")
    drive(office, app, "queued_for_substantive", "substantive_exam_started")
    drive(
        office,
        app,
        "approved",
        fields={"certificate_number": "IDM000000002", "issued_on": "2026-11-02"},
    )
    assert app_row(office, app)["certificate_expires_on"] == date(2036, 10, 30)


def register_mark(office: Office) -> int:
    """A mark of ``office.nib`` filed and registered on Monday 2 November 2026."""
    app = file_trademark(office, office.nib)
    drive(office, app, "formality_exam_started", "formality_passed", "publication_ended")
    drive(office, app, "queued_for_substantive", "substantive_exam_started")
    drive(
        office,
        app,
        "approved",
        fields={"certificate_number": "IDM000000003", "issued_on": "2026-11-02"},
    )
    assert app_row(office, app)["certificate_expires_on"] == date(2036, 11, 2)
    return app


def test_a_registered_mark_is_renewed_within_its_window(office: Office) -> None:
    wf = office.workflow
    app = register_mark(office)
    with pytest.raises(GuardRefused, match="renewal opens on 2036-05-02, 6 months before expiry"):
        wf.advance(app, "renewal_window_opened", office.consultant)
    office.clock.now = datetime(2036, 6, 1, 2, 0)
    assert drive(office, app, "renewal_window_opened").to_state == "RENEWAL_WINDOW"
    with pytest.raises(GuardRefused, match="valid, or renewable, until 2037-05-02"):
        wf.advance(app, "expired", office.consultant)
    renewed = drive(office, app, "renewed", fields={"expires_on": "2046-11-02"})
    assert renewed.to_state == "MARK_ACTIVE"
    row = app_row(office, app)
    assert (row["phase"], row["certificate_expires_on"]) == ("certified", date(2046, 11, 2))
    assert row["certificate_number"] == "IDM000000003"
    assert_chain_is_sound(office, app)


def test_a_mark_whose_renewal_window_lapses_expires(office: Office) -> None:
    app = register_mark(office)
    office.clock.now = datetime(2036, 10, 1, 2, 0)
    drive(office, app, "renewal_window_opened")
    office.clock.now = datetime(2037, 5, 3, 2, 0)  # the day after the grace period
    expired = drive(office, app, "expired")
    assert expired.to_state == "MARK_EXPIRED"
    assert app_row(office, app)["phase"] == "closed"


def test_a_mark_left_past_its_grace_period_can_still_be_closed_as_expired(
    office: Office,
) -> None:
    app = register_mark(office)
    office.clock.now = datetime(2037, 6, 1, 2, 0)  # grace period ended on 2 May 2037
    options = office.workflow.options(app, office.admin)
    open_ways = [(o.trigger, o.dest) for o in options if not o.blocked_by]
    assert ("expired", "MARK_EXPIRED") in open_ways


# --------------------------------------------------------------------------- SNI


def test_sni_apply_waits_for_the_trademark_filing_and_the_product_is_certified(
    office: Office,
) -> None:
    wf = office.workflow
    app = open_app(office, "sni")
    office.give_evidence(office.nib, SNI_EVIDENCE, app=app)
    assert drive(office, app, "start_document_preparation").to_state == "PREPARATION"
    with pytest.raises(GuardRefused) as refused:
        wf.advance(app, "apply", office.consultant)
    assert refused.value.reasons == [
        "no trademark application of this UMKM is filed yet; file the trademark first or add a "
        "trademark_licence document to the dossier"
    ]
    assert app_row(office, app)["version"] == 2

    mark = file_trademark(office, office.nib)
    assert app_row(office, mark)["state"] == "FILED"
    assert drive(office, app, "apply").to_state == "APPLICATION_SUBMITTED"

    review = drive(office, app, "review_started")
    assert (review.to_state, review.deadline) == ("APPLICATION_REVIEW", date(2026, 11, 9))
    assert drive(office, app, "return_incomplete").to_state == "RETURNED_TO_PU"
    drive(office, app, "resubmit", "review_started", "accepted")
    assert drive(office, app, "paid", user=office.owner).to_state == "AUDIT"

    # the corrective-action loop
    corrective = drive(office, app, "nonconformity")
    assert (corrective.to_state, corrective.deadline) == ("CORRECTIVE_ACTION", date(2027, 1, 2))
    with pytest.raises(GuardRefused, match="corrective-action period is still running"):
        wf.advance(app, "correction_deadline_missed", office.consultant)
    assert drive(office, app, "corrections_submitted", user=office.owner).to_state == "AUDIT"

    drive(office, app, "audit_passed", "samples_taken")
    retest = drive(office, app, "test_failed")
    assert (retest.to_state, retest.deadline) == ("RETEST", date(2026, 11, 30))  # 20 HK
    with pytest.raises(TriggerNotAllowed) as only_once:
        wf.advance(app, "test_failed", office.consultant)
    assert "allowed from RETEST: retest_passed, retest_failed" in str(only_once.value)
    drive(office, app, "retest_passed", "recommend")

    office.clock.advance(days=10)
    granted = drive(
        office,
        app,
        "grant",
        fields={"certificate_number": "LSPRO-123/SPPT/2026", "issued_on": "2026-11-12"},
    )
    assert granted.to_state == "CERTIFIED"
    sni = app_row(office, app)
    assert sni["phase"] == "certified"
    assert sni["certificate_number"] == "LSPRO-123/SPPT/2026"
    assert sni["certificate_issued_on"] == date(2026, 11, 12)
    assert sni["certificate_expires_on"] == date(2030, 11, 12)  # issue + 4 years
    assert sni["filed_on"] is None
    rows = assert_chain_is_sound(office, app)
    assert rows[-1]["source"] == "LSPRO"
    assert_chain_is_sound(office, mark)


def test_a_second_failed_sni_test_refuses_the_application(office: Office) -> None:
    nib = office.other_nib
    app = open_app(office, "sni", nib, brand="KOPI REMPAH")
    office.give_evidence(nib, (*SNI_EVIDENCE, "trademark_licence"), app=app)  # a licensed mark
    drive(office, app, "start_document_preparation", "apply", "review_started", "accepted")
    drive(office, app, "paid", "audit_passed", "samples_taken", "test_failed")
    refused = drive(office, app, "retest_failed")
    assert refused.to_state == "REFUSED"
    row = app_row(office, app)
    assert (row["phase"], row["deadline"], row["certificate_number"]) == ("closed", None, None)
    assert outbox_kinds(office, app)[refused.audit_seq] == [
        "email_umkm",
        "notify_consultant",
        "notify_admins",
    ]
    assert len(assert_chain_is_sound(office, app)) == 11  # its brand recorded at opening


def test_sni_apply_is_refused_with_a_stale_trademark_receipt_until_a_licence_is_added(
    office: Office,
) -> None:
    mark = file_trademark(office, office.nib)
    office.clock.advance(days=200)
    app = open_app(office, "sni", brand="SAGU IBU ANA")
    office.give_evidence(office.nib, SNI_EVIDENCE, app=app)
    drive(office, app, "start_document_preparation")
    with pytest.raises(GuardRefused) as refused:
        office.workflow.advance(app, "apply", office.consultant)
    assert refused.value.reasons == [
        f"the trademark filing receipt of application #{mark} is older than 6 months and the "
        "mark is not registered yet; add a trademark_licence document to the dossier or wait "
        "for the registration"
    ]
    office.give_evidence(office.nib, ("trademark_licence",), valid_until=date(2028, 1, 1), app=app)
    assert drive(office, app, "apply").to_state == "APPLICATION_SUBMITTED"
