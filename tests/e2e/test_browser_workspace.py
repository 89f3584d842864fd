"""The consultant workspace in a real headless Chromium (Debian's ``chromium``, driven by
Playwright) on a 360-px phone: a consultant logs in, sees today's work, advances an
application, is refused with the guard's reason, uploads evidence and downloads the stage's
packet.

``sertiflow serve`` runs in a subprocess on a free loopback port and is stopped by its pid.
Screenshots are kept in ``SERTIFLOW_E2E_ARTEFACTS`` (default ``var/e2e``), named
``workspace-*.png``. Without Chromium the tests are skipped on a developer's machine and fail
in CI (``CI=true``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.conftest import sqlite_db
from tests.services import ROOT, free_port, serving
from tests.support import Clock, seed_office
from tests.web_support import PASSWORD, SECRET, seed_web_office

if TYPE_CHECKING:
    from playwright.sync_api import Page, ViewportSize

pytestmark = pytest.mark.e2e

ARTEFACTS = Path(os.environ.get("SERTIFLOW_E2E_ARTEFACTS", ROOT / "var" / "e2e"))
PHONE: ViewportSize = {"width": 360, "height": 740}
SCAN = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@dataclass
class Office:
    """The web app serving a seeded office, and what the test opens."""

    url: str
    trademark_app: int  # in document preparation, its filing blocked by missing documents
    fresh_app: int  # just opened: the consultant may start document preparation
    scan: Path


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Office]:
    folder = tmp_path_factory.mktemp("workspace-e2e")
    db = sqlite_db(folder / "office.db")
    web = seed_web_office(seed_office(db, Clock()), folder / "packets")
    office = web.office
    fresh = office.workflow.open_application(office.other_nib, "sni", office.consultant)
    db.dispose()
    scan = folder / "surat-pernyataan.pdf"
    scan.write_bytes(SCAN)
    port = free_port()
    env = {
        "SERTIFLOW_DATABASE_URL": f"sqlite:///{folder / 'office.db'}",
        "SERTIFLOW_SECRET_KEY": SECRET,
        "SERTIFLOW_STORAGE_DIR": str(folder / "packets"),
        "SERTIFLOW_PUBLIC_URL": f"http://127.0.0.1:{port}",
    }
    with serving(folder, env, port=port) as (url, _process):
        yield Office(url, web.trademark_app, fresh, scan)


@pytest.fixture
def phone(browser: object) -> Iterator[Page]:
    from playwright.sync_api import Browser

    assert isinstance(browser, Browser)
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, accept_downloads=True
    )
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


def _shot(page: Page, name: str) -> None:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"workspace-{name}.png"), full_page=True)


def _fits_the_phone(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width} px wide on a 360-px phone"


def test_a_consultant_works_through_the_day_on_a_phone(served: Office, phone: Page) -> None:
    from playwright.sync_api import expect

    url = served.url
    phone.goto(f"{url}/masuk")
    phone.get_by_label("Nama pengguna").fill("rina")
    phone.get_by_label("Kata sandi").fill(PASSWORD)
    phone.get_by_role("button", name="Masuk").click()
    phone.get_by_role("link", name="Pekerjaan hari ini").click()

    # today's work: the seeded applications are overdue by now, the fresh one is the office's
    expect(phone).to_have_url(f"{url}/kerja")
    expect(phone.locator("h1")).to_contain_text("Hari ini")
    expect(phone.get_by_role("heading", name="Terlambat")).to_be_visible()
    _fits_the_phone(phone)
    _shot(phone, "kerja-360")

    phone.get_by_role("link", name="Antrian").first.click()
    expect(phone.locator("h1")).to_have_text("Antrian")
    phone.get_by_label("Proses").select_option("trademark")
    phone.get_by_role("button", name="Saring").click()
    expect(phone.locator(f'a[href="/aplikasi/{served.trademark_app}"]')).to_be_visible()
    _fits_the_phone(phone)
    _shot(phone, "antrian-360")

    # advance the fresh application
    phone.goto(f"{url}/kerja")
    phone.locator(f'a[href="/aplikasi/{served.fresh_app}"]').click()
    phone.get_by_role("button", name="Mulai penyiapan dokumen").click()
    expect(phone.get_by_role("status")).to_contain_text("Tercatat: Mulai penyiapan dokumen")
    expect(phone.locator("#timeline")).to_contain_text("Mulai penyiapan dokumen")
    _fits_the_phone(phone)
    _shot(phone, "maju-360")

    # the trademark filing is refused: the guard names the missing documents
    phone.goto(f"{url}/aplikasi/{served.trademark_app}")
    phone.get_by_role("button", name="Bayar SIMPAKI dan kirim permohonan").click()
    alert = phone.get_by_role("alert")
    expect(alert).to_contain_text("cannot billing_paid_and_submitted")
    expect(alert).to_contain_text("missing umk_statement")
    _fits_the_phone(phone)
    _shot(phone, "ditolak-360")

    # upload the stamped UMK statement to the application's dossier
    phone.get_by_label("Jenis dokumen").select_option("umk_statement")
    phone.locator("#file").set_input_files(str(served.scan))
    phone.get_by_role("button", name="Unggah").click()
    expect(phone.get_by_role("status")).to_contain_text("Dokumen ditambahkan")
    expect(phone.locator("#dossier")).to_contain_text("surat-pernyataan.pdf")
    expect(phone.locator("#steps")).not_to_contain_text("missing umk_statement")
    _fits_the_phone(phone)
    _shot(phone, "bukti-360")

    # download the stage's packet
    with phone.expect_download() as download:
        phone.get_by_role("link", name="Unduh paket tahap ini (PDF)").click()
    saved = download.value.path()
    assert saved is not None and Path(saved).read_bytes().startswith(b"%PDF-")
    assert download.value.suggested_filename.startswith(f"paket-{served.trademark_app}-")
