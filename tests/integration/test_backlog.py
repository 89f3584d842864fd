"""Backlog figures on a history built step by step, so every number is known in advance."""

from __future__ import annotations

import pytest

from tests.support import Office
from workflow.backlog import compute_backlog


def _backlog(office: Office, process: str | None = None):  # type: ignore[no-untyped-def]
    with office.db.connect() as conn:
        return compute_backlog(
            conn, office.workflow.registry, office.clock(), office.workflow.today(), process
        )


@pytest.fixture
def history(office: Office) -> Office:
    """Three trademark applications that stayed 1, 2 and 10 days in INTAKE, one SNI waiting."""
    wf, rina, yosef = office.workflow, office.consultant, office.other_consultant
    first = wf.open_application(office.nib, "trademark", rina)
    second = wf.open_application(office.other_nib, "trademark", yosef)
    office.clock.advance(days=1)
    wf.advance(first, "start_document_preparation", rina)
    office.clock.advance(days=1)
    wf.advance(second, "start_document_preparation", yosef)
    wf.advance(first, "cancel", rina)  # 1 day in DOC_PREPARATION, then closed
    third = wf.open_application(office.nib, "trademark", rina)
    office.clock.advance(days=10)
    wf.advance(third, "start_document_preparation", rina)
    wf.open_application(office.nib, "sni", rina)  # waits in INTAKE from now on
    office.clock.advance(days=5)
    return office


def test_open_applications_are_counted_by_stage_consultant_regency_and_process(
    history: Office,
) -> None:
    backlog = _backlog(history)
    assert backlog.open_total == 3
    assert {(s.process, s.state): s.open for s in backlog.by_state} == {
        ("trademark", "DOC_PREPARATION"): 2,
        ("sni", "INTAKE"): 1,
    }
    assert {g.name: g.open for g in backlog.by_consultant} == {
        "Rina Latuconsina": 2,
        "Yosef Tanamal": 1,
    }
    assert [(g.name, g.open) for g in backlog.by_regency] == [("Kota Ambon", 3)]
    assert {g.key: g.open for g in backlog.by_process} == {"trademark": 2, "sni": 1}
    assert backlog.age_buckets == {
        "0-7 hari": 1,
        "8-30 hari": 2,
        "31-90 hari": 0,
        "91-180 hari": 0,
        ">180 hari": 0,
    }


def test_overdue_counts_applications_past_their_working_day_deadline(history: Office) -> None:
    # SNI INTAKE: 3 working days from Saturday 14 Nov end on Wednesday 18 Nov; the second
    # trademark application's 10 working days of preparation from Wednesday 4 Nov end on
    # 18 Nov too; the third's run until 28 Nov. Today is Thursday 19 Nov.
    backlog = _backlog(history)
    assert backlog.today.isoformat() == "2026-11-19"
    assert backlog.overdue_total == 2
    by_state = {(s.process, s.state): s for s in backlog.by_state}
    sni = by_state[("sni", "INTAKE")]
    assert (sni.open, sni.overdue, round(sni.waiting_days, 3)) == (1, 1, 5.0)
    assert by_state[("trademark", "DOC_PREPARATION")].overdue == 1


def test_dwell_statistics_come_from_the_audit_log(history: Office) -> None:
    dwell = {(d.process, d.state): d for d in _backlog(history, "trademark").dwell}
    intake = dwell[("trademark", "INTAKE")]
    assert (intake.stays, intake.median_days, intake.p90_days, intake.total_days) == (
        3,
        2.0,
        10.0,
        13.0,
    )
    assert intake.court == "consultant"
    prep = dwell[("trademark", "DOC_PREPARATION")]
    assert (prep.stays, prep.median_days) == (1, 1.0)
    assert round(prep.waiting_now_days, 3) == 5.0 + 15.0  # second: 15 days, third: 5 days


def test_the_heaviest_stage_and_waiting_by_court_add_finished_and_ongoing_waits(
    history: Office,
) -> None:
    backlog = _backlog(history)
    heaviest = backlog.heaviest_stage
    assert heaviest is not None
    assert (heaviest.process, heaviest.state, round(heaviest.held_days, 3)) == (
        "trademark",
        "DOC_PREPARATION",
        21.0,
    )
    assert {k: round(v, 3) for k, v in backlog.waiting_by_court.items()} == {
        "consultant": 13.0 + 5.0,
        "umkm": 21.0,
        "agency": 0.0,
    }


def test_an_empty_office_has_an_empty_backlog(office: Office) -> None:
    backlog = _backlog(office)
    assert (backlog.open_total, backlog.overdue_total, backlog.by_state, backlog.dwell) == (
        0,
        0,
        [],
        [],
    )
    assert backlog.heaviest_stage is None


def test_a_umkm_that_moves_regency_takes_its_open_applications_along(office: Office) -> None:
    from tests.support import app_row, umkm_record
    from workflow.directory import upsert_umkm

    moved = office.workflow.open_application(office.nib, "trademark", office.consultant)
    stays = office.workflow.open_application(office.other_nib, "trademark", office.consultant)
    with office.db.begin() as conn:
        upsert_umkm(
            conn, [umkm_record(office.nib, "Sagu Ibu Ana", regency_code="8104")], office.clock()
        )
    assert app_row(office, moved)["regency_code"] == "8104"
    assert app_row(office, stays)["regency_code"] == "8171"
    assert {(g.name, g.open) for g in _backlog(office).by_regency} == {
        ("Kabupaten Buru", 1),
        ("Kota Ambon", 1),
    }
