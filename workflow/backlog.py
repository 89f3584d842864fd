"""Backlog figures for the admin dashboard and the ministry report.

Two cheap queries feed everything: one GROUP BY over the open applications (by process, version,
state, consultant and regency, with overdue counts, age buckets and time waiting so far), and one
GROUP BY over the audit log's stored dwell times (an index-only scan). Medians and 90th
percentiles are read per stage from the same index with ``LIMIT 1 OFFSET k``, which works the same
on SQLite (no percentile functions) and PostgreSQL.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, Integer, and_, bindparam, case, cast, func, select

from workflow.ledger import APPLICATIONS, AUDIT, REGENCIES, USERS
from workflow.model import Court, Phase
from workflow.processes import ProcessRegistry

__all__ = ["AGE_BUCKETS", "Backlog", "DwellRow", "GroupRow", "StateRow", "compute_backlog"]

DAY = 86_400.0
AGE_BUCKETS: tuple[tuple[str, int | None], ...] = (
    ("0-7 hari", 7),
    ("8-30 hari", 30),
    ("31-90 hari", 90),
    ("91-180 hari", 180),
    (">180 hari", None),
)


@dataclass(frozen=True, slots=True)
class StateRow:
    """Open applications in one state of one process."""

    process: str
    state: str
    label: str
    court: str
    open: int
    overdue: int
    waiting_days: float


@dataclass(slots=True)
class GroupRow:
    """Open and overdue applications of one consultant, regency or process."""

    key: str
    name: str
    open: int = 0
    overdue: int = 0


@dataclass(frozen=True, slots=True)
class DwellRow:
    """How long applications stayed in one stage, from the audit log (finished stays)."""

    process: str
    state: str
    label: str
    court: str
    stays: int
    median_days: float
    p90_days: float
    total_days: float
    waiting_now_days: float

    @property
    def held_days(self) -> float:
        """Finished stays plus the time open applications have waited there so far."""
        return self.total_days + self.waiting_now_days


@dataclass
class Backlog:
    """Everything the dashboard shows, as of one moment."""

    as_of: datetime
    today: date
    open_total: int = 0
    overdue_total: int = 0
    by_state: list[StateRow] = field(default_factory=list)
    by_process: list[GroupRow] = field(default_factory=list)
    by_consultant: list[GroupRow] = field(default_factory=list)
    by_regency: list[GroupRow] = field(default_factory=list)
    age_buckets: dict[str, int] = field(default_factory=dict)
    dwell: list[DwellRow] = field(default_factory=list)
    waiting_by_court: dict[str, float] = field(default_factory=dict)

    @property
    def heaviest_stage(self) -> DwellRow | None:
        """The stage that holds the most waiting time, finished and ongoing."""
        return max(self.dwell, key=lambda row: row.held_days, default=None)


_NTH_DWELL = (
    select(AUDIT.c.dwell_seconds)
    .where(
        AUDIT.c.process_key == bindparam("process"),
        AUDIT.c.from_state == bindparam("state"),
        AUDIT.c.dwell_seconds >= 0,
    )
    .order_by(AUDIT.c.dwell_seconds)
    .limit(1)
    .offset(bindparam("k"))
)
"""The k-th shortest finished stay in one stage: a seek into the dwell index."""


def _epoch(conn: Connection, column: Any) -> ColumnElement[Any]:
    if conn.dialect.name == "sqlite":
        return cast(func.strftime("%s", column), Integer)
    return func.extract("epoch", column)


def compute_backlog(
    conn: Connection,
    registry: ProcessRegistry,
    now: datetime,
    today: date,
    process: str | None = None,
) -> Backlog:
    """The backlog as of ``now`` (naive UTC; ``today`` is the office's date)."""
    backlog = Backlog(now, today)
    _open_applications(conn, registry, backlog, process)
    _dwell(conn, registry, backlog, process)
    return backlog


def _open_applications(
    conn: Connection, registry: ProcessRegistry, backlog: Backlog, process: str | None
) -> None:
    a = APPLICATIONS
    now = backlog.as_of
    age_columns = []
    lower: datetime | None = None
    for label, days in AGE_BUCKETS:
        upper = None if days is None else now - timedelta(days=days)
        conditions = []
        if upper is not None:
            conditions.append(a.c.opened_at >= upper)
        if lower is not None:
            conditions.append(a.c.opened_at < lower)
        age_columns.append(func.sum(case((and_(*conditions), 1), else_=0)).label(label))
        lower = upper
    query = (
        select(
            a.c.process_key,
            a.c.process_version,
            a.c.state,
            a.c.assignee_id,
            a.c.regency_code,
            func.count().label("n"),
            func.sum(case((a.c.deadline < backlog.today, 1), else_=0)).label("overdue"),
            func.sum(_epoch(conn, a.c.state_entered_at)).label("entered"),
            *age_columns,
        )
        .where(a.c.phase == Phase.PIPELINE.value)
        .group_by(
            a.c.process_key, a.c.process_version, a.c.state, a.c.assignee_id, a.c.regency_code
        )
    )
    if process is not None:
        query = query.where(a.c.process_key == process)
    now_epoch = (now - datetime(1970, 1, 1)).total_seconds()
    states: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0, 0, 0.0])
    groups: dict[str, dict[str, GroupRow]] = {"process": {}, "consultant": {}, "regency": {}}
    buckets = dict.fromkeys((label for label, _ in AGE_BUCKETS), 0)
    for row in conn.execute(query).mappings():
        count, overdue = int(row["n"]), int(row["overdue"] or 0)
        waiting = (count * now_epoch - float(row["entered"] or 0)) / DAY
        slot = states[(row["process_key"], row["state"])]
        slot[0] += count
        slot[1] += overdue
        slot[2] += waiting
        for kind, key in (
            ("process", row["process_key"]),
            ("consultant", str(row["assignee_id"] or "")),
            ("regency", row["regency_code"]),
        ):
            group = groups[kind].setdefault(key, GroupRow(key, key))
            group.open += count
            group.overdue += overdue
        for label in buckets:
            buckets[label] += int(row[label] or 0)
        backlog.open_total += count
        backlog.overdue_total += overdue
    for (key, state_name), (n, late, waited) in sorted(states.items()):
        state = registry.get(key).states.get(state_name)
        backlog.by_state.append(
            StateRow(
                key,
                state_name,
                state.label if state else state_name,
                state.court.value if state else "",
                int(n),
                int(late),
                waited,
            )
        )
    _name_groups(conn, registry, groups)
    backlog.by_process = sorted(groups["process"].values(), key=lambda g: -g.open)
    backlog.by_consultant = sorted(groups["consultant"].values(), key=lambda g: -g.open)
    backlog.by_regency = sorted(groups["regency"].values(), key=lambda g: -g.open)
    backlog.age_buckets = buckets


