"""Every document template renders, in both languages, from the smallest possible context, and
reads back (pypdf) in its language, with its title, the business or office it is about, and its
own page numbers matching its page count; a packet numbers its pages as a whole as well."""

from __future__ import annotations

import io
import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from documents.assemble import combine
from documents.catalog import CHECKLIST, COVER, PER_PACKET, TITLES, title
from documents.context import ApplicationInfo, OfficeInfo, PacketContext, UmkmInfo
from documents.packets import office_from_settings
from documents.render import Renderer, qr_data_uri
from tests.support import embedded_fonts
from workflow.processes import ProcessRegistry
from workflow.settings import Settings

RENDERER = Renderer()
OFFICE: OfficeInfo = office_from_settings(Settings())


def referenced() -> list[str]:
    names = {COVER, CHECKLIST}
    for definition in ProcessRegistry().all():
        for state in definition.states.values():
            names.update(state.documents)
    return sorted(names)


def minimal(name: str, lang: str) -> PacketContext:
    family = name.split("/")[0] if name.split("/")[0] in ("halal", "trademark", "sni") else "halal"
    process = {"halal": "halal_regular"}.get(family, family)
    return PacketContext(
        lang=lang,
        office=OFFICE,
        umkm=UmkmInfo(
            "8120000000001",
            "Kue Sagu Ina",
            "Ina Latuconsina",
            "umkm",
            "mikro",
            "Kota Ambon",
            "",
            "",
            "",
            None,
            "",
        ),
        application=ApplicationInfo(
            1,
            process,
            family,
            "T",
            "R",
            "INTAKE",
            "Intake",
            "consultant",
            "",
            None,
            date(2026, 11, 2),
            None,
            None,
            None,
            None,
            "",
            "",
            (),
        ),
        addressee="A",
        products=(),
        materials=(),
        process_steps=(),
        checklist=(),
        documents=(name,),
        template_version=RENDERER.version,
        issued_on=date(2026, 11, 2),
        reference="00001.01/PLUT/HLR/XI/2026",
        code="SF-AAAA-BBBB",
        verify_url="http://localhost:8000/verifikasi/SF-AAAA-BBBB",
    )


@pytest.mark.parametrize("name", referenced())
def test_every_document_a_stage_names_is_shipped_with_a_title(name: str) -> None:
    assert RENDERER.exists(name), f"templates/documents/{name}.html.j2"
    assert name in TITLES


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("name", referenced())
def test_every_document_renders_from_a_minimal_context(name: str, lang: str) -> None:
    ctx = minimal(name, lang)
    document = RENDERER.document(name, ctx)
    assert document.pages >= 1 and document.data.startswith(b"%PDF-")
    assert RENDERER.fetcher.refused == []
    fonts = embedded_fonts(document.data)  # the shipped ones only, logo included
    assert fonts and all(font.startswith("Sertiflow-") for font in fonts), fonts
    texts = page_texts(document.data)
    assert len(texts) == document.pages
    assert document.pages <= (6 if RENDERER.is_static(name) else 3)  # nothing to fill pages
    page, of = PAGE_WORDS[lang]
    foreign = PAGE_WORDS["en" if lang == "id" else "id"]
    for number, text in enumerate(texts, 1):
        assert f"{page} {number} {of} {document.pages}" in text, (number, text[-200:])
        assert f"{foreign[0]} {number} {foreign[1]}" not in text
    whole = " ".join(texts)
    titled = PdfReader(io.BytesIO(document.data)).metadata
    assert titled is not None and (titled.title or "").startswith(title(name, lang))
    if RENDERER.is_static(name):
        assert OFFICE.name in whole
    else:
        assert ctx.umkm.name in whole and ctx.code in whole
        assert "8120000000001" in whole or name.startswith(("common/", "trademark/"))


PAGE_WORDS = {"id": ("Halaman", "dari"), "en": ("Page", "of")}


