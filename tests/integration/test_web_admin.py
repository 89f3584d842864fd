"""The admin dashboard against real SQLite and PostgreSQL: the backlog figures, their CSV and
PDF, an application's audit log verified, users (create, deactivate), failed deliveries
retried, bulk reassignment and the registry import; and that nobody but an admin gets any of
it, every refusal logged."""

from __future__ import annotations

import csv
import html
import io
import logging
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select, update

from tests.support import Office
from tests.web_support import WebOffice, csrf_of, log_in, seed_web_office, web_client
from web.admin_csv import csv_text, safe_cell
from web.admin_figures import TABLES
from web.security import Limits
from workers import outbox
from workflow.errors import NotPermitted
from workflow.journal import JOURNAL
from workflow.ledger import APPLICATIONS, AUDIT, OUTBOX, UMKM, USERS
from workflow.office import stored_profile
from workflow.persistence.database import reading
from workflow.user_status import set_user_active
from workflow.verification import verify_audit

PAGES: tuple[str, ...] = ("/admin", "/admin/backlog.csv", "/admin/audit", "/admin/users")
PAGES += ("/admin/reassign", "/admin/outbox", "/admin/import", "/admin/office")
PAGES += ("/admin/backlog.pdf",)
POSTS: tuple[str, ...] = ("/admin/users", "/admin/users/rina/active", "/admin/outbox/retry")
POSTS += ("/admin/reassign", "/admin/import", "/admin/import/confirm", "/admin/office")
REGISTRY_HEADER = (
    "NIB;Nama Usaha;Nama Pemilik;Skala;Kabupaten/Kota;Email;No HP;Omzet;"
    "Jumlah Lokasi Produksi;Proses Sederhana;Produk\n"
)
GOOD_ROW = (
    "8100000000007;Ikan Asap Tual;Ongen Rahanra;Kecil;Tual;ongen@contoh.id;081298765432;"
    "2.500.000.000;1;tidak;Ikan asap\n"
)
BAD_ROW = "810000000003;Kopi Banda;Frans Lim;Mikro;Banda Neira;bukan-email;12;xx;1;ya;Kopi\n"


@pytest.fixture
def web(office: Office, tmp_path: Path) -> WebOffice:
    return seed_web_office(office, tmp_path / "packets")


def _admin(web: WebOffice) -> TestClient:
    client = web_client(web.app())
    assert log_in(client, web.office.admin) == 303
    return client


def _post(
    client: TestClient, path: str, data: dict[str, str], page: str = "/admin"
) -> httpx.Response:
    token = csrf_of(client.get(page).text)
    response: httpx.Response = client.post(path, data={**data, "csrf_token": token})
    return response


def _users(web: WebOffice) -> dict[str, dict[str, object]]:
    with reading(web.office.db).connect() as conn:
        rows = conn.execute(select(USERS)).mappings()
        return {str(r["username"]): dict(r) for r in rows}


def _journal(web: WebOffice, action: str) -> list[dict[str, object]]:
    with reading(web.office.db).connect() as conn:
        query = select(JOURNAL).where(JOURNAL.c.action == action).order_by(JOURNAL.c.seq)
        return [dict(r) for r in conn.execute(query).mappings()]


def _assignees(web: WebOffice) -> set[object]:
    with reading(web.office.db).connect() as conn:
        return set(conn.scalars(select(APPLICATIONS.c.assignee_id)))


def _office(web: WebOffice) -> dict[str, str]:
    with reading(web.office.db).connect() as conn:
        return stored_profile(conn)


def _intact(web: WebOffice) -> bool:
    with reading(web.office.db).connect() as conn:
        return verify_audit(conn, web.office.workflow.registry).ok


# Who may ---------------------------------------------------------------------------------------


