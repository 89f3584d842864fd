"""The web app's pages against real SQLite and PostgreSQL: the status page (words, deadline,
packets, English, weight), the verification page, the password and its journal digest, and the
``sertiflow user passwd`` and ``serve`` commands."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, update

from tests.support import Office
from tests.web_support import PASSWORD, WebOffice, csrf_of, log_in, seed_web_office, web_client
from web.i18n import LOCALE_DIR, compiled
from workflow.accounts import password_digest
from workflow.errors import InvalidInput, NotPermitted
from workflow.journal import JOURNAL
from workflow.persistence.database import reading
from workflow.persistence.schema import User
from workflow.verification import verify_audit


@pytest.fixture
def web(office: Office, tmp_path: Path) -> WebOffice:
    return seed_web_office(office, tmp_path / "packets")


def test_the_status_page_says_in_indonesian_what_to_do_next_and_by_when(web: WebOffice) -> None:
    page = web_client(web.app()).get(web.link())
    assert page.status_code == 200
    text = page.text
    assert '<html lang="id">' in text
    assert "Status per 2 November 2026, 11:00 WIT" in text  # 02:00 UTC in Ambon (UTC+9)
    assert "Sertifikasi Halal Reguler" in text and "Pendaftaran Merek (HAKI)" in text
    assert "Penyiapan dokumen" in text and "Giliran Anda." in text
    assert "Siapkan label merek" in text  # the state's own hint, from the process definition
    # Opened on Monday 2 November 2026: 10 working days of preparation end on the 16th.
    assert "16 November 2026" in text and "10 hari kerja lagi" in text
    assert "Rp650.000" in text and "Rp500.000 per kelas" in text  # Babel, id_ID
    assert "Kopi Rempah Banda" not in text


def test_the_deadline_counts_down_in_working_days_on_the_office_calendar(web: WebOffice) -> None:
    web.office.clock.advance(days=11)  # Friday 13 November: Mon 16 is the next working day
    text = web_client(web.app()).get(web.link()).text
    assert "1 hari kerja lagi" in text
    web.office.clock.advance(days=4)  # Tuesday 17th: one working day late
    assert "terlambat 1 hari kerja" in web_client(web.app()).get(web.link()).text


def test_the_english_switch_is_remembered_in_a_cookie(web: WebOffice) -> None:
    client = web_client(web.app())
    english = client.get(web.link() + "?lang=en")
    assert '<html lang="en">' in english.text
    assert "Halal certification, regular path" in english.text or "Halal" in english.text
    assert "Document preparation" in english.text and "It is your turn." in english.text
    assert "10 working days left" in english.text and "16 November 2026" in english.text
    assert "IDR 650,000" in english.text
    assert "lang=en" in english.headers["set-cookie"]
    again = client.get(web.link())
    assert '<html lang="en">' in again.text  # the cookie keeps the choice
    assert '<html lang="id">' in client.get(web.link() + "?lang=id").text


def test_a_signed_in_umkm_user_sees_the_same_page_for_its_business(web: WebOffice) -> None:
    web.issue_packets()
    assert web.packet is not None
    client = web_client(web.app())
    assert log_in(client, web.office.owner) == 303
    assert client.get("/").headers["location"] == "/saya"
    own = client.get("/saya").text
    linked = web_client(web.app()).get(web.link()).text
    for words in ("Sagu Ibu Ana", "Penyiapan dokumen", "16 November 2026", web.packet.code):
        assert words in own and words in linked
    assert f'href="/paket/{web.packet.code}"' in own
    download = client.get(f"/paket/{web.packet.code}")
    assert download.status_code == 200 and download.content.startswith(b"%PDF-")


def test_a_consultant_signs_in_to_a_start_page_linking_the_workspace(web: WebOffice) -> None:
    client = web_client(web.app())
    assert log_in(client, web.office.consultant) == 303
    home = client.get("/")
    assert home.status_code == 200 and "Rina Latuconsina" in home.text
    assert 'href="/kerja"' in home.text and "Pekerjaan hari ini" in home.text
    assert 'href="/admin"' not in home.text  # the dashboard is an admin's
    assert client.get("/saya").headers["location"] == "/"
    admin = web_client(web.app())
    assert log_in(admin, web.office.admin) == 303
    assert 'href="/admin"' in admin.get("/").text


def test_the_status_page_is_light_enough_for_a_slow_phone(web: WebOffice) -> None:
    web.issue_packets()
    client = web_client(web.app())
    page = client.get(web.link())
    css = client.get("/static/site.css")
    assert css.headers["content-type"].startswith("text/css")
    assert len(page.content) + len(css.content) < 100 * 1024
    assert page.text.count('rel="stylesheet"') == 1 and "<script" not in page.text


def test_the_verification_page_says_what_the_signed_record_says(web: WebOffice) -> None:
    web.issue_packets()
    assert web.packet is not None
    client = web_client(web.app())
    page = client.get(f"/verifikasi/{web.packet.code.lower()}")
    assert page.status_code == 200
    assert "Diterbitkan oleh kantor ini" in page.text
    assert f"#{web.trademark_app}" in page.text and "DOC_PREPARATION" in page.text
    assert "2 November 2026" in page.text
    assert "Sagu Ibu Ana" not in page.text and "SAGU IBU ANA" not in page.text  # no more
    unknown = client.get("/verifikasi/SF-AAAA-BBBB")
    assert unknown.status_code == 404 and "Tidak diterbitkan oleh kantor ini" in unknown.text
    assert client.get("/verifikasi?code=sf-aaaa-bbbb").headers["location"] == (
        "/verifikasi/SF-AAAA-BBBB"
    )


def test_an_uploaded_packet_is_authentic_and_one_changed_byte_is_caught(web: WebOffice) -> None:
    web.issue_packets()
    assert web.packet is not None
    client = web_client(web.app())
    data = client.get(f"{web.link()}/paket/{web.packet.code}").content
    token = csrf_of(client.get("/verifikasi").text)

    def check(content: bytes) -> str:
        files = {"file": ("paket.pdf", content, "application/pdf")}
        response = client.post("/verifikasi", files=files, data={"csrf_token": token})
        assert response.status_code == 200
        return str(response.text)

    assert "Asli: diterbitkan kantor ini dan tidak diubah" in check(data)
    changed = bytearray(data)
    changed[len(changed) // 2] ^= 1
    assert "DIUBAH" in check(bytes(changed))


def test_the_qr_code_address_is_the_verification_page(web: WebOffice) -> None:
    from documents.packets import PacketService

    service = PacketService(web.office.db, web.settings)
    assert service.verify_url("SF-7K3Q-2XWD") == "http://testserver/verifikasi/SF-7K3Q-2XWD"
    page = web_client(web.app()).get("/verifikasi/SF-7K3Q-2XWD")
    assert page.status_code == 404  # the route exists; the code was never issued


def test_a_password_is_journalled_as_a_digest_and_an_edited_hash_is_caught(
    web: WebOffice,
) -> None:
    db = web.office.db
    with db.connect() as conn:
        stored = conn.scalar(select(User.password_hash).where(User.username == "ana"))
        entries = [str(d) for d in conn.scalars(select(JOURNAL.c.data))]
    assert stored is not None and stored.startswith("$argon2id$")
    assert not any(stored in entry for entry in entries)  # never the hash itself
    assert any(password_digest(stored) in entry for entry in entries)

    def problems() -> list[str]:
        with reading(db).connect() as conn:
            report = verify_audit(conn, web.office.workflow.registry)
        return [f"{p.subject}: {p.problem}" for p in report.journal_problems]

    assert problems() == []
    with db.begin() as conn:  # someone plants a hash they know on the admin
        conn.execute(update(User).where(User.username == "ana").values(password_hash=None))
        conn.execute(update(User).where(User.username == "admin").values(password_hash=stored))
    found = problems()
    assert any(p.startswith("password:") and "edited outside" in p for p in found)
    assert any(p.startswith("password:") and "deleted outside" in p for p in found)
    assert not any(p.startswith("user:") for p in found)  # the user image stays clean


def test_only_the_user_or_an_admin_sets_a_password_and_a_weak_one_is_refused(
    web: WebOffice,
) -> None:
    from workflow.accounts import set_password

    now = web.office.clock()
    db = web.office.db
    with pytest.raises(NotPermitted):
        set_password(db, "admin", "another-long-pass", acting=web.office.owner, now=now)
    for weak in ("short", "ana-ana-ana-ana", "aaaaaaaaaaaa", " padded password "):
        with pytest.raises(InvalidInput):
            set_password(db, "ana", weak, acting="ana", now=now)
    client = web_client(web.app())
    assert log_in(client, "ana") == 303
    set_password(db, "ana", "kopi-rempah-banda", acting="ana", now=now)
    assert client.get("/saya").headers["location"] == "/masuk?lanjut=%2Fsaya"  # sessions ended
    assert log_in(web_client(web.app()), "ana") == 401
    assert log_in(web_client(web.app()), "ana", "kopi-rempah-banda") == 303


def test_the_catalogs_compile_from_their_po_files_when_no_mo_is_built() -> None:
    catalog = compiled("id")
    assert catalog.gettext("Log in") == "Masuk"
    assert catalog.ngettext("%(num)s page", "%(num)s pages", 3) == "%(num)s halaman"
    assert (LOCALE_DIR / "id" / "LC_MESSAGES" / "messages.po").is_file()


def test_user_passwd_reads_stdin_and_serve_refuses_an_uninitialised_database(
    sqlite_only: object, tmp_path: Path
) -> None:
    db = tmp_path / "office.db"
    env = {**os.environ, "SERTIFLOW_DATABASE_URL": f"sqlite:///{db}"}

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "sertiflow", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )

    refused = run("serve", "--port", "8999")
    assert refused.returncode == 1 and "sertiflow init" in refused.stderr
    assert run("init").returncode == 0
    added = run("user", "add", "admin", "--name", "Admin", "--role", "admin", "--as", "sertiflow")
    assert added.returncode == 0, added.stderr
    done = run("user", "passwd", "admin", "--stdin", "--as", "admin", stdin=PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    assert "password of admin set" in done.stdout
    verified = run("--json", "audit", "verify")
    assert verified.returncode == 0 and '"ok": true' in verified.stdout
    weak = run("user", "passwd", "admin", "--stdin", "--as", "admin", stdin="short\n")
    assert weak.returncode == 1 and "too short" in weak.stderr
    helped = run("user", "--help")
    assert "passwd" in helped.stdout


def test_schema_0008_downgrades_and_upgrades_again_with_the_journal_clean(
    web: WebOffice,
) -> None:
    from sqlalchemy import inspect

    from workflow.persistence.database import SCHEMA_REVISION, schema_revision
    from workflow.persistence.migrate import downgrade, upgrade

    db = web.office.db

    def problems() -> list[str]:
        with reading(db).connect() as conn:
            report = verify_audit(conn, web.office.workflow.registry)
        return [f"{p.subject}: {p.problem}" for p in report.journal_problems]

    assert problems() == []
    downgrade(db, "0007")
    assert schema_revision(db) == "0007"
    assert "web_session" not in inspect(db).get_table_names()
    upgrade(db)
    assert schema_revision(db) == SCHEMA_REVISION  # 0008 and every later one again
    assert problems() == []  # the downgrade journalled that the hashes went
    assert log_in(web_client(web.app()), "ana") == 401  # nobody has a password now


def test_every_page_string_has_its_indonesian_translation(sqlite_only: object) -> None:
    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    from web.app import TEMPLATES

    with (LOCALE_DIR / "id" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    with (LOCALE_DIR / "messages.pot").open("rb") as handle:
        template = read_po(handle)
    wanted = {m.id for m in template if m.id}
    assert wanted == {m.id for m in catalog if m.id}  # make messages has been run
    in_templates = {
        message
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(TEMPLATES),
            method_map=[("**.html.j2", "jinja2")],
            options_map={"**.html.j2": {"extensions": "jinja2.ext.i18n"}},
        )
    }
    in_code = {  # the web layer's own (the days_left filter)
        message
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(LOCALE_DIR.parent), method_map=[("**.py", "python")]
        )
    }
    assert in_templates | in_code == wanted, "run make messages: the pages' strings changed"
    untranslated = [
        m.id
        for m in catalog
        if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)))
    ]
    assert untranslated == []


def test_the_link_a_status_email_carries_opens_the_status_page(
    web: WebOffice, tmp_path: Path
) -> None:
    from dataclasses import replace
    from urllib.parse import urlsplit

    from workers.context import WorkerContext

    settings = replace(web.settings, mail_dir=str(tmp_path / "mail"))
    worker = WorkerContext.build(settings, db=web.office.db)
    worker.clock = web.office.clock
    url, expires_on = worker.status_url(1)
    assert url.startswith(f"{settings.public_url}/status/")
    page = web_client(web.app()).get(urlsplit(url).path)
    assert page.status_code == 200 and "Sagu Ibu Ana" in page.text
    web.office.clock.advance(days=(expires_on - web.office.workflow.today()).days + 1)
    assert web_client(web.app()).get(urlsplit(url).path).status_code == 410


def test_times_are_the_offices_own_time_zone(web: WebOffice) -> None:
    from dataclasses import replace

    jakarta = replace(web.settings.policy, timezone="Asia/Jakarta")
    text = web_client(web.app(policy=jakarta)).get(web.link() + "?lang=en").text
    assert "Status on 2 November 2026, 09:00 WIB" in text
