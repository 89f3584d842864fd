"""The worker's periodic sweeps: deadline reminders, renewals and surveillance, daily digests.

Each sweep is plain database work run on a schedule (hourly is fine: every rule is idempotent).
It queues outbox rows (``workers.outbox.enqueue``) that the delivery code turns into emails and
notifications, and fires the time-driven transitions (a trademark's renewal window opening, an
SNI certificate's surveillance falling due or its validity ending) through the engine as the
system user, so that they are audited like any other step.

Every queued row carries a ``dedupe_key`` (UNIQUE in the outbox): a reminder is queued once per
deadline however often the sweep runs, even after it skipped days, and two sweeps running at once
queue it once (PostgreSQL makes the second insert wait for the first and then do nothing; SQLite
serialises writers). The keys:

=======================  =========================================  ==============================
kind                     dedupe_key                                 payload
=======================  =========================================  ==============================
deadline_reminder        ``reminder:{app}:{deadline}``              application_id, state,
deadline_overdue         ``overdue:{app}:{deadline}``               deadline, court, working_days,
deadline_escalation      ``escalation:{app}:{deadline}``            basis
renewal_reminder         ``renewal:{app}:{expiry}``                 what=trademark_renewal, due
renewal_reminder         ``surveillance:{app}:{due}``               what=sni_surveillance, due
renewal_reminder         ``sni-expiry:{app}:{expiry}``              what=sni_expiry, due
consultant_digest        ``digest:{user}:{day}``                    day (row's user_id is set)
=======================  =========================================  ==============================

Dates in keys and payloads are ISO dates, office-local ("today" is the office's date at ``now``,
which is naive UTC as sertiflow stores it).

SNI surveillance rule: audits fall due every ``sni_surveillance_months`` counted from the issue
date (issue + k x months, never drifting with late audits). The cycles done are the application's
``surveillance_due`` audit entries (an SNI application is certified once, so all of them are since
its issue), so the next audit is due at issue + (done + 1) x months. The UMKM is reminded
``SURVEILLANCE_NOTICE_DAYS`` calendar days before; on the due date the sweep fires
``surveillance_due``. An audit the LSPro starts early (recorded by the consultant) counts for its
cycle; a due date on or after the expiry is skipped, the expiry reminder covers it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from sqlalchemy import Connection, Row, exists, func, select

from workers.outbox import enqueue
from workflow.calendar import WorkingCalendar
from workflow.dates import flags_of, state_deadline
from workflow.directory import ensure_system_user
from workflow.engine import Engine, TransitionResult
from workflow.errors import GuardRefused, SertiflowError
from workflow.ledger import APPLICATIONS, AUDIT, OUTBOX, USERS
from workflow.model import Phase, ProcessDefinition, State
from workflow.persistence.database import reading
from workflow.persistence.schema import Notification, table
from workflow.policy import Policy
from workflow.processes import ProcessRegistry
from workflow.settings import Settings

__all__ = [
    "KINDS",
    "SURVEILLANCE_NOTICE_DAYS",
    "SweepReport",
    "deadline_basis",
    "queue_digests",
    "sweep_deadlines",
    "sweep_renewals",
]

KINDS = (
    "deadline_reminder",
    "deadline_overdue",
    "deadline_escalation",
    "renewal_reminder",
    "consultant_digest",
)
"""The outbox kinds the sweeps queue; each has its handler in ``workers.effects``."""
SURVEILLANCE_NOTICE_DAYS = 30
"""Calendar days before an SNI surveillance audit falls due that the UMKM is reminded."""

_BATCH = 500
_NOTIFICATIONS = table(Notification)

# The states the time-driven triggers leave, as the process definitions name them.
_MARK_ACTIVE, _RENEWAL_WINDOW = "MARK_ACTIVE", "RENEWAL_WINDOW"
_SNI_CERTIFIED = "CERTIFIED"


@dataclass(frozen=True)
class SweepReport:
    """What one sweep did: rows queued per outbox kind (new ones only; duplicates of rows
    queued earlier are not counted), transitions fired (``"#12 renewal_window_opened"``) and
    triggers refused (``"#12 expired: <reason>"``), in application order."""

    queued: Mapping[str, int] = field(default_factory=dict)
    fired: tuple[str, ...] = ()
    refusals: tuple[str, ...] = ()

    @property
    def total_queued(self) -> int:
        """Rows queued, all kinds together."""
        return sum(self.queued.values())

    def __add__(self, other: SweepReport) -> SweepReport:
        queued = Counter(self.queued)
        queued.update(other.queued)
        return SweepReport(
            dict(sorted(queued.items())),
            self.fired + other.fired,
            self.refusals + other.refusals,
        )

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return {
            "queued": dict(self.queued),
            "fired": list(self.fired),
            "refusals": list(self.refusals),
        }

    def lines(self) -> list[str]:
        """The report as lines a person reads: what was queued, fired and refused."""
        queued = ", ".join(f"{kind} {n}" for kind, n in self.queued.items() if n) or "nothing"
        lines = [f"queued: {queued}"]
        lines += [f"fired: {item}" for item in self.fired]
        lines += [f"refused: {item}" for item in self.refusals]
        return lines


class _Tally:
    """The report of a sweep while it runs."""

    def __init__(self) -> None:
        self.queued: Counter[str] = Counter()
        self.fired: list[str] = []
        self.refusals: list[str] = []

    def report(self) -> SweepReport:
        return SweepReport(
            dict(sorted(self.queued.items())), tuple(self.fired), tuple(self.refusals)
        )


@dataclass(frozen=True, slots=True)
class _Item:
    """An outbox row a sweep wants, before it is queued."""

    kind: str
    dedupe_key: str
    payload: Mapping[str, Any]
    application_id: int | None = None
    user_id: int | None = None
    audit_seq: int = 0


def _office_now(settings: Settings, now: datetime) -> datetime:
    """The office's wall-clock time at ``now`` (naive UTC)."""
    return now.replace(tzinfo=UTC).astimezone(ZoneInfo(settings.policy.timezone))


