"""Reading applications: one in detail with its history, and lists with filters (by process,
state, consultant, regency, business, whose court, what falls due), seen as a given user may."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, false, func, literal, or_, select
from sqlalchemy.orm import aliased

from workflow.calendar import WorkingCalendar
from workflow.errors import InvalidInput, NotFound, NotPermitted
from workflow.ledger import APPLICATIONS, AUDIT, REGENCIES, SELECT_USER, UMKM, USERS, Actor
from workflow.model import Court, Phase, Role
from workflow.persistence.database import plan_once
from workflow.processes import ProcessRegistry
from workflow.regions import Regency, match_regency

__all__ = [
    "COURT_NAMES",
    "DUE_WINDOWS",
    "WEEK_WORKING_DAYS",
    "ApplicationFilter",
    "application_detail",
    "application_query",
    "court_named",
    "describe_application",
    "history",
    "in_court",
    "list_applications",
    "regency_code",
    "seen_by",
    "week_end",
]

DUE_WINDOWS = ("today", "week")
"""What ``--due`` takes: the deadline is today, or within the working week ahead."""
WEEK_WORKING_DAYS = 5
""""This week": from today to the fifth working day after it (a working week, holidays and
weekends skipped), so that on a Friday it still looks a week ahead."""
_OFFICE = "office"
COURT_NAMES = (*(c.value for c in Court), *(() if _OFFICE in set(Court) else (_OFFICE,)))
"""Whose court a list can ask for: each ``Court``, and ``office``: the PLUT office's own side,
whose consultants hold the ball (the ``consultant`` court)."""

_actor = aliased(USERS)


def application_query() -> Any:
    """Applications with their business, regency and consultant: what lists and details show."""
    a = APPLICATIONS
    return (
        select(
            a.c.id,
            a.c.process_key,
            a.c.process_version,
            a.c.state,
            a.c.phase,
            a.c.version,
            a.c.deadline,
            a.c.opened_at,
            a.c.state_entered_at,
            a.c.title,
            a.c.filed_on,
            a.c.certificate_number,
            a.c.certificate_issued_on,
            a.c.certificate_expires_on,
            a.c.linked_from_id,
            UMKM.c.nib,
            UMKM.c.name.label("umkm_name"),
            UMKM.c.email.label("umkm_email"),
            REGENCIES.c.name.label("regency"),
            USERS.c.username.label("consultant"),
            USERS.c.full_name.label("consultant_name"),
        )
        .join(UMKM, UMKM.c.id == a.c.umkm_id)
        .join(REGENCIES, REGENCIES.c.code == UMKM.c.regency_code)
        .outerjoin(USERS, USERS.c.id == a.c.assignee_id)
    )


def week_end(today: date, calendar: WorkingCalendar) -> date:
    """The last day of "this week" seen from ``today``: ``WEEK_WORKING_DAYS`` working days on."""
    return calendar.add_working_days(today, WEEK_WORKING_DAYS)


def court_named(name: str) -> Court:
    """The court ``name`` (one of ``COURT_NAMES``) stands for."""
    if name in set(Court):
        return Court(name)
    if name == _OFFICE:
        return Court.CONSULTANT
    raise InvalidInput(f"unknown court {name!r}; one of: {', '.join(COURT_NAMES)}")


@lru_cache(maxsize=32)
def in_court(registry: ProcessRegistry, court: Court) -> ColumnElement[bool]:
    """A condition on applications: their state puts the ball in ``court`` (a state's court
    is part of its process definition, so this covers every version). Built once per registry
    and court: a registry does not change, and the day's page asks on every request.

    A state name that is in ``court`` in every definition having it is tested by name alone,
    in one list; only a name whose court differs between definitions is tested with its
    process and version. Today no name differs, so the condition is one short ``IN``: the
    database tests it on each row of a consultant's day, and a long statement costs psycopg
    its parsing on every run (it keeps the parsed form of statements under 4,096 characters).
    """
    a = APPLICATIONS
    courts: dict[str, set[Court]] = {}
    for definition in registry.all():
        for name, state in definition.states.items():
            courts.setdefault(name, set()).add(state.court)
    plain = sorted(name for name, held in courts.items() if held == {court})
    conditions: list[ColumnElement[bool]] = []
    if plain:
        conditions.append(a.c.state.in_([literal(name) for name in plain]))
    conditions += [
        and_(
            a.c.process_key == definition.key,
            a.c.process_version == definition.version,
            a.c.state.in_([literal(name) for name in names]),  # not expanded on each run
        )
        for definition in registry.all()
        if (
            names := [
                name
                for name, state in definition.states.items()
                if state.court is court and len(courts[name]) > 1
            ]
        )
    ]
    return or_(*conditions) if conditions else false()


def regency_code(conn: Connection, text: str) -> str:
    """The code of the office's regency ``text`` names (a code, ``Kota Ambon``, ``Ambon``,
    ``SBB`` ...); refused, listing them, when it names none."""
    regencies = [
        Regency(r.code, r.name, r.kind, r.seat)
        for r in conn.execute(select(REGENCIES).order_by(REGENCIES.c.code))
    ]
    found = match_regency(text, regencies)
    if found is None:
        known = ", ".join(f"{r.code} {r.name}" for r in regencies)
        raise InvalidInput(f"unknown regency {text!r}; the office's regencies: {known}")
    return found.code


def describe_application(
    row: Mapping[Any, Any], registry: ProcessRegistry, today: date, calendar: WorkingCalendar
) -> dict[str, Any]:
    """``row`` of ``application_query`` with its process title, state label, whose court, the
    UMKM's hint, whether it is overdue and the working days left on ``today``."""
    definition = registry.get(row["process_key"], row["process_version"])
    state = definition.states[row["state"]]
    deadline = row["deadline"]
    result = dict(row)
    result.update(
        process_title=definition.title,
        state_label=state.label,
        court=state.court.value,
        hint=state.hint,
        overdue=bool(deadline and deadline < today and state.phase is Phase.PIPELINE),
        working_days_left=(
            calendar.working_days_between(today, deadline) if deadline is not None else None
        ),
    )
    return result


