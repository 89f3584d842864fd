"""Delivering effects in-process (the embedded worker and the task function Celery runs), on
SQLite and PostgreSQL, to a real SMTP server on loopback."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select, update

from tests.services import SmtpSink
from tests.support import Office, drive
from workers import outbox
from workers.context import WorkerContext
from workers.effects import HANDLERS, NOTIFICATIONS
from workers.embedded import run_embedded
from workers.mail import mailer_from_settings
from workers.runner import deliver
from workflow.ledger import OUTBOX, UMKM, USERS
from workflow.persistence.schema import IssuedPacket, table
from workflow.settings import Settings

CONSULTANT_EMAIL = "rina@plut.example.id"


def worker_context(office: Office, tmp_path: Path, sink: SmtpSink, **extra: str) -> WorkerContext:
    """A worker on the office's database and clock, mailing to ``sink``."""
    env: Mapping[str, str] = {
        **sink.env(),
        "SERTIFLOW_STORAGE_DIR": str(tmp_path / "packets"),
        "SERTIFLOW_MAIL_DIR": str(tmp_path / "mail"),
        "SERTIFLOW_CHECKPOINT_DIR": str(tmp_path / "checkpoints"),
        "SERTIFLOW_MAIL_FROM": "plut@example.id",
        **extra,
    }
    settings = Settings.from_env(env)
    with office.db.begin() as conn:
        conn.execute(
            update(USERS)
            .where(USERS.c.username == office.consultant)
            .values(email=CONSULTANT_EMAIL)
        )
    return WorkerContext(
        settings, office.db, office.workflow, mailer_from_settings(settings), clock=office.clock
    )


def owner_address(office: Office, nib: str) -> str:
    with office.db.connect() as conn:
        return str(conn.scalar(select(UMKM.c.email).where(UMKM.c.nib == nib)))


def rows(office: Office, **where: object) -> list[dict[str, object]]:
    query = select(OUTBOX).order_by(OUTBOX.c.id)
    for column, value in where.items():
        query = query.where(OUTBOX.c[column] == value)
    with office.db.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def test_a_transition_sends_one_email_per_recipient_in_indonesian(
    office: Office, tmp_path: Path, smtp_sink: SmtpSink
) -> None:
    ctx = worker_context(office, tmp_path, smtp_sink)
    app = office.workflow.open_application(office.nib, "trademark", office.consultant)
    run_embedded(ctx, once=True)
    before = len(smtp_sink.received)
    note = "Mohon siapkan label merek dalam format JPG"
    result = office.workflow.advance(
        app, "start_document_preparation", office.consultant, note=note
    )
    run_embedded(ctx, once=True)
    step_rows = rows(office, application_id=app, audit_seq=result.audit_seq)
    assert {r["status"] for r in step_rows} == {"done"}
    new = smtp_sink.received[before:]
    owner = owner_address(office, office.nib)
    assert sorted(r.recipients[0] for r in new) == sorted([owner, CONSULTANT_EMAIL])
    assert all(len(r.recipients) == 1 for r in new)
    to_owner = next(r.message for r in new if r.recipients == [owner])
    assert to_owner["Subject"].startswith(f"[PLUT] Permohonan #{app}")
    text = to_owner.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Penyiapan dokumen" in text and "Rina Latuconsina" in text
    assert "/status/" in text and "hari kerja" in text and note in text
    to_consultant = next(r.message for r in new if r.recipients == [CONSULTANT_EMAIL])
    desk = to_consultant.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Rina Latuconsina mencatat langkah" in desk and note in desk
    email_row = next(r for r in step_rows if r["kind"] == "email_umkm")
    assert to_owner["Message-ID"] == email_row["result"]["message_id"]  # type: ignore[index]


def test_an_owner_who_prefers_english_gets_english(
    office: Office, tmp_path: Path, smtp_sink: SmtpSink
) -> None:
    ctx = worker_context(office, tmp_path, smtp_sink)
    with office.db.begin() as conn:
        conn.execute(update(UMKM).where(UMKM.c.nib == office.other_nib).values(language="en"))
    app = office.workflow.open_application(office.other_nib, "trademark", office.consultant)
    drive(office, app, "start_document_preparation")
    run_embedded(ctx, once=True)
    got = smtp_sink.to(owner_address(office, office.other_nib))
    assert len(got) == 2  # opened, then document preparation
    text = got[-1].message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert got[-1].message["Content-Language"] == "en"
    assert "Document preparation" in text and "Dear" in text
    assert "Penyiapan dokumen" not in text and "hari kerja" not in text


