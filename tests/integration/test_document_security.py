"""Text a UMKM typed can never read a file or reach a host, whatever it contains."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pikepdf
import pytest
from pypdf import PdfReader
from sqlalchemy import Engine

from documents.packets import PacketService
from documents.render import Renderer
from tests.support import seed_office, umkm_record
from workflow.directory import replace_profile, umkm_id_by_nib, upsert_umkm
from workflow.facts import MaterialFacts, ProductFacts
from workflow.permissions import acting_user
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


def _direct_strings(obj: pikepdf.Object) -> Iterator[bytes]:
    """The strings and names in ``obj`` and the arrays and dictionaries written inside it (an
    indirect object it refers to is one of ``pdf.objects`` and is read on its own)."""
    if isinstance(obj, pikepdf.String):
        yield bytes(obj)  # as written
        yield str(obj).encode()  # decoded: a title may be written in UTF-16
    elif isinstance(obj, pikepdf.Name):
        yield str(obj).encode()
    elif isinstance(obj, pikepdf.Array | pikepdf.Dictionary | pikepdf.Stream):
        children = obj.values() if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream) else obj
        for child in children:  # numbers and booleans come as Python's int, Decimal, bool
            if isinstance(child, pikepdf.Object) and not child.is_indirect:
                yield from _direct_strings(child)


def _is_attachment(obj: pikepdf.Object) -> bool:
    if not isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
        return False
    kind, subtype = obj.get("/Type"), obj.get("/Subtype")
    return kind in (pikepdf.Name.EmbeddedFile, pikepdf.Name.Filespec) or (
        subtype == pikepdf.Name.FileAttachment
    )


def pdf_facts(path: Path) -> tuple[str, bytes, bool]:
    """The PDF's text, everything it holds, and whether it embeds a file.

    Content streams and embedded files are compressed, so the file's bytes alone say nothing:
    everything is the raw file, every stream decompressed, every string and name of every
    object, each attached file, and the text (glyphs are written as font codes, not letters).
    """
    data = path.read_bytes()
    reader = PdfReader(io.BytesIO(data))
    # pypdf decodes some fallback-font runs (Arabic, emoji pages) with NULs between letters
    text = "\n".join(page.extract_text() for page in reader.pages).replace("\x00", "")
    parts = [data, text.encode()]
    embedded = b"/EmbeddedFile" in data or bool(reader.attachments)
    with pikepdf.open(path) as pdf:
        for obj in pdf.objects:
            parts.extend(_direct_strings(obj))
            embedded = embedded or _is_attachment(obj)
            if isinstance(obj, pikepdf.Stream):
                try:
                    parts.append(obj.read_bytes())
                except pikepdf.PdfError:  # an image format qpdf does not decode
                    parts.append(obj.read_raw_bytes())
        for spec in pdf.attachments.values():
            embedded = True
            parts.append(spec.get_file().read_bytes())
    return text, b"\n".join(parts), embedded


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
            acting_user(conn, office.admin),
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

    text, everything, embedded = pdf_facts(Path(stored.location))  # a local store: a path
    assert Probe.hits == []
    assert renderer.fetcher.refused == []  # escaped markup asks for nothing at all
    assert not embedded and SECRET_TEXT not in everything
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
    _, everything, embedded = pdf_facts(path)
    assert Probe.hits == []
    assert not embedded and SECRET_TEXT not in everything
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