def _office_today(settings: Settings, now: datetime) -> date:
    return _office_now(settings, now).date()


def _existing(conn: Connection, keys: list[str]) -> set[str]:
    """Which of ``keys`` are in the outbox already."""
    found: set[str] = set()
    for start in range(0, len(keys), _BATCH):
        chunk = keys[start : start + _BATCH]
        found.update(
            conn.scalars(select(OUTBOX.c.dedupe_key).where(OUTBOX.c.dedupe_key.in_(chunk)))
        )
    return found


def _queue(
    conn: Connection,
    items: Iterable[_Item],
    now: datetime,
    tally: _Tally,
    known: set[str] | None = None,
) -> None:
    """Queue the items not queued before, in the caller's transaction, in the given order.

    Keys already in the outbox (``known``, else looked up) are skipped without an insert: on
    PostgreSQL an insert that hits the unique key still takes a number from the id sequence,
    and an hourly sweep over a long-overdue backlog would burn thousands. The insert's own
    on-conflict-do-nothing still settles a race with a sweep running at the same moment. Every
    sweep takes keys in the same order (application id, then kind), so two concurrent ones wait
    on each other, never deadlock.
    """
    wanted = list(items)
    if not wanted:
        return
    if known is None:
        known = _existing(conn, [item.dedupe_key for item in wanted])
    for item in wanted:
        if item.dedupe_key in known:
            continue
        queued = enqueue(
            conn,
            item.kind,
            now=now,
            payload=item.payload,
            application_id=item.application_id,
            user_id=item.user_id,
            audit_seq=item.audit_seq,
            dedupe_key=item.dedupe_key,
        )
        if queued is not None:
            tally.queued[item.kind] += 1


def _queue_in_batches(db: sa.Engine, items: list[_Item], now: datetime, tally: _Tally) -> None:
    for start in range(0, len(items), _BATCH):
        with db.begin() as conn:
            _queue(conn, items[start : start + _BATCH], now, tally)


# --------------------------------------------------------------------------- deadlines


def deadline_basis(
    policy: Policy, definition: ProcessDefinition, state: State, flags: frozenset[str]
) -> str | None:
    """Where the deadline of ``state`` comes from (``law``, ``practice``, ``agreed``,
    ``unconfirmed``, ``configured``): the variant a flag picks and the office's override, as the
    engine chose them when the application entered the state; None when the state has no
    deadline of its own (a running one kept, or an extension's)."""
    spec = state_deadline(policy, definition.key, state, flags)
    return None if spec is None else spec.basis