def test_the_same_row_delivered_twice_or_at_once_has_one_effect(
    office: Office, tmp_path: Path, smtp_sink: SmtpSink
) -> None:
    ctx = worker_context(office, tmp_path, smtp_sink)
    app = office.workflow.open_application(office.nib, "trademark", office.consultant)
    email_row, notify_row = (
        int(r["id"])  # type: ignore[call-overload]
        for r in rows(office, application_id=app)
        if r["kind"] in ("email_umkm", "notify_consultant")
    )
    assert deliver(ctx, email_row) == "done"
    assert deliver(ctx, email_row) == "skipped"
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def race() -> None:
        barrier.wait()
        outcomes.append(deliver(ctx, notify_row))

    threads = [threading.Thread(target=race) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["done", "skipped", "skipped", "skipped"]
    assert len(smtp_sink.to(owner_address(office, office.nib))) == 1
    assert len(smtp_sink.to(CONSULTANT_EMAIL)) == 1
    with office.db.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(NOTIFICATIONS)) == 1


def test_refused_mail_backs_off_then_fails_then_a_retry_delivers_it_once(
    office: Office, tmp_path: Path, smtp_sink: SmtpSink
) -> None:
    ctx = worker_context(office, tmp_path, smtp_sink, SERTIFLOW_MAX_ATTEMPTS="3")
    smtp_sink.refuse_with = "451 4.3.0 mailbox busy, try again later"
    app = office.workflow.open_application(office.nib, "trademark", office.consultant)
    [row] = rows(office, application_id=app, kind="email_umkm")
    waits = []
    for attempt in (1, 2, 3):
        assert deliver(ctx, int(row["id"])) == ("failed" if attempt == 3 else "pending")  # type: ignore[call-overload]
        [row] = rows(office, id=row["id"])
        assert row["attempts"] == attempt and "451" in str(row["last_error"])
        if attempt < 3:
            wait = (row["available_at"] - office.clock()).total_seconds()  # type: ignore[operator]
            waits.append(wait)
            assert deliver(ctx, int(row["id"])) == "skipped"  # type: ignore[call-overload]
            office.clock.advance(seconds=wait + 1)
    assert 15 <= waits[0] <= 45 and 30 <= waits[1] <= 90  # doubling, with jitter
    assert row["status"] == "failed" and smtp_sink.received == []
    run_embedded(ctx, once=True)
    assert rows(office, id=row["id"])[0]["status"] == "failed"  # nobody retries it by itself
    smtp_sink.refuse_with = None
    assert outbox.retry(office.db, None, office.clock()) == [row["id"]]
    run_embedded(ctx, once=True)
    assert rows(office, id=row["id"])[0]["status"] == "done"
    assert len(smtp_sink.to(owner_address(office, office.nib))) == 1


def test_a_umkm_without_an_email_address_is_recorded_not_retried(
    office: Office, tmp_path: Path, smtp_sink: SmtpSink
) -> None:
    ctx = worker_context(office, tmp_path, smtp_sink)
    with office.db.begin() as conn:
        conn.execute(update(UMKM).where(UMKM.c.nib == office.nib).values(email=None))
        conn.execute(
            update(USERS).where(USERS.c.username == office.consultant).values(email="x\r\nBcc: y")
        )
    app = office.workflow.open_application(office.nib, "trademark", office.consultant)
    run_embedded(ctx, once=True)
    done = {r["kind"]: r for r in rows(office, application_id=app)}
    assert done["email_umkm"]["status"] == "done"
    assert done["email_umkm"]["result"]["outcome"] == "no_address"  # type: ignore[index]
    assert done["notify_consultant"]["status"] == "done"
    assert done["notify_consultant"]["result"]["invalid_address"] == [office.consultant]  # type: ignore[index]
    assert smtp_sink.received == []


def test_a_consultant_on_the_daily_digest_gets_one_email_a_day(
    office: Office, tmp_path: Path, smtp_sink: SmtpSink
) -> None:
    ctx = worker_context(office, tmp_path, smtp_sink, SERTIFLOW_DIGEST_HOUR="7")
    with office.db.begin() as conn:
        conn.execute(
            update(USERS).where(USERS.c.username == office.consultant).values(daily_digest=True)
        )
    for nib in (office.nib, office.other_nib):
        app = office.workflow.open_application(nib, "trademark", office.consultant)
        drive(office, app, "start_document_preparation")
    run_embedded(ctx, once=True)  # notifies in the app only; the sweep ran before them
    assert smtp_sink.to(CONSULTANT_EMAIL) == []
    run_embedded(ctx, once=True)  # 11:00 in Ambon: after the digest hour
    assert len(smtp_sink.to(CONSULTANT_EMAIL)) == 1
    digest = smtp_sink.to(CONSULTANT_EMAIL)[0].message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert digest.count("#") >= 4  # four notifications, one email
    run_embedded(ctx, once=True)
    office.clock.advance(hours=2)
    run_embedded(ctx, once=True)
    assert len(smtp_sink.to(CONSULTANT_EMAIL)) == 1  # once a day


