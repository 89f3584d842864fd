"""A user's day and the application lists, seen as each role may: on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest

from tests.support import Office
from workflow.agenda import Agenda, agenda
from workflow.errors import InvalidInput, NotFound, NotPermitted
from workflow.model import Court
from workflow.permissions import acting_user
from workflow.persistence.database import reading
from workflow.queries import (
    COURT_NAMES,
    ApplicationFilter,
    court_named,
    list_applications,
    seen_by,
)


def _day(office: Office, username: str) -> Agenda:
    with reading(office.db).connect() as conn:
        return agenda(
            conn,
            office.workflow.registry,
            acting_user(conn, username),
            office.workflow.today(),
            office.workflow.calendar,
        )


def _ids(day: Agenda, section: str) -> list[int]:
    return [entry["id"] for entry in day.sections[section]]


def _every_id(day: Agenda) -> list[int]:
    return [entry["id"] for entries in day.sections.values() for entry in entries]


def _listed(office: Office, criteria: ApplicationFilter, as_user: str | None = None) -> list[int]:
    with reading(office.db).connect() as conn:
        if as_user is not None:
            criteria = seen_by(conn, acting_user(conn, as_user), criteria)
        rows = list_applications(
            conn,
            office.workflow.registry,
            criteria,
            office.workflow.today(),
            office.workflow.calendar,
        )
    return [row["id"] for row in rows]


def _three_applications(office: Office) -> tuple[int, int, int]:
    """Ana's trademark (rina's), the other business's halal application (yosef's), and an
    unassigned trademark of the other business; all in INTAKE on Monday 2 November 2026."""
    ana = office.workflow.open_application(office.nib, "trademark", office.consultant)
    other = office.workflow.open_application(
        office.other_nib, "halal_regular", office.other_consultant
    )
    unassigned = office.workflow.open_application(office.other_nib, "trademark", office.admin)
    return ana, other, unassigned


def test_a_consultant_sees_the_applications_assigned_to_them_with_what_they_may_fire(
    office: Office,
) -> None:
    ana, *_ = _three_applications(office)
    day = _day(office, office.consultant)
    assert day.today == date(2026, 11, 2) and day.week_ends == date(2026, 11, 9)
    assert _ids(day, "this_week") == [ana]  # INTAKE: 3 working days, the consultant's court
    assert _every_id(day) == [ana]  # not yosef's, not the unassigned one
    (entry,) = day.sections["this_week"]
    assert entry["yours"] and entry["court"] == "consultant" and entry["working_days_left"] == 3
    assert entry["next_triggers"] == ["start_document_preparation", "cancel"]
    office.workflow.advance(ana, "start_document_preparation", office.consultant)
    waiting = _day(office, office.consultant)
    assert _ids(waiting, "waiting") == [ana] and waiting.counts()["this_week"] == 0


def test_a_umkm_user_sees_its_own_business_only_and_its_deadlines_in_order(
    office: Office,
) -> None:
    ana, other, _ = _three_applications(office)
    office.workflow.advance(ana, "start_document_preparation", office.consultant)
    office.workflow.advance(other, "start_document_preparation", office.other_consultant)
    day = _day(office, office.owner)
    assert _every_id(day) == [ana]  # not the other business's, in the UMKM's court too
    assert _ids(day, "later") == [ana]  # 10 working days: 16 November
    (entry,) = day.sections["later"]
    assert entry["hint"] and entry["next_triggers"] == ["cancel"]
    office.clock.advance(days=14)  # Monday 16 November: the deadline
    assert _ids(_day(office, office.owner), "due_today") == [ana]
    office.clock.advance(days=1)
    late = _day(office, office.owner)
    assert _ids(late, "overdue") == [ana] and late.counts()["due_today"] == 0
    assert _ids(_day(office, office.consultant), "overdue") == [ana]  # rina chases it


def test_an_admin_sees_the_unassigned_applications_and_every_overdue_one(
    office: Office,
) -> None:
    ana, other, unassigned = _three_applications(office)
    day = _day(office, office.admin)
    assert _every_id(day) == [unassigned]
    assert _ids(day, "this_week") == [unassigned]  # nobody else will move it
    office.clock.advance(days=4)  # Friday: INTAKE's 3 working days ran out on Thursday
    late = _day(office, office.admin)
    assert sorted(_ids(late, "overdue")) == sorted([ana, other, unassigned])
    assert {e["consultant"] for e in late.sections["overdue"]} == {"rina", "yosef", None}


def test_app_list_as_a_umkm_user_shows_its_own_and_refuses_another_business(
    office: Office,
) -> None:
    ana, other, unassigned = _three_applications(office)
    assert _listed(office, ApplicationFilter(), office.owner) == [ana]
    with pytest.raises(NotPermitted, match="its own business's applications"):
        _listed(office, ApplicationFilter(nib=office.other_nib), office.owner)
    assert sorted(_listed(office, ApplicationFilter())) == sorted([ana, other, unassigned])


def test_app_list_as_a_consultant_defaults_to_theirs(office: Office) -> None:
    ana, other, unassigned = _three_applications(office)
    assert _listed(office, ApplicationFilter(), office.consultant) == [ana]
    named = ApplicationFilter(consultant=office.other_consultant)
    assert _listed(office, named, office.consultant) == [other]
    assert sorted(_listed(office, ApplicationFilter(), office.admin)) == sorted(
        [ana, other, unassigned]
    )


def test_app_list_filters_by_due_window_court_regency_and_business(office: Office) -> None:
    ana, other, unassigned = _three_applications(office)
    office.workflow.advance(ana, "start_document_preparation", office.consultant)
    assert sorted(_listed(office, ApplicationFilter(due="week"))) == sorted([other, unassigned])
    assert _listed(office, ApplicationFilter(due="today")) == []
    office.clock.advance(days=3)  # Thursday 5 November: INTAKE's last day
    assert sorted(_listed(office, ApplicationFilter(due="today"))) == sorted([other, unassigned])
    assert _listed(office, ApplicationFilter(court="umkm")) == [ana]
    assert sorted(_listed(office, ApplicationFilter(court="office"))) == sorted([other, unassigned])
    assert _listed(office, ApplicationFilter(court="agency")) == []
    assert len(_listed(office, ApplicationFilter(regency="Kota Ambon"))) == 3
    assert len(_listed(office, ApplicationFilter(regency="8171"))) == 3
    assert _listed(office, ApplicationFilter(regency="Buru")) == []
    assert _listed(office, ApplicationFilter(nib=office.nib)) == [ana]


@pytest.mark.parametrize(
    ("criteria", "error", "message"),
    [
        (ApplicationFilter(regency="Atlantis"), InvalidInput, "unknown regency 'Atlantis'"),
        (ApplicationFilter(nib="8199999999999"), NotFound, "no UMKM with NIB"),
        (ApplicationFilter(consultant="nobody"), NotFound, "no user 'nobody'"),
        (ApplicationFilter(due="month"), InvalidInput, "due 'month': one of today, week"),
        (ApplicationFilter(court="court"), InvalidInput, "unknown court 'court'"),
        (ApplicationFilter(due="today", overdue_only=True), InvalidInput, "not both"),
    ],
)
def test_app_list_refuses_what_does_not_exist(
    office: Office, criteria: ApplicationFilter, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        _listed(office, criteria)


def test_the_office_court_is_the_consultants_side() -> None:
    assert court_named("office") is Court.CONSULTANT
    assert set(COURT_NAMES) == {"umkm", "consultant", "agency", "office"}


def test_a_day_cut_short_lists_the_nearest_deadlines_and_counts_them_all(office: Office) -> None:
    """The web page asks for at most so many a section: a consultant holding thousands still
    sees every count, and the nearest deadlines listed, in the same order."""
    apps = [office.workflow.open_application(office.nib, "trademark", office.consultant)]
    office.clock.advance(days=1)  # a later deadline for the next two
    apps += [
        office.workflow.open_application(office.other_nib, "trademark", office.consultant),
        office.workflow.open_application(office.other_nib, "halal_regular", office.consultant),
    ]
    with reading(office.db).connect() as conn:
        short = agenda(
            conn,
            office.workflow.registry,
            acting_user(conn, office.consultant),
            office.workflow.today(),
            office.workflow.calendar,
            per_section=2,
        )
    whole = _day(office, office.consultant)
    assert whole.counts()["this_week"] == short.counts()["this_week"] == 3
    assert _ids(whole, "this_week") == apps
    assert _ids(short, "this_week") == apps[:2]
    assert short.sections["this_week"][0]["working_days_left"] is not None  # described in full