def sweep_deadlines(
    db: sa.Engine,
    settings: Settings,
    now: datetime,
    calendar: WorkingCalendar,
    *,
    registry: ProcessRegistry | None = None,
) -> SweepReport:
    """Queue the reminders of the deadlines of applications still moving (phase pipeline).

    ``deadline_reminder`` once ``reminder_working_days`` or fewer working days are left (and
    the deadline is not past); ``deadline_overdue`` from the day after the deadline;
    ``deadline_escalation`` (for the admins) once it is ``escalation_working_days`` working days
    overdue. Each once per application and deadline: a new deadline gets its own.
    """
    registry = registry or ProcessRegistry()
    delivery = settings.delivery
    today = _office_today(settings, now)
    # A superset of what is due: a deadline on a weekend after the N-th working day still has
    # only N working days left. The rule in _deadline_items decides.
    horizon = calendar.add_working_days(today, delivery.reminder_working_days + 1)
    query: sa.Select[Any] = select(
        APPLICATIONS.c.id,
        APPLICATIONS.c.process_key,
        APPLICATIONS.c.process_version,
        APPLICATIONS.c.state,
        APPLICATIONS.c.deadline,
        APPLICATIONS.c.flags,
        APPLICATIONS.c.audit_seq,
    ).where(
        APPLICATIONS.c.phase == Phase.PIPELINE.value,
        APPLICATIONS.c.deadline.is_not(None),
        APPLICATIONS.c.deadline <= horizon,
    )
    tally = _Tally()
    last = 0
    while True:
        # One transaction per page of applications, read and queued together, so that each
        # row carries the audit sequence its application has while it is written.
        with db.begin() as conn:
            page = list(
                conn.execute(
                    query.where(APPLICATIONS.c.id > last).order_by(APPLICATIONS.c.id).limit(_BATCH)
                )
            )
            # Looked up before the working days are counted: an application overdue for a year
            # whose notices went out long ago costs one key lookup, not a year of calendar.
            known = _existing(conn, [key for row in page for key in _deadline_keys(row, today)])
            items = [
                item
                for row in page
                for item in _deadline_items(row, today, settings, calendar, registry, known)
            ]
            _queue(conn, items, now, tally, known)
        if len(page) < _BATCH:
            return tally.report()
        last = page[-1].id


def _deadline_key(prefix: str, row: Row[Any]) -> str:
    return f"{prefix}:{row.id}:{row.deadline.isoformat()}"


def _overdue(today: date, deadline: date) -> bool:
    return today > deadline  # on the deadline day itself it is due, not overdue


def _deadline_keys(row: Row[Any], today: date) -> list[str]:
    """The keys of the notices the application's deadline may call for today."""
    prefixes = ("overdue", "escalation") if _overdue(today, row.deadline) else ("reminder",)
    return [_deadline_key(prefix, row) for prefix in prefixes]


def _deadline_items(
    row: Row[Any],
    today: date,
    settings: Settings,
    calendar: WorkingCalendar,
    registry: ProcessRegistry,
    known: set[str],
) -> list[_Item]:
    """The notices the application's deadline calls for today that are not queued yet."""
    if all(key in known for key in _deadline_keys(row, today)):
        return []
    delivery = settings.delivery
    definition = registry.get(row.process_key, row.process_version)
    state = definition.states[row.state]
    deadline: date = row.deadline
    payload: dict[str, Any] = {
        "application_id": row.id,
        "state": row.state,
        "deadline": deadline.isoformat(),
        "court": state.court.value,
        "basis": deadline_basis(settings.policy, definition, state, flags_of(row.flags)),
    }

    def item(kind: str, prefix: str, working_days: int) -> _Item:
        return _Item(
            kind,
            _deadline_key(prefix, row),
            {**payload, "working_days": working_days},
            application_id=row.id,
            audit_seq=row.audit_seq,
        )

    if not _overdue(today, deadline):
        left = calendar.working_days_between(today, deadline)
        if left <= delivery.reminder_working_days:
            return [item("deadline_reminder", "reminder", left)]
        return []
    late = calendar.working_days_between(deadline, today)
    items = [item("deadline_overdue", "overdue", late)]
    if late >= delivery.escalation_working_days:
        items.append(item("deadline_escalation", "escalation", late))
    return items


