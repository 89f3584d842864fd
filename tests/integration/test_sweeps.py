"""The worker's periodic sweeps on SQLite and PostgreSQL: deadline reminders, overdue notices and
escalations; trademark renewal windows, SNI surveillance and expiry; daily digests.

Applications are built through the real engine; the sweeps run against the same database at the
office dates the tests choose (the clock is naive UTC, the office is in Ambon, WIT, UTC+9).
"""

from __future__ import annotations

import threading
import time
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, insert, select, text, update

from tests.support import (
    SNI_EVIDENCE,
    TRADEMARK_EVIDENCE,
    Office,
    app_row,
    audit_rows,
    drive,
    umkm_record,
)
from workers.outbox import enqueue
from workers.sweeps import SweepReport, queue_digests, sweep_deadlines, sweep_renewals
from workflow.directory import add_user, ensure_system_user, upsert_umkm
from workflow.engine import Engine as Workflow
from workflow.errors import InvalidInput
from workflow.ledger import OUTBOX, USERS
from workflow.model import Role
from workflow.persistence.schema import Notification, table
from workflow.policy import Policy
from workflow.settings import Delivery, Settings

NOTIFICATIONS = table(Notification)
SETTINGS = Settings()
NOTHING = SweepReport()


# --------------------------------------------------------------------------- helpers


def at(day: date, hour: int = 9) -> datetime:
    """Naive UTC for ``hour`` o'clock in Ambon (WIT, UTC+9) on ``day``."""
    return datetime(day.year, day.month, day.day, hour) - timedelta(hours=9)


def sweep_on(office: Office, day: date, settings: Settings = SETTINGS) -> SweepReport:
    """Move the clock to 09:00 office time on ``day`` and sweep the deadlines."""
    office.clock.now = at(day)
    return sweep_deadlines(office.db, settings, office.clock(), office.workflow.calendar)


def renewals_on(
    office: Office, day: date, settings: Settings = SETTINGS, engine: Workflow | None = None
) -> SweepReport:
    """Move the clock to 09:00 office time on ``day`` and sweep renewals and surveillance."""
    office.clock.now = at(day)
    return sweep_renewals(office.db, settings, office.clock(), engine or office.workflow)


def swept_rows(office: Office, kind: str | None = None) -> list[dict[str, Any]]:
    """The rows the sweeps queued (those with a dedupe key), oldest first."""
    query = select(OUTBOX).where(OUTBOX.c.dedupe_key.is_not(None)).order_by(OUTBOX.c.id)
    if kind is not None:
        query = query.where(OUTBOX.c.kind == kind)
    with office.db.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def keys(office: Office) -> list[str]:
    return [row["dedupe_key"] for row in swept_rows(office)]


def halal_in_preparation(office: Office, nib: str, day: date) -> int:
    """A regular halal application taken into document preparation on ``day`` (10 HK)."""
    office.clock.now = at(day)
    app = office.workflow.open_application(nib, "halal_regular", office.consultant)
    drive(office, app, "start_document_preparation")
    return app


def register_mark(office: Office, nib: str, number: str, filed_on: str | None = None) -> int:
    """A trademark of ``nib`` filed (on ``filed_on``, else today) and registered today."""
    app = office.workflow.open_application(
        nib, "trademark", office.consultant, details={"mark_name": f"MEREK {number}"}
    )
    office.give_evidence(nib, TRADEMARK_EVIDENCE, app=app)
    drive(office, app, "start_document_preparation")
    filing = {"filed_on": filed_on} if filed_on else {}
    drive(office, app, "billing_paid_and_submitted", fields=filing)
    drive(office, app, "formality_exam_started", "formality_passed", "publication_ended")
    drive(office, app, "queued_for_substantive", "substantive_exam_started")
    issued = office.workflow.today().isoformat()
    drive(office, app, "approved", fields={"certificate_number": number, "issued_on": issued})
    return app


