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

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Date,
    Integer,
    and_,
    bindparam,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
    union_all,
)
from sqlalchemy.engine import RowMapping

from workflow.calendar import WorkingCalendar
from workflow.ledger import APPLICATIONS, Actor
from workflow.model import Court, Phase, Role
from workflow.persistence.database import plan_once
from workflow.processes import ProcessRegistry
from workflow.queries import application_query, describe_application, in_court, week_end

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


# What the day's statements leave to be bound when they run: the office's date, the week's
# last day and the user (a consultant's id, a UMKM user's business); and, as ``room_<part>``,
# how many rows of each part to read.
_TODAY = bindparam("today", type_=Date)
_LAST = bindparam("last", type_=Date)
_WHO = bindparam("who", type_=Integer)


def _scope(role: Role) -> ColumnElement[bool]:
    a = APPLICATIONS
    if role is Role.UMKM:
        return a.c.umkm_id == _WHO
    if role is Role.CONSULTANT:
        return a.c.assignee_id == _WHO
    return or_(
        a.c.assignee_id.is_(None),
        and_(a.c.deadline < _TODAY, a.c.phase == Phase.PIPELINE.value),
    )


def _yours(role: Role, registry: ProcessRegistry) -> ColumnElement[bool]:
    """Whether the ball is in the user's court: its role's court, or for an admin, nobody's
    (an unassigned application)."""
    if role is Role.UMKM:
        return in_court(registry, Court.UMKM)
    if role is Role.CONSULTANT:
        return in_court(registry, Court.CONSULTANT)
    return APPLICATIONS.c.assignee_id.is_(None)


# Each part of the day is one range of a deadline index (``ix_application_assignee_due``,
# ``ix_application_due``), read in its order and counted without reading the rest: the dated
# by deadline, the undated apart (no index sorts them last on both databases). The day holds
# the open applications, and the certified ones when something falls due (a surveillance
# audit): of the dated, both phases; of the undated, only the open, which the index then reads
# as one short range instead of walking past every closed one.
_DATED = APPLICATIONS.c.phase.in_(
    [literal(Phase.PIPELINE.value), literal(Phase.CERTIFIED.value)]  # not expanded on each run
)
_UNDATED = and_(APPLICATIONS.c.deadline.is_(None), APPLICATIONS.c.phase == Phase.PIPELINE.value)


def _parts(yours: ColumnElement[bool]) -> dict[str, tuple[ColumnElement[bool], ...]]:
    """Each section as the ranges of deadlines it holds, in the order it lists them (nearest
    deadline first, the undated last). The sections exclude each other and together hold
    every application of the user's that is in the day."""
    deadline = APPLICATIONS.c.deadline
    theirs = not_(yours)
    return {
        "overdue": (and_(deadline < _TODAY, _DATED),),
        "due_today": (and_(deadline == _TODAY, _DATED, yours),),
        "this_week": (and_(deadline > _TODAY, deadline <= _LAST, _DATED, yours),),
        "later": (and_(deadline > _LAST, _DATED, yours), and_(_UNDATED, yours)),
        "waiting": (and_(deadline >= _TODAY, _DATED, theirs), and_(_UNDATED, theirs)),
    }


@dataclass(frozen=True)
class _Statements:
    """A role's day as statements, built once (building and keying them cost more than the
    database's work): the count of every part in one, and the reads of every part in one."""

    counts: Any
    reads: Any  # each part's first ``room_<part>`` rows, with the part's number as ``part``
    sections: tuple[str, ...]  # the section of each part, in the order they are listed


@lru_cache(maxsize=16)
def _statements(registry: ProcessRegistry, role: Role) -> _Statements:
    a = APPLICATIONS
    scope = _scope(role)
    yours = _yours(role, registry)
    parts = _parts(yours)
    ranges = [(name, part) for name in SECTIONS for part in parts[name]]
    counts = select(
        *(select(func.count()).where(scope, part).scalar_subquery() for _, part in ranges)
    )
    # Each part picks its rows' ids from the index alone; their columns are read once, for
    # the picked rows only (and the statement stays short enough for psycopg to keep parsed).
    picked = union_all(
        *(
            select(
                literal_column(str(number), Integer).label("part"),
                select(a.c.id)
                .where(scope, part)
                .order_by(a.c.deadline, a.c.id)
                .limit(bindparam(f"room_{number}", type_=Integer))
                .subquery()
                .c.id,
            )
            for number, (_, part) in enumerate(ranges)
        )
    ).subquery("picked")
    reads = (
        application_query()
        .add_columns(picked.c.part, yours.label("yours"))
        .join(picked, picked.c.id == a.c.id)
    )
    return _Statements(counts, reads, tuple(name for name, _ in ranges))


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
    lists at most that many (the nearest deadlines) and counts the rest: the database sorts
    and counts on its indexes, so a page stays quick for a consultant holding thousands."""
    last = week_end(today, calendar)
    statements = _statements(registry, actor.role)
    bound: dict[str, Any] = {"today": today, "last": last}
    if actor.role is not Role.ADMIN:
        bound["who"] = actor.umkm_id if actor.role is Role.UMKM else actor.id
    plan_once(conn)
    counted = [int(count) for count in conn.execute(statements.counts, bound).one()]
    totals = dict.fromkeys(SECTIONS, 0)  # every application of a section
    shown = dict.fromkeys(SECTIONS, 0)  # those it lists
    rooms: dict[str, int] = {}
    for number, (name, count) in enumerate(zip(statements.sections, counted, strict=True)):
        room = count if per_section is None else min(count, per_section - shown[name])
        rooms[f"room_{number}"] = room  # an empty part is read no further than its LIMIT 0
        totals[name] += count
        shown[name] += room
    sections: dict[str, list[dict[str, Any]]] = {name: [] for name in SECTIONS}
    # One statement for every part (a round trip each cost more than most parts' reading);
    # UNION ALL keeps no order, so the rows are put back in their parts' order here.
    rows: Sequence[RowMapping] = ()
    if any(rooms.values()):
        rows = conn.execute(statements.reads, {**bound, **rooms}).mappings().all()
    for row in sorted(rows, key=lambda r: (r["part"], r["deadline"] or today, r["id"])):
        definition = registry.get(row["process_key"], row["process_version"])
        entry = describe_application(row, registry, today, calendar)
        entry["yours"] = bool(row["yours"])
        entry["next_triggers"] = [
            t.trigger for t in definition.transitions_from(row["state"]) if actor.role in t.roles
        ]
        sections[statements.sections[row["part"]]].append(entry)
    return Agenda(
        actor.username, actor.role.value, today, last, _SCOPE[actor.role], sections, totals
    )
