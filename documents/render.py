"""Context -> HTML (Jinja2) -> PDF (WeasyPrint), the only module that touches WeasyPrint.

One ``FontConfiguration`` and one parsed stylesheet serve every render (a new font configuration
per render costs time and ~230 KB that is never given back). Each document is laid out on its
own, so each numbers its pages "Halaman 1 dari 3". A document that later packets reuse is
written as a PDF of its own (``documents.issued`` stores it); the documents that belong to one
packet only are written together and share their fonts; ``documents.assemble`` joins the pages
into the packet. Documents that do not depend on the application (the guides under ``guide/``)
are rendered once per language and office, and reused.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from importlib import metadata
from pathlib import Path
from typing import Any

import pikepdf
import segno
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape
from weasyprint import CSS, HTML, Document
from weasyprint.text import ffi
from weasyprint.text.fonts import FontConfiguration

from documents.catalog import title
from documents.context import MILESTONES, OfficeInfo, PacketContext, passed_milestones
from documents.fetcher import AssetsOnlyFetcher
from documents.formatting import long_date, number, rupiah, tr

__all__ = [
    "ASSETS",
    "Pages",
    "RenderedPdf",
    "Renderer",
    "file_name",
    "rendering_libraries",
    "template_version",
]

ASSETS = Path(__file__).resolve().parent.parent / "templates"
"""Templates, CSS, fonts and images shipped with sertiflow."""
_STATIC_PREFIX = "guide/"


_FILE_NAME_JOINTS = re.compile(r"(?<=[_./\\-])(?=[^_./\\-])")


def file_name(name: str) -> Markup:
    """``name`` (a file name or reference) escaped, with a line-break opportunity after each
    ``_ - . /``: a narrow column breaks it between its parts, not in the middle of a word."""
    return Markup("<wbr>").join(escape(part) for part in _FILE_NAME_JOINTS.split(name))


_LIBRARIES = ("WeasyPrint", "pydyf", "tinycss2", "cssselect2", "tinyhtml5", "segno", "pikepdf")


def rendering_libraries() -> dict[str, str]:
    """The versions of what turns the same HTML into other bytes: the Python libraries, Pango
    (line breaking, shaping), whether HarfBuzz subsets fonts, and qpdf (joins packets)."""
    found = {dist: metadata.version(dist) for dist in _LIBRARIES}
    pango = int(ffi.pango.pango_version())
    found["pango"] = f"{pango // 10000}.{pango // 100 % 100}.{pango % 100}"
    found["harfbuzz-subset"] = "yes" if ffi.harfbuzz_subset is not None else "no"
    found["qpdf"] = str(pikepdf.__libqpdf_version__)
    return found


def template_version(root: Path = ASSETS) -> str:
    """A hash over every asset a packet is made from and the libraries that render it: a
    changed template, style or font, or an upgraded WeasyPrint, is a new version (the admin's
    backlog report, the emails and the web pages are not part of any packet).

    A stored file is rendered again under its recorded code when it is lost; only the same
    version gives the same bytes, so after an upgrade a document is issued anew instead, and
    copies handed out earlier still verify against their own record.
    """
    apart = (root / "documents" / "report", root / "emails", root / "web")
    digest = hashlib.sha256()
    for path in sorted(
        p for p in root.rglob("*") if p.is_file() and not any(a in p.parents for a in apart)
    ):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    for name, version in sorted(rendering_libraries().items()):
        digest.update(f"{name}={version}".encode())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class RenderedPdf:
    """A PDF (a document or a whole packet) and its page count."""

    data: bytes
    pages: int

    def whole(self) -> Pages:
        """Every page of this PDF."""
        return Pages(self, 0, self.pages)


@dataclass(frozen=True)
class Pages:
    """``count`` pages of ``pdf`` from page ``first`` (0-based): one document of several
    written together, or a whole one."""

    pdf: RenderedPdf
    first: int
    count: int


class Renderer:
    """Renders packets; safe to share between threads of one process."""

    def __init__(self, root: Path = ASSETS) -> None:
        self.root = root
        self.fetcher = AssetsOnlyFetcher(root)
        self.base_url = (root / "documents").as_uri() + "/"
        self.env = Environment(
            loader=FileSystemLoader(root / "documents"),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )
        self.fonts = FontConfiguration()
        self.stylesheet = CSS(
            filename=str(root / "documents" / "print.css"),
            font_config=self.fonts,
            url_fetcher=self.fetcher,
        )
        self.version = template_version(root)
        self._static: dict[tuple[str, str, OfficeInfo, frozenset[str]], RenderedPdf] = {}
        self._lock = threading.Lock()

    @staticmethod
    def is_static(name: str) -> bool:
        """Whether document ``name`` depends on nothing but the office and language (guides)."""
        return name.startswith(_STATIC_PREFIX)

    def exists(self, name: str) -> bool:
        """Whether the document template ``name`` is shipped."""
        return (self.root / "documents" / f"{name}.html.j2").is_file()

    def html(self, name: str, ctx: PacketContext | None, lang: str, **extra: Any) -> str:
        """The HTML of document ``name``."""
        template = self.env.get_template(f"{name}.html.j2")
        helpers: dict[str, Callable[..., str | Markup]] = {
            "tr": partial(tr, lang),
            "tanggal": partial(long_date, lang=lang),
            "rupiah": partial(rupiah, lang=lang),
            "angka": partial(number, lang=lang),
            "doc_title": partial(title, lang=lang),
            "file_name": file_name,
        }
        return template.render(ctx=ctx, lang=lang, milestones=MILESTONES, **helpers, **extra)

    def layout(self, html: str) -> Document:
        """Lay out ``html`` with the shared fonts and stylesheet."""
        return HTML(string=html, base_url=self.base_url, url_fetcher=self.fetcher).render(
            stylesheets=[self.stylesheet], font_config=self.fonts
        )

    def document_key(self, name: str, ctx: PacketContext) -> str:
        """SHA-256 of what document ``name`` shows for ``ctx`` apart from its issue date,
        reference and code: while it stays the same, the document need not be issued again."""
        html = self.html(name, ctx.unissued(), ctx.lang, qr="")
        return hashlib.sha256(f"{self.version}|{ctx.lang}|{name}|{html}".encode()).hexdigest()

    def document(self, name: str, ctx: PacketContext) -> RenderedPdf:
        """Document ``name`` as a PDF of its own, carrying ``ctx``'s code, reference and date
        (a static guide is rendered once per language, office and milestones passed on the issue
        date, and given back after that)."""
        if not self.is_static(name):
            return self._write(self._document_html(name, ctx))
        passed = passed_milestones(ctx.issued_on)  # all the issue date changes in a guide
        key = (name, ctx.lang, ctx.office, passed)
        with self._lock:
            cached = self._static.get(key)
        if cached is None:
            html = self.html(name, None, ctx.lang, office=ctx.office, passed=passed)
            cached = self._write(html)
            with self._lock:
                self._static[key] = cached
        return cached

    def documents(self, names: Sequence[str], ctx: PacketContext) -> list[Pages]:
        """Documents ``names`` for ``ctx``, each laid out on its own (its own page numbers) but
        written as one PDF, so they share its fonts and the cost of writing one: the pages of
        each. Static guides come from the cache of ``document``."""
        laid_out = {
            name: self.layout(self._document_html(name, ctx))
            for name in names
            if not self.is_static(name)
        }
        parts: dict[str, Pages] = {}
        if laid_out:
            pages = [page for document in laid_out.values() for page in document.pages]
            first_document = next(iter(laid_out.values()))
            together = RenderedPdf(first_document.copy(pages).write_pdf(), len(pages))
            first = 0
            for name, document in laid_out.items():
                parts[name] = Pages(together, first, len(document.pages))
                first += len(document.pages)
        return [parts[n] if n in parts else self.document(n, ctx).whole() for n in names]

    def pdf(self, html: str) -> RenderedPdf:
        """Any HTML (reports) as a PDF, with the shared fonts and stylesheet."""
        return self._write(html)

    def _document_html(self, name: str, ctx: PacketContext) -> str:
        return self.html(name, ctx, ctx.lang, qr=qr_data_uri(ctx.verify_url or ctx.code))

    def _write(self, html: str) -> RenderedPdf:
        document = self.layout(html)
        return RenderedPdf(document.write_pdf(), len(document.pages))


@lru_cache(maxsize=256)
def qr_data_uri(address: str) -> str:
    """The QR code of a verification address, as a PNG data URI (the documents of one packet
    that carry the packet's own code share one).

    A small raster image is cheaper to draw on every page than the SVG's hundreds of paths, and
    scans the same.
    """
    qr = segno.make(address or "sertiflow", error="m")
    uri: str = qr.png_data_uri(scale=4, border=0)
    return uri