def certify_sni(office: Office) -> int:
    """An SPPT SNI of ``office.other_nib`` issued on Monday 2 November 2026 (valid 4 years)."""
    nib = office.other_nib
    app = office.workflow.open_application(
        nib, "sni", office.consultant, details={"brand": "KOPI REMPAH BANDA"}
    )
    office.give_evidence(nib, (*SNI_EVIDENCE, "trademark_licence"), app=app)
    drive(office, app, "start_document_preparation", "apply", "review_started", "accepted")
    drive(office, app, "paid", "audit_passed", "samples_taken", "test_passed", "recommend")
    drive(
        office,
        app,
        "grant",
        fields={"certificate_number": "LSPRO-123/SPPT/2026", "issued_on": "2026-11-02"},
    )
    row = app_row(office, app)
    assert (row["state"], row["certificate_expires_on"]) == ("CERTIFIED", date(2030, 11, 2))
    return app


# --------------------------------------------------------------------------- deadlines


def test_a_reminder_is_queued_three_working_days_before_the_deadline_across_christmas(
    office: Office,
) -> None:
    # Entered on Friday 11 December: 10 HK end on Tuesday 29 December, skipping the weekends,
    # the cuti bersama of 24 December and Christmas Day.
    app = halal_in_preparation(office, office.nib, date(2026, 12, 11))
    row = app_row(office, app)
    assert (row["state"], row["deadline"]) == ("DOC_PREPARATION", date(2026, 12, 29))

    assert sweep_on(office, date(2026, 12, 11)) == NOTHING  # no deadline in range
    assert sweep_on(office, date(2026, 12, 18)) == NOTHING
    # Monday 21 December: 22, 23, 28 and 29 December are left, four working days
    assert sweep_on(office, date(2026, 12, 21)) == NOTHING
    office.clock.now = datetime(2026, 12, 21, 14, 59)  # 23:59 in Ambon, still the 21st
    assert sweep_deadlines(office.db, SETTINGS, office.clock(), office.workflow.calendar) == NOTHING

    office.clock.now = datetime(2026, 12, 21, 15, 0)  # midnight in Ambon: the 22nd
    report = sweep_deadlines(office.db, SETTINGS, office.clock(), office.workflow.calendar)
    assert report == SweepReport(queued={"deadline_reminder": 1})
    [reminder] = swept_rows(office)
    assert reminder["kind"] == "deadline_reminder"
    assert reminder["dedupe_key"] == f"reminder:{app}:2026-12-29"
    assert (reminder["application_id"], reminder["user_id"]) == (app, None)
    assert reminder["audit_seq"] == row["audit_seq"] == 2
    assert (reminder["status"], reminder["created_at"]) == ("pending", office.clock())
    assert reminder["payload"] == {
        "application_id": app,
        "state": "DOC_PREPARATION",
        "deadline": "2026-12-29",
        "court": "umkm",
        "working_days": 3,
        "basis": "agreed",
    }

    assert sweep_on(office, date(2026, 12, 22)) == NOTHING  # the same day again
    assert sweep_on(office, date(2026, 12, 28)) == NOTHING  # once per deadline
    assert keys(office) == [f"reminder:{app}:2026-12-29"]


def test_a_deadline_is_overdue_the_day_after_it_and_escalated_two_working_days_later(
    office: Office,
) -> None:
    app = halal_in_preparation(office, office.nib, date(2026, 12, 11))
    # The sweep did not run while the reminder was due: it is still sent, once.
    assert sweep_on(office, date(2026, 12, 28)) == SweepReport(queued={"deadline_reminder": 1})
    assert swept_rows(office)[0]["payload"]["working_days"] == 1

    assert sweep_on(office, date(2026, 12, 29)) == NOTHING  # the deadline day: still in time
    assert sweep_on(office, date(2026, 12, 30)) == SweepReport(queued={"deadline_overdue": 1})
    [overdue] = swept_rows(office, "deadline_overdue")
    assert overdue["dedupe_key"] == f"overdue:{app}:2026-12-29"
    assert overdue["payload"]["working_days"] == 1
    assert overdue["payload"]["court"] == "umkm"

    assert sweep_on(office, date(2026, 12, 31)) == SweepReport(queued={"deadline_escalation": 1})
    [escalation] = swept_rows(office, "deadline_escalation")
    assert escalation["dedupe_key"] == f"escalation:{app}:2026-12-29"
    assert escalation["payload"]["working_days"] == 2
    assert escalation["payload"]["deadline"] == "2026-12-29"

    assert sweep_on(office, date(2027, 1, 4)) == NOTHING
    assert sweep_on(office, date(2027, 2, 1)) == NOTHING
    assert len(swept_rows(office)) == 3


