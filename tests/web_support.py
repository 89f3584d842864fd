"""What the web app's tests share: a seeded office with passwords, a halal and a trademark
application, a packet of each business, and the web app on it (FastAPI's TestClient in the
integration tests, uvicorn in a subprocess in the end-to-end ones)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from documents import shared_renderer
from documents.packets import PacketService, StoredPacket
from tests.support import Office, drive, trademark_in_preparation
from web import Limits, create_app
from workflow import journal
from workflow.accounts import set_password
from workflow.directory import add_user, replace_profile
from workflow.facts import MaterialFacts, ProductFacts
from workflow.model import Role
from workflow.permissions import acting_user
from workflow.settings import Settings
from workflow.status_link import make_status_token

__all__ = [
    "OTHER_OWNER",
    "PASSWORD",
    "WebOffice",
    "csrf_of",
    "log_in",
    "seed_web_office",
    "web_client",
]

PASSWORD = "sagu-lempeng-saparua"
"""Every seeded user's web password."""
OTHER_OWNER = "budi"
"""The UMKM user of the office's second business."""
SECRET = "test-secret-key-for-the-web-app-0123456789"


@dataclass
class WebOffice:
    """A seeded office the web app serves: its applications, packets and links."""

    office: Office
    settings: Settings
    halal_app: int
    trademark_app: int
    other_app: int
    packet: StoredPacket | None = None
    other_packet: StoredPacket | None = None

    @property
    def secret(self) -> bytes:
        """The office's secret key."""
        return self.settings.secret_key.encode()

    def link(self, umkm_id: int = 1, days: int = 30) -> str:
        """The status page's path of a link for business ``umkm_id``, good for ``days``."""
        expires = self.office.workflow.today() + timedelta(days=days)
        return f"/status/{make_status_token(self.secret, umkm_id, expires)}"

    def expired_link(self, umkm_id: int = 1) -> str:
        """A link that expired yesterday."""
        expired = self.office.workflow.today() - timedelta(days=1)
        return f"/status/{make_status_token(self.secret, umkm_id, expired)}"

    def app(self, limits: Limits | None = None, **changes: object) -> FastAPI:
        """The web app on this office (settings changed by ``changes``)."""
        from dataclasses import replace

        settings = replace(self.settings, **changes)  # type: ignore[arg-type]
        return create_app(settings, db=self.office.db, clock=self.office.clock, limits=limits)

    def issue_packets(self) -> None:
        """A packet of the trademark application and one of the other business's."""
        service = PacketService(
            self.office.db,
            self.settings,
            renderer=shared_renderer(),
            today=self.office.workflow.today,
        )
        self.packet = service.issue(self.trademark_app)
        self.other_packet = service.issue(self.other_app)


def _profile(office: Office, umkm_id: int) -> None:
    with journal.writing(office.db) as conn:
        replace_profile(
            conn,
            acting_user(conn, office.admin),
            umkm_id,
            [ProductFacts("Sagu lempeng original", "Sagu lempeng khas Saparua, 250 g")],
            [MaterialFacts("Tepung sagu", "bahan baku", "Petani Saparua", "Daftar positif")],
            ["Pembelian sagu", "Pemanggangan", "Pengemasan"],
        )


def seed_web_office(office: Office, storage: Path, **settings: object) -> WebOffice:
    """``office`` with a UMKM user for each business, every user's password ``PASSWORD``, a
    halal application in preparation (the UMKM's turn), a trademark one of the same business and
    one of the other business."""
    add_user(
        office.db,
        OTHER_OWNER,
        "Budi Tuhumury",
        Role.UMKM,
        acting=office.admin,
        umkm_nib=office.other_nib,
    )
    for name in (office.admin, office.consultant, office.owner, OTHER_OWNER):
        set_password(office.db, name, PASSWORD, acting=office.admin, now=office.clock())
    _profile(office, 1)
    _profile(office, 2)
    halal = office.workflow.open_application(office.nib, "halal_regular", office.consultant)
    drive(office, halal, "start_document_preparation")
    trademark = trademark_in_preparation(office)
    other = office.workflow.open_application(
        office.other_nib,
        "trademark",
        office.consultant,
        details={"mark_name": "KOPI BANDA", "nice_classes": "30", "goods": "Kopi bubuk"},
    )
    drive(office, other, "start_document_preparation")
    values: dict[str, object] = {
        "storage_dir": str(storage),
        "secret_key": SECRET,
        "public_url": "http://testserver",
    }
    values.update(settings)
    return WebOffice(office, Settings(**values), halal, trademark, other)  # type: ignore[arg-type]


def web_client(app: FastAPI, base_url: str = "http://testserver") -> TestClient:
    """A TestClient that keeps cookies and does not follow redirects."""
    return TestClient(app, base_url=base_url, follow_redirects=False)


_TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


def csrf_of(html: str) -> str:
    """The CSRF token a page's forms carry."""
    found = _TOKEN.search(html)
    assert found is not None, "the page has no form with a CSRF token"
    return found.group(1)


def log_in(client: TestClient, username: str, password: str = PASSWORD) -> int:
    """Log in through the login form; the response's status (303 on success)."""
    token = csrf_of(client.get("/masuk").text)
    response = client.post(
        "/masuk", data={"username": username, "password": password, "csrf_token": token}
    )
    return int(response.status_code)