# --------------------------------------------------------------------------- renewals


def sweep_renewals(db: sa.Engine, settings: Settings, now: datetime, engine: Engine) -> SweepReport:
    """Open trademark renewal windows, start SNI surveillance, end expired SNI certificates,
    and queue the ``renewal_reminder`` rows that go with them.

    Transitions are fired through ``engine`` as ``settings.delivery.system_user`` (created if
    missing), each in its own transaction and only if the application is still at the version
    the sweep read; the engine's clock dates them, so give it the same clock as ``now``. A
    trigger the engine refuses is reported, never raised: one application cannot stop the rest.
    """
    system = settings.delivery.system_user
    ensure_system_user(db, system)
    today = _office_today(settings, now)
    tally = _Tally()
    items = _trademarks(db, settings, today, engine, system, tally)
    items += _sni(db, settings, today, engine, system, tally)
    _queue_in_batches(db, items, now, tally)
    return tally.report()


def _fire(
    engine: Engine, row: Row[Any], trigger: str, system: str, note: str, tally: _Tally
) -> TransitionResult | None:
    try:
        result = engine.advance(row.id, trigger, system, note=note, expected_version=row.version)
    except GuardRefused as error:  # its message repeats the trigger and the application
        tally.refusals.append(f"#{row.id} {trigger}: {'; '.join(error.reasons)}")
        return None
    except SertiflowError as error:  # a conflict, a trigger no longer possible ...
        tally.refusals.append(f"#{row.id} {trigger}: {error}")
        return None
    tally.fired.append(f"#{row.id} {trigger}")
    return result


def _certified(db: sa.Engine, process_key: str, *conditions: Any) -> list[Row[Any]]:
    query = select(
        APPLICATIONS.c.id,
        APPLICATIONS.c.state,
        APPLICATIONS.c.version,
        APPLICATIONS.c.audit_seq,
        APPLICATIONS.c.certificate_issued_on,
        APPLICATIONS.c.certificate_expires_on,
    ).where(
        APPLICATIONS.c.process_key == process_key,
        APPLICATIONS.c.phase == Phase.CERTIFIED.value,
        *conditions,
    )
    with reading(db).connect() as conn:
        return list(conn.execute(query.order_by(APPLICATIONS.c.id)))


def _trademarks(
    db: sa.Engine, settings: Settings, today: date, engine: Engine, system: str, tally: _Tally
) -> list[_Item]:
    """Marks whose renewal window (Pasal 35: from 6 months before expiry to 6 months after) is
    open: the window is opened on MARK_ACTIVE, and the UMKM reminded once per expiry date.

    A mark past its grace period is not closed here: ``expired`` records DJKI's act, and a
    renewal may have been filed that the consultant has not recorded yet."""
    months = settings.policy.trademark_renewal_window_months
    # A superset: subtracting months clips at a month's end by up to 3 days.
    bound = today + relativedelta(months=months) + timedelta(days=3)
    rows = _certified(
        db,
        "trademark",
        APPLICATIONS.c.state.in_((_MARK_ACTIVE, _RENEWAL_WINDOW)),
        APPLICATIONS.c.certificate_expires_on.is_not(None),
        APPLICATIONS.c.certificate_expires_on <= bound,
    )
    items = []
    for row in rows:
        expiry: date = row.certificate_expires_on
        opens = expiry - relativedelta(months=months)  # as the RenewalWindowOpen guard counts
        closes = expiry + relativedelta(months=months)
        if not opens <= today <= closes:
            continue
        seq = row.audit_seq
        if row.state == _MARK_ACTIVE:
            fired = _fire(
                engine,
                row,
                "renewal_window_opened",
                system,
                "otomatis: masa perpanjangan dibuka",
                tally,
            )
            if fired is None:  # the engine disagrees that the window is open: no reminder
                continue
            seq = fired.audit_seq
        items.append(
            _Item(
                "renewal_reminder",
                f"renewal:{row.id}:{expiry.isoformat()}",
                {"what": "trademark_renewal", "due": expiry.isoformat()},
                application_id=row.id,
                audit_seq=seq,
            )
        )
    return items