def test_every_admin_page_refuses_consultants_and_umkm_users_and_logs_it(
    web: WebOffice, caplog: pytest.LogCaptureFixture
) -> None:
    anonymous = web_client(web.app())
    for path in PAGES:
        response = anonymous.get(path)
        assert response.status_code == 303 and response.headers["location"] == "/masuk", path
    for username in (web.office.consultant, web.office.owner):
        client = web_client(web.app())
        assert log_in(client, username) == 303
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="sertiflow.web.security"):
            for path in PAGES:
                response = client.get(path)
                assert response.status_code == 403, (username, path)
                assert "Backlog" not in response.text and "Tunggakan" not in response.text
                assert "text/csv" not in response.headers["content-type"]
        denials = [r.getMessage() for r in caplog.records if "denied" in r.getMessage()]
        assert len(denials) == len(PAGES)
        assert all("only admins may" in d and username in d for d in denials)


def test_admin_forms_refuse_non_admins_with_a_valid_token_and_change_nothing(
    web: WebOffice, caplog: pytest.LogCaptureFixture
) -> None:
    before_users, before_assignees = _users(web), _assignees(web)
    client = web_client(web.app())
    assert log_in(client, web.office.consultant) == 303
    token = csrf_of(client.get("/").text)
    forms = {
        "/admin/users": {"username": "mallory", "full_name": "M", "role": "admin"},
        "/admin/users/rina/active": {"active": "0"},
        "/admin/outbox/retry": {"all": "1"},
        "/admin/reassign": {"from": "rina", "to": "yosef"},
        "/admin/import/confirm": {"staged": "0" * 64 + ".csv"},
        "/admin/office": {"name": "Kantor Palsu"},
    }
    with caplog.at_level(logging.WARNING, logger="sertiflow.web.security"):
        for path, data in forms.items():
            response = client.post(path, data={**data, "csrf_token": token})
            assert response.status_code == 403, path
        upload = client.post(
            "/admin/import",
            data={"csrf_token": token},
            files={"file": ("r.csv", (REGISTRY_HEADER + GOOD_ROW).encode(), "text/csv")},
        )
        assert upload.status_code == 403
    assert len([r for r in caplog.records if "only admins may" in r.getMessage()]) == 7
    assert _users(web) == before_users and _assignees(web) == before_assignees
    assert _office(web) == {}


def test_admin_forms_without_a_csrf_token_are_refused(web: WebOffice) -> None:
    client = _admin(web)
    for path in POSTS:
        response = client.post(path, data={"active": "0", "all": "1"})
        assert response.status_code == 403, path
    assert _users(web)["rina"]["active"]


# The dashboard ---------------------------------------------------------------------------------


def test_the_dashboard_shows_the_engines_backlog_figures(web: WebOffice) -> None:
    client = _admin(web)
    page = client.get("/admin")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    text = page.text
    assert "<h1>Tunggakan</h1>" in text
    assert '<span class="tile-figure">3</span> permohonan terbuka' in text
    for words in ("Rina Latuconsina", "Kota Ambon", "Penyiapan dokumen", "Pendaftaran Merek"):
        assert words in text, words
    assert "Hambatan utama" in text  # the bottleneck stage
    assert '<svg class="meter"' in text and "<script" not in text and "style=" not in text
    english = client.get("/admin?lang=en&process=trademark").text
    assert "<h1>Backlog: Trademark registration" in english
    assert '<span class="tile-figure">2</span> open applications' in english
    assert "Document preparation" in english and "Bottleneck" in english
    for path in ("/admin", "/admin/backlog.csv", "/admin/backlog.pdf"):
        unknown = client.get(f"{path}?process=kopi")
        assert unknown.status_code == 400, path
        assert "unknown process 'kopi'; known processes: halal_regular" in html.unescape(
            unknown.text
        )


def test_the_dashboard_figures_are_computed_at_most_once_a_minute_and_say_when(
    web: WebOffice,
) -> None:
    client = _admin(web)
    three = '<span class="tile-figure">3</span> permohonan terbuka'
    first = client.get("/admin").text
    assert three in first
    web.office.workflow.open_application(web.office.nib, "sni", web.office.consultant)
    web.office.clock.advance(seconds=59)
    assert client.get("/admin").text == first  # the same figures, as of the same time
    web.office.clock.advance(seconds=1)
    assert '<span class="tile-figure">4</span> permohonan terbuka' in client.get("/admin").text
    fresh = web_client(web.app(limits=Limits(dashboard_seconds=0)))
    assert log_in(fresh, web.office.admin) == 303
    web.office.workflow.open_application(web.office.other_nib, "sni", web.office.consultant)
    assert '<span class="tile-figure">5</span> permohonan terbuka' in fresh.get("/admin").text