def test_a_sweep_that_finds_a_deadline_long_past_queues_the_notice_and_the_escalation(
    office: Office,
) -> None:
    app = halal_in_preparation(office, office.nib, date(2026, 12, 11))
    report = sweep_on(office, date(2027, 1, 8))
    assert report == SweepReport(queued={"deadline_escalation": 1, "deadline_overdue": 1})
    assert keys(office) == [f"overdue:{app}:2026-12-29", f"escalation:{app}:2026-12-29"]
    # 30, 31 Dec, 4-8 Jan (1 January is Tahun Baru, 5 January Isra Mikraj): 6 working days
    assert {row["payload"]["working_days"] for row in swept_rows(office)} == {6}


def test_sweeping_again_and_again_takes_no_outbox_ids(office: Office) -> None:
    # On PostgreSQL an INSERT that hits the unique key still uses up a sequence number: a sweep
    # over a long-overdue backlog every hour would burn them by the thousand.
    halal_in_preparation(office, office.nib, date(2026, 12, 11))
    mark = register_mark(office, office.other_nib, "IDM000000008")  # expires 11 December 2036
    office.clock.now = at(date(2036, 7, 1))
    drive(office, mark, "renewal_window_opened")

    def last_id() -> int:
        with office.db.connect() as conn:
            return int(conn.scalar(select(func.max(OUTBOX.c.id))) or 0)

    for day, queued in ((date(2026, 12, 22), 1), (date(2026, 12, 30), 1), (date(2027, 1, 8), 1)):
        assert sweep_on(office, day).total_queued == queued
        before = last_id()
        for _ in range(3):
            assert sweep_on(office, day) == NOTHING
        assert last_id() == before
    assert renewals_on(office, date(2036, 7, 1)).total_queued == 1
    before = last_id()
    for _ in range(3):
        assert renewals_on(office, date(2036, 7, 1)) == NOTHING
    with office.db.begin() as conn:
        probe = enqueue(conn, "probe", now=office.clock(), payload={})
    assert probe == before + 1


def test_a_transition_that_sets_a_new_deadline_gets_its_own_reminder(office: Office) -> None:
    office.clock.now = at(date(2026, 12, 11))
    app = office.workflow.open_application(office.nib, "halal_regular", office.consultant)
    assert app_row(office, app)["deadline"] == date(2026, 12, 16)  # INTAKE, 3 HK
    assert sweep_on(office, date(2026, 12, 11)) == SweepReport(queued={"deadline_reminder": 1})
    [first] = swept_rows(office)
    assert first["payload"]["state"] == "INTAKE"
    assert first["payload"]["court"] == "consultant"

    office.clock.now = at(date(2026, 12, 14))
    moved = drive(office, app, "start_document_preparation")
    assert moved.deadline == date(2026, 12, 30)
    assert sweep_on(office, date(2026, 12, 14)) == NOTHING
    assert sweep_on(office, date(2026, 12, 22)) == NOTHING
    assert sweep_on(office, date(2026, 12, 23)) == SweepReport(queued={"deadline_reminder": 1})
    second = swept_rows(office)[-1]
    assert second["dedupe_key"] == f"reminder:{app}:2026-12-30"
    assert (second["payload"]["state"], second["audit_seq"]) == ("DOC_PREPARATION", 2)
    assert sweep_on(office, date(2026, 12, 31)) == SweepReport(queued={"deadline_overdue": 1})


def test_applications_without_a_running_deadline_are_left_alone(office: Office) -> None:
    app = halal_in_preparation(office, office.nib, date(2026, 12, 11))
    assert drive(office, app, "cancel").deadline is None  # closed: nothing waits any more
    assert sweep_on(office, date(2027, 3, 1)) == NOTHING
    assert swept_rows(office) == []