def _name_groups(
    conn: Connection, registry: ProcessRegistry, groups: dict[str, dict[str, GroupRow]]
) -> None:
    for key, group in groups["process"].items():
        group.name = registry.get(key).title
    ids = [int(key) for key in groups["consultant"] if key]
    users = dict(
        conn.execute(select(USERS.c.id, USERS.c.full_name).where(USERS.c.id.in_(ids))).all()
    )
    for key, group in groups["consultant"].items():
        group.name = users.get(int(key), key) if key else "(belum ditugaskan)"
    codes = list(groups["regency"])
    regencies = dict(
        conn.execute(
            select(REGENCIES.c.code, REGENCIES.c.name).where(REGENCIES.c.code.in_(codes))
        ).all()
    )
    for key, group in groups["regency"].items():
        group.name = regencies.get(key, key)


def _dwell(
    conn: Connection, registry: ProcessRegistry, backlog: Backlog, process: str | None
) -> None:
    au = AUDIT
    finished = au.c.dwell_seconds >= 0
    query = (
        select(
            au.c.process_key,
            au.c.from_state,
            func.count().label("n"),
            func.sum(au.c.dwell_seconds).label("total"),
        )
        .where(finished)
        .group_by(au.c.process_key, au.c.from_state)
    )
    if process is not None:
        query = query.where(au.c.process_key == process)
    waiting_now = {(s.process, s.state): s.waiting_days for s in backlog.by_state}
    courts: dict[str, float] = dict.fromkeys((c.value for c in Court), 0.0)
    seen = set()
    for key, state_name, count, total in conn.execute(query):
        state = registry.get(key).states.get(state_name)
        court = state.court.value if state else ""
        row = DwellRow(
            key,
            state_name,
            state.label if state else state_name,
            court,
            int(count),
            _nth_days(conn, key, state_name, (count - 1) // 2),
            _nth_days(conn, key, state_name, min(count - 1, int(0.9 * count))),
            float(total) / DAY,
            waiting_now.get((key, state_name), 0.0),
        )
        backlog.dwell.append(row)
        seen.add((key, state_name))
        if court:
            courts[court] += row.held_days
    for state_row in backlog.by_state:
        if (state_row.process, state_row.state) not in seen and state_row.court:
            courts[state_row.court] += state_row.waiting_days
    backlog.waiting_by_court = courts


def _nth_days(conn: Connection, process: str, state: str, k: int) -> float:
    value = conn.scalar(_NTH_DWELL, {"process": process, "state": state, "k": k})
    return float(value or 0) / DAY
