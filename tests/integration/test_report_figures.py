"""The backlog report's figures read as what they are: the run header on the office's clock below
the letterhead, summed waits as application-days beside medians and counts, one style of
percentage (both databases, real PDFs read back)."""

from __future__ import annotations

import io
import re
from dataclasses import replace

from pypdf import PdfReader

from documents.packets import office_from_settings
from documents.render import Renderer
from documents.report import render_backlog_report
from tests.integration import test_backlog
from tests.integration.test_backlog import _backlog
from tests.support import Office
from workflow.settings import Settings

RENDERER = Renderer()
history = test_backlog.history  # the fixture: a history whose every figure is known


def render(office: Office, lang: str = "id", timezone: str = "Asia/Jayapura") -> bytes:
    shown = replace(office_from_settings(Settings()), timezone=timezone)
    return render_backlog_report(RENDERER, _backlog(office), shown, lang).data


def pages(office: Office, lang: str = "id", timezone: str = "Asia/Jayapura") -> list[str]:
    return [p.extract_text() for p in PdfReader(io.BytesIO(render(office, lang, timezone))).pages]


def depth(data: bytes, wanted: str) -> float:
    """How far down the first page the text ``wanted`` starts (WeasyPrint's y grows downwards)."""
    found: list[float] = []

    def visit(text: str, _cm: object, tm: list[float], _font: object, _size: object) -> None:
        if wanted in text:
            found.append(tm[5])

    PdfReader(io.BytesIO(data)).pages[0].extract_text(visitor_text=visit)
    assert found, wanted
    return found[0]


def test_the_run_header_sits_below_the_letterhead_on_the_offices_clock(history: Office) -> None:
    data = render(history)  # the clock stands at 19 November 2026, 02.00 UTC
    header, title = depth(data, "Laporan internal sertiflow"), depth(data, "LAPORAN BACKLOG")
    assert depth(data, "Jl. Pattimura, Ambon") < header < title
    first = pages(history)[0]
    assert "data per 19 November 2026, pukul 11.00 WIT" in first and "UTC" not in first
    jakarta = pages(history, timezone="Asia/Jakarta")[0]
    assert "pukul 09.00 WIB" in jakarta
    english = pages(history, "en", timezone="Asia/Makassar")[0]
    assert "data as of 19 November 2026, at 10:00 WITA" in english


def test_summed_waits_are_application_days_beside_their_median_and_count(
    history: Office,
) -> None:
    text = " ".join(" ".join(pages(history)).split())
    heaviest = re.search(r"Waktu tunggu terbesar tertahan pada tahap (.+?)\.", text)
    assert heaviest is not None
    sentence = heaviest.group(0) + text[heaviest.end() : heaviest.end() + 160]
    assert re.search(r": \d+ hari-aplikasi \(jumlah hari tunggu", sentence), sentence
    assert re.search(r"\d+ kali singgah, median [\d,]+ hari per singgah", sentence), sentence
    assert "Hari-aplikasi tertahan" in text and "Hari-aplikasi menunggu" in text
    assert " hari." not in sentence  # never a bare "hari" for a sum
    english = " ".join(" ".join(pages(history, "en")).split())
    assert re.search(r": \d+ application-days \(the days all applications waited", english)


def test_every_percentage_has_one_decimal(history: Office) -> None:
    text = " ".join(pages(history))
    found = re.findall(r"[\d.,]+%", text)
    odd = [p for p in found if not re.fullmatch(r"\d{1,3}(\.\d{3})*,\d%", p)]
    assert found and not odd, odd
    assert "100,0%" in found  # a whole number keeps its decimal
    english = re.findall(r"[\d.,]+%", " ".join(pages(history, "en")))
    odd = [p for p in english if not re.fullmatch(r"\d{1,3}(,\d{3})*\.\d%", p)]
    assert english and not odd, odd