def test_two_sweeps_at_the_same_moment_queue_each_notice_once(office: Office) -> None:
    nibs = [f"81200000001{i:02d}" for i in range(12)]
    with office.db.begin() as conn:
        records = [umkm_record(nib, f"Usaha {i}", row=i + 10) for i, nib in enumerate(nibs)]
        upsert_umkm(conn, records, office.clock())
    apps = [halal_in_preparation(office, nib, date(2026, 12, 11)) for nib in nibs]

    def race(day: date) -> list[SweepReport]:
        office.clock.now = at(day)
        start = threading.Barrier(2)
        reports: list[SweepReport] = []
        errors: list[BaseException] = []

        def run() -> None:
            try:
                start.wait()
                reports.append(
                    sweep_deadlines(office.db, SETTINGS, at(day), office.workflow.calendar)
                )
            except BaseException as error:  # reported to the test thread below
                errors.append(error)

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert errors == []
        assert len(reports) == 2
        return reports

    for day, kind in (
        (date(2026, 12, 22), "deadline_reminder"),
        (date(2026, 12, 30), "deadline_overdue"),
        (date(2026, 12, 31), "deadline_escalation"),
    ):
        reports = race(day)
        assert sum(r.queued.get(kind, 0) for r in reports) == len(apps)
        assert sum(r.total_queued for r in reports) == len(apps)
        rows = swept_rows(office, kind)
        assert sorted(row["application_id"] for row in rows) == apps
    assert len(set(keys(office))) == len(keys(office)) == 3 * len(apps)


def test_a_sweep_waiting_on_another_that_queued_the_same_reminder_skips_it(
    office: Office,
) -> None:
    app = halal_in_preparation(office, office.nib, date(2026, 12, 11))
    now = at(date(2026, 12, 22))
    with office.db.begin() as holder:
        # Another sweep's insert, not committed yet: ours cannot see it and must wait for it.
        enqueue(
            holder,
            "deadline_reminder",
            now=now,
            payload={"application_id": app},
            application_id=app,
            dedupe_key=f"reminder:{app}:2026-12-29",
        )
        reports: list[SweepReport] = []
        errors: list[BaseException] = []

        def run() -> None:
            try:
                reports.append(sweep_deadlines(office.db, SETTINGS, now, office.workflow.calendar))
            except BaseException as error:  # reported to the test thread below
                errors.append(error)

        thread = threading.Thread(target=run)
        thread.start()
        if office.db.dialect.name == "postgresql":
            _wait_for_a_lock_wait(office.db)  # its INSERT waits on our unique key
        else:
            time.sleep(0.3)  # its BEGIN IMMEDIATE waits for our write transaction
        assert thread.is_alive()
    thread.join(60)
    assert errors == []
    assert reports == [NOTHING]
    [row] = swept_rows(office)
    assert row["payload"] == {"application_id": app}  # the first sweep's row, not ours


def _wait_for_a_lock_wait(db: Engine) -> None:
    deadline = time.monotonic() + 20
    with db.connect() as watcher:
        while time.monotonic() < deadline:
            waiting = watcher.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
            watcher.rollback()
            if waiting:
                return
            time.sleep(0.02)
    pytest.fail("the second sweep never waited on the first one's row")


# --------------------------------------------------------------------------- renewals


def test_the_sweep_opens_a_renewal_window_on_its_first_day_and_not_before(office: Office) -> None:
    app = register_mark(office, office.nib, "IDM000000003")
    row = app_row(office, app)
    assert (row["state"], row["certificate_expires_on"]) == ("MARK_ACTIVE", date(2036, 11, 2))

    assert renewals_on(office, date(2036, 5, 1)) == NOTHING
    office.clock.now = datetime(2036, 5, 1, 14, 59)  # 23:59 on 1 May in Ambon
    assert sweep_renewals(office.db, SETTINGS, office.clock(), office.workflow) == NOTHING
    assert app_row(office, app)["state"] == "MARK_ACTIVE"

    office.clock.now = datetime(2036, 5, 1, 15, 0)  # midnight: 2 May, six months before expiry
    report = sweep_renewals(office.db, SETTINGS, office.clock(), office.workflow)
    assert report == SweepReport(
        queued={"renewal_reminder": 1}, fired=(f"#{app} renewal_window_opened",)
    )
    row = app_row(office, app)
    assert (row["state"], row["phase"]) == ("RENEWAL_WINDOW", "certified")
    last = audit_rows(office, app)[-1]
    system_id = ensure_system_user(office.db, SETTINGS.delivery.system_user)
    assert (last["trigger"], last["actor_id"], last["actor_role"]) == (
        "renewal_window_opened",
        system_id,
        "admin",
    )
    assert last["note"] == "otomatis: masa perpanjangan dibuka"
    [reminder] = swept_rows(office)
    assert reminder["kind"] == "renewal_reminder"
    assert reminder["dedupe_key"] == f"renewal:{app}:2036-11-02"
    assert reminder["payload"] == {"what": "trademark_renewal", "due": "2036-11-02"}
    assert reminder["audit_seq"] == row["audit_seq"] == last["seq"]
    with office.db.connect() as conn:  # the transition's own notices, in its transaction
        notices = conn.scalars(
            select(OUTBOX.c.kind).where(
                OUTBOX.c.application_id == app, OUTBOX.c.audit_seq == last["seq"]
            )
        ).all()
    assert sorted(notices) == ["email_umkm", "notify_consultant", "renewal_reminder"]

    assert renewals_on(office, date(2036, 5, 2)) == NOTHING
    assert renewals_on(office, date(2036, 9, 1)) == NOTHING