def test_the_csv_export_is_a_proper_attachment_and_defuses_formulas(web: WebOffice) -> None:
    with reading(web.office.db).connect() as conn:
        rina = conn.scalar(select(USERS.c.id).where(USERS.c.username == "rina"))
    with web.office.db.begin() as conn:  # a name typed to become a formula in a spreadsheet
        conn.execute(
            update(USERS).where(USERS.c.id == rina).values(full_name='=HYPERLINK("http://x")')
        )
    client = _admin(web)
    response = client.get("/admin/backlog.csv?table=consultants")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith(
        'attachment; filename="backlog-consultants-2026-11-02.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == TABLES["consultants"][0]
    assert rows[1] == [str(rina), '\'=HYPERLINK("http://x")', "3", "0", "0", "0"]
    stages = list(csv.reader(io.StringIO(client.get("/admin/backlog.csv").text.lstrip("\ufeff"))))
    assert stages[0] == TABLES["stages"][0] and len(stages) == 3  # halal and trademark stages
    unknown = client.get("/admin/backlog.csv?table=passwords")
    assert unknown.status_code == 400 and "unknown table" in unknown.text


def test_csv_cells_that_start_a_formula_get_a_quote_and_numbers_stay_numbers() -> None:
    for text in ("=1+1", "+62", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(text) == "'" + text
    assert safe_cell(-2) == -2 and safe_cell(1.5) == 1.5 and safe_cell(None) == ""
    assert safe_cell("Kota Ambon") == "Kota Ambon"
    document = csv_text(["a", "b"], [["x,y", 'say "hi"'], [1, "=cmd"]])
    assert document == '\ufeffa,b\r\n"x,y","say ""hi"""\r\n1,\'=cmd\r\n'


def test_the_backlog_report_pdf_is_the_documents_report(web: WebOffice) -> None:
    response = _admin(web).get("/admin/backlog.pdf?lang=en")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert 'filename="backlog-2026-11-02-en.pdf"' in response.headers["content-disposition"]
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "Rina Latuconsina" in text and "Trademark" in text


# The audit log ---------------------------------------------------------------------------------


def test_the_audit_page_shows_an_applications_log_with_its_chain_verified(web: WebOffice) -> None:
    client = _admin(web)
    page = client.get(f"/admin/audit?app={web.trademark_app}&lang=en")
    assert page.status_code == 200
    assert "Chain intact" in page.text and "start_document_preparation" in page.text
    with web.office.db.begin() as conn:  # someone edits a note in the database behind its back
        conn.execute(
            update(AUDIT)
            .where(AUDIT.c.application_id == web.trademark_app, AUDIT.c.seq == 1)
            .values(note="changed")
        )
    broken = client.get(f"/admin/audit?app={web.trademark_app}&lang=en")
    assert broken.status_code == 200 and "Chain NOT intact" in broken.text
    not_a_number = client.get("/admin/audit?app=abc")
    assert not_a_number.status_code == 400 and "is not an application number" in not_a_number.text
    missing = client.get("/admin/audit?app=999")
    assert missing.status_code == 404 and "no application #999" in missing.text


# Users -----------------------------------------------------------------------------------------


def test_an_admin_creates_a_consultant_journalled_with_the_acting_admin(web: WebOffice) -> None:
    client = _admin(web)
    created = _post(
        client,
        "/admin/users",
        {
            "username": "maria",
            "full_name": "Maria Sahetapy",
            "role": "consultant",
            "field": "it",
            "email": "maria@plut.example",
            "password": "kenari-banda-pala-cengkih",
        },
    )
    assert created.status_code == 303
    assert created.headers["location"] == "/admin/users?done=created_with_password"
    user = _users(web)["maria"]
    assert user["role"] == "consultant" and user["field"] == "it" and user["active"]
    entry = _journal(web, "user.add")[-1]
    assert entry["subject"] == f"user:{user['id']}"
    assert entry["actor_id"] == _users(web)["admin"]["id"]
    assert log_in(web_client(web.app()), "maria", "kenari-banda-pala-cengkih") == 303
    assert _intact(web)


@pytest.mark.parametrize(
    ("form", "status", "words"),
    [
        ({"username": "Bad Name", "full_name": "X", "role": "admin"}, 400, "use 2-64 lowercase"),
        ({"username": "rina", "full_name": "X", "role": "admin"}, 409, "exists already"),
        ({"username": "joko", "full_name": "J", "role": "consultant"}, 400, "needs a field"),
        ({"username": "joko", "full_name": "J", "role": "umkm"}, 400, "needs the NIB"),
        ({"username": "joko", "full_name": "J", "role": "boss"}, 400, "choose the user"),
        (
            {"username": "joko", "full_name": "J", "role": "umkm", "nib": "8129999999999"},
            404,
            "no UMKM with NIB",
        ),
    ],
)
def test_creating_a_user_is_refused_with_the_engines_reason(
    web: WebOffice, form: dict[str, str], status: int, words: str
) -> None:
    before = _users(web)
    refused = _post(_admin(web), "/admin/users", form)
    assert refused.status_code == status
    assert words in html.unescape(refused.text)
    assert f'value="{form["full_name"]}"' in refused.text
    assert _users(web) == before


def test_a_weak_first_password_is_refused_after_the_user_is_created(web: WebOffice) -> None:
    form = {"username": "joko", "full_name": "Joko", "role": "admin", "password": "joko"}
    refused = _post(_admin(web), "/admin/users", form)
    assert refused.status_code == 400
    assert "was created, but the password was refused" in refused.text
    assert "joko" in _users(web)


def test_a_deactivated_users_session_ends_and_reactivation_is_journalled(web: WebOffice) -> None:
    admin = _admin(web)
    rina = web_client(web.app())
    assert log_in(rina, web.office.consultant) == 303
    assert rina.get("/").status_code == 200
    done = _post(admin, "/admin/users/rina/active", {"active": "0"})
    assert done.headers["location"] == "/admin/users?done=deactivated"
    assert not _users(web)["rina"]["active"]
    assert rina.get("/").headers["location"] == "/masuk"  # the session stopped working
    assert log_in(web_client(web.app()), web.office.consultant) == 401
    again = _post(admin, "/admin/users/rina/active", {"active": "1"})
    assert again.status_code == 303 and _users(web)["rina"]["active"]
    deactivated, reactivated = _journal(web, "user.deactivate"), _journal(web, "user.activate")
    assert len(deactivated) == 1 and len(reactivated) == 1
    assert deactivated[0]["actor_id"] == _users(web)["admin"]["id"]
    assert _intact(web)


def test_deactivation_is_refused_for_oneself_an_unknown_user_and_a_bad_value(
    web: WebOffice,
) -> None:
    admin = _admin(web)
    own = _post(admin, "/admin/users/admin/active", {"active": "0"})
    assert own.status_code == 400 and "cannot deactivate yourself" in own.text
    unknown = _post(admin, "/admin/users/nobody/active", {"active": "0"})
    assert unknown.status_code == 404 and "no user 'nobody'" in html.unescape(unknown.text)
    bad = _post(admin, "/admin/users/rina/active", {"active": "maybe"})
    assert bad.status_code == 400
    assert all(u["active"] for u in _users(web).values())


def test_only_an_admin_may_deactivate_a_user_even_outside_the_web(web: WebOffice) -> None:
    now = web.office.clock()
    with pytest.raises(NotPermitted, match="only admins may deactivate or reactivate users"):
        set_user_active(web.office.db, "yosef", False, acting=web.office.consultant, now=now)
    assert _users(web)["yosef"]["active"]
    assert set_user_active(web.office.db, "yosef", False, acting=web.office.admin, now=now)
    assert not set_user_active(web.office.db, "yosef", False, acting=web.office.admin, now=now)


# Failed deliveries -----------------------------------------------------------------------------


def _failed_row(web: WebOffice) -> int:
    with reading(web.office.db).connect() as conn:
        row_id = int(conn.scalar(select(OUTBOX.c.id).order_by(OUTBOX.c.id)) or 0)
    now = web.office.clock()
    held = outbox.claim(web.office.db, row_id, None, now, 60)
    assert held is not None
    outbox.fail(
        web.office.db,
        held,
        now,
        "SMTP 550 mailbox unavailable",
        max_attempts=1,
        base_backoff=1,
        permanent=True,
    )
    return row_id


def _status(web: WebOffice, row_id: int) -> str:
    with reading(web.office.db).connect() as conn:
        return str(conn.scalar(select(OUTBOX.c.status).where(OUTBOX.c.id == row_id)))


def test_a_failed_delivery_is_listed_and_retried(web: WebOffice) -> None:
    row_id = _failed_row(web)
    client = _admin(web)
    page = client.get("/admin/outbox?lang=en")
    assert "SMTP 550 mailbox unavailable" in page.text and f'value="{row_id}"' in page.text
    retried = _post(client, "/admin/outbox/retry", {"id": str(row_id)}, "/admin/outbox")
    assert retried.headers["location"] == "/admin/outbox?retried=1"
    assert _status(web, row_id) == "pending"
    again = _post(client, "/admin/outbox/retry", {"id": str(row_id)}, "/admin/outbox")
    assert again.status_code == 400
    assert f"only failed rows can be retried; #{row_id} is pending" in again.text
    missing = _post(client, "/admin/outbox/retry", {"id": "99999"}, "/admin/outbox")
    assert missing.status_code == 404
    bad = _post(client, "/admin/outbox/retry", {"id": "x"}, "/admin/outbox")
    assert bad.status_code == 400


def test_retry_all_puts_every_failed_delivery_back(web: WebOffice) -> None:
    row_id = _failed_row(web)
    retried = _post(_admin(web), "/admin/outbox/retry", {"all": "1"}, "/admin/outbox")
    assert retried.headers["location"] == "/admin/outbox?retried=1"
    assert _status(web, row_id) == "pending"


# Bulk reassignment ------------------------------------------------------------------------------


def test_bulk_reassignment_moves_every_open_application_one_audited_step_each(
    web: WebOffice,
) -> None:
    client = _admin(web)
    preview = client.get("/admin/reassign?from=rina&lang=en")
    assert "3 open applications" in preview.text and "Reassign 3 applications" in preview.text
    only_trademarks = client.get("/admin/reassign?from=rina&process=trademark&lang=en")
    assert "2 open applications" in only_trademarks.text
    done = _post(client, "/admin/reassign", {"from": "rina", "to": "yosef", "note": "Rina cuti"})
    assert done.status_code == 200
    yosef = _users(web)["yosef"]["id"]
    assert _assignees(web) == {yosef}
    with reading(web.office.db).connect() as conn:
        entries = conn.execute(
            select(AUDIT.c.trigger, AUDIT.c.actor_id, AUDIT.c.note).where(
                AUDIT.c.note == "Rina cuti"
            )
        ).all()
    assert len(entries) == 3
    assert {(t, a) for t, a, _ in entries} == {("@reassign", _users(web)["admin"]["id"])}
    assert _intact(web)


@pytest.mark.parametrize(
    ("form", "status", "words"),
    [
        ({"from": "rina", "to": "rina"}, 400, "would take their own applications"),
        ({"from": "rina", "to": ""}, 400, "choose the consultant"),
        ({"from": "rina", "to": "ana"}, 400, "assign a consultant"),
        ({"from": "rina", "to": "nobody"}, 404, "nobody"),
        ({"from": "nobody", "to": "rina"}, 404, "no user 'nobody'"),
    ],
)
def test_bulk_reassignment_is_refused_with_the_engines_reason_and_moves_nothing(
    web: WebOffice, form: dict[str, str], status: int, words: str
) -> None:
    before = _assignees(web)
    refused = _post(_admin(web), "/admin/reassign", form)
    assert refused.status_code == status, refused.text
    assert words in html.unescape(refused.text)
    assert _assignees(web) == before


# Registry import -------------------------------------------------------------------------------


def _upload(client: TestClient, name: str, content: bytes) -> httpx.Response:
    token = csrf_of(client.get("/admin/import").text)
    response: httpx.Response = client.post(
        "/admin/import",
        data={"csrf_token": token},
        files={"file": (name, content, "text/csv")},
    )
    return response


def _umkm_count(web: WebOffice) -> int:
    with reading(web.office.db).connect() as conn:
        return len(conn.execute(select(UMKM.c.id)).all())


def test_a_registry_is_checked_row_by_row_then_imported_on_confirmation(web: WebOffice) -> None:
    client = _admin(web)
    checked = _upload(client, "registri.csv", (REGISTRY_HEADER + GOOD_ROW + BAD_ROW).encode())
    assert checked.status_code == 200
    text = checked.text
    assert "bukan-email" in text and "Banda Neira" in text  # the bad row's cells, by column
    assert _umkm_count(web) == 2  # a check writes nothing
    staged = text.split('name="staged" value="')[1].split('"')[0]
    refused = _post(
        client, "/admin/import/confirm", {"staged": staged, "name": "registri.csv"}, "/admin/import"
    )
    assert refused.status_code == 400 and _umkm_count(web) == 2
    imported = _post(
        client,
        "/admin/import/confirm",
        {"staged": staged, "name": "registri.csv", "skip_invalid": "1"},
        "/admin/import",
    )
    assert imported.status_code == 200 and _umkm_count(web) == 3
    entry = _journal(web, "umkm.import")[-1]
    assert entry["subject"] == "registry:registri.csv"
    assert entry["actor_id"] == _users(web)["admin"]["id"]
    gone = _post(client, "/admin/import/confirm", {"staged": staged}, "/admin/import")
    assert gone.status_code == 404
    assert _intact(web)


def test_a_registry_upload_of_the_wrong_kind_is_refused_saying_what_to_do(web: WebOffice) -> None:
    client = _admin(web)
    html = _upload(client, "registri.html", b"<script>alert(1)</script>")
    assert html.status_code == 415
    assert "bukan berkas CSV atau XLSX" in html.text
    no_columns = _upload(client, "registri.csv", b"a;b\n1;2\n")
    assert no_columns.status_code == 400
    assert "NIB" in no_columns.text
    empty = _upload(client, "registri.csv", b"")
    assert empty.status_code == 400
    outside = Path(web.settings.storage_dir).parent / "outside.csv"  # a good registry
    outside.write_text(REGISTRY_HEADER + GOOD_ROW, encoding="utf-8")
    forged = _post(
        client, "/admin/import/confirm", {"staged": "../../outside.csv"}, "/admin/import"
    )
    assert forged.status_code == 404
    assert _umkm_count(web) == 2


# Office profile --------------------------------------------------------------------------------


def test_an_admin_sets_the_office_profile_journalled(web: WebOffice) -> None:
    client = _admin(web)
    form = {"signatory_nip": "19700101 199503 2 001", "postcode": "97127", "city": ""}
    saved = _post(client, "/admin/office", form, "/admin/office")
    assert saved.status_code == 303 and saved.headers["location"] == "/admin/office?saved=2"
    assert _office(web) == {"signatory_nip": "197001011995032001", "postcode": "97127"}
    entries = _journal(web, "office.set")
    assert {e["subject"] for e in entries} == {"office:signatory_nip", "office:postcode"}
    assert {e["actor_id"] for e in entries} == {_users(web)["admin"]["id"]}
    page = client.get("/admin/office").text
    assert 'value="19700101 199503 2 001"' in page and "Diisi oleh admin" in page
    unchanged = _post(client, "/admin/office", form, "/admin/office")
    assert unchanged.headers["location"] == "/admin/office?saved=0"
    assert _intact(web)


def test_a_bad_office_profile_value_is_refused_keeping_what_was_typed(web: WebOffice) -> None:
    form = {"signatory_nip": "1970", "postcode": "97127"}
    refused = _post(_admin(web), "/admin/office", form, "/admin/office")
    assert refused.status_code == 400
    assert "an NIP has 18 digits" in html.unescape(refused.text)
    assert 'value="1970"' in refused.text
    assert _office(web) == {}  # all or nothing: the good postcode was not written either