def application_detail(
    conn: Connection, registry: ProcessRegistry, app_id: int, today: date, calendar: WorkingCalendar
) -> dict[str, Any]:
    """One application with its UMKM, consultant, state label, deadline and whose court."""
    row = conn.execute(application_query().where(APPLICATIONS.c.id == app_id)).mappings().first()
    if row is None:
        raise NotFound(f"no application #{app_id}; see 'sertiflow app list'")
    return describe_application(row, registry, today, calendar)


def history(conn: Connection, app_id: int) -> list[dict[str, Any]]:
    """The application's audit entries, oldest first, with the actor's username."""
    query = (
        select(
            AUDIT.c.seq,
            AUDIT.c.at,
            AUDIT.c.trigger,
            AUDIT.c.from_state,
            AUDIT.c.to_state,
            AUDIT.c.source,
            AUDIT.c.actor_role,
            _actor.c.username.label("actor"),
            AUDIT.c.note,
            AUDIT.c.data,
            AUDIT.c.hash,
        )
        .outerjoin(_actor, _actor.c.id == AUDIT.c.actor_id)
        .where(AUDIT.c.application_id == app_id)
        .order_by(AUDIT.c.seq)
    )
    return [dict(r) for r in conn.execute(query).mappings()]


@dataclass(frozen=True)
class ApplicationFilter:
    """Which applications to list; every field narrows the list."""

    process: str | None = None
    state: str | None = None
    consultant: str | None = None  # username
    regency: str | None = None  # a code or a name (``regency_code``)
    nib: str | None = None
    overdue_only: bool = False
    include_closed: bool = False
    limit: int = 200
    offset: int = 0  # how many of the matching to skip first (a page's start)
    due: str | None = None  # one of DUE_WINDOWS
    court: str | None = None  # one of COURT_NAMES


