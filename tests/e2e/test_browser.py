"""The web app in a real headless Chromium (Debian's ``chromium``, driven by Playwright): a UMKM
owner opens the status link on a 360-px phone, switches to English, logs in and out; a visitor
verifies a packet's code and uploads the packet.

``sertiflow serve`` runs in a subprocess on a free loopback port and is stopped by its pid.
Screenshots are kept in ``SERTIFLOW_E2E_ARTEFACTS`` (default ``var/e2e``). Without Chromium
the tests are skipped on a developer's machine and fail in CI (``CI=true``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest

from documents import read_stored
from tests.conftest import sqlite_db
from tests.services import ROOT, free_port, serving
from tests.support import Clock, seed_office
from tests.web_support import PASSWORD, SECRET, seed_web_office
from workflow.status_link import make_status_token

if TYPE_CHECKING:
    from playwright.sync_api import ViewportSize

pytestmark = pytest.mark.e2e

ARTEFACTS = Path(os.environ.get("SERTIFLOW_E2E_ARTEFACTS", ROOT / "var" / "e2e"))
PHONE: ViewportSize = {"width": 360, "height": 740}


@dataclass
class Server:
    """The web app serving a seeded office."""

    url: str
    status_path: str
    packet_code: str
    packet_file: Path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("web-e2e")
    db = sqlite_db(folder / "office.db")
    web = seed_web_office(seed_office(db, Clock()), folder / "packets")
    web.issue_packets()
    assert web.packet is not None
    packet_file = folder / "paket.pdf"
    packet_file.write_bytes(read_stored(web.settings, web.packet.content_hash))
    db.dispose()
    today = datetime.now(ZoneInfo(web.settings.policy.timezone)).date()
    token = make_status_token(SECRET.encode(), 1, today + timedelta(days=30))
    port = free_port()
    env = {
        "SERTIFLOW_DATABASE_URL": f"sqlite:///{folder / 'office.db'}",
        "SERTIFLOW_SECRET_KEY": SECRET,
        "SERTIFLOW_STORAGE_DIR": str(folder / "packets"),
        "SERTIFLOW_MAIL_DIR": str(folder / "mail"),  # serve's embedded worker writes there
        "SERTIFLOW_PUBLIC_URL": f"http://127.0.0.1:{port}",
    }
    with serving(folder, env, port=port) as (url, _process):
        yield Server(url, f"/status/{token}", web.packet.code, packet_file)


@pytest.fixture
def phone(browser: object) -> Iterator[object]:
    from playwright.sync_api import Browser

    assert isinstance(browser, Browser)
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield page
    assert violations == [], violations  # nothing the page does is blocked by its own CSP
    context.close()


def _shot(page: object, name: str) -> None:
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)


def _no_horizontal_scroll(page: object) -> None:
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width} px wide on a 360-px phone"


def test_the_status_link_reads_on_a_phone_and_switches_to_english(
    server: Server, phone: object
) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(phone, Page)
    phone.goto(server.url + server.status_path)
    expect(phone.locator("h1")).to_have_text("Sagu Ibu Ana")
    expect(phone.locator("html")).to_have_attribute("lang", "id")
    expect(phone.get_by_text("Penyiapan dokumen").first).to_be_visible()
    expect(phone.get_by_text("Batas waktu:").first).to_be_visible()
    phone.locator("summary").first.click()  # the packets, folded on a small screen
    expect(phone.get_by_role("link", name="Penyiapan dokumen")).to_be_visible()
    _no_horizontal_scroll(phone)
    _shot(phone, "status-360-id")
    phone.get_by_role("link", name="English").click()
    expect(phone.locator("html")).to_have_attribute("lang", "en")
    expect(phone.get_by_text("Document preparation").first).to_be_visible()
    expect(phone.get_by_text("Deadline:").first).to_be_visible()
    _no_horizontal_scroll(phone)
    _shot(phone, "status-360-en")
    phone.goto(server.url + server.status_path)  # the cookie remembers the choice
    expect(phone.locator("html")).to_have_attribute("lang", "en")


def test_an_expired_link_tells_the_owner_to_ask_the_plut_office(
    server: Server, phone: object
) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(phone, Page)
    expired = make_status_token(SECRET.encode(), 1, datetime(2026, 1, 1).date())
    response = phone.goto(f"{server.url}/status/{expired}")
    assert response is not None and response.status == 410
    expect(phone.locator("h1")).to_have_text("Tautan ini sudah kedaluwarsa")
    expect(phone.get_by_text("Mintalah tautan baru ke kantor PLUT")).to_be_visible()
    _no_horizontal_scroll(phone)
    _shot(phone, "link-expired-360")


def test_a_umkm_owner_logs_in_sees_its_business_and_logs_out(server: Server, phone: object) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(phone, Page)
    phone.goto(f"{server.url}/masuk")
    _no_horizontal_scroll(phone)
    _shot(phone, "login-360")
    phone.get_by_label("Nama pengguna").fill("ana")
    phone.get_by_label("Kata sandi").fill("not the password")
    phone.get_by_role("button", name="Masuk").click()
    expect(phone.get_by_role("alert")).to_have_text("Nama pengguna atau kata sandi salah.")
    phone.get_by_label("Kata sandi").fill(PASSWORD)
    phone.get_by_role("button", name="Masuk").click()
    expect(phone).to_have_url(f"{server.url}/saya")
    expect(phone.locator("h1")).to_have_text("Sagu Ibu Ana")
    _no_horizontal_scroll(phone)
    _shot(phone, "saya-360")
    phone.get_by_role("button", name="Keluar (ana)").click()
    expect(phone).to_have_url(f"{server.url}/masuk")
    phone.goto(f"{server.url}/saya")
    expect(phone).to_have_url(f"{server.url}/masuk?lanjut=%2Fsaya")  # the session is gone


def test_a_visitor_verifies_a_code_and_uploads_the_packet(server: Server, phone: object) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(phone, Page)
    phone.goto(f"{server.url}/verifikasi")
    phone.get_by_label("Kode verifikasi yang tercetak pada dokumen").fill(
        server.packet_code.lower()
    )
    phone.get_by_role("button", name="Periksa kode").click()
    expect(phone).to_have_url(f"{server.url}/verifikasi/{server.packet_code}")
    expect(phone.get_by_role("heading", name="Diterbitkan oleh kantor ini")).to_be_visible()
    _no_horizontal_scroll(phone)
    _shot(phone, "verify-code-360")
    phone.locator("#file").set_input_files(str(server.packet_file))
    phone.get_by_role("button", name="Periksa berkas").click()
    expect(
        phone.get_by_role("heading", name="Asli: diterbitkan kantor ini dan tidak diubah")
    ).to_be_visible()
    _shot(phone, "verify-upload-360")
