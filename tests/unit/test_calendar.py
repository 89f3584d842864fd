"""The working-day calendar: weekends, Indonesian holidays and cuti bersama, office closures."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflow.calendar import WorkingCalendar
from workflow.model import Deadline, Unit

CALENDAR = WorkingCalendar()
FRIDAY = date(2026, 11, 6)
MONDAY = date(2026, 11, 9)


def test_saturday_and_sunday_are_closed_and_named() -> None:
    assert CALENDAR.closed_reason(date(2026, 11, 7)) == "Sabtu"
    assert CALENDAR.closed_reason(date(2026, 11, 8)) == "Minggu"
    assert CALENDAR.closed_reason(MONDAY) is None
    assert CALENDAR.is_working_day(FRIDAY)
    assert not CALENDAR.is_working_day(date(2026, 11, 7))


def test_one_working_day_after_a_friday_is_the_monday() -> None:
    assert CALENDAR.add_working_days(FRIDAY, 1) == MONDAY


def test_a_start_on_a_weekend_counts_from_the_next_open_day() -> None:
    assert CALENDAR.add_working_days(date(2026, 11, 7), 1) == MONDAY
    assert CALENDAR.add_working_days(date(2026, 11, 8), 2) == date(2026, 11, 10)


def test_zero_working_days_is_the_start_itself() -> None:
    assert CALENDAR.add_working_days(date(2026, 11, 7), 0) == date(2026, 11, 7)


def test_fifteen_working_days_span_three_weeks() -> None:
    assert CALENDAR.add_working_days(date(2026, 11, 2), 15) == date(2026, 11, 23)


@pytest.mark.parametrize("day", [date(2026, 3, 20), date(2026, 3, 23), date(2026, 3, 24)])
def test_idul_fitri_2026_cuti_bersama_days_are_closed(day: date) -> None:
    reason = CALENDAR.closed_reason(day)
    assert reason is not None
    assert "Cuti Bersama" in reason
    assert "Idul Fitri" in reason
    assert not CALENDAR.is_working_day(day)


def test_the_idul_fitri_holidays_are_skipped_when_counting() -> None:
    # Wed 18 (cuti Nyepi), Thu 19 (Nyepi), Fri 20 (cuti), the weekend, Mon 23 and Tue 24 (cuti)
    assert CALENDAR.add_working_days(date(2026, 3, 17), 1) == date(2026, 3, 25)
    assert CALENDAR.add_working_days(date(2026, 3, 16), 3) == date(2026, 3, 26)


def test_christmas_and_its_cuti_bersama_are_closed() -> None:
    assert not CALENDAR.is_working_day(date(2026, 12, 24))
    assert not CALENDAR.is_working_day(date(2026, 12, 25))
    assert CALENDAR.add_working_days(date(2026, 12, 23), 1) == date(2026, 12, 28)


def test_an_office_closed_day_is_skipped() -> None:
    tuesday = date(2026, 11, 10)
    office = WorkingCalendar([tuesday])
    assert office.closed_reason(tuesday) == "Libur kantor"
    assert office.add_working_days(MONDAY, 1) == date(2026, 11, 11)
    assert CALENDAR.add_working_days(MONDAY, 1) == tuesday


def test_working_days_between_counts_the_end_but_not_the_start() -> None:
    assert CALENDAR.working_days_between(FRIDAY, MONDAY) == 1
    assert CALENDAR.working_days_between(MONDAY, MONDAY) == 0
    assert CALENDAR.working_days_between(date(2026, 11, 2), date(2026, 11, 23)) == 15
    assert CALENDAR.working_days_between(date(2026, 3, 16), date(2026, 3, 27)) == 4


def test_working_days_between_is_negative_backwards() -> None:
    assert CALENDAR.working_days_between(MONDAY, FRIDAY) == -1
    assert CALENDAR.working_days_between(date(2026, 11, 23), date(2026, 11, 2)) == -15


def test_working_days_between_undoes_add_working_days() -> None:
    start = date(2026, 3, 2)
    for count in (1, 5, 15, 40):
        end = CALENDAR.add_working_days(start, count)
        assert CALENDAR.working_days_between(start, end) == count
        assert CALENDAR.is_working_day(end)


def test_due_counts_working_days_for_hk() -> None:
    assert CALENDAR.due(FRIDAY, Deadline(1, Unit.WORKING_DAYS, "law")) == MONDAY
    assert CALENDAR.due(date(2026, 3, 17), Deadline(3, Unit.WORKING_DAYS, "law")) == date(
        2026, 3, 27
    )


def test_due_counts_calendar_days_for_days_even_onto_a_holiday() -> None:
    assert CALENDAR.due(date(2026, 11, 2), Deadline(30, Unit.CALENDAR_DAYS, "law")) == date(
        2026, 12, 2
    )
    assert CALENDAR.due(date(2026, 3, 13), Deadline(7, Unit.CALENDAR_DAYS, "law")) == date(
        2026, 3, 20
    )


def test_due_counts_calendar_months_for_months() -> None:
    assert CALENDAR.due(date(2026, 11, 2), Deadline(2, Unit.MONTHS, "law")) == date(2027, 1, 2)
    assert CALENDAR.due(date(2026, 12, 31), Deadline(2, Unit.MONTHS, "law")) == date(2027, 2, 28)


def test_working_days_left_over_a_weekend_count_the_end_day_not_the_start_day() -> None:
    saturday, monday, friday = date(2026, 11, 7), date(2026, 11, 9), date(2026, 11, 6)
    assert CALENDAR.working_days_between(saturday, monday) == 1  # Monday counts
    assert CALENDAR.working_days_between(friday, saturday) == 0  # Friday has passed
    assert CALENDAR.working_days_between(saturday, date(2026, 11, 8)) == 0  # to Sunday


def test_a_new_calendar_names_holidays_in_indonesian() -> None:
    calendar = WorkingCalendar()  # built here, not at import: the names come from its setup
    assert calendar.closed_reason(date(2026, 1, 1)) == "Tahun Baru Masehi"
    assert calendar.closed_reason(date(2026, 3, 20)) == "Cuti Bersama Hari Raya Idul Fitri"
    assert calendar.closed_reason(date(2026, 3, 21)) == "Hari Raya Idul Fitri"  # a Saturday
    assert calendar.closed_reason(date(2026, 8, 17)) == "Hari Kemerdekaan Republik Indonesia"


@settings(max_examples=300, deadline=None)
@given(
    start=st.dates(min_value=date(2023, 1, 1), max_value=date(2028, 12, 31)),
    span=st.integers(min_value=-900, max_value=900),
)
def test_working_days_between_is_the_day_by_day_count_across_years(start: date, span: int) -> None:
    """The per-year running counts give what counting day by day gives, weekends, holidays,
    cuti bersama and the office's own closed days included, forwards and backwards."""
    end = start + timedelta(days=span)
    low, high = min(start, end), max(start, end)
    counted = sum(
        OFFICE.is_working_day(low + timedelta(days=offset))
        for offset in range(1, (high - low).days + 1)
    )
    assert OFFICE.working_days_between(start, end) == (counted if end >= start else -counted)


OFFICE = WorkingCalendar([date(2026, 12, 31), date(2027, 1, 4)])