def seen_by(conn: Connection, actor: Actor, criteria: ApplicationFilter) -> ApplicationFilter:
    """``criteria`` as ``actor`` may list: a UMKM user sees its own business's applications
    only (asking for another business is refused), a consultant their own unless they name
    another consultant, an admin every application."""
    if actor.role is Role.UMKM:
        own = conn.scalar(select(UMKM.c.nib).where(UMKM.c.id == actor.umkm_id))
        if own is None or criteria.nib not in (None, own):
            raise NotPermitted(f"{actor.username} may see only its own business's applications")
        return replace(criteria, nib=own)
    if actor.role is Role.CONSULTANT and criteria.consultant is None:
        return replace(criteria, consultant=actor.username)
    return criteria


def list_applications(
    conn: Connection,
    registry: ProcessRegistry,
    criteria: ApplicationFilter,
    today: date,
    calendar: WorkingCalendar,
) -> list[dict[str, Any]]:
    """Applications matching ``criteria``, the nearest deadline first. An unknown process,
    consultant, regency or NIB, or a due window or court that does not exist, is refused."""
    a = APPLICATIONS
    query = application_query()
    if criteria.process:
        registry.get(criteria.process)  # a clear error for an unknown key
        query = query.where(a.c.process_key == criteria.process)
    if criteria.state:
        query = query.where(a.c.state == criteria.state)
    if criteria.consultant:
        assignee = conn.execute(SELECT_USER, {"username": criteria.consultant}).first()
        if assignee is None:
            raise NotFound(f"no user {criteria.consultant!r}; see 'sertiflow user list'")
        query = query.where(a.c.assignee_id == assignee.id)  # the deadline index's first column
    if criteria.regency:
        query = query.where(UMKM.c.regency_code == regency_code(conn, criteria.regency))
    if criteria.nib:
        if conn.scalar(select(UMKM.c.id).where(UMKM.c.nib == criteria.nib)) is None:
            raise NotFound(f"no UMKM with NIB {criteria.nib!r}; see 'sertiflow umkm list'")
        query = query.where(UMKM.c.nib == criteria.nib)
    if criteria.court:
        query = query.where(in_court(registry, court_named(criteria.court)))
    if criteria.due is not None:
        if criteria.due not in DUE_WINDOWS:
            raise InvalidInput(f"due {criteria.due!r}: one of {', '.join(DUE_WINDOWS)}")
        if criteria.overdue_only:
            raise InvalidInput(
                "an application is either overdue or due: ask for --overdue or --due, not both"
            )
        last = today if criteria.due == "today" else week_end(today, calendar)
        query = query.where(a.c.deadline >= today, a.c.deadline <= last)
    if criteria.overdue_only:
        query = query.where(a.c.deadline < today, a.c.phase == Phase.PIPELINE.value)
    elif not criteria.include_closed:
        query = query.where(a.c.phase != Phase.CLOSED.value)
    return [
        describe_application(r, registry, today, calendar)
        for r in _nearest_first(conn, query, criteria.limit, criteria.offset)
    ]


def _nearest_first(conn: Connection, query: Any, limit: int, offset: int) -> list[Any]:
    """``limit`` rows of ``query`` after the first ``offset``, nearest deadline first and the
    undated last: the dated, then the undated, each read in the order of a deadline index
    (``ix_application_assignee_due``, ``ix_application_due``; no index sorts NULL last on both
    databases), so a page costs its own rows, not a sort of every application that matches.
    The plan is that order's, whatever the values: PostgreSQL plans it once (``plan_once``)."""
    a = APPLICATIONS
    plan_once(conn)
    dated = query.where(a.c.deadline.is_not(None))
    rows = list(
        conn.execute(dated.order_by(a.c.deadline, a.c.id).limit(limit).offset(offset)).mappings()
    )
    if len(rows) == limit:
        return rows
    skip = 0
    if not rows and offset:  # the page starts past the dated: how far past
        skip = offset - (conn.scalar(select(func.count()).select_from(dated.subquery())) or 0)
    undated = query.where(a.c.deadline.is_(None)).order_by(a.c.id)
    return rows + list(conn.execute(undated.limit(limit - len(rows)).offset(skip)).mappings())
