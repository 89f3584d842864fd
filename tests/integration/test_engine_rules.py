"""The engine's rules on SQLite and PostgreSQL: who may do what, when, and on which version.

Every refusal is checked twice: it raises the documented error with a useful message, and it
writes nothing at all (application rows, audit rows and outbox rows are unchanged).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime

import pytest
from sqlalchemy import func, select, update

from tests.support import (
    HALAL_EVIDENCE,
    HALAL_TO_FATWA,
    Office,
    app_row,
    audit_rows,
    drive,
    snapshot,
    umkm_record,
)
from workflow.audit import IMAGE, MIGRATE, REASSIGN, verify_chain
from workflow.directory import upsert_umkm
from workflow.engine import Engine
from workflow.errors import (
    ConflictError,
    GuardRefused,
    InvalidInput,
    NotFound,
    NotPermitted,
    SertiflowError,
    TriggerNotAllowed,
)
from workflow.model import Deadline, ProcessDefinition, Role
from workflow.persistence.schema import Application, AuditEntry, OutboxMessage, User, table
from workflow.policy import Policy
from workflow.processes import DEFAULT_DEFINITIONS, HALAL_REGULAR, ProcessRegistry

APPLICATIONS = table(Application)
AUDIT = table(AuditEntry)
OUTBOX = table(OutboxMessage)
USERS = table(User)
THIRD_NIB = "8120000000003"


# --------------------------------------------------------------------------- helpers


@contextmanager
def writes_nothing(office: Office) -> Iterator[None]:
    before = snapshot(office)
    yield
    assert snapshot(office) == before


@contextmanager
def refused(office: Office, error: type[SertiflowError], *fragments: str) -> Iterator[None]:
    """The block raises ``error`` naming every fragment, and nothing is written."""
    with writes_nothing(office), pytest.raises(error) as raised:
        yield
    for fragment in fragments:
        assert fragment in str(raised.value)


def halal(office: Office, nib: str | None = None) -> int:
    return office.workflow.open_application(nib or office.nib, "halal_regular", office.consultant)


def add_third_umkm(office: Office) -> None:
    with office.db.begin() as conn:
        upsert_umkm(conn, [umkm_record(THIRD_NIB, "Ikan Asap Saumlaki", row=4)], office.clock())


def assert_chain_verifies(engine: Engine, office: Office, app_id: int) -> None:
    assert (
        verify_chain(app_row(office, app_id), audit_rows(office, app_id), engine.registry.get) == []
    )


# --------------------------------------------------------------------------- not found


def test_an_unknown_application_is_not_found(office: Office) -> None:
    with refused(office, NotFound, "no application #999"):
        office.workflow.advance(999, "start_document_preparation", office.consultant)
    with pytest.raises(NotFound, match="no application #999"):
        office.workflow.options(999, office.consultant)


def test_an_unknown_user_is_not_found(office: Office) -> None:
    app = halal(office)
    with refused(office, NotFound, "no active user 'budi'"):
        office.workflow.advance(app, "start_document_preparation", "budi")
    with refused(office, NotFound, "no active user 'budi'"):
        office.workflow.open_application(office.other_nib, "halal_regular", "budi")


def test_an_inactive_user_may_no_longer_act(office: Office) -> None:
    app = halal(office)
    with office.db.begin() as conn:
        conn.execute(update(USERS).where(USERS.c.username == "rina").values(active=False))
    with refused(office, NotFound, "no active user 'rina'"):
        office.workflow.advance(app, "start_document_preparation", office.consultant)


def test_an_unknown_nib_is_not_found_when_opening(office: Office) -> None:
    with refused(office, NotFound, "no UMKM with NIB 8129999999999"):
        office.workflow.open_application("8129999999999", "trademark", office.consultant)


def test_an_unknown_process_is_not_found_when_opening(office: Office) -> None:
    with refused(office, NotFound, "unknown process 'paten'", "halal_regular"):
        office.workflow.open_application(office.nib, "paten", office.consultant)


# --------------------------------------------------------------------------- triggers


def test_a_trigger_not_possible_from_the_state_lists_the_allowed_ones(office: Office) -> None:
    app = halal(office)
    with refused(
        office,
        TriggerNotAllowed,
        "sh_issued is not possible from state INTAKE; "
        "allowed from INTAKE: start_document_preparation, cancel",
    ):
        office.workflow.advance(app, "sh_issued", office.consultant)


def test_an_unknown_trigger_names_the_process_and_the_allowed_ones(office: Office) -> None:
    app = halal(office)
    with refused(
        office,
        TriggerNotAllowed,
        "approve_everything is not a trigger of process halal_regular@1; "
        "allowed from INTAKE: start_document_preparation, cancel",
    ):
        office.workflow.advance(app, "approve_everything", office.admin)


def test_a_trigger_on_a_closed_application_says_nothing_is_allowed(office: Office) -> None:
    app = halal(office)
    office.workflow.advance(app, "cancel", office.consultant)
    with refused(office, TriggerNotAllowed, "allowed from CANCELLED: nothing"):
        office.workflow.advance(app, "start_document_preparation", office.consultant)


# --------------------------------------------------------------------------- who may act


def test_a_role_that_may_not_fire_the_trigger_is_refused(office: Office) -> None:
    app = halal(office)
    with refused(
        office,
        NotPermitted,
        "start_document_preparation may be done by: admin, consultant; ana is umkm",
    ):
        office.workflow.advance(app, "start_document_preparation", office.owner)


def test_a_umkm_user_may_not_act_on_another_umkms_application(office: Office) -> None:
    other = halal(office, office.other_nib)
    with refused(
        office,
        NotPermitted,
        f"ana may act only on its own business's applications; #{other} belongs to another UMKM",
    ):
        office.workflow.advance(other, "cancel", office.owner)
    mine = halal(office)
    assert office.workflow.advance(mine, "cancel", office.owner).to_state == "CANCELLED"


def test_a_umkm_user_may_not_open_for_another_business(office: Office) -> None:
    with refused(office, NotPermitted, "only for its own business"):
        office.workflow.open_application(office.other_nib, "trademark", office.owner)


def test_an_application_the_umkm_opens_itself_waits_for_an_assignee(office: Office) -> None:
    wf = office.workflow
    app = wf.open_application(office.nib, "trademark", office.owner)
    assert app_row(office, app)["assignee_id"] is None
    with refused(office, NotPermitted, f"application #{app} is not assigned to rina"):
        wf.advance(app, "start_document_preparation", office.consultant)
    assert wf.advance(app, "start_document_preparation", office.admin).version == 2
    # no consultant to notify while nobody is assigned; DOC_PREPARATION has a packet
    with office.db.connect() as conn:
        kinds = conn.scalars(
            select(OUTBOX.c.kind).where(OUTBOX.c.application_id == app).order_by(OUTBOX.c.id)
        ).all()
    assert kinds == ["email_umkm", "render_packet", "email_umkm"]


def test_a_consultant_may_not_act_on_an_application_assigned_to_another(office: Office) -> None:
    app = halal(office)
    with refused(
        office,
        NotPermitted,
        f"application #{app} is not assigned to yosef; an admin can reassign it",
    ):
        office.workflow.advance(app, "start_document_preparation", office.other_consultant)


def test_after_reassignment_the_new_consultant_acts_and_the_old_may_not(office: Office) -> None:
    wf = office.workflow
    app = halal(office)
    outbox_before = snapshot(office)[2]
    wf.reassign(app, office.other_consultant, office.admin, note="Rina cuti")
    row = app_row(office, app)
    assert row["version"] == 2
    assert row["state"] == "INTAKE"
    assert snapshot(office)[2] == outbox_before  # a reassignment sends nothing
    entry = audit_rows(office, app)[-1]
    assert (entry["trigger"], entry["from_state"], entry["to_state"]) == (
        REASSIGN,
        "INTAKE",
        "INTAKE",
    )
    assert entry["note"] == "Rina cuti"
    assert entry["actor_role"] == "admin"
    with office.db.connect() as conn:
        ids = {r.username: r.id for r in conn.execute(select(USERS.c.username, USERS.c.id))}
    assert entry["data"] == {
        "from": ids["rina"],
        "to": ids["yosef"],
        IMAGE: {"assignee_id": ids["yosef"], "version": 2},
    }
    assert row["assignee_id"] == ids["yosef"]

    with refused(office, NotPermitted, "is not assigned to rina"):
        wf.advance(app, "start_document_preparation", office.consultant)
    result = wf.advance(app, "start_document_preparation", office.other_consultant)
    assert (result.to_state, result.version, result.audit_seq) == ("DOC_PREPARATION", 3, 3)
    assert_chain_verifies(wf, office, app)


def test_only_an_admin_may_reassign(office: Office) -> None:
    app = halal(office)
    for user, role in ((office.consultant, "consultant"), (office.owner, "umkm")):
        with refused(
            office, NotPermitted, f"only admins may reassign applications; {user} is {role}"
        ):
            office.workflow.reassign(app, office.other_consultant, user)


def test_an_application_is_assigned_only_to_a_consultant(office: Office) -> None:
    app = halal(office)
    with refused(office, InvalidInput, "ana is umkm; assign a consultant"):
        office.workflow.reassign(app, office.owner, office.admin)
    with refused(office, InvalidInput, "admin is admin; assign a consultant"):
        office.workflow.open_application(
            office.other_nib, "trademark", office.admin, assignee=office.admin
        )


# --------------------------------------------------------------------------- conflicts and input


def test_a_stale_expected_version_is_a_conflict(office: Office) -> None:
    wf = office.workflow
    app = halal(office)
    seen = app_row(office, app)["version"]
    wf.advance(app, "start_document_preparation", office.consultant, expected_version=seen)
    with refused(
        office,
        ConflictError,
        f"application #{app} changed since you read it: it is at version 2 (you had 1) in state "
        "DOC_PREPARATION",
    ):
        wf.advance(app, "cancel", office.admin, expected_version=seen)
    assert wf.advance(app, "cancel", office.admin, expected_version=2).version == 3


def test_a_second_open_application_of_the_same_process_is_a_conflict(office: Office) -> None:
    wf = office.workflow
    first = halal(office)
    with refused(
        office,
        ConflictError,
        f"this UMKM already has open halal_regular application #{first}",
    ):
        wf.open_application(office.nib, "halal_regular", office.other_consultant)
    # another process, or another UMKM, is fine; so is a new one once the first is closed
    assert wf.open_application(office.nib, "trademark", office.consultant) != first
    assert wf.open_application(office.other_nib, "halal_regular", office.consultant) != first
    wf.advance(first, "cancel", office.consultant)
    again = wf.open_application(office.nib, "halal_regular", office.consultant)
    assert app_row(office, again)["state"] == "INTAKE"


def test_invalid_fields_are_refused_and_nothing_is_written(office: Office) -> None:
    wf = office.workflow
    app = halal(office)
    office.give_evidence(office.nib, HALAL_EVIDENCE, app=app)
    drive(office, app, *HALAL_TO_FATWA, "ketetapan_halal")
    with refused(
        office,
        InvalidInput,
        "certificate_number 'SH-1' is not a valid Nomor Sertifikat Halal",
        "issued_on 2026-11-03 is in the future",
        "sh_issued does not take colour",
    ):
        wf.advance(
            app,
            "sh_issued",
            office.consultant,
            fields={"certificate_number": "SH-1", "issued_on": "2026-11-03", "colour": "hijau"},
        )
    with refused(office, InvalidInput, "certificate_number (Nomor Sertifikat Halal) is required"):
        wf.advance(app, "sh_issued", office.consultant, fields={"issued_on": "2026-11-02"})
    other = halal(office, office.other_nib)
    with refused(office, InvalidInput, "start_document_preparation does not take note"):
        wf.advance(other, "start_document_preparation", office.consultant, fields={"note": "x"})


def test_refused_fields_are_checked_before_the_guards(office: Office) -> None:
    app = halal(office)
    office.workflow.advance(app, "start_document_preparation", office.consultant)
    with refused(office, GuardRefused, "missing nib"):
        office.workflow.advance(app, "submit", office.consultant)


def test_the_evidence_must_still_be_valid_on_the_day(office: Office) -> None:
    app = halal(office)
    office.give_evidence(office.nib, HALAL_EVIDENCE, app=app)
    office.give_evidence(office.nib, ("payment_proof",), valid_until=date(2026, 11, 3), app=app)
    wf = office.workflow
    for trigger in ("start_document_preparation", "submit", "start_doc_verification"):
        wf.advance(app, trigger, office.consultant)
    wf.advance(app, "docs_complete", office.consultant)
    wf.advance(app, "lph_fee_entered", office.consultant)
    office.clock.advance(days=2)
    with refused(
        office,
        GuardRefused,
        "expired payment_proof (Bukti pembayaran), valid until 2026-11-03",
    ):
        wf.advance(app, "payment_proof_uploaded", office.owner)


# --------------------------------------------------------------------------- options


def test_options_list_every_trigger_with_permission_and_what_blocks_it(office: Office) -> None:
    wf = office.workflow
    app = halal(office)
    wf.advance(app, "start_document_preparation", office.consultant)
    with writes_nothing(office):
        mine = wf.options(app, office.consultant)
        theirs = wf.options(app, office.other_consultant)
        owner = wf.options(app, office.owner)
    assert [(o.trigger, o.dest, o.permitted) for o in mine] == [
        ("submit", "SUBMITTED", True),
        ("cancel", "CANCELLED", True),
    ]
    submit = mine[0]
    assert submit.label == "Kirim ke SIHALAL"
    assert len(submit.blocked_by) == 6
    assert submit.blocked_by[0] == "missing nib (NIB (Nomor Induk Berusaha) berbasis risiko)"
    assert mine[1].blocked_by == ()
    assert [o.permitted for o in theirs] == [False, False]
    assert [(o.trigger, o.permitted) for o in owner] == [("submit", False), ("cancel", True)]

    office.give_evidence(office.nib, HALAL_EVIDENCE, app=app)
    assert wf.options(app, office.consultant)[0].blocked_by == ()


def test_options_show_the_fields_and_a_deadline_guard(office: Office) -> None:
    wf = office.workflow
    app = halal(office)
    office.give_evidence(office.nib, HALAL_EVIDENCE, app=app)
    drive(office, app, *HALAL_TO_FATWA)
    options = {o.trigger: o for o in wf.options(app, office.admin)}
    assert list(options) == ["ketetapan_halal", "ketetapan_tidak_halal", "mui_deadline_missed"]
    assert options["mui_deadline_missed"].blocked_by == (
        "the MUI fatwa session still has time: the deadline 2026-11-05 has not passed yet",
    )
    office.clock.advance(days=4)
    assert wf.options(app, office.admin)[2].blocked_by == ()
    wf.advance(app, "ketetapan_halal", office.consultant)
    (sh_issued,) = wf.options(app, office.consultant)
    assert (sh_issued.trigger, sh_issued.fields) == (
        "sh_issued",
        ("certificate_number", "issued_on"),
    )


def test_options_of_a_closed_application_are_empty(office: Office) -> None:
    app = halal(office)
    office.workflow.advance(app, "cancel", office.consultant)
    assert office.workflow.options(app, office.admin) == []


# --------------------------------------------------------------------------- office settings


def test_the_office_day_follows_maluku_time(office: Office) -> None:
    office.clock.now = datetime(2026, 11, 2, 16, 0)  # 01:00 on Tuesday in Ambon, 23:00 in Jakarta
    assert office.workflow.today() == date(2026, 11, 3)
    app = halal(office)
    assert app_row(office, app)["deadline"] == date(2026, 11, 6)


def test_an_office_overrides_a_deadline_and_closes_its_own_days(office: Office) -> None:
    policy = Policy(
        deadline_overrides={"halal_regular.INTAKE": Deadline.parse("2hk")},
        extra_closed_days=frozenset({date(2026, 11, 3)}),
    )
    engine = Engine(office.db, policy=policy, clock=office.clock)
    app = engine.open_application(office.nib, "halal_regular", office.consultant)
    assert app_row(office, app)["deadline"] == date(2026, 11, 5)  # Tuesday is closed
    prep = engine.advance(app, "start_document_preparation", office.consultant)
    assert prep.deadline == date(2026, 11, 17)  # 10 HK, not overridden, minus Tuesday


# --------------------------------------------------------------------------- versions


def _halal_v2() -> ProcessDefinition:
    """Version 2 of the regular path, which no longer returns documents to the applicant."""
    gone = "RETURNED_TO_PU"
    transitions = []
    for transition in HALAL_REGULAR.transitions:
        sources = tuple(s for s in transition.sources if s != gone)
        if transition.dest != gone and sources:
            transitions.append(dataclasses.replace(transition, sources=sources))
    return dataclasses.replace(
        HALAL_REGULAR,
        version=2,
        states={n: s for n, s in HALAL_REGULAR.states.items() if n != gone},
        transitions=tuple(transitions),
    )


def test_an_application_keeps_its_version_until_an_admin_migrates_it(office: Office) -> None:
    v1_only = Engine(office.db, registry=ProcessRegistry(DEFAULT_DEFINITIONS), clock=office.clock)
    both = Engine(
        office.db,
        registry=ProcessRegistry([*DEFAULT_DEFINITIONS, _halal_v2()]),
        clock=office.clock,
    )
    app = v1_only.open_application(office.nib, "halal_regular", office.consultant)
    assert app_row(office, app)["process_version"] == 1

    # a new version applies to new applications only
    moved = both.advance(app, "start_document_preparation", office.consultant)
    assert moved.to_state == "DOC_PREPARATION"
    assert app_row(office, app)["process_version"] == 1
    assert audit_rows(office, app)[-1]["process_version"] == 1
    add_third_umkm(office)
    newer = both.open_application(THIRD_NIB, "halal_regular", office.consultant)
    assert app_row(office, newer)["process_version"] == 2

    with refused(office, NotPermitted, "only admins may migrate applications; rina is consultant"):
        both.migrate(app, 2, office.consultant)

    both.migrate(app, 2, office.admin, note="SOP 2027")
    row = app_row(office, app)
    assert (row["process_version"], row["state"], row["version"]) == (2, "DOC_PREPARATION", 3)
    entry = audit_rows(office, app)[-1]
    assert entry["trigger"] == MIGRATE
    assert (entry["from_state"], entry["to_state"]) == ("DOC_PREPARATION", "DOC_PREPARATION")
    assert (entry["process_key"], entry["process_version"]) == ("halal_regular", 2)
    assert entry["data"]["from_version"] == 1 and entry["data"]["to_version"] == 2
    assert entry["data"][IMAGE]["process_version"] == 2
    assert entry["note"] == "SOP 2027"
    with office.db.connect() as conn:
        migrate_effects = conn.scalar(
            select(func.count())
            .select_from(OUTBOX)
            .where(OUTBOX.c.application_id == app, OUTBOX.c.audit_seq == entry["seq"])
        )
    assert migrate_effects == 0
    assert_chain_verifies(both, office, app)

    # from now on the application follows version 2
    office.give_evidence(office.nib, HALAL_EVIDENCE, app=app)
    both.advance(app, "submit", office.consultant)
    both.advance(app, "start_doc_verification", office.consultant)
    with refused(office, TriggerNotAllowed, "allowed from DOC_VERIFICATION: docs_complete"):
        both.advance(app, "return_incomplete", office.consultant)
    assert audit_rows(office, app)[-1]["process_version"] == 2
    assert_chain_verifies(both, office, app)

    with refused(office, InvalidInput, f"application #{app} is already on halal_regular@2"):
        both.migrate(app, 2, office.admin)


def test_migrating_into_a_version_without_the_current_state_is_refused(office: Office) -> None:
    v1_only = Engine(office.db, clock=office.clock)
    both = Engine(
        office.db,
        registry=ProcessRegistry([*DEFAULT_DEFINITIONS, _halal_v2()]),
        clock=office.clock,
    )
    app = v1_only.open_application(office.nib, "halal_regular", office.consultant)
    office.give_evidence(office.nib, HALAL_EVIDENCE, app=app)
    for trigger in ("start_document_preparation", "submit", "start_doc_verification"):
        v1_only.advance(app, trigger, office.consultant)
    v1_only.advance(app, "return_incomplete", office.consultant)
    with refused(
        office,
        InvalidInput,
        "halal_regular@2 has no state RETURNED_TO_PU; move the application to a state both "
        "versions share first",
    ):
        both.migrate(app, 2, office.admin)
    both.advance(app, "resubmit", office.consultant)
    both.migrate(app, 2, office.admin)
    assert app_row(office, app)["process_version"] == 2
    assert_chain_verifies(both, office, app)


def test_migrating_to_an_unknown_version_is_a_clear_refusal(office: Office) -> None:
    app = halal(office)
    with refused(office, NotFound, "has no version 9; versions: 1"):
        office.workflow.migrate(app, 9, office.admin)


def test_the_audit_row_of_every_step_names_its_actor(office: Office) -> None:
    wf = office.workflow
    app = halal(office)
    wf.advance(app, "start_document_preparation", office.consultant)
    wf.reassign(app, office.other_consultant, office.admin)
    wf.advance(app, "cancel", office.owner)
    rows = audit_rows(office, app)
    assert [(r["actor_role"], r["source"]) for r in rows] == [
        (Role.CONSULTANT.value, "PLUT"),
        (Role.CONSULTANT.value, "PLUT"),
        (Role.ADMIN.value, "PLUT"),
        (Role.UMKM.value, "UMKM"),
    ]


def test_a_redirect_that_cannot_open_the_regular_application_writes_nothing(
    office: Office,
) -> None:
    wf = office.workflow
    with office.db.begin() as conn:
        upsert_umkm(
            conn, [umkm_record(office.nib, "Sagu Ibu Ana", scale="menengah")], office.clock()
        )
    regular = halal(office)
    app = wf.open_application(office.nib, "halal_self_declare", office.consultant)
    wf.advance(app, "start_document_preparation", office.consultant)
    with refused(
        office,
        ConflictError,
        f"this UMKM already has open halal_regular application #{regular}",
    ):
        wf.advance(app, "redirect_to_regular", office.consultant)
    assert app_row(office, app)["state"] == "DOC_PREPARATION"


def test_a_umkm_user_cannot_see_the_options_of_another_businesss_application(
    office: Office,
) -> None:
    app = office.workflow.open_application(office.other_nib, "trademark", office.consultant)
    with pytest.raises(NotPermitted, match="only its own business"):
        office.workflow.options(app, office.owner)
    own = office.workflow.open_application(office.nib, "trademark", office.consultant)
    assert [o.trigger for o in office.workflow.options(own, office.owner)] == [
        "start_document_preparation",
        "cancel",
    ]


def test_the_guards_judge_by_the_offices_policy_not_the_defaults(office: Office) -> None:
    """A turnover above the default ceiling: refused by default, accepted where the office
    raised the ceiling (Kepkaban 146/2025, if confirmed)."""
    from workflow.ledger import UMKM

    with office.db.begin() as conn:
        conn.execute(update(UMKM).where(UMKM.c.nib == office.nib).values(annual_turnover=8 * 10**8))
    raised = Engine(
        office.db, policy=Policy(self_declare_max_turnover=15 * 10**9), clock=office.clock
    )
    app = raised.open_application(office.nib, "halal_self_declare", office.consultant)
    office.give_evidence(
        office.nib,
        ("nib", "product_list", "materials_list", "process_flow", "halal_pledge", "penyelia_halal"),
        app=app,
    )
    raised.advance(app, "start_document_preparation", office.consultant)
    with pytest.raises(GuardRefused, match="turnover"):
        office.workflow.advance(app, "submit", office.consultant)  # the default ceiling
    assert raised.advance(app, "submit", office.consultant).to_state == "SUBMITTED"