def test_two_renewal_sweeps_at_once_open_the_window_once_and_remind_once(office: Office) -> None:
    app = register_mark(office, office.nib, "IDM000000007")
    sni = certify_sni(office)
    now = at(date(2036, 6, 1))  # the mark's window is open, the SNI certificate has expired
    office.clock.now = now
    start = threading.Barrier(2)
    reports: list[SweepReport] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            reports.append(sweep_renewals(office.db, SETTINGS, now, office.workflow))
        except BaseException as error:  # reported to the test thread below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    together = reports[0] + reports[1]
    assert sorted(together.fired) == [f"#{app} renewal_window_opened", f"#{sni} expired"]
    assert together.queued == {"renewal_reminder": 1}
    # the slower sweep found each application moved under it, and said so
    assert len(together.refusals) <= 2
    assert all("changed" in reason or "not possible" in reason for reason in together.refusals)
    assert keys(office) == [f"renewal:{app}:2036-11-02"]
    assert app_row(office, app)["state"] == "RENEWAL_WINDOW"
    assert app_row(office, sni)["state"] == "EXPIRED"
    with office.db.connect() as conn:
        system_users = conn.scalar(
            select(func.count()).where(USERS.c.username == SETTINGS.delivery.system_user)
        )
    assert system_users == 1


def test_a_window_opened_by_hand_still_sends_the_renewal_reminder_once(office: Office) -> None:
    app = register_mark(office, office.nib, "IDM000000004")
    office.clock.now = at(date(2036, 6, 1))
    drive(office, app, "renewal_window_opened")
    assert renewals_on(office, date(2036, 6, 1)) == SweepReport(queued={"renewal_reminder": 1})
    assert renewals_on(office, date(2036, 6, 2)) == NOTHING
    # renewed: the new expiry gets its own reminder ten years on
    drive(office, app, "renewed", fields={"expires_on": "2046-11-02"})
    assert renewals_on(office, date(2046, 5, 1)) == NOTHING
    report = renewals_on(office, date(2046, 5, 2))
    assert report.fired == (f"#{app} renewal_window_opened",)
    assert keys(office) == [f"renewal:{app}:2036-11-02", f"renewal:{app}:2046-11-02"]


