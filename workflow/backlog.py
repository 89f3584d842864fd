"""Backlog figures for the admin dashboard and the ministry report.

Two cheap queries feed everything: one GROUP BY over the open applications (by process, version,
state, consultant and regency, with overdue counts, age buckets and time waiting so far), and one
GROUP BY over the audit log's stored dwell times (an index-only scan). Medians and 90th
percentiles are read per stage from the same index with ``LIMIT 1 OFFSET k``, which works the same
on SQLite (no percentile functions) and PostgreSQL.

Overdue applications are split by the kind of deadline they missed: a legal time limit ("against
the law": an agency late under the regulation) or a service target ("against a target": a slow
agency, UMKM or consultant against a practice, the office's own or an unconfirmed figure). The
kind follows the state (and the office's overrides, which are targets): a state that keeps
another's clock counts with that state's deadline.

After the certificate, what falls due is counted too: SNI surveillance audits (past due:
overdue) and halal consistency checks (past due: due, never expired), each from the certificates
waiting for it, with the audit entries that count its cycles read through the dwell index (the
entries leaving CERTIFIED or SURVEILLANCE).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Connection, Integer, and_, bindparam, case, cast, func, select

from workflow.ledger import APPLICATIONS, AUDIT, REGENCIES, USERS
from workflow.milestones import (
    CONSISTENCY_PASSED,
    SURVEILLANCE_TRIGGER,
    consistency_check_due,
    surveillance_due,
)
from workflow.model import Court, Phase
from workflow.policy import Policy
from workflow.processes import ProcessRegistry
from workflow.rules import deadline_kind

__all__ = [
    "AGE_BUCKETS",
    "DUE_SOON_DAYS",
    "AfterCertificateRow",
    "Backlog",
    "DwellRow",
    "GroupRow",
    "StateRow",
    "compute_backlog",
]

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
    deadline_kind: str | None = None  # "law", "target", or None: no deadline
    overdue_law: int = 0  # past a legal time limit
    overdue_target: int = 0  # past a service target


DUE_SOON_DAYS = 30
"""Calendar days ahead in which a check after the certificate counts as falling due soon."""


@dataclass(slots=True)
class AfterCertificateRow:
    """Certificates of one process waiting for their next check after the certificate."""

    process: str
    check: str  # surveillance (SNI) | consistency_check (halal)
    certificates: int = 0  # waiting for the check (SNI: CERTIFIED; halal: HALAL_ACTIVE)
    due_soon: int = 0  # falling due within DUE_SOON_DAYS
    past_due: int = 0  # SNI: overdue; halal: due (the certificate itself does not expire)


@dataclass(slots=True)
class GroupRow:
    """Open and overdue applications of one consultant, regency or process."""

    key: str
    name: str
    open: int = 0
    overdue: int = 0
    overdue_law: int = 0
    overdue_target: int = 0


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
    overdue_law_total: int = 0  # past a legal time limit
    overdue_target_total: int = 0  # past a service target
    by_state: list[StateRow] = field(default_factory=list)
    by_process: list[GroupRow] = field(default_factory=list)
    by_consultant: list[GroupRow] = field(default_factory=list)
    by_regency: list[GroupRow] = field(default_factory=list)
    age_buckets: dict[str, int] = field(default_factory=dict)
    dwell: list[DwellRow] = field(default_factory=list)
    waiting_by_court: dict[str, float] = field(default_factory=dict)
    after_certificate: list[AfterCertificateRow] = field(default_factory=list)

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
    policy: Policy | None = None,
    surveillance_months: int = 12,
) -> Backlog:
    """The backlog as of ``now`` (naive UTC; ``today`` is the office's date), overdue figures
    split by the kind of deadline under ``policy`` (the office's overrides are targets), and the
    checks falling due after the certificate (SNI surveillance every ``surveillance_months``)."""
    backlog = Backlog(now, today)
    policy = policy or Policy()
    _open_applications(conn, registry, backlog, process, policy)
    _dwell(conn, registry, backlog, process)
    _after_certificate(conn, backlog, process, policy, surveillance_months)
    return backlog


_CHECKS = {
    # process: (check, the state waiting for it, the state its counted entries leave, trigger)
    "sni": ("surveillance", "CERTIFIED", "CERTIFIED", SURVEILLANCE_TRIGGER),
    "halal_regular": ("consistency_check", "HALAL_ACTIVE", "SURVEILLANCE", CONSISTENCY_PASSED),
    "halal_self_declare": (
        "consistency_check",
        "HALAL_ACTIVE",
        "SURVEILLANCE",
        CONSISTENCY_PASSED,
    ),
}


def _after_certificate(
    conn: Connection,
    backlog: Backlog,
    process: str | None,
    policy: Policy,
    surveillance_months: int,
) -> None:
    a, au = APPLICATIONS, AUDIT
    zone = ZoneInfo(policy.timezone)
    soon = backlog.today + timedelta(days=DUE_SOON_DAYS)
    for key, (check, waiting, leaving, trigger) in _CHECKS.items():
        if process is not None and process != key:
            continue
        counted = (
            select(
                au.c.application_id,
                func.count().label("n"),
                func.max(au.c.at).label("last"),
            )
            .where(
                au.c.process_key == key,
                au.c.from_state == leaving,  # the dwell index finds these few
                au.c.trigger == trigger,
            )
            .group_by(au.c.application_id)
        )
        cycles = {row.application_id: (int(row.n), row.last) for row in conn.execute(counted)}
        certificates = select(a.c.id, a.c.certificate_issued_on, a.c.certificate_expires_on).where(
            a.c.process_key == key,
            a.c.state == waiting,
            a.c.phase == Phase.CERTIFIED.value,
            a.c.certificate_issued_on.is_not(None),
        )
        row = AfterCertificateRow(key, check)
        for app_id, issued, expires in conn.execute(certificates):
            done, last = cycles.get(app_id, (0, None))
            if check == "surveillance":
                due = surveillance_due(issued, done + 1, surveillance_months)
                if expires is not None and due >= expires:
                    continue  # the certificate ends first: recertification instead
            else:
                passed = None if last is None else last.replace(tzinfo=UTC).astimezone(zone)
                due = consistency_check_due(
                    issued,
                    None if passed is None else passed.date(),
                    policy.halal_consistency_check_years,
                )
            row.certificates += 1
            if due < backlog.today or (check == "consistency_check" and due == backlog.today):
                row.past_due += 1
            elif due <= soon:
                row.due_soon += 1
        if row.certificates:
            backlog.after_certificate.append(row)


def _open_applications(
    conn: Connection,
    registry: ProcessRegistry,
    backlog: Backlog,
    process: str | None,
    policy: Policy,
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
    # open, overdue, waiting days, overdue against the law
    states: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0, 0, 0.0, 0])
    kinds: dict[tuple[str, str], str | None] = {}
    groups: dict[str, dict[str, GroupRow]] = {"process": {}, "consultant": {}, "regency": {}}
    buckets = dict.fromkeys((label for label, _ in AGE_BUCKETS), 0)
    for row in conn.execute(query).mappings():
        count, overdue = int(row["n"]), int(row["overdue"] or 0)
        waiting = (count * now_epoch - float(row["entered"] or 0)) / DAY
        definition = registry.get(row["process_key"], row["process_version"])
        kind = (
            deadline_kind(definition, row["state"], policy)
            if row["state"] in definition.states
            else None
        )
        legal = overdue if kind == "law" else 0
        slot = states[(row["process_key"], row["state"])]
        slot[0] += count
        slot[1] += overdue
        slot[2] += waiting
        slot[3] += legal
        kinds.setdefault((row["process_key"], row["state"]), kind)
        for group_kind, key in (
            ("process", row["process_key"]),
            ("consultant", str(row["assignee_id"] or "")),
            ("regency", row["regency_code"]),
        ):
            group = groups[group_kind].setdefault(key, GroupRow(key, key))
            group.open += count
            group.overdue += overdue
            group.overdue_law += legal
            group.overdue_target += overdue - legal
        for label in buckets:
            buckets[label] += int(row[label] or 0)
        backlog.open_total += count
        backlog.overdue_total += overdue
        backlog.overdue_law_total += legal
        backlog.overdue_target_total += overdue - legal
    for (key, state_name), (n, late, waited, late_legal) in sorted(states.items()):
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
                kinds[(key, state_name)],
                int(late_legal),
                int(late - late_legal),
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