def _surveillances_done(db: sa.Engine, app_ids: list[int]) -> dict[int, int]:
    done: dict[int, int] = {}
    with reading(db).connect() as conn:
        for start in range(0, len(app_ids), _BATCH):
            chunk = app_ids[start : start + _BATCH]
            counted = conn.execute(
                select(AUDIT.c.application_id, func.count())
                .where(AUDIT.c.application_id.in_(chunk), AUDIT.c.trigger == "surveillance_due")
                .group_by(AUDIT.c.application_id)
            )
            done.update({app_id: int(n) for app_id, n in counted})
    return done


def _sni(
    db: sa.Engine, settings: Settings, today: date, engine: Engine, system: str, tally: _Tally
) -> list[_Item]:
    """SPPT SNI certificates: surveillance reminders and starts (see the module docstring),
    expiry reminders, and the end of an expired certificate."""
    delivery = settings.delivery
    rows = _certified(db, "sni", APPLICATIONS.c.certificate_issued_on.is_not(None))
    done = _surveillances_done(db, [row.id for row in rows])
    items = []
    for row in rows:
        expiry: date | None = row.certificate_expires_on
        if expiry is not None and today > expiry:  # as GracePeriodOver(with_grace=False)
            if row.state == _SNI_CERTIFIED:
                _fire(engine, row, "expired", system, "otomatis: masa berlaku habis", tally)
            continue  # no reminders about a certificate that has ended
        seq = row.audit_seq
        notices: list[tuple[str, str, date]] = []  # (key prefix, what, due)
        if row.state == _SNI_CERTIFIED:
            # Counted from the issue date each time, so a 31st or a leap day never drifts.
            cycle = done.get(row.id, 0) + 1
            due = row.certificate_issued_on + relativedelta(
                months=delivery.sni_surveillance_months * cycle
            )
            if expiry is not None and due >= expiry:
                pass  # the certificate ends first; the expiry reminder speaks for it
            elif today >= due:
                note = "otomatis: survailen jatuh tempo"
                fired = _fire(engine, row, "surveillance_due", system, note, tally)
                seq = seq if fired is None else fired.audit_seq
            elif today >= due - timedelta(days=SURVEILLANCE_NOTICE_DAYS):
                notices.append(("surveillance", "sni_surveillance", due))
        if expiry is not None and today >= expiry - relativedelta(
            months=delivery.sni_expiry_reminder_months
        ):
            notices.append(("sni-expiry", "sni_expiry", expiry))
        items += [
            _Item(
                "renewal_reminder",
                f"{prefix}:{row.id}:{when.isoformat()}",
                {"what": what, "due": when.isoformat()},
                application_id=row.id,
                audit_seq=seq,
            )
            for prefix, what, when in notices
        ]
    return items


# --------------------------------------------------------------------------- digests


def queue_digests(db: sa.Engine, settings: Settings, now: datetime) -> SweepReport:
    """From ``digest_hour`` office time on, queue one ``consultant_digest`` a day for each
    active user who takes the daily digest and has notifications not yet digested (created at
    or before ``now``, as the delivery reads them); before that hour, nothing."""
    local = _office_now(settings, now)
    tally = _Tally()
    if local.hour < settings.delivery.digest_hour:
        return tally.report()
    day = local.date().isoformat()
    waiting = exists().where(
        _NOTIFICATIONS.c.user_id == USERS.c.id,
        _NOTIFICATIONS.c.digested_at.is_(None),
        _NOTIFICATIONS.c.created_at <= now,
    )
    query = (
        select(USERS.c.id)
        .where(USERS.c.active.is_(True), USERS.c.daily_digest.is_(True), waiting)
        .order_by(USERS.c.id)
    )
    with reading(db).connect() as conn:
        user_ids = list(conn.scalars(query))
    items = [
        _Item("consultant_digest", f"digest:{user_id}:{day}", {"day": day}, user_id=user_id)
        for user_id in user_ids
    ]
    _queue_in_batches(db, items, now, tally)
    return tally.report()