def page_texts(data: bytes) -> list[str]:
    """Each page's text, its runs of white space made one space."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages]


def test_a_static_guide_is_laid_out_once_and_reused() -> None:
    ctx = minimal("guide/halal", "id")
    first = RENDERER.document("guide/halal", ctx)
    other_umkm = replace(ctx, umkm=replace(ctx.umkm, name="Lain"))
    assert RENDERER.document("guide/halal", other_umkm) is first
    assert RENDERER.document("guide/halal", replace(ctx, lang="en")) is not first
    other_office = replace(ctx, office=replace(OFFICE, name="PLUT-KUMKM Kota Tual"))
    assert RENDERER.document("guide/halal", other_office) is not first


def test_a_packets_own_documents_are_written_as_one_pdf_and_joined_in_order() -> None:
    ctx = minimal("halal/application_letter", "id")
    names = [COVER, "guide/halal", "halal/application_letter", CHECKLIST]
    cover, guide, letter, checklist = RENDERER.documents(names, ctx)
    assert cover.pdf is letter.pdf is checklist.pdf and guide.pdf is not cover.pdf
    assert (cover.first, letter.first, checklist.first) == (
        0,
        cover.count,
        cover.count + letter.count,
    )
    assert checklist.pdf.pages == cover.count + letter.count + checklist.count
    packet = combine([cover, guide, letter, checklist], ctx.code, "sertiflow")
    texts = [page.extract_text() for page in PdfReader(io.BytesIO(packet.data)).pages]
    assert packet.pages == len(texts) == cover.count + guide.count + letter.count + checklist.count
    addressee = f"Yth. {ctx.umkm.owner_name}, {ctx.umkm.name}"
    assert addressee in " ".join(texts[0].split()) and "Halaman 1 dari 1" in texts[0]
    assert "panduan sertifikasi halal" in texts[cover.count].lower()
    assert "permohonan sertifikasi halal" in texts[cover.count + guide.count].lower()
    assert "Keadaan per" in texts[-1] and "Halaman 1 dari 1" in texts[-1]
    for number, text in enumerate(texts, 1):  # the packet's own numbers, on every page
        assert f"Halaman paket {number} dari {packet.pages}" in " ".join(text.split())
    assert embedded_fonts(packet.data) == embedded_fonts(cover.pdf.data) | embedded_fonts(
        guide.pdf.data
    )  # the stamp's font is the shipped Sertiflow-Sans, nothing else


def test_an_english_packet_numbers_its_pages_in_english() -> None:
    ctx = minimal("halal/application_letter", "en")
    parts = RENDERER.documents([COVER, "halal/application_letter", CHECKLIST], ctx)
    packet = combine(parts, ctx.code, "sertiflow", "en")
    texts = page_texts(packet.data)
    assert packet.pages == len(texts) >= 3
    for number, text in enumerate(texts, 1):
        assert f"Packet page {number} of {packet.pages}" in text and "paket" not in text


@pytest.mark.parametrize(
    "name", [n for n in referenced() if n not in PER_PACKET and not RENDERER.is_static(n)]
)
def test_a_reusable_documents_key_ignores_the_stage_and_its_issue(name: str) -> None:
    """What a later packet reuses must not show the stage or anything of the packet's own."""
    ctx = minimal(name, "id")
    later = replace(
        ctx,
        application=replace(ctx.application, state="SUBMITTED", state_label="Diajukan"),
        documents=(name, "halal/application_letter"),
        issued_on=date(2027, 1, 4),
        reference="00001.07/PLUT/HLR/I/2027",
        code="SF-CCCC-DDDD",
        verify_url="http://localhost:8000/verifikasi/SF-CCCC-DDDD",
    )
    assert RENDERER.document_key(name, later) == RENDERER.document_key(name, ctx)
    renamed = replace(ctx, umkm=replace(ctx.umkm, name="Sagu Ibu Ana"))
    assert RENDERER.document_key(name, renamed) != RENDERER.document_key(name, ctx)
    assert RENDERER.document_key(name, replace(ctx, lang="en")) != RENDERER.document_key(name, ctx)
    moved = replace(later, verify_url="https://plut.example.id/verifikasi/SF-CCCC-DDDD")
    assert RENDERER.document_key(name, moved) != RENDERER.document_key(name, ctx)


def letterhead_height(name: str, code: str) -> float:
    ctx = replace(minimal(name, "id"), code=code, verify_url=f"http://localhost:8000/v/{code}")
    document = RENDERER.layout(RENDERER.html(name, ctx, "id", qr=qr_data_uri(code)))

    def find(box: Any) -> Any:
        if "letterhead" in (box.element.get("class") or "").split() if box.element else False:
            return box
        for child in getattr(box, "children", ()):
            found = find(child)
            if found is not None:
                return found
        return None

    letterhead = find(document.pages[0]._page_box)
    assert letterhead is not None
    return float(letterhead.height)


@pytest.mark.parametrize(
    "code", ["SF-5GQV-5XUC", "SF-WWWW-2MMM", "SF-5WWW-5WWW", "SF-MWMW-7WMW", "SF-WWWW-WWWW"]
)
def test_the_letterhead_is_as_tall_whatever_the_verification_code(code: str) -> None:
    """Some codes once dropped under the QR code (by their letters and where they may break),
    and the taller letterhead pushed a one-page pledge onto a second page."""
    assert letterhead_height("halal/completion_letter", code) == letterhead_height(
        "halal/completion_letter", "SF-IIII-IIII"
    )  # the pledge is the UMKM's own letter now: the office's letterhead is not on it


def test_rewording_an_email_or_a_web_page_does_not_reissue_packets_but_a_document_template_does(
    tmp_path: Path,
) -> None:
    from documents.render import ASSETS, template_version

    copy = tmp_path / "templates"
    shutil.copytree(ASSETS, copy)
    before = template_version(copy)
    status = copy / "emails" / "status.j2"
    status.write_text(status.read_text() + "\n{# reworded #}\n")
    assert template_version(copy) == before
    page = copy / "web" / "status.html.j2"
    page.write_text(page.read_text() + "\n{# reworded #}\n")
    assert template_version(copy) == before
    css = copy / "documents" / "print.css"
    css.write_text(css.read_text() + "\n/* changed */\n")
    assert template_version(copy) != before
