"""Evidence kinds: the documents a UMKM's dossier holds and transitions require.

A dossier document is kept once per UMKM and reused by all its applications. Each kind has an
Indonesian name (what the consultant and the UMKM call it) and says whether it expires.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from workflow.errors import InvalidInput

__all__ = ["EVIDENCE_KINDS", "EvidenceKind", "evidence_kind", "expired"]


@dataclass(frozen=True, slots=True)
class EvidenceKind:
    """One kind of document a dossier can hold."""

    key: str
    name: str
    name_en: str
    expires: bool = False


EVIDENCE_KINDS: dict[str, EvidenceKind] = {
    kind.key: kind
    for kind in (
        EvidenceKind("nib", "NIB (Nomor Induk Berusaha) berbasis risiko", "Business ID (NIB)"),
        EvidenceKind("ktp_owner", "KTP pemilik / penanggung jawab", "Owner's identity card"),
        EvidenceKind("product_list", "Daftar nama produk", "Product list"),
        EvidenceKind("materials_list", "Daftar produk dan bahan yang digunakan", "Materials list"),
        EvidenceKind("process_flow", "Proses pengolahan produk (diagram alir)", "Process flow"),
        EvidenceKind("sjph_manual", "Manual SJPH (Sistem Jaminan Produk Halal)", "SJPH manual"),
        EvidenceKind(
            "penyelia_halal",
            "Dokumen Penyelia Halal (SK penetapan, KTP, CV)",
            "Halal supervisor documents",
        ),
        EvidenceKind("halal_pledge", "Ikrar / akad pernyataan pelaku usaha", "Halal pledge"),
        EvidenceKind("payment_proof", "Bukti pembayaran", "Proof of payment", expires=True),
        EvidenceKind("label_image", "Label / etiket merek (JPG)", "Trademark label image"),
        EvidenceKind("umk_statement", "Surat Pernyataan UMK bermeterai", "Stamped UMK statement"),
        EvidenceKind(
            "umk_recommendation",
            "Surat Rekomendasi / Keterangan UKM Binaan",
            "UMK recommendation letter",
            expires=True,
        ),
        EvidenceKind(
            "trademark_ownership",
            "Surat Pernyataan Kepemilikan Merek",
            "Trademark ownership statement",
        ),
        EvidenceKind(
            "trademark_licence",
            "Perjanjian lisensi / maklon merek",
            "Trademark licence agreement",
            expires=True,
        ),
        EvidenceKind("npwp", "NPWP", "Tax ID (NPWP)"),
        EvidenceKind("quality_manual", "Pedoman Mutu dan daftar induk dokumen", "Quality manual"),
        EvidenceKind("qc_records", "Rekaman pengendalian mutu", "Quality control records"),
        EvidenceKind(
            "conformity_declaration",
            "Pernyataan kesesuaian (self-declaration)",
            "Self-declaration of conformity",
        ),
        EvidenceKind(
            "sni_mark_illustration",
            "Ilustrasi pembubuhan tanda SNI",
            "Illustration of the SNI mark placement",
        ),
        EvidenceKind(
            "test_report",
            "Laporan hasil uji laboratorium terakreditasi",
            "Accredited laboratory test report",
            expires=True,
        ),
    )
}


def evidence_kind(key: str) -> EvidenceKind:
    """The evidence kind ``key``; a clear error naming the known kinds if there is none."""
    try:
        return EVIDENCE_KINDS[key]
    except KeyError:
        known = ", ".join(sorted(EVIDENCE_KINDS))
        raise InvalidInput(f"unknown evidence kind {key!r}; known kinds: {known}") from None


def expired(valid_until: date | None, today: date) -> bool:
    """Whether a dossier document valid until ``valid_until`` has expired by ``today`` (one with
    no end date never does): the one rule guards, packets and the CLI share."""
    return valid_until is not None and valid_until < today