def test_a_packet_stage_renders_its_packet_once_and_records_it(
    office: Office, tmp_path: Path, smtp_sink: SmtpSink
) -> None:
    ctx = worker_context(office, tmp_path, smtp_sink)
    app = office.workflow.open_application(office.nib, "trademark", office.consultant)
    result = drive(office, app, "start_document_preparation")
    [packet_row] = rows(
        office, application_id=app, audit_seq=result.audit_seq, kind="render_packet"
    )
    assert deliver(ctx, int(packet_row["id"])) == "done"  # type: ignore[call-overload]
    [packet_row] = rows(office, id=packet_row["id"])
    code = packet_row["result"]["code"]  # type: ignore[index]
    with office.db.connect() as conn:
        issued = conn.execute(
            select(table(IssuedPacket)).where(table(IssuedPacket).c.application_id == app)
        ).all()
    assert [r.code for r in issued] == [code]
    stored = list((tmp_path / "packets").rglob("*.pdf"))
    assert any(p.name == f"{packet_row['result']['sha256']}.pdf" for p in stored)  # type: ignore[index]


def test_every_kind_the_engine_and_sweeps_queue_has_a_handler() -> None:
    from workers import sweeps

    engine_kinds = {"render_packet", "email_umkm", "notify_consultant", "notify_admins"}
    assert engine_kinds | set(sweeps.KINDS) == set(HANDLERS)


def test_without_an_smtp_host_mail_is_written_as_files_with_a_link_that_expires(
    office: Office, tmp_path: Path, smtp_sink: SmtpSink
) -> None:
    ctx = worker_context(office, tmp_path, smtp_sink, SERTIFLOW_SMTP_HOST="")
    app = office.workflow.open_application(office.nib, "trademark", office.consultant)
    run_embedded(ctx, once=True)
    [row] = rows(office, application_id=app, kind="email_umkm")
    message_id = row["result"]["message_id"]  # type: ignore[index]
    files = {f.name for f in (tmp_path / "mail").rglob("*.eml")}
    assert f"{message_id.strip('<>')}.eml" in files and smtp_sink.received == []
    _, expires = ctx.status_url(1)
    assert expires - ctx.today() == timedelta(days=30)


def test_the_status_email_waits_for_its_packet_instead_of_laying_it_out_again(
    office: Office, tmp_path: Path, smtp_sink: SmtpSink
) -> None:
    ctx = worker_context(office, tmp_path, smtp_sink)
    app = office.workflow.open_application(office.nib, "trademark", office.consultant)
    run_embedded(ctx, once=True)
    step = drive(office, app, "start_document_preparation")  # the UMKM's documents to sign
    mine = {r["kind"]: r for r in rows(office, application_id=app, audit_seq=step.audit_seq)}
    email_id, packet_id = int(mine["email_umkm"]["id"]), int(mine["render_packet"]["id"])  # type: ignore[call-overload]
    assert deliver(ctx, email_id) == "deferred"
    [waiting] = rows(office, id=email_id)
    assert waiting["status"] == "pending" and waiting["attempts"] == 0  # not a failed attempt
    assert len(smtp_sink.to(owner_address(office, office.nib))) == 1  # only the opening's
    assert deliver(ctx, packet_id) == "done"
    office.clock.advance(seconds=5)
    assert deliver(ctx, email_id) == "done"
    [packet_row] = rows(office, id=packet_id)
    [sent] = rows(office, id=email_id)
    assert sent["result"]["attachments"] == 1  # type: ignore[index]
    message = smtp_sink.to(owner_address(office, office.nib))[-1].message
    [pdf] = [part for part in message.iter_attachments()]
    assert packet_row["result"]["code"] in str(pdf.get_filename())  # type: ignore[index]
    data = pdf.get_content()
    assert hashlib.sha256(data).hexdigest() == packet_row["result"]["sha256"]  # type: ignore[index]
    with office.db.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(table(IssuedPacket))) == 1
