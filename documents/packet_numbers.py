"""The packet's own page numbers, stamped on pages that are already laid out.

A packet joins documents laid out on their own (each numbers its pages "Halaman 1 dari 3"), some
of them copied from the store as they were first issued, so the packet's page count is known only
after assembly. Laying every page out again to number it would cost what reusing them saves;
instead each page gets a few bytes of content drawn under the document's own number: "Halaman
paket 3 dari 12". A missing page is then visible on paper.

The text is drawn in the shipped DejaVu Sans (as "Sertiflow-Sans", like WeasyPrint's own fonts),
a subset of the few characters these labels use, embedded once per packet.
"""

from __future__ import annotations

import io
from decimal import Decimal
from functools import lru_cache

import pikepdf
from fontTools import subset
from fontTools.ttLib import TTFont

from documents.render import ASSETS

__all__ = ["LABELS", "label", "stamp"]

LABELS = {"id": ("Halaman paket", "dari"), "en": ("Packet page", "of")}
"""The words around the page number and the page count, by language."""

_FONT = ASSETS / "fonts" / "DejaVuSans.ttf"
_NAME = pikepdf.Name("/SFPacketNo")
_SIZE = 8  # pt, as the document's own "Halaman 1 dari 3"
_RIGHT = Decimal(18 * 72) / Decimal("25.4")  # the page's right margin (print.css), in pt
_BASELINE = Decimal(10 * 72) / Decimal("25.4")  # 10 mm above the bottom edge, below the footer
_CHARS = "0123456789 " + "".join(" ".join(words) for words in LABELS.values())


def label(number: int, total: int, lang: str) -> str:
    """The packet's page number as printed: "Halaman paket 3 dari 12"."""
    page, of = LABELS.get(lang, LABELS["id"])
    return f"{page} {number} {of} {total}"


@lru_cache(maxsize=1)
def _font_program() -> tuple[bytes, dict[int, int], dict[str, int]]:
    """DejaVu Sans cut down to the characters of the labels; the advance width of each
    character code (1/1000 em), and the metrics a font descriptor gives."""
    options = subset.Options()
    options.layout_features = []
    options.name_IDs = []
    options.notdef_outline = True
    options.drop_tables += ["FFTM"]  # FontForge's timestamps: fontTools cannot subset them
    font = TTFont(str(_FONT))
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=_CHARS)
    subsetter.subset(font)
    scale = 1000 / font["head"].unitsPerEm
    cmap = font.getBestCmap()
    widths = {ord(c): round(font["hmtx"][cmap[ord(c)]][0] * scale) for c in set(_CHARS)}
    head, hhea = font["head"], font["hhea"]
    metrics = {
        "ascent": round(hhea.ascent * scale),
        "descent": round(hhea.descent * scale),
        "bbox": [round(v * scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax)],
    }
    out = io.BytesIO()
    font.save(out)
    return out.getvalue(), widths, metrics


def _font(pdf: pikepdf.Pdf) -> pikepdf.Object:
    """The stamp's font as an object of ``pdf``."""
    program, widths, metrics = _font_program()
    first, last = min(widths), max(widths)
    name = pikepdf.Name("/SFPKNO+Sertiflow-Sans")
    descriptor = pikepdf.Dictionary(
        Type=pikepdf.Name.FontDescriptor,
        FontName=name,
        Flags=32,  # non-symbolic: codes are WinAnsi, glyphs found through the font's cmap
        FontBBox=metrics["bbox"],
        ItalicAngle=0,
        Ascent=metrics["ascent"],
        Descent=metrics["descent"],
        CapHeight=metrics["ascent"],
        StemV=80,
        FontFile2=pdf.make_stream(program),
    )
    return pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name.TrueType,
            BaseFont=name,
            FirstChar=first,
            LastChar=last,
            Widths=[widths.get(code, 0) for code in range(first, last + 1)],
            Encoding=pikepdf.Name.WinAnsiEncoding,
            FontDescriptor=pdf.make_indirect(descriptor),
        )
    )


def _width(text: str) -> Decimal:
    widths = _font_program()[1]
    return Decimal(sum(widths[ord(c)] for c in text) * _SIZE) / 1000


def stamp(pdf: pikepdf.Pdf, lang: str) -> None:
    """Number every page of ``pdf`` as a page of one packet, right-aligned under the page's own
    number. The page's own drawing is wrapped in q/Q first: WeasyPrint leaves its coordinate
    transformation in force at the end of a page."""
    font = _font(pdf)
    opening = pdf.make_indirect(pdf.make_stream(b"q\n"))  # one stream, shared by every page
    total = len(pdf.pages)
    for number, page in enumerate(pdf.pages, 1):
        text = label(number, total, lang)
        box = page.mediabox
        x = Decimal(str(box[2])) - _RIGHT - _width(text)
        y = Decimal(str(box[1])) + _BASELINE
        page.add_resource(font, pikepdf.Name.Font, _NAME, replace_existing=True)
        page.contents_add(opening, prepend=True)
        drawn = f"Q\nq 0.27 g BT {_NAME} {_SIZE} Tf {x:.2f} {y:.2f} Td ({text}) Tj ET Q\n"
        page.contents_add(pdf.make_stream(drawn.encode("ascii")), prepend=False)
