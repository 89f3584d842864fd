"""Text a UMKM typed can never read a file or reach a host, whatever it contains."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine

from documents.packets import PacketService
from documents.render import Renderer
from tests.support import seed_office, umkm_record
from workflow.directory import replace_profile, umkm_id_by_nib, upsert_umkm
from workflow.facts import MaterialFacts, ProductFacts
from workflow.settings import Settings

SECRET_FILE = "/etc/passwd"
SECRET_TEXT = b"root:x:0:0"


class Probe(BaseHTTPRequestHandler):
    """Counts every request a document makes."""

    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        Probe.hits.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"body { color: red }")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def probe() -> Iterator[str]:
    Probe.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Probe)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def hostile(url: str) -> list[str]:
    return [
        f'<script>alert(1)</script><img src="{url}/img">',
        f'<a rel="attachment" href="file://{SECRET_FILE}">lampiran</a>',
        f"<style>@import url({url}/css); body {{ background: url(file://{SECRET_FILE}) }}</style>",
        f'<link rel="stylesheet" href="{url}/link"><iframe src="file://{SECRET_FILE}"></iframe>',
        f"url({url}/plain) file://{SECRET_FILE} {url}/text",
        "منتج حلال من أمبون 🍞🐟 ✅ " * 3,
        "Sagu" + "Panjang" * 700,
    ]


def pdf_facts(path: Path) -> tuple[str, bytes, bool]:
    data = path.read_bytes()
    reader = PdfReader(io.BytesIO(data))
    # pypdf decodes some fallback-font runs (Arabic, emoji pages) with NULs between letters
    text = "\n".join(page.extract_text() for page in reader.pages).replace("\x00", "")
    embedded = b"/EmbeddedFile" in data or bool(reader.attachments)
    return text, data, embedded


def test_hostile_text_in_every_free_text_field_renders_as_text_and_fetches_nothing(
    sqlite_only: Engine, tmp_path: Path, probe: str
) -> None:
    office = seed_office(sqlite_only)  # rendering does not depend on the database
    texts = hostile(probe)
    nib = "8120000000009"
    with office.db.begin() as conn:
        upsert_umkm(
            conn,
            [umkm_record(nib, texts[0], owner_name=texts[1], address=texts[2], products=texts[3])],
            office.clock(),
        )
        umkm_id = umkm_id_by_nib(conn, nib)
        replace_profile(
            conn,
            umkm_id,
            [
                ProductFacts(
                    f"{texts[i % len(texts)][:120]} #{i}", texts[(i + 1) % len(texts)][:200]
                )
                for i in range(1000)
            ],
            [MaterialFacts(t[:150], "bahan baku", t[:100], t[:100]) for t in texts],
            [t[:300] for t in texts],
        )
    details = {"penyelia_halal": texts[4], "lph": texts[1], "pendamping": texts[0]}
    app = office.workflow.open_application(
        nib, "halal_regular", office.consultant, title=texts[2], details=details
    )
    office.workflow.advance(app, "start_document_preparation", office.consultant)
    renderer = Renderer()
    service = PacketService(
        office.db,
        Settings(storage_dir=str(tmp_path)),
        renderer=renderer,
        today=office.workflow.today,
    )

    stored = service.issue(app)

    text, data, embedded = pdf_facts(Path(stored.location))  # a local store: a path
    assert Probe.hits == []
    assert renderer.fetcher.refused == []  # escaped markup asks for nothing at all
    assert not embedded and SECRET_TEXT not in data
    assert "<script>alert(1)</script>" in text
    assert 'rel="attachment"' in text
    assert "#994" in text  # all 1,000 products across pages (#999 is right-to-left text)
    assert stored.pages > 20


def test_the_fetcher_refuses_files_and_hosts_even_if_markup_got_through(
    tmp_path: Path, probe: str
) -> None:
    renderer = Renderer()
    html = (
        f'<html><head><link rel="stylesheet" href="{probe}/link">'
        f"<style>@import url({probe}/import); @import url(file://{SECRET_FILE});"
        f" p {{ background: url({probe}/bg) }}</style></head><body>"
        f'<p>x</p><img src="{probe}/img"><img src="file://{SECRET_FILE}">'
        f'<a rel="attachment" href="file://{SECRET_FILE}">a</a>'
        f'<a rel="attachment" href="{probe}/attach">b</a>'
        f'<img src="../../../../../../../..{SECRET_FILE}">'
        '<img src="data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdm'
        'ciIHdpZHRoPSIxIiBoZWlnaHQ9IjEiLz4=">'
        "</body></html>"
    )
    pdf = renderer.pdf(html).data
    path = tmp_path / "probe.pdf"
    path.write_bytes(pdf)
    _, data, embedded = pdf_facts(path)
    assert Probe.hits == []
    assert not embedded and SECRET_TEXT not in data
    refused = " ".join(renderer.fetcher.refused)
    assert f"{probe}/img" in refused and f"file://{SECRET_FILE}" in refused
    assert f"{probe}/attach" in refused and SECRET_FILE in refused
    assert not any(url.startswith("data:") for url in renderer.fetcher.refused)


def test_packaged_fonts_and_images_are_served(tmp_path: Path) -> None:
    renderer = Renderer()
    renderer.pdf(
        "<html><body><p style=\"font-family: 'Sertiflow Serif'\">Sagu</p>"
        '<img src="../img/logo.svg"></body></html>'
    )
    assert renderer.fetcher.refused == []
