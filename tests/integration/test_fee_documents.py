"""The guides and letters print the office's configured fees and self-declare turnover ceiling,
and state the halal obligation date in the tense the issue date calls for."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import date

import pytest
from pypdf import PdfReader

from documents.packets import office_from_settings
from tests.integration.test_document_templates import RENDERER, minimal
from workflow.settings import Settings

CONFIGURED = {
    "SERTIFLOW_SELF_DECLARE_MAX_TURNOVER": "15000000000",
    "SERTIFLOW_FEE_HALAL_APPLICATION_UMK": "Rp 320.000",
    "SERTIFLOW_FEE_HALAL_INSPECTION_UMK": "370000",
    "SERTIFLOW_FEE_HALAL_RENEWAL_UMK": "210000",
    "SERTIFLOW_FEE_TRADEMARK_UMK": "550.000",
    "SERTIFLOW_FEE_TRADEMARK_GENERAL": "1900000",
    "SERTIFLOW_FEE_TRADEMARK_APPEAL": "3100000",
    "SERTIFLOW_FEE_SNI_CERTIFICATION": "12500000",
}


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _guide(name: str, lang: str, env: dict[str, str], issued_on: date) -> str:
    ctx = replace(
        minimal(name, lang),
        office=office_from_settings(Settings.from_env(env)),
        issued_on=issued_on,
    )
    pdf = RENDERER.document(name, ctx)
    return " ".join(
        " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages).split()
    )


def test_the_halal_guide_prints_the_configured_ceiling_and_fees() -> None:
    text = _guide("guide/halal", "id", CONFIGURED, date(2026, 12, 2))
    assert "paling banyak Rp15.000.000.000" in text
    assert "Rp500.000.000" not in text
    assert "Rp320.000" in text and "Rp370.000" in text and "Rp210.000" in text
    assert "Paling banyak Rp690.000" in text  # the regular path's total, in the paths table
    assert "Rp650.000" not in text and "Rp300.000" not in text
    assert "KBLI 56" in text


def test_the_default_halal_guide_prints_the_domain_figures() -> None:
    text = _guide("guide/halal", "en", {}, date(2026, 12, 2))
    assert "annual sales of at most IDR 500,000,000" in text
    assert "IDR 300,000" in text and "IDR 350,000" in text and "IDR 650,000" in text


def test_the_trademark_guide_and_filing_data_print_the_configured_fees() -> None:
    guide = _guide("guide/trademark", "id", CONFIGURED, date(2026, 12, 2))
    assert "Rp550.000 per kelas" in guide and "Rp1.900.000 per kelas" in guide
    assert "Rp3.100.000" in guide and "Rp500.000" not in guide
    office = office_from_settings(Settings.from_env(CONFIGURED))
    ctx = replace(minimal("trademark/filing_data", "id"), office=office)
    details = (("nice_classes", "29, 30"),)
    ctx = replace(ctx, application=replace(ctx.application, details=details))
    letter = _text(RENDERER.html("trademark/filing_data", ctx, "id", qr=""))
    assert "Rp1.100.000" in letter  # two classes at the configured UMK fee
    assert "Tarif Usaha Mikro dan Kecil Rp550.000 per kelas" in letter
    assert "tarif umum Rp1.900.000 per kelas" in letter
    assert "Rp500.000" not in letter and "Rp1.800.000" not in letter


def test_the_sni_guide_states_an_lspro_quote_only_when_the_office_sets_one() -> None:
    assert "Rp12.500.000" in _guide("guide/sni", "id", CONFIGURED, date(2026, 12, 2))
    assert "Perkiraan biaya" not in _guide("guide/sni", "id", {}, date(2026, 12, 2))


@pytest.mark.parametrize(
    ("lang", "issued_on", "says", "never"),
    [
        (
            "id",
            date(2026, 12, 2),
            "sudah wajib bersertifikat halal sejak 17 Oktober 2026",
            "paling lambat 17",
        ),
        ("id", date(2026, 10, 17), "sejak 17 Oktober 2026", "paling lambat 17"),
        (
            "id",
            date(2026, 10, 16),
            "wajib bersertifikat halal paling lambat 17 Oktober 2026",
            "sejak 17",
        ),
        (
            "en",
            date(2026, 12, 2),
            "have had to be halal-certified since 17 October 2026",
            "at the latest",
        ),
        (
            "en",
            date(2026, 9, 1),
            "must be halal-certified by 17 October 2026 at the latest",
            "since 17",
        ),
    ],
)
def test_the_halal_obligation_reads_in_the_tense_of_the_issue_date(
    lang: str, issued_on: date, says: str, never: str
) -> None:
    text = _guide("guide/halal", lang, {}, issued_on)
    assert says in text
    assert never not in text
