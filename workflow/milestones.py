"""Dates an application is measured against besides its stage's deadline, computed from its row
and its audit history (nothing is stored, so the audit replay is untouched).

- ``path``: the whole path's target (self-declare: 12 working days from the last submission to
  the certificate, BPJPH's service standard), shown beside the stage's deadline. ``running``
  until it passes (``overdue``), then ``met`` or ``missed`` by the certificate's issue date.
- ``surveillance`` (SNI): audits fall due every ``surveillance_months`` counted from the issue
  date (issue + k x months, as the worker's sweep fires them); the next one is ``upcoming`` or
  ``overdue`` while the certificate waits in CERTIFIED, ``in_progress`` once the LSPro started
  it. None once a due date falls on or after the certificate's expiry (recertification is due).
- ``consistency_check`` (halal): the certificate never expires while materials and process are
  unchanged (UU 6/2023 Pasal 42), but BPJPH checks its consistency every
  ``Policy.halal_consistency_check_years`` (PP 42/2024 reportedly 4 years, unconfirmed), counted
  from the issue date or the last check passed. ``upcoming``, then ``due``: never "expired".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from workflow.calendar import WorkingCalendar
from workflow.model import Phase, ProcessDefinition
from workflow.policy import Policy
from workflow.rules import deadline_kind

__all__ = [
    "CONSISTENCY_PASSED",
    "SURVEILLANCE_TRIGGER",
    "Milestone",
    "application_measures",
    "consistency_check_due",
    "milestones",
    "surveillance_due",
]

SURVEILLANCE_TRIGGER = "surveillance_due"
"""The SNI trigger that starts a surveillance audit: one audit entry per cycle."""
CONSISTENCY_PASSED = "surveillance_passed"
"""The halal trigger that records a consistency check passed."""


@dataclass(frozen=True, slots=True)
class Milestone:
    """A date the application is measured against, with where it comes from and where it is."""

    name: str  # path | surveillance | consistency_check
    label: str
    label_en: str
    due: date
    status: str  # running, overdue, met, missed, upcoming, in_progress, due
    basis: str
    source: str
    kind: str  # law | target, as for a stage's deadline
    working_days_left: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "name": self.name,
            "label": self.label,
            "label_en": self.label_en,
            "due": self.due.isoformat(),
            "status": self.status,
            "basis": self.basis,
            "kind": self.kind,
            "source": self.source,
            "working_days_left": self.working_days_left,
        }


def surveillance_due(issued: date, cycle: int, months: int) -> date:
    """When SNI surveillance audit number ``cycle`` falls due: ``cycle`` x ``months`` from the
    issue date, so a 31st or a leap day never drifts and a late audit does not push the next."""
    return issued + relativedelta(months=months * cycle)


def consistency_check_due(issued: date, last_passed: date | None, years: int) -> date:
    """When a halal certificate's next consistency check falls due: ``years`` after the issue
    date or the last check passed, whichever is later."""
    return max(issued, last_passed or issued) + relativedelta(years=years)


def _office_date(moment: datetime, zone: ZoneInfo) -> date:
    return moment.replace(tzinfo=UTC).astimezone(zone).date()


def milestones(
    definition: ProcessDefinition,
    app: Mapping[str, Any],
    entries: Iterable[Mapping[str, Any]],
    today: date,
    calendar: WorkingCalendar,
    policy: Policy,
    surveillance_months: int = 12,
) -> list[Milestone]:
    """The milestones of application ``app`` (its row: state, phase, certificate dates) with
    audit ``entries`` (oldest first: trigger, to_state, at) as of the office's ``today``."""
    history = list(entries)
    zone = ZoneInfo(policy.timezone)
    found: list[Milestone] = []
    path = _path(definition, app, history, today, calendar, policy, zone)
    if path is not None:
        found.append(path)
    issued: date | None = app.get("certificate_issued_on")
    if app["phase"] != Phase.CERTIFIED.value or issued is None:
        return found
    if definition.key == "sni":
        check = _surveillance(app, history, issued, today, calendar, surveillance_months)
    elif definition.key.startswith("halal"):
        check = _consistency(app, history, issued, today, calendar, policy, zone)
    else:
        check = None
    return found if check is None else [*found, check]


