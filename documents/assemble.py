"""Documents' pages -> one packet PDF (pikepdf): pages copied as they are, nothing laid out again.

Each document keeps its own fonts and its "Halaman 1 dari N"; every page is stamped with the
packet's own number as well, "Halaman paket 3 dari 12" (``documents.packet_numbers``), so a
missing page shows on paper. The packet's metadata names its
verification code, and the code is written once more after ``%%EOF``, where PDF readers ignore it
and where it survives damage to the file's structure (``documents.verify.find_code``).
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import pikepdf

from documents.packet_numbers import stamp
from documents.render import Pages, RenderedPdf

__all__ = ["combine"]


def combine(parts: Sequence[Pages], code: str, keywords: str, lang: str = "id") -> RenderedPdf:
    """``parts`` in order as one PDF, its metadata (title, author) from the first part's PDF,
    its pages numbered as the packet's in ``lang``. Parts that are pages of one PDF open it
    once."""
    if not parts:
        raise ValueError("a packet needs at least one document")
    sources: dict[RenderedPdf, pikepdf.Pdf] = {}
    try:
        with pikepdf.Pdf.new() as packet:
            for part in parts:
                source = sources.get(part.pdf)
                if source is None:
                    source = sources[part.pdf] = pikepdf.Pdf.open(io.BytesIO(part.pdf.data))
                packet.pages.extend(source.pages[part.first : part.first + part.count])
            stamp(packet, lang)
            for key, value in sources[parts[0].pdf].docinfo.items():
                packet.docinfo[key] = value
            packet.docinfo["/Keywords"] = keywords
            out = io.BytesIO()
            packet.save(out, deterministic_id=True)
    finally:
        for source in sources.values():
            source.close()
    data = out.getvalue() + f"%sertiflow {code}\n".encode()
    return RenderedPdf(data, sum(part.count for part in parts))
