"""Reading applications: one in detail with its history, lists with filters, audit verification."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import aliased

from workflow.calendar import WorkingCalendar
from workflow.errors import NotFound
from workflow.ledger import APPLICATIONS, AUDIT, REGENCIES, UMKM, USERS
from workflow.model import Phase
from workflow.processes import ProcessRegistry

__all__ = [
    "ApplicationFilter",
    "application_detail",
    "history",
    "list_applications",
]

_actor = aliased(USERS)


def _base_query() -> Any:
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


def _describe(
    row: Mapping[Any, Any], registry: ProcessRegistry, today: date, calendar: WorkingCalendar
) -> dict[str, Any]:
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
    row = conn.execute(_base_query().where(APPLICATIONS.c.id == app_id)).mappings().first()
    if row is None:
        raise NotFound(f"no application #{app_id}; see 'sertiflow app list'")
    return _describe(row, registry, today, calendar)


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
    consultant: str | None = None
    regency: str | None = None  # code
    nib: str | None = None
    overdue_only: bool = False
    include_closed: bool = False
    limit: int = 200


def list_applications(
    conn: Connection,
    registry: ProcessRegistry,
    criteria: ApplicationFilter,
    today: date,
    calendar: WorkingCalendar,
) -> list[dict[str, Any]]:
    """Applications matching ``criteria``, the nearest deadline first."""
    a = APPLICATIONS
    query = _base_query()
    if criteria.process:
        registry.get(criteria.process)  # a clear error for an unknown key
        query = query.where(a.c.process_key == criteria.process)
    if criteria.state:
        query = query.where(a.c.state == criteria.state)
    if criteria.consultant:
        query = query.where(USERS.c.username == criteria.consultant)
    if criteria.regency:
        query = query.where(UMKM.c.regency_code == criteria.regency)
    if criteria.nib:
        query = query.where(UMKM.c.nib == criteria.nib)
    if criteria.overdue_only:
        query = query.where(a.c.deadline < today, a.c.phase == Phase.PIPELINE.value)
    elif not criteria.include_closed:
        query = query.where(a.c.phase != Phase.CLOSED.value)
    query = query.order_by(a.c.deadline.is_(None), a.c.deadline, a.c.id).limit(criteria.limit)
    return [_describe(r, registry, today, calendar) for r in conn.execute(query).mappings()]
