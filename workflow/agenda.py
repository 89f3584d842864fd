"""A user's day: what they must do now, and what waits on others.

Which applications a user's day holds:

- a UMKM user: its own business's applications;
- a consultant: the applications assigned to them;
- an admin: the unassigned ones (nobody else will move them: the admin assigns a consultant)
  and every overdue one, whoever holds it (the admin escalates).

Of these, the open applications (and certified ones with something falling due, such as a
surveillance audit) are sorted into, in this order: **overdue** (past the deadline, whoever's
court the ball is in), **due today**, **this week** (up to ``WEEK_WORKING_DAYS`` working days
ahead), **later** (further out, or no deadline) when the ball is in the user's court, and
**waiting** on others when it is not. The ball is in a UMKM user's court in ``umkm`` states, in a
consultant's in ``consultant`` states (an agency's act they record is the agency's to do first),
and for an admin in every state of an unassigned application. Each entry carries the triggers the
user's role may fire from its state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, or_

from workflow.calendar import WorkingCalendar
from workflow.ledger import APPLICATIONS, Actor
from workflow.model import Court, Phase, Role
from workflow.processes import ProcessRegistry
from workflow.queries import application_query, describe_application, week_end

__all__ = ["SECTIONS", "Agenda", "agenda"]

SECTIONS = ("overdue", "due_today", "this_week", "later", "waiting")
"""The parts of a day, in the order they are shown."""

_SCOPE = {
    Role.UMKM: "its own business's applications",
    Role.CONSULTANT: "the applications assigned to them",
    Role.ADMIN: "unassigned applications and every overdue one",
}


@dataclass(frozen=True)
class Agenda:
    """One user's day, each section nearest deadline first."""

    username: str
    role: str
    today: date
    week_ends: date
    scope: str
    sections: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    """How many applications each section holds: more than it lists when it was cut short."""

    def counts(self) -> dict[str, int]:
        """How many applications each section holds (all of them, listed or not)."""
        return {name: self.totals.get(name, len(self.sections.get(name, []))) for name in SECTIONS}


def _scope(actor: Actor, today: date) -> ColumnElement[bool]:
    a = APPLICATIONS
    if actor.role is Role.UMKM:
        return a.c.umkm_id == actor.umkm_id
    if actor.role is Role.CONSULTANT:
        return a.c.assignee_id == actor.id
    return or_(
        a.c.assignee_id.is_(None),
        and_(a.c.deadline < today, a.c.phase == Phase.PIPELINE.value),
    )


def _yours(actor: Actor, court: Court, consultant: str | None) -> bool:
    if actor.role is Role.UMKM:
        return court is Court.UMKM
    if actor.role is Role.CONSULTANT:
        return court is Court.CONSULTANT
    return consultant is None


def agenda(
    conn: Connection,
    registry: ProcessRegistry,
    actor: Actor,
    today: date,
    calendar: WorkingCalendar,
    *,
    per_section: int | None = None,
) -> Agenda:
    """``actor``'s day on ``today`` (the office's date). With ``per_section``, each section
    lists at most that many (the nearest deadlines) and counts the rest: a page stays quick
    for a consultant holding thousands."""
    a = APPLICATIONS
    last = week_end(today, calendar)
    query = (
        application_query()
        .where(
            _scope(actor, today),
            or_(
                a.c.phase == Phase.PIPELINE.value,
                and_(a.c.phase == Phase.CERTIFIED.value, a.c.deadline.is_not(None)),
            ),
        )
        .order_by(a.c.deadline.is_(None), a.c.deadline, a.c.id)
    )
    sections: dict[str, list[dict[str, Any]]] = {name: [] for name in SECTIONS}
    totals = dict.fromkeys(SECTIONS, 0)
    for row in conn.execute(query).mappings():
        definition = registry.get(row["process_key"], row["process_version"])
        yours = _yours(actor, definition.states[row["state"]].court, row["consultant"])
        deadline: date | None = row["deadline"]
        if deadline is not None and deadline < today:
            section = "overdue"
        elif not yours:
            section = "waiting"
        elif deadline == today:
            section = "due_today"
        elif deadline is not None and deadline <= last:
            section = "this_week"
        else:
            section = "later"
        totals[section] += 1
        if per_section is not None and len(sections[section]) >= per_section:
            continue
        entry = describe_application(row, registry, today, calendar)
        entry["yours"] = yours
        entry["next_triggers"] = [
            t.trigger for t in definition.transitions_from(row["state"]) if actor.role in t.roles
        ]
        sections[section].append(entry)
    return Agenda(
        actor.username, actor.role.value, today, last, _SCOPE[actor.role], sections, totals
    )
