"""The consultant workspace against real SQLite and PostgreSQL: today's work, the queue with its
filters and pages, the application page (timeline, deadline, triggers and what blocks them),
advancing (with a guard's refusal, a stale version, a bad field), evidence uploads (stored by
hash, in the engine's scopes, refused unless PDF/JPEG/PNG), the stage's packet, notifications;
and who may see and do what, every refusal logged."""

from __future__ import annotations

import hashlib
import logging
import struct
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, insert, select
from sqlalchemy.pool import QueuePool

from tests.support import Office
from tests.web_support import (
    OTHER_OWNER,
    PASSWORD,
    WebOffice,
    csrf_of,
    log_in,
    seed_web_office,
    web_client,
)
from web import create_app, workspace_pages
from web.security import Limits
from web.uploads import MAX_PIXELS, UploadRefused, check_upload, clean_filename
from web.workspace import queue_page, stored_hash
from workflow.accounts import set_password
from workflow.directory import dossier
from workflow.ledger import AUDIT, OUTBOX
from workflow.permissions import acting_user
from workflow.persistence.database import reading
from workflow.persistence.schema import Notification, table
from workflow.queries import ApplicationFilter

DENIALS = "sertiflow.web.security"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
NOTIFICATIONS = table(Notification)
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def png(width: int = 2, height: int = 2) -> bytes:
    """The first bytes of a PNG of ``width`` x ``height`` (its IHDR chunk)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + header + b"\0\0\0\0"


@pytest.fixture
def web(office: Office, tmp_path: Path) -> WebOffice:
    seeded = seed_web_office(office, tmp_path / "packets")
    set_password(
        office.db, office.other_consultant, PASSWORD, acting=office.admin, now=office.clock()
    )
    return seeded


def signed_in(web: WebOffice, username: str, limits: Limits | None = None) -> TestClient:
    client = web_client(web.app(limits))
    assert log_in(client, username) == 303
    return client


def denials(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == DENIALS and "denied" in r.message]


def advance(
    client: TestClient, app_id: int, trigger: str, version: int, **fields: str
) -> httpx.Response:
    token = csrf_of(client.get(f"/aplikasi/{app_id}").text)
    data = {"csrf_token": token, "trigger": trigger, "version": str(version), **fields}
    response: httpx.Response = client.post(f"/aplikasi/{app_id}/maju", data=data)
    return response


def upload(
    client: TestClient,
    app_id: int,
    kind: str,
    name: str,
    data: bytes,
    media_type: str = "application/pdf",
    **fields: str,
) -> httpx.Response:
    token = csrf_of(client.get("/kerja").text)
    response: httpx.Response = client.post(
        f"/aplikasi/{app_id}/bukti",
        data={"csrf_token": token, "kind": kind, **fields},
        files={"file": (name, data, media_type)},
    )
    return response


def version_of(web: WebOffice, app_id: int) -> int:
    with web.office.db.connect() as conn:
        return int(web.office.workflow.application(conn, app_id).version)


# --------------------------------------------------------------------------- home and today


def test_the_home_page_links_the_workspace_after_login(web: WebOffice) -> None:
    home = signed_in(web, web.office.consultant).get("/").text
    for link in ('href="/kerja"', 'href="/antrian"', 'href="/pemberitahuan"'):
        assert link in home


def test_today_puts_overdue_work_first_and_waiting_work_last(web: WebOffice) -> None:
    fresh = web.office.workflow.open_application(web.office.other_nib, "sni", web.office.consultant)
    client = signed_in(web, web.office.consultant)
    page = client.get("/kerja").text
    assert "Menunggu pihak lain" in page  # the three in document preparation: the UMKM's turn
    assert f'href="/aplikasi/{fresh}"' in page
    assert "Terlambat" not in page
    web.office.clock.advance(days=20)
    later = signed_in(web, web.office.consultant).get("/kerja").text  # the old session idled out
    assert later.index("Terlambat") < later.index(f'href="/aplikasi/{web.halal_app}"')
    assert "terlambat" in later and "hari kerja" in later


def test_today_lists_the_nearest_of_a_long_section_and_links_the_rest(
    web: WebOffice, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workspace_pages, "TODAY_PER_SECTION", 1)
    page = signed_in(web, web.office.consultant).get("/kerja").text
    assert "1 terdekat dari 3." in page  # the three in document preparation wait on the UMKM
    assert page.count('href="/aplikasi/') == 1
    assert 'href="/antrian">Semuanya di antrean</a>' in page


def test_an_admin_today_holds_the_overdue_applications_of_every_consultant(web: WebOffice) -> None:
    web.office.clock.advance(days=20)
    page = signed_in(web, web.office.admin).get("/kerja?lang=en").text
    assert "Overdue" in page and f'href="/aplikasi/{web.trademark_app}"' in page
    assert "Rina Latuconsina" not in page or "rina" in page  # the consultant is named


# --------------------------------------------------------------------------- queue


def test_the_queue_filters_by_process_regency_court_and_due(web: WebOffice) -> None:
    client = signed_in(web, web.office.consultant)
    everything = client.get("/antrian").text
    for app_id in (web.halal_app, web.trademark_app, web.other_app):
        assert f'href="/aplikasi/{app_id}"' in everything
    trademarks = client.get("/antrian?process=trademark").text
    assert f'href="/aplikasi/{web.halal_app}"' not in trademarks
    assert f'href="/aplikasi/{web.other_app}"' in trademarks
    assert "Tidak ada permohonan" in client.get("/antrian?court=agency").text
    assert "Tidak ada permohonan" in client.get("/antrian?due=today").text
    web.office.clock.advance(days=20)
    late = signed_in(web, web.office.consultant).get("/antrian?due=overdue").text
    assert f'href="/aplikasi/{web.other_app}"' in late


def test_bad_queue_filters_say_what_to_give(web: WebOffice) -> None:
    client = signed_in(web, web.office.consultant)
    for query, words in (
        ("due=soon", "one of overdue, today, week"),
        ("court=nobody", "one of"),
        ("page=0", "a number from 1 to"),
        ("regency=Atlantis", "unknown regency"),
        ("process=visa", "visa"),
    ):
        page = client.get(f"/antrian?{query}")
        assert page.status_code == 400, query
        assert words in page.text, query


def test_the_queue_comes_in_pages(web: WebOffice) -> None:
    with reading(web.office.db).connect() as conn:
        actor = acting_user(conn, web.office.consultant)
        pages = [
            queue_page(
                conn,
                web.office.workflow.registry,
                web.office.workflow.calendar,
                actor,
                ApplicationFilter(),
                number,
                web.office.workflow.today(),
                per_page=2,
            )
            for number in (1, 2)
        ]
    assert [len(p.rows) for p in pages] == [2, 1]
    assert pages[0].has_next and not pages[1].has_next
    seen = [r["id"] for p in pages for r in p.rows]
    assert sorted(seen) == sorted([web.halal_app, web.trademark_app, web.other_app])
    second = signed_in(web, web.office.consultant).get("/antrian?page=2&process=halal_regular")
    assert 'rel="prev"' in second.text and "page=1" in second.text


def test_a_consultant_queue_never_lists_another_consultants_applications(
    web: WebOffice,
) -> None:
    yosef = signed_in(web, web.office.other_consultant)
    for query in ("", "?consultant=rina"):
        page = yosef.get(f"/antrian{query}").text
        assert f'href="/aplikasi/{web.trademark_app}"' not in page, query
    admin = signed_in(web, web.office.admin).get("/antrian?consultant=rina").text
    assert f'href="/aplikasi/{web.trademark_app}"' in admin


# --------------------------------------------------------------------------- the application


def test_the_application_page_shows_timeline_deadline_and_what_blocks_each_step(
    web: WebOffice,
) -> None:
    page = signed_in(web, web.office.consultant).get(f"/aplikasi/{web.trademark_app}").text
    assert "Pendaftaran Merek (HAKI)" in page and "Sagu Ibu Ana" in page
    assert "Permohonan dibuka" in page and "Mulai penyiapan dokumen" in page  # the timeline
    assert "rina (consultant)" in page and "2 November 2026, 11:00 WIT" in page
    assert "16 November 2026" in page and "10 hari kerja lagi" in page  # date and working days
    assert "target layanan" in page and "10 hk" in page  # its basis: a service target
    assert "Bayar SIMPAKI dan kirim permohonan" in page  # a trigger rina may fire ...
    assert "missing label_image" in page  # ... blocked, in the guard's own words
    assert 'name="field.filed_on" type="date"' in page  # its fields, as inputs
    assert f'name="version" value="{version_of(web, web.trademark_app)}"' in page
    english = signed_in(web, web.office.consultant).get(f"/aplikasi/{web.trademark_app}?lang=en")
    assert "10 working days left" in english.text and "service target" in english.text
    assert "Document preparation" in english.text and "with the business" not in english.text


def test_a_consultant_advances_an_application_with_a_note(web: WebOffice) -> None:
    fresh = web.office.workflow.open_application(web.office.nib, "sni", web.office.consultant)
    client = signed_in(web, web.office.consultant)
    moved = advance(
        client,
        fresh,
        "start_document_preparation",
        version_of(web, fresh),
        note="Dokumen diminta lewat WA",
    )
    assert moved.status_code == 303
    page = client.get(moved.headers["location"]).text
    assert "Tercatat" in page and "Dokumen diminta lewat WA" in page
    with web.office.db.connect() as conn:
        notes = conn.scalars(select(AUDIT.c.note).where(AUDIT.c.application_id == fresh)).all()
    assert "Dokumen diminta lewat WA" in notes


def test_a_guard_refusal_comes_back_422_in_the_guards_words(web: WebOffice) -> None:
    client = signed_in(web, web.office.consultant)
    version = version_of(web, web.trademark_app)
    refused = advance(client, web.trademark_app, "billing_paid_and_submitted", version)
    assert refused.status_code == 422
    text = refused.text
    assert "cannot billing_paid_and_submitted" in text and "missing umk_statement" in text
    assert "Langkah ini belum bisa dilakukan." in text
    assert version_of(web, web.trademark_app) == version  # nothing moved


def test_a_stale_page_gets_409_with_the_current_state(web: WebOffice) -> None:
    client = signed_in(web, web.office.consultant)
    stale = version_of(web, web.halal_app) - 1
    conflict = advance(client, web.halal_app, "cancel", stale)
    assert conflict.status_code == 409
    assert "changed since you read it" in conflict.text
    assert "Orang lain sudah lebih dulu mengubah permohonan ini" in conflict.text
    assert "DOC_PREPARATION" in conflict.text


def test_a_bad_field_says_what_to_write(web: WebOffice) -> None:
    web.office.give_evidence(web.office.nib, ("ktp_owner",))
    client = signed_in(web, web.office.consultant)
    version = version_of(web, web.trademark_app)
    bad = advance(
        client,
        web.trademark_app,
        "billing_paid_and_submitted",
        version,
        **{"field.filed_on": "30/11/2026"},
    )
    assert bad.status_code == 422
    assert "filed_on must be a date YYYY-MM-DD" in bad.text
    assert 'value="30/11/2026"' in bad.text  # kept to correct
    token = csrf_of(bad.text)
    lost = client.post(
        f"/aplikasi/{web.trademark_app}/maju",
        data={"csrf_token": token, "trigger": "cancel", "version": "x"},
    )
    assert lost.status_code == 400 and "reload the page" in lost.text


def test_a_post_without_its_csrf_token_is_refused(web: WebOffice) -> None:
    client = signed_in(web, web.office.consultant)
    version = version_of(web, web.halal_app)
    forged = client.post(
        f"/aplikasi/{web.halal_app}/maju", data={"trigger": "cancel", "version": str(version)}
    )
    assert forged.status_code == 403
    assert version_of(web, web.halal_app) == version


# --------------------------------------------------------------------------- who may


def test_another_consultants_application_is_refused_and_logged(
    web: WebOffice, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, DENIALS)
    yosef = signed_in(web, web.office.other_consultant)
    app_id = web.trademark_app
    assert yosef.get(f"/aplikasi/{app_id}").status_code == 403
    version = version_of(web, web.halal_app)
    token = csrf_of(yosef.get("/kerja").text)
    moved = yosef.post(
        f"/aplikasi/{web.halal_app}/maju",
        data={"csrf_token": token, "trigger": "cancel", "version": str(version)},
    )
    assert moved.status_code == 403 and version_of(web, web.halal_app) == version
    sent = upload(yosef, app_id, "ktp_owner", "ktp.pdf", PDF)
    assert sent.status_code == 403
    assert yosef.get(f"/aplikasi/{app_id}/paket").status_code == 404
    assert yosef.get(f"/aplikasi/{app_id}/bukti/{'a' * 64}").status_code == 404
    assert dossier(web.office.db, web.office.nib) == []
    assert len(denials(caplog)) == 5


def test_a_umkm_user_lands_on_its_own_status_page(
    web: WebOffice, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, DENIALS)
    ana = signed_in(web, web.office.owner)
    assert ana.get(f"/aplikasi/{web.halal_app}").headers["location"] == "/saya"
    assert ana.get(f"/aplikasi/{web.other_app}").status_code == 404  # another business's
    for path in ("/kerja", "/antrian", "/pemberitahuan", "/aplikasi"):
        assert ana.get(path).headers["location"] == "/saya", path
    token = csrf_of(ana.get("/saya").text)
    moved = ana.post(
        f"/aplikasi/{web.halal_app}/maju",
        data={"csrf_token": token, "trigger": "cancel", "version": "1"},
    )
    assert moved.status_code == 403
    assert len(denials(caplog)) == 2
    budi = signed_in(web, OTHER_OWNER)
    assert budi.get(f"/aplikasi/{web.other_app}").headers["location"] == "/saya"


def test_signed_out_visitors_are_sent_to_the_login(web: WebOffice) -> None:
    client = web_client(web.app())
    for path in ("/kerja", "/antrian", f"/aplikasi/{web.halal_app}", "/pemberitahuan"):
        assert client.get(path).headers["location"] == "/masuk?lanjut=" + quote(path, ""), path
    packet = f"/aplikasi/{web.halal_app}/paket"
    assert client.get(packet).headers["location"] == "/masuk?lanjut=" + quote(packet, "")


def test_the_emails_link_opens_the_application_for_an_admin(web: WebOffice) -> None:
    admin = signed_in(web, web.office.admin)
    assert admin.get(f"/aplikasi/{web.other_app}").status_code == 200
    assert admin.get("/aplikasi").headers["location"] == "/antrian"
    assert admin.get("/aplikasi/99999").status_code == 404
    assert admin.get("/aplikasi/abc").status_code == 404


# --------------------------------------------------------------------------- evidence


def test_an_upload_is_stored_by_hash_in_the_applications_scope(web: WebOffice) -> None:
    client = signed_in(web, web.office.consultant)
    sent = upload(client, web.trademark_app, "umk_statement", "pernyataan UMK.pdf", PDF)
    assert sent.status_code == 303
    digest = hashlib.sha256(PDF).hexdigest()
    (row,) = dossier(web.office.db, web.office.nib)
    assert row["kind"] == "umk_statement"
    assert row["scope"] == f"application:{web.trademark_app}"
    assert stored_hash(row["reference"]) == digest
    assert row["reference"].startswith("pernyataan UMK.pdf")
    page = client.get(f"/aplikasi/{web.trademark_app}").text
    assert "missing umk_statement" not in page  # the guard counts it now
    assert f"/aplikasi/{web.trademark_app}/bukti/{digest}" in page
    back = client.get(f"/aplikasi/{web.trademark_app}/bukti/{digest}")
    assert back.status_code == 200 and back.content == PDF
    assert back.headers["content-type"] == "application/pdf"
    assert back.headers["content-disposition"].startswith("attachment")
    # an application's document is no other application's, not even the same business's
    assert client.get(f"/aplikasi/{web.halal_app}/bukti/{digest}").status_code == 404


def test_a_mark_document_goes_to_the_applications_mark(web: WebOffice) -> None:
    client = signed_in(web, web.office.consultant)
    sent = upload(client, web.trademark_app, "label_image", "label.png", png(), "image/png")
    assert sent.status_code == 303
    (row,) = dossier(web.office.db, web.office.nib)
    assert row["scope"] == "mark:SAGU IBU ANA"
    digest = hashlib.sha256(png()).hexdigest()
    back = client.get(f"/aplikasi/{web.trademark_app}/bukti/{digest}")
    assert back.headers["content-type"] == "image/png"


def test_a_business_document_is_shared_by_the_businesss_applications(web: WebOffice) -> None:
    client = signed_in(web, web.office.consultant)
    sent = upload(
        client, web.trademark_app, "ktp_owner", "ktp.jpg", b"\xff\xd8\xff\xe0", "image/jpeg"
    )
    assert sent.status_code == 303
    (row,) = dossier(web.office.db, web.office.nib)
    assert row["scope"] == "" and row["application_id"] is None
    digest = hashlib.sha256(b"\xff\xd8\xff\xe0").hexdigest()
    shared = client.get(f"/aplikasi/{web.halal_app}/bukti/{digest}")  # the same business's
    assert shared.status_code == 200 and shared.headers["content-type"] == "image/jpeg"


@pytest.mark.parametrize(
    ("name", "data", "media_type", "status"),
    [
        ("scan.html", b"<!doctype html><script>alert(1)</script>", "text/html", 415),
        (
            "label.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>',
            "image/svg+xml",
            415,
        ),
        ("label.png", b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>', "image/png", 415),
        ("bundle.zip", b"PK\x03\x04" + b"\0" * 60, "application/zip", 415),
        ("scan.html", PDF, "text/html", 415),  # a PDF under a page's name
        ("scan.pdf", b"%PDF-1.4\n(cut off in transfer", "application/pdf", 415),
        ("bomb.png", png(100_000, 100_000), "image/png", 415),
        ("empty.pdf", b"", "application/pdf", 400),
        ("big.pdf", b"%PDF-1.4\n" + b"0" * 3000 + b"\n%%EOF", "application/pdf", 413),
    ],
)
def test_uploads_other_than_pdf_jpeg_or_png_are_refused(
    web: WebOffice,
    caplog: pytest.LogCaptureFixture,
    name: str,
    data: bytes,
    media_type: str,
    status: int,
) -> None:
    caplog.set_level(logging.INFO, DENIALS)
    client = signed_in(web, web.office.consultant, Limits(upload_bytes=2048))
    sent = upload(client, web.trademark_app, "ktp_owner", name, data, media_type)
    assert sent.status_code == status
    assert 'role="alert"' in sent.text
    assert dossier(web.office.db, web.office.nib) == []
    assert denials(caplog)


def test_an_upload_of_the_wrong_kind_for_the_process_says_so(web: WebOffice) -> None:
    client = signed_in(web, web.office.consultant)
    sent = upload(client, web.trademark_app, "test_report", "uji.pdf", PDF)
    assert sent.status_code == 422
    sent = upload(client, web.trademark_app, "passport", "x.pdf", PDF)
    assert sent.status_code == 422
    assert "unknown evidence kind" in sent.text
    sent = upload(client, web.trademark_app, "ktp_owner", "x.pdf", PDF, valid_until="soon")
    assert sent.status_code == 422
    assert dossier(web.office.db, web.office.nib) == []


def test_check_upload_names_the_problem() -> None:
    assert check_upload(PDF, "c:\\scans\\ktp.PDF", 1000).media_type == "application/pdf"
    assert check_upload(b"\xff\xd8\xff\xe0rest", "foto.jpeg", 1000).type_name == "JPEG"
    with pytest.raises(UploadRefused, match="rename it"):
        check_upload(b"\xff\xd8\xff\xe0rest", "foto.png", 1000)
    with pytest.raises(UploadRefused, match="pixels"):
        check_upload(png(MAX_PIXELS, 2), "a.png", 1000)
    assert clean_filename("../../etc/\x00passwd\n.pdf") == "passwd.pdf"
    assert len(clean_filename("a" * 300 + ".pdf")) == 120


# --------------------------------------------------------------------------- packets


def test_the_stage_packet_downloads_for_the_assigned_consultant(web: WebOffice) -> None:
    client = signed_in(web, web.office.consultant)
    page = client.get(f"/aplikasi/{web.trademark_app}").text
    assert f'href="/aplikasi/{web.trademark_app}/paket"' in page
    packet = client.get(f"/aplikasi/{web.trademark_app}/paket")
    assert packet.status_code == 200 and packet.content.startswith(b"%PDF-")
    assert "attachment" in packet.headers["content-disposition"]
    listed = client.get(f"/aplikasi/{web.trademark_app}").text
    assert 'href="/paket/SF-' in listed  # now issued, it is listed with its code


# --------------------------------------------------------------------------- notifications


def _notify(web: WebOffice, username: str, title: str) -> int:
    with web.office.db.begin() as conn:
        outbox = conn.scalar(select(OUTBOX.c.id).order_by(OUTBOX.c.id).limit(1))
        user = acting_user(conn, username)
        return int(
            conn.execute(
                insert(NOTIFICATIONS)
                .values(
                    user_id=user.id,
                    outbox_id=outbox,
                    application_id=web.trademark_app,
                    kind="status",
                    title=title,
                    body="",
                    created_at=datetime(2026, 11, 2, 3, 0),
                )
                .returning(NOTIFICATIONS.c.id)
            ).scalar_one()
        )


def test_notifications_are_the_users_own_and_can_be_marked_read(web: WebOffice) -> None:
    mine = _notify(web, web.office.consultant, "Permohonan #2 pindah tahap")
    theirs = _notify(web, web.office.other_consultant, "Untuk Yosef saja")
    client = signed_in(web, web.office.consultant)
    page = client.get("/pemberitahuan").text
    assert "Permohonan #2 pindah tahap" in page and "Untuk Yosef saja" not in page
    assert f'href="/aplikasi/{web.trademark_app}"' in page
    assert 'class="badge">1<' in client.get("/kerja").text
    token = csrf_of(page)
    for which in (theirs, mine):
        done = client.post("/pemberitahuan/baca", data={"csrf_token": token, "id": str(which)})
        assert done.status_code == 303
    with web.office.db.connect() as conn:
        read = dict(conn.execute(select(NOTIFICATIONS.c.id, NOTIFICATIONS.c.read_at)).all())
    assert read[mine] is not None and read[theirs] is None  # another's is never touched
    refused = client.post("/pemberitahuan/baca", data={"csrf_token": token, "id": "x"})
    assert refused.status_code == 400


def _notify_many(web: WebOffice, username: str, count: int) -> None:
    """``count`` unread notifications more for ``username``, each of its own outbox row."""
    at = datetime(2026, 11, 2, 3, 0)
    with web.office.db.begin() as conn:
        user = acting_user(conn, username)
        for number in range(count):
            outbox = conn.execute(
                insert(OUTBOX)
                .values(
                    application_id=web.trademark_app,
                    audit_seq=1,
                    kind="notify_consultant",
                    payload={},
                    created_at=at,
                    status="done",
                    available_at=at,
                )
                .returning(OUTBOX.c.id)
            ).scalar_one()
            conn.execute(
                insert(NOTIFICATIONS).values(
                    user_id=user.id,
                    outbox_id=outbox,
                    application_id=web.trademark_app,
                    kind="status",
                    title=f"Pemberitahuan {number}",
                    body="",
                    created_at=at,
                )
            )


def test_every_workspace_page_shows_the_unread_count_up_to_99_plus(web: WebOffice) -> None:
    """The badge comes with the session's lookup, so every workspace page has it; past 99 it
    says "99+" (the lookup counts no further)."""
    client = signed_in(web, web.office.consultant)
    pages = ("/kerja", "/antrian", f"/aplikasi/{web.trademark_app}", "/pemberitahuan")
    assert all('class="badge">' not in client.get(path).text for path in pages)
    _notify(web, web.office.other_consultant, "Untuk Yosef saja")  # another's is not counted
    _notify(web, web.office.consultant, "Permohonan #2 pindah tahap")
    for path in pages:
        assert 'class="badge">1</span></a>' in client.get(path).text, path
    _notify_many(web, web.office.consultant, 98)
    assert 'class="badge">99</span></a>' in client.get("/antrian").text
    _notify_many(web, web.office.consultant, 1)
    page = client.get("/pemberitahuan").text
    assert 'class="badge">99+</span></a>' in page
    done = client.post("/pemberitahuan/baca", data={"csrf_token": csrf_of(page)})
    assert done.status_code == 303
    assert 'class="badge">' not in client.get("/antrian").text  # read ones are not counted


def test_an_application_page_needs_one_database_connection(web: WebOffice) -> None:
    """A request that held a connection while it waited for a second one emptied the pool
    under 20 concurrent users (30 s waits, then errors): with a pool of one connection and no
    overflow, the page still answers at once."""
    single = create_engine(
        web.office.db.url, pool_size=1, max_overflow=0, pool_timeout=2, poolclass=QueuePool
    )
    try:
        app = create_app(web.settings, db=single, clock=web.office.clock)
        client = web_client(app)
        assert log_in(client, web.office.consultant) == 303
        page = client.get(f"/aplikasi/{web.halal_app}")
        assert page.status_code == 200 and "maju" in page.text
    finally:
        single.dispose()
