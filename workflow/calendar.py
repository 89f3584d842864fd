"""Working-day calendar: weekends, Indonesian public holidays and cuti bersama, office closures.

Holidays come from the maintained ``holidays`` package (public and government categories, so that
collective leave is closed too); an office adds its own closed days. Deadlines in DOMAIN.md are in
*hari kerja* (HK): the n-th working day after the day a state was entered.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import holidays
from dateutil.relativedelta import relativedelta

from workflow.model import Deadline, Unit

__all__ = ["WorkingCalendar"]


class WorkingCalendar:
    """Which days an Indonesian office is open, and deadline arithmetic over them."""

    def __init__(self, extra_closed_days: Iterable[date] = ()) -> None:
        self._extra = frozenset(extra_closed_days)
        self._holidays = holidays.country_holidays(
            "ID", categories=("public", "government"), language="id"
        )
        # A due date depends only on the start day and the deadline: every transition on the
        # same day asks the same few questions.
        self._due: dict[tuple[date, Deadline], date] = {}
        # Per year, the working days up to and including each day of it (index: day of year
        # less one): counting working days between two dates is then two lookups a year apart.
        self._open_by_day: dict[int, list[int]] = {}

    def closed_reason(self, day: date) -> str | None:
        """Why the office is closed on ``day`` (holiday name, weekend), or None if it is open."""
        if day in self._extra:
            return "Libur kantor"
        name: str | None = self._holidays.get(day)
        if name:
            return name
        if day.weekday() >= 5:
            return "Sabtu" if day.weekday() == 5 else "Minggu"
        return None

    def is_working_day(self, day: date) -> bool:
        """True when the office is open on ``day``."""
        return self.closed_reason(day) is None

    def add_working_days(self, start: date, count: int) -> date:
        """The ``count``-th working day after ``start`` (``start`` itself does not count)."""
        day = start
        remaining = count
        while remaining > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative when ``end`` is before ``start``."""
        if end < start:
            return -self.working_days_between(end, start)
        whole_years = sum(self._open_in(year)[-1] for year in range(start.year, end.year))
        return whole_years + self._open_up_to(end) - self._open_up_to(start)

    def _open_up_to(self, day: date) -> int:
        """Working days from 1 January of ``day``'s year to ``day``, both included."""
        return self._open_in(day.year)[day.timetuple().tm_yday - 1]

    def _open_in(self, year: int) -> list[int]:
        counts = self._open_by_day.get(year)
        if counts is None:
            counts, running, day = [], 0, date(year, 1, 1)
            while day.year == year:
                running += self.is_working_day(day)
                counts.append(running)
                day += timedelta(days=1)
            self._open_by_day[year] = counts
        return counts

    def due(self, start: date, deadline: Deadline) -> date:
        """The last day of ``deadline`` counted from ``start``."""
        key = (start, deadline)
        cached = self._due.get(key)
        if cached is None:
            if len(self._due) > 10_000:
                self._due.clear()
            cached = self._due[key] = self._count(start, deadline)
        return cached

    def _count(self, start: date, deadline: Deadline) -> date:
        if deadline.unit is Unit.WORKING_DAYS:
            return self.add_working_days(start, deadline.amount)
        if deadline.unit is Unit.CALENDAR_DAYS:
            return start + timedelta(days=deadline.amount)
        return start + relativedelta(months=deadline.amount)
