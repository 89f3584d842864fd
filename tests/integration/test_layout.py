"""The automatic layout check: every document template, in both languages, laid out from the
smallest context and from long, hostile data, keeps its boxes inside the page's content area,
never starts a page with a signature block, never leaves a heading at the foot of a page and
never breaks a paragraph into short one-word lines.

The check reads WeasyPrint's layout tree (``Document.pages[i]._page_box``): each box's border
box is compared with the page's content box; the page margins' own boxes (footer, page numbers)
are left out. Beside it: file names break between their parts, two signature columns stay level,
emoji print from the shipped emoji font, and Arabic in an SVG chart label is joined.

Layout does not depend on the database, so none of this runs on one (neither SQLite nor
PostgreSQL: the contexts are built by hand); about 0.3-1.3 s of CPU per document laid out.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date
from itertools import pairwise

import pytest
from pypdf import PdfReader
from weasyprint import Document
from weasyprint.formatting_structure import boxes

from documents.catalog import TITLES
from documents.context import MILESTONES, PacketContext
from documents.render import Renderer, qr_data_uri
from tests.integration.test_document_templates import RENDERER, minimal
from tests.support import embedded_fonts
from workflow.facts import EvidenceStatus, MaterialFacts, ProductFacts

TOLERANCE = 0.75  # CSS px: rounding in WeasyPrint's positions, far below anything visible
# A signature block, or the verification code under a UMKM's own letter, alone on a page
SIGNATURE_CLASSES = frozenset({"signature", "sign-block", "sign-pair", "own-verification"})
HEADINGS = frozenset({"h1", "h2", "h3"})
KEPT_WHOLE = frozenset({"note", "total"})  # boxes that must not split across pages

LONG_WORD = "SagulempengIbuAnaTanpaSpasi" * 4
ARABIC = "سَاجُو عَائِشَة حلال"
EMOJI = "🌶️🍯☕ ★ ✓"
HTMLISH = '<b>Keripik</b> & "Sambal" <script>alert(1)</script> </td></tr>'


def plain(name: str, lang: str) -> PacketContext:
    """``minimal`` with short, ordinary names, one of each list and nothing recorded: the
    smallest packet a real UMKM gets."""
    ctx = minimal(name, lang)
    return replace(
        ctx,
        umkm=replace(
            ctx.umkm,
            name="Sambal roa Maria",
            owner_name="Maria Salampessy",
            address="Jl. Contoh No. 48",
            regency="Kota Ambon",
        ),
        products=(ProductFacts(name="Sambal roa", description="botol 200 g"),),
        materials=(MaterialFacts("Cabai", "bahan baku", "Pasar Mardika", ""),),
        process_steps=("Penimbangan", "Penggorengan", "Pengemasan"),
    )


def hostile(name: str, lang: str) -> PacketContext:
    """``minimal`` with everything a UMKM or consultant could type, at its worst: names without
    spaces, emoji, Arabic, HTML-ish text, many products and materials, every detail filled."""
    ctx = minimal(name, lang)
    long_text = f"{HTMLISH} {ARABIC} {EMOJI} {LONG_WORD} " + "kata panjang sekali " * 12
    details = {
        key: f"{LONG_WORD} {HTMLISH} {EMOJI}"
        for key in (
            "brand",
            "goods",
            "label_file",
            "lph",
            "lspro",
            "mark_description",
            "mark_name",
            "mark_type",
            "pendamping",
            "penyelia_halal",
            "product_type",
            "sni_title",
            "refusal_letter_number",
            "verval_findings",
        )
    }
    details |= {
        "application_number": "D" + "0" * 40,
        "sni_number": "SNI 01-3542-2004/Amd.1:2026" + "-X" * 20,
        "nice_classes": ", ".join(str(n) for n in range(1, 46)),
        "refusal_date": "2026-10-30",
        "verval_date": "2026-10-30",
        "refusal_grounds": "\n".join(long_text for _ in range(4)),
        "response_arguments": "\n".join(long_text for _ in range(4)),
        "nonconformities": "\n".join(long_text for _ in range(6)),
        "corrective_actions": "\n".join(long_text for _ in range(6)),
    }
    umkm = replace(
        ctx.umkm,
        name=f"{LONG_WORD} {EMOJI} {ARABIC}",
        owner_name=f"Hj. {LONG_WORD} binti {ARABIC}",
        address=f"{long_text} RT 001/RW 002",
        regency="Kabupaten Kepulauan Tanimbar Selatan Daya Sekali",
        email=f"{LONG_WORD.lower()}@contoh-usaha-yang-sangat-panjang.example.id",
        phone="+62 812 3456 7890 / +62 911 123 4567 / +62 852 0000 0000",
        products=long_text,
    )
    application = replace(
        ctx.application,
        title=f"{LONG_WORD} {EMOJI}",
        consultant=f"{LONG_WORD} {ARABIC}",
        hint=long_text,
        deadline=date(2026, 10, 1),
        filed_on=date(2026, 9, 1),
        details=tuple(sorted(details.items())),
    )
    products = tuple(
        ProductFacts(name=f"{LONG_WORD}{n} {EMOJI}", description=long_text) for n in range(30)
    )
    materials = tuple(
        MaterialFacts(
            name=f"{LONG_WORD}{n} {ARABIC}",
            category=HTMLISH,
            supplier=f"PT {LONG_WORD}",
            halal_evidence="" if n % 3 else f"ID00110000{n:06d}{LONG_WORD}",
        )
        for n in range(40)
    )
    checklist = tuple(
        EvidenceStatus(
            kind=kind,
            name=f"{kind} {LONG_WORD}",
            name_en=f"{kind} {LONG_WORD}",
            reference=f"{kind}_{LONG_WORD.lower()}_9100000000031_versi_final_revisi.pdf",
            valid_until=date(2027, 12, 31) if n % 2 else None,
            status=("present", "missing", "expired")[n % 3],
        )
        for n, kind in enumerate(
            (
                "nib",
                "npwp",
                "product_list",
                "materials_list",
                "process_flow",
                "sjph_manual",
                "penyelia_halal",
                "halal_pledge",
                "payment_proof",
                "quality_manual",
                "qc_records",
                "label_image",
                "trademark_ownership",
                "umk_statement",
            )
        )
    )
    return replace(
        ctx,
        umkm=umkm,
        application=application,
        addressee=f"{LONG_WORD} {HTMLISH}",
        products=products,
        materials=materials,
        process_steps=tuple(long_text for _ in range(12)),
        checklist=checklist,
        enclosures=tuple((n, "SF-WWWW-WWWW") for n in list(TITLES)[:12]),
    )


@dataclass(frozen=True)
class Problem:
    """One layout fault, as a test failure names it."""

    page: int
    what: str

    def __str__(self) -> str:
        return f"page {self.page}: {self.what}"


def _classes(box: boxes.Box) -> frozenset[str]:
    element = box.element
    if element is None or box.element_tag.startswith("::"):
        return frozenset()
    return frozenset((element.get("class") or "").split())


def _walk(
    box: boxes.Box, ancestors: tuple[boxes.Box, ...] = ()
) -> Iterator[tuple[boxes.Box, tuple[boxes.Box, ...]]]:
    """Every box below ``box`` with its ancestors, in document order, page margins left out."""
    for child in getattr(box, "children", ()):
        if isinstance(child, boxes.MarginBox):
            continue
        yield child, ancestors
        yield from _walk(child, (*ancestors, child))


def _text(box: boxes.Box) -> str:
    if isinstance(box, boxes.TextBox):
        return str(box.text)
    return "".join(_text(child) for child in getattr(box, "children", ()))


def _description(box: boxes.Box, ancestors: tuple[boxes.Box, ...]) -> str:
    named = next(
        (
            a
            for a in reversed((*ancestors, box))
            if a.element is not None and a.element_tag[0] != ":"
        ),
        box,
    )
    classes = ".".join(sorted(_classes(named)))
    return f"<{named.element_tag}{'.' + classes if classes else ''}> {_text(box)[:40]!r}"


def _is_content(box: boxes.Box, ancestors: tuple[boxes.Box, ...]) -> bool:
    """A text, image or ruled line a reader sees (not the letterhead's hidden footer string)."""
    if isinstance(box, boxes.BlockBox) and not box.children:  # a ruled line to write on
        return any(box.style[f"border_{side}_width"] for side in ("top", "bottom"))
    if not isinstance(box, boxes.TextBox | boxes.ReplacedBox):
        return False
    if isinstance(box, boxes.TextBox) and not str(box.text).strip():
        return False
    return not any("footer-text" in _classes(a) for a in ancestors)


def overflows(document: Document) -> list[Problem]:
    """Boxes that reach past the content area of their page."""
    problems = []
    for number, page in enumerate(document.pages, 1):
        area = page._page_box
        left, top = area.content_box_x(), area.content_box_y()
        right, bottom = left + area.width, top + area.height
        for box, ancestors in _walk(area):
            if any("footer-text" in _classes(a) for a in (*ancestors, box)):
                continue  # a zero-height string carrier, clipped by design
            if isinstance(box, boxes.TextBox) and not str(box.text).strip():
                continue  # trailing spaces hang past the line, as CSS says they may
            x, y = box.border_box_x(), box.border_box_y()
            w, h = box.border_width(), box.border_height()
            if (
                x < left - TOLERANCE
                or y < top - TOLERANCE
                or x + w > right + TOLERANCE
                or y + h > bottom + TOLERANCE
            ):
                past = max(x + w - right, left - x, y + h - bottom, top - y)
                problems.append(
                    Problem(number, f"{_description(box, ancestors)} runs {past:.1f}px out")
                )
    return problems


def page_breaks(document: Document) -> list[Problem]:
    """A page that starts with a signature block (it belongs with the paragraph before it), a
    heading left as the last thing on a page, a note box or a total row split across pages."""
    problems = []
    last = len(document.pages)
    kept_on: dict[int, list[int]] = {}  # a note or total row's element -> the pages it is on
    for number, page in enumerate(document.pages, 1):
        seen = [(b, a) for b, a in _walk(page._page_box) if _is_content(b, a)]
        if not seen:
            problems.append(Problem(number, "an empty page"))
            continue
        if number > 1 and any(_classes(a) & SIGNATURE_CLASSES for a in seen[0][1]):
            problems.append(
                Problem(number, f"starts with a signature block {_description(*seen[0])}")
            )
        if number < last and any(a.element_tag in HEADINGS for a in seen[-1][1]):
            problems.append(Problem(number, f"ends with a heading {_description(*seen[-1])}"))
        for box, _ in _walk(page._page_box):
            if _classes(box) & KEPT_WHOLE:
                pages = kept_on.setdefault(id(box.element), [])
                if number not in pages:
                    pages.append(number)
    for pages in kept_on.values():
        if len(pages) > 1:
            problems.append(Problem(pages[0], f"a note box or total row split over pages {pages}"))
    return problems


def short_lines(document: Document) -> list[Problem]:
    """Paragraph lines holding a single short word while the paragraph goes on: text broken
    into one-word lines though the next words would have fitted. The tail of a word too long
    for any line, or a line before one that such a word fills, is not one."""
    problems = []
    for number, page in enumerate(document.pages, 1):
        for box, ancestors in _walk(page._page_box):
            if not isinstance(box, boxes.BlockContainerBox) or box.element_tag != "p":
                continue
            lines = [c for c in box.children if isinstance(c, boxes.LineBox)]
            for line, following in pairwise(lines):
                words = _text(line).split()
                # a word too long for the rest of the line fills the next one: that break is due
                short = _used(line) < box.width / 3
                source = " ".join("".join(box.element.itertext()).split())
                whole = len(words) == 1 and f" {words[0]} " in f" {source} "
                if whole and short and _used(following) < 0.9 * box.width:
                    problems.append(
                        Problem(
                            number, f"one-word line {words[0]!r} in {_description(box, ancestors)}"
                        )
                    )
    return problems


def _used(line: boxes.LineBox) -> float:
    return float(sum(child.margin_width() for child in line.children))


def check(renderer: Renderer, name: str, ctx: PacketContext) -> list[Problem]:
    """Every layout fault of document ``name`` rendered for ``ctx``."""
    if renderer.is_static(name):  # a guide shows the office only, every milestone passed
        passed = frozenset(MILESTONES)
        html = renderer.html(name, None, ctx.lang, office=ctx.office, passed=passed)
    else:
        html = renderer.html(name, ctx, ctx.lang, qr=qr_data_uri(ctx.verify_url))
    document = renderer.layout(html)
    return overflows(document) + page_breaks(document) + short_lines(document)


NAMES = sorted(TITLES)


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("data", ["minimal", "hostile"])
def test_every_document_stays_inside_its_pages_and_keeps_signatures_with_text(
    name: str, lang: str, data: str
) -> None:
    ctx = (plain if data == "minimal" else hostile)(name, lang)
    problems = check(RENDERER, name, ctx)
    assert not problems, "\n".join(map(str, problems))


def _lines_of(document: Document, tag: str, containing: str) -> list[str]:
    """The text of each line of the first ``tag`` box whose text holds ``containing``."""
    for page in document.pages:
        for box, _ in _walk(page._page_box):
            if box.element_tag == tag and containing in _text(box).replace("\u200b", ""):
                lines = [b for b, _ in _walk(box) if isinstance(b, boxes.LineBox)]
                return [_text(line).replace("\u200b", "").strip() for line in lines]
    raise AssertionError(f"no <{tag}> holds {containing!r}")


def test_a_file_name_breaks_between_its_parts_not_inside_a_word() -> None:
    name = "common/checklist"
    reference = "conformity_declaration-9100000000031_versi.final.pdf"
    ctx = plain(name, "id")
    item = EvidenceStatus("nib", "NIB", "NIB", reference, None, "present")
    document = RENDERER.layout(RENDERER.html(name, replace(ctx, checklist=(item,)), "id", qr=""))
    lines = _lines_of(document, "td", "conformity")
    assert len(lines) > 1 and "".join(lines) == reference
    assert all(line[-1] in "_-./" for line in lines[:-1]), lines


def test_both_signature_columns_stay_level_when_the_place_and_date_wrap() -> None:
    name = "halal/verification_record"
    ctx = plain(name, "en")
    ctx = replace(ctx, umkm=replace(ctx.umkm, regency="Kabupaten Kepulauan Tanimbar Selatan"))
    document = RENDERER.layout(RENDERER.html(name, ctx, "en", qr=qr_data_uri("x")))
    tops: dict[str, float] = {}
    for page in document.pages:
        for box, ancestors in _walk(page._page_box):
            in_pair = any("sign-pair" in _classes(a) for a in ancestors)
            text = _text(box).strip() if isinstance(box, boxes.LineBox) else ""
            if in_pair and text in ("Business owner,", "Halal process assistant,"):
                tops.setdefault(text, box.position_y)
            if in_pair and text.startswith(ctx.umkm.regency.split()[0]):
                tops.setdefault("place", box.position_y)
    assert tops["Business owner,"] == tops["Halal process assistant,"] > tops["place"]


@pytest.mark.parametrize("name", ["halal/sjph_manual", "halal/ikrar"])
def test_two_signers_names_stay_level_when_the_place_and_date_wrap(name: str) -> None:
    """The manual's halal supervisor and the pledge's witness (the Pendamping PPH) sign beside
    the owner, under whose name the place and date stand: a wrapped date pushed the owner's name
    a line below the other's."""
    ctx = plain(name, "id")
    evidenced = MaterialFacts("Cabai", "bahan baku", "Pasar", "Daftar positif KMA 1360/2021")
    ctx = replace(
        ctx,
        umkm=replace(ctx.umkm, regency="Kabupaten Kepulauan Tanimbar Selatan"),
        materials=(evidenced,),  # an ikrar with an unproven material has no signatures
    )
    document = RENDERER.layout(RENDERER.html(name, ctx, "id", qr=qr_data_uri("x")))
    tops: dict[str, float] = {}
    for page in document.pages:
        for box, ancestors in _walk(page._page_box):
            if not isinstance(box, boxes.LineBox):
                continue
            text = _text(box).strip()
            if any("sign-pair" in _classes(a) for a in ancestors):
                if text == ctx.umkm.owner_name:
                    tops.setdefault("owner", box.position_y)
                elif text.startswith("(....."):
                    tops.setdefault("other", box.position_y)
                elif text.startswith(ctx.umkm.regency.split()[0]):
                    tops.setdefault("place", box.position_y)
    assert {"owner", "other", "place"} <= tops.keys(), tops
    assert tops["owner"] == tops["other"] > tops["place"]


@pytest.mark.parametrize("count", [2, 5, 8])
def test_a_kind_of_materials_keeps_its_heading_row_with_its_first_material(count: int) -> None:
    """The closing lines take the last rows of the materials list along to the signature's page:
    a kind with a single material ("D. Kemasan (1)") was left as the last row of the page before,
    a heading without its material."""
    name = "halal/materials_list"
    evidence = "Daftar positif KMA 1360/2021"
    materials = tuple(
        MaterialFacts(f"Bahan {n}", "bahan baku", "Pasar Mardika", evidence) for n in range(count)
    )
    bottle = MaterialFacts("Botol kaca", "kemasan", "CV Kemasan Maluku", "Surat pernyataan")
    ctx = replace(plain(name, "id"), materials=(*materials, bottle))
    document = RENDERER.layout(RENDERER.html(name, ctx, "id", qr=qr_data_uri("x")))
    for number, page in enumerate(document.pages[:-1], 1):
        rows = [b for b, _ in _walk(page._page_box) if isinstance(b, boxes.TableRowBox)]
        assert not rows or "group-row" not in _classes(rows[-1]), (number, _text(rows[-1]))


@pytest.mark.parametrize("products", [1, 2, 3])
def test_a_heading_over_a_list_of_fields_never_ends_a_page(products: int) -> None:
    """With two products the SNI form's "D. Sistem Manajemen Mutu" ended page 1: its list of
    labels and values began there as an empty box past the foot of the page."""
    name = "sni/application_form"
    ctx = plain(name, "id")
    ctx = replace(
        ctx, products=tuple(ProductFacts(f"Sambal roa {n}", "botol 200 g") for n in range(products))
    )
    problems = check(RENDERER, name, ctx)
    assert not problems, "\n".join(map(str, problems))


def test_emoji_in_a_name_print_from_the_shipped_emoji_font() -> None:
    """Not an empty box, and not whatever emoji font the machine has: WeasyPrint embeds a font
    only for the glyphs it draws from it."""
    name = "halal/product_list"
    ctx = plain(name, "id")
    ctx = replace(ctx, umkm=replace(ctx.umkm, name=f"Sambal Roa {EMOJI} Mama Ina"))
    document = RENDERER.document(name, ctx)
    fonts = embedded_fonts(document.data)
    assert "Sertiflow-Emoji" in fonts and all(f.startswith("Sertiflow-") for f in fonts), fonts


def test_arabic_in_a_chart_label_is_joined_and_right_to_left() -> None:
    """WeasyPrint draws SVG text a character at a time: the label must reach it shaped."""
    from documents.report import _svg, _text

    label = "Sagu سَاجُو عَائِشَة"
    svg = _svg(40, [f'<text x="10" y="25">{_text(label)}</text>'])
    uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
    pdf = RENDERER.pdf(f'<html lang="id"><body><img src="{uri}"></body></html>').data
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Sagu" in text
    arabic = [c for c in text if "\u0600" <= c <= "\u06ff" or "\ufe70" <= c <= "\ufefc"]
    assert arabic and all("\ufe70" <= c <= "\ufefc" for c in arabic), arabic  # joined forms
    # drawn left to right as given, so given in display order: the last letter first
    assert _text(label).startswith("Sagu \ufe94")  # TEH MARBUTA FINAL FORM, ending عَائِشَة