def _path(
    definition: ProcessDefinition,
    app: Mapping[str, Any],
    history: list[Mapping[str, Any]],
    today: date,
    calendar: WorkingCalendar,
    policy: Policy,
    zone: ZoneInfo,
) -> Milestone | None:
    spec = policy.deadline(definition.key, "PATH", definition.path_deadline)
    if spec is None:
        return None
    entered = [e["at"] for e in history if e["to_state"] == definition.path_from]
    if not entered:
        return None
    due = calendar.due(_office_date(entered[-1], zone), spec)
    issued: date | None = app.get("certificate_issued_on")
    left = None
    if issued is not None:
        status = "met" if issued <= due else "missed"
    elif app["phase"] != Phase.PIPELINE.value:
        return None  # closed without a certificate: nothing more to measure
    else:
        status = "overdue" if today > due else "running"
        left = calendar.working_days_between(today, due) if status == "running" else None
    return Milestone(
        "path",
        f"Target seluruh jalur ({spec} sejak {definition.path_from})",
        f"Whole-path target ({spec} from {definition.path_from})",
        due,
        status,
        spec.basis,
        spec.source,
        spec.kind,
        left,
    )


def _surveillance(
    app: Mapping[str, Any],
    history: list[Mapping[str, Any]],
    issued: date,
    today: date,
    calendar: WorkingCalendar,
    months: int,
) -> Milestone | None:
    done = sum(1 for e in history if e["trigger"] == SURVEILLANCE_TRIGGER)
    expires: date | None = app.get("certificate_expires_on")
    if app["state"] == "SURVEILLANCE":  # the cycle the last surveillance_due started
        cycle, status = max(done, 1), "in_progress"
    elif app["state"] == "CERTIFIED":
        cycle, status = done + 1, "upcoming"
    else:
        return None  # suspended: the LSPro's findings come first
    due = surveillance_due(issued, cycle, months)
    if status == "upcoming":
        if expires is not None and due >= expires:
            return None  # the certificate ends first: recertification, not surveillance
        status = "overdue" if today > due else "upcoming"
    return Milestone(
        "surveillance",
        f"Survailen SNI ke-{cycle}",
        f"SNI surveillance audit no. {cycle}",
        due,
        status,
        "practice",
        f"first within 12 months of issue (one LSPro), then every {months} months",
        "target",
        calendar.working_days_between(today, due) if status == "upcoming" else None,
    )


def _consistency(
    app: Mapping[str, Any],
    history: list[Mapping[str, Any]],
    issued: date,
    today: date,
    calendar: WorkingCalendar,
    policy: Policy,
    zone: ZoneInfo,
) -> Milestone | None:
    if app["state"] != "HALAL_ACTIVE":
        return None  # a check or a change is under way
    passed = [_office_date(e["at"], zone) for e in history if e["trigger"] == CONSISTENCY_PASSED]
    years = policy.halal_consistency_check_years
    due = consistency_check_due(issued, max(passed, default=None), years)
    status = "due" if today >= due else "upcoming"
    return Milestone(
        "consistency_check",
        "Pemeriksaan konsistensi kehalalan",
        "Halal consistency check",
        due,
        status,
        "unconfirmed",
        f"PP 42/2024 reportedly every {years} years; the certificate itself does not expire "
        "(UU 6/2023 Pasal 42)",
        "target",
        calendar.working_days_between(today, due) if status == "upcoming" else None,
    )


def application_measures(
    definition: ProcessDefinition,
    detail: Mapping[str, Any],
    entries: Iterable[Mapping[str, Any]],
    today: date,
    calendar: WorkingCalendar,
    policy: Policy,
    surveillance_months: int = 12,
) -> dict[str, Any]:
    """What ``app show`` prints beside the stage's deadline: its kind (``law`` or ``target``)
    and the application's milestones, JSON-ready."""
    return {
        "deadline_kind": (
            deadline_kind(definition, detail["state"], policy)
            if detail.get("deadline") is not None
            else None
        ),
        "milestones": [
            m.as_dict()
            for m in milestones(
                definition, detail, entries, today, calendar, policy, surveillance_months
            )
        ],
    }
