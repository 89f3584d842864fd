"""The admin dashboard in a real headless Chromium (Debian's ``chromium``, driven by
Playwright), on a desktop screen and on a 360-px phone: an admin logs in, reads the backlog,
exports a CSV table and retries a failed delivery.

``sertiflow serve --no-worker`` runs in a subprocess on a free loopback port (without the
embedded worker a retried delivery stays queued, so what the page shows does not race it) and
is stopped by its pid. Screenshots are kept in ``SERTIFLOW_E2E_ARTEFACTS`` (default
``var/e2e``). Without Chromium the tests are skipped on a developer's machine and fail in CI
(``CI=true``).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from tests.conftest import sqlite_db
from tests.services import ROOT, free_port, serving
from tests.support import Clock, seed_office
from tests.web_support import PASSWORD, SECRET, seed_web_office
from workers import outbox
from workflow.ledger import OUTBOX

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, ViewportSize

pytestmark = pytest.mark.e2e

ARTEFACTS = Path(os.environ.get("SERTIFLOW_E2E_ARTEFACTS", ROOT / "var" / "e2e"))
SCREENS: dict[str, ViewportSize] = {
    "desktop": {"width": 1280, "height": 900},
    "360": {"width": 360, "height": 740},
}


@dataclass
class Server:
    """The web app serving a seeded office with failed deliveries."""

    url: str
    failed: dict[str, int]  # screen -> the failed outbox row that screen's test retries


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("web-admin-e2e")
    db = sqlite_db(folder / "office.db")
    web = seed_web_office(seed_office(db, Clock()), folder / "packets")
    now = web.office.clock()
    with db.connect() as conn:
        rows = list(conn.scalars(select(OUTBOX.c.id).order_by(OUTBOX.c.id).limit(2)))
    for row_id in rows:
        held = outbox.claim(db, row_id, None, now, 60)
        assert held is not None
        outbox.fail(
            db,
            held,
            now,
            "SMTP 550 mailbox unavailable",
            max_attempts=1,
            base_backoff=1,
            permanent=True,
        )
    db.dispose()
    port = free_port()
    env = {
        "SERTIFLOW_DATABASE_URL": f"sqlite:///{folder / 'office.db'}",
        "SERTIFLOW_SECRET_KEY": SECRET,
        "SERTIFLOW_STORAGE_DIR": str(folder / "packets"),
        "SERTIFLOW_PUBLIC_URL": f"http://127.0.0.1:{port}",
    }
    with serving(folder, env, "--no-worker", port=port) as (url, _process):
        yield Server(url, dict(zip(SCREENS, rows, strict=True)))


def _page(browser: Browser, screen: str) -> tuple[Page, list[str]]:
    phone = screen == "360"
    context = browser.new_context(
        viewport=SCREENS[screen],
        device_scale_factor=2 if phone else 1,
        is_mobile=phone,
        accept_downloads=True,
    )
    page = context.new_page()
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return page, violations


def _shot(page: Page, name: str) -> None:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)


def _fits(page: Page, screen: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= SCREENS[screen]["width"], f"the page is {width} px wide on {screen}"


@pytest.mark.parametrize("screen", list(SCREENS))
def test_an_admin_reads_the_dashboard_exports_csv_and_retries_a_failed_delivery(
    server: Server, browser: Browser, screen: str
) -> None:
    from playwright.sync_api import expect

    page, violations = _page(browser, screen)
    page.goto(f"{server.url}/masuk")
    page.get_by_label("Nama pengguna").fill("admin")
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.goto(f"{server.url}/admin")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tunggakan")
    expect(page.get_by_text("3 permohonan terbuka")).to_be_visible()
    expect(page.get_by_text("Rina Latuconsina").first).to_be_visible()
    expect(page.get_by_role("heading", name="Per konsultan")).to_be_visible()
    _fits(page, screen)
    _shot(page, f"admin-dashboard-{screen}")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="consultants", exact=True).click()
    download = download_info.value
    assert download.suggested_filename.startswith("backlog-consultants-")
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text("utf-8-sig"))))
    assert rows[0][:3] == ["key", "name", "open"]
    assert rows[1][1:3] == ["Rina Latuconsina", "3"]

    page.get_by_role("link", name="Pengiriman").click()
    expect(page.get_by_role("heading", name="Pengiriman gagal")).to_be_visible()
    row_id = server.failed[screen]
    expect(page.get_by_text("SMTP 550 mailbox unavailable").first).to_be_visible()
    _fits(page, screen)
    _shot(page, f"admin-outbox-{screen}")
    page.get_by_role("button", name=f"Coba lagi #{row_id}", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Dikembalikan ke antrean: 1")
    expect(page.get_by_role("button", name=f"Coba lagi #{row_id}", exact=True)).to_have_count(0)
    _fits(page, screen)
    _shot(page, f"admin-outbox-retried-{screen}")
    assert violations == [], violations
    page.context.close()


@pytest.mark.parametrize("screen", list(SCREENS))
def test_every_admin_page_fits_the_screen(server: Server, browser: Browser, screen: str) -> None:
    from playwright.sync_api import expect

    page, violations = _page(browser, screen)
    page.goto(f"{server.url}/masuk")
    page.get_by_label("Nama pengguna").fill("admin")
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    for name, path, heading in (
        ("audit", "/admin/audit?app=1", "Log audit"),
        ("users", "/admin/users", "Pengguna dan konsultan"),
        ("reassign", "/admin/reassign?from=rina", "Alihkan permohonan"),
        ("import", "/admin/import", "Impor registri"),
        ("office", "/admin/office", "Profil kantor"),
    ):
        page.goto(server.url + path)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        _fits(page, screen)
        _shot(page, f"admin-{name}-{screen}")
    page.goto(f"{server.url}/admin/users")
    expect(page.get_by_role("button", name="Nonaktifkan rina")).to_be_attached()
    assert violations == [], violations
    page.context.close()