def test_sni_surveillance_is_announced_a_month_ahead_and_started_on_its_due_date(
    office: Office,
) -> None:
    app = certify_sni(office)
    assert renewals_on(office, date(2026, 11, 2)) == NOTHING
    assert renewals_on(office, date(2027, 10, 2)) == NOTHING
    assert renewals_on(office, date(2027, 10, 3)) == SweepReport(queued={"renewal_reminder": 1})
    [notice] = swept_rows(office)
    assert notice["dedupe_key"] == f"surveillance:{app}:2027-11-02"
    assert notice["payload"] == {"what": "sni_surveillance", "due": "2027-11-02"}
    assert notice["audit_seq"] == app_row(office, app)["audit_seq"]
    assert renewals_on(office, date(2027, 11, 1)) == NOTHING

    report = renewals_on(office, date(2027, 11, 2))
    assert report == SweepReport(fired=(f"#{app} surveillance_due",))
    assert app_row(office, app)["state"] == "SURVEILLANCE"
    last = audit_rows(office, app)[-1]
    assert (last["trigger"], last["note"]) == (
        "surveillance_due",
        "otomatis: survailen jatuh tempo",
    )
    assert renewals_on(office, date(2027, 11, 3)) == NOTHING

    # the LSPro keeps the certificate; the next audit is a year after the first was due
    office.clock.now = at(date(2027, 12, 20))
    drive(office, app, "maintained")
    assert renewals_on(office, date(2027, 12, 20)) == NOTHING
    assert renewals_on(office, date(2028, 10, 2)) == NOTHING
    assert renewals_on(office, date(2028, 10, 3)) == SweepReport(queued={"renewal_reminder": 1})
    assert keys(office)[-1] == f"surveillance:{app}:2028-11-02"
    assert renewals_on(office, date(2028, 11, 2)).fired == (f"#{app} surveillance_due",)


def test_an_sni_certificate_is_reminded_of_six_months_before_expiry_and_ended_after_it(
    office: Office,
) -> None:
    # Surveillance every 48 months falls on the expiry date itself: that audit never happens.
    settings = Settings(delivery=Delivery(sni_surveillance_months=48))
    app = certify_sni(office)
    assert renewals_on(office, date(2030, 5, 1), settings) == NOTHING
    report = renewals_on(office, date(2030, 5, 2), settings)
    assert report == SweepReport(queued={"renewal_reminder": 1})
    [notice] = swept_rows(office)
    assert notice["dedupe_key"] == f"sni-expiry:{app}:2030-11-02"
    assert notice["payload"] == {"what": "sni_expiry", "due": "2030-11-02"}

    assert renewals_on(office, date(2030, 11, 2), settings) == NOTHING  # valid through its day
    assert app_row(office, app)["state"] == "CERTIFIED"
    assert renewals_on(office, date(2030, 11, 3), settings) == SweepReport(
        fired=(f"#{app} expired",)
    )
    row = app_row(office, app)
    assert (row["state"], row["phase"]) == ("EXPIRED", "closed")
    assert audit_rows(office, app)[-1]["note"] == "otomatis: masa berlaku habis"
    assert renewals_on(office, date(2030, 11, 4), settings) == NOTHING


def test_a_refused_trigger_is_reported_and_the_sweep_goes_on(office: Office) -> None:
    office.clock.now = at(date(2026, 11, 2))
    refused = register_mark(office, office.nib, "IDM000000005")  # expires 2 November 2036
    fired = register_mark(office, office.other_nib, "IDM000000006", filed_on="2026-08-03")
    assert app_row(office, fired)["certificate_expires_on"] == date(2036, 8, 3)
    # An engine whose office opens renewals three months ahead, not six as the sweep thinks:
    # the guard decides, and refuses the mark that expires in November.
    engine = Workflow(
        office.db, policy=Policy(trademark_renewal_window_months=3), clock=office.clock
    )
    report = renewals_on(office, date(2036, 6, 1), engine=engine)
    assert report.refusals == (
        f"#{refused} renewal_window_opened: renewal opens on 2036-08-02, 3 months before expiry",
    )
    assert report.fired == (f"#{fired} renewal_window_opened",)
    assert report.queued == {"renewal_reminder": 1}
    assert app_row(office, refused)["state"] == "MARK_ACTIVE"
    assert app_row(office, fired)["state"] == "RENEWAL_WINDOW"
    assert keys(office) == [f"renewal:{fired}:2036-08-03"]
    assert report.lines() == [
        "queued: renewal_reminder 1",
        f"fired: #{fired} renewal_window_opened",
        f"refused: #{refused} renewal_window_opened: renewal opens on 2036-08-02, 3 months "
        "before expiry",
    ]


def test_the_system_user_is_created_once_as_an_admin_and_a_clash_is_refused(
    office: Office,
) -> None:
    first = ensure_system_user(office.db, "sertiflow")
    assert ensure_system_user(office.db, "sertiflow") == first
    with office.db.connect() as conn:
        row = conn.execute(select(USERS).where(USERS.c.id == first)).one()
    assert (row.role, row.full_name, row.email, row.active) == (
        "admin",
        "sertiflow (otomatis)",
        None,
        True,
    )
    with pytest.raises(InvalidInput, match="'rina' is consultant"):
        ensure_system_user(office.db, office.consultant)
    with office.db.begin() as conn:
        conn.execute(update(USERS).where(USERS.c.id == first).values(active=False))
    with pytest.raises(InvalidInput, match="deactivated"):
        sweep_renewals(office.db, SETTINGS, office.clock(), office.workflow)


# --------------------------------------------------------------------------- digests


def _notify(office: Office, username: str, created_at: datetime, digested: bool = False) -> None:
    with office.db.begin() as conn:
        user_id = conn.scalar(select(USERS.c.id).where(USERS.c.username == username))
        outbox_id = enqueue(conn, "notify_consultant", now=created_at, payload={})
        conn.execute(
            insert(NOTIFICATIONS).values(
                user_id=user_id,
                outbox_id=outbox_id,
                application_id=None,
                kind="notify_consultant",
                title="Perubahan status",
                body="",
                created_at=created_at,
                digested_at=created_at if digested else None,
            )
        )


def _user_id(office: Office, username: str) -> int:
    with office.db.connect() as conn:
        user_id = conn.scalar(select(USERS.c.id).where(USERS.c.username == username))
    assert user_id is not None
    return int(user_id)


def test_digests_are_queued_once_a_day_after_the_hour_for_digest_users_with_news(
    office: Office,
) -> None:
    add_user(office.db, "maria", "Maria", Role.CONSULTANT, acting=office.admin, field="sdm")
    with office.db.begin() as conn:
        conn.execute(
            update(USERS)
            .where(USERS.c.username.in_([office.consultant, office.other_consultant, "maria"]))
            .values(daily_digest=True)
        )
        conn.execute(update(USERS).where(USERS.c.username == "maria").values(active=False))
    evening = datetime(2026, 11, 2, 10, 0)  # 19:00 in Ambon the day before
    _notify(office, office.consultant, evening)  # a digest user with news
    _notify(office, office.other_consultant, evening, digested=True)  # nothing new
    _notify(office, office.admin, evening)  # takes every email as it comes
    _notify(office, "maria", evening)  # deactivated
    rina = _user_id(office, office.consultant)

    assert queue_digests(office.db, SETTINGS, datetime(2026, 11, 2, 21, 59)) == NOTHING  # 06:59
    seven = datetime(2026, 11, 2, 22, 0)  # 07:00 on 3 November in Ambon
    assert queue_digests(office.db, SETTINGS, seven) == SweepReport(queued={"consultant_digest": 1})
    [digest] = swept_rows(office)
    assert (digest["kind"], digest["user_id"], digest["application_id"]) == (
        "consultant_digest",
        rina,
        None,
    )
    assert digest["payload"] == {"day": "2026-11-03"}
    assert digest["dedupe_key"] == f"digest:{rina}:2026-11-03"
    assert queue_digests(office.db, SETTINGS, datetime(2026, 11, 3, 10, 0)) == NOTHING

    # news for yosef later in the day: his digest comes with the next sweep after it
    _notify(office, office.other_consultant, datetime(2026, 11, 3, 3, 0))
    assert queue_digests(office.db, SETTINGS, datetime(2026, 11, 3, 2, 59)) == NOTHING
    assert queue_digests(office.db, SETTINGS, datetime(2026, 11, 3, 3, 0)) == SweepReport(
        queued={"consultant_digest": 1}
    )
    yosef = _user_id(office, office.other_consultant)
    # the next day, both still have undigested news (nobody delivered): one each again
    report = queue_digests(office.db, SETTINGS, datetime(2026, 11, 4, 1, 0))
    assert report == SweepReport(queued={"consultant_digest": 2})
    assert keys(office)[-2:] == [f"digest:{rina}:2026-11-04", f"digest:{yosef}:2026-11-04"]
    with office.db.connect() as conn:
        counted = conn.execute(
            select(OUTBOX.c.user_id, func.count())
            .where(OUTBOX.c.kind == "consultant_digest")
            .group_by(OUTBOX.c.user_id)
        )
        per_user = {user_id: n for user_id, n in counted}
    assert per_user == {rina: 2, yosef: 2}
