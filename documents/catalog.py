"""The document templates sertiflow ships, their titles in both languages, and which of them
are written anew for every packet."""

from __future__ import annotations

__all__ = ["CHECKLIST", "COVER", "PER_PACKET", "TITLES", "packet_documents", "title"]

COVER = "common/cover_letter"
CHECKLIST = "common/checklist"
PER_PACKET = frozenset(
    {
        COVER,
        CHECKLIST,
        "halal/application_letter",
        "halal/completion_letter",
        "trademark/umk_recommendation",
    }
)
"""Documents that belong to one packet and carry its code: the covering letter, the checklist
(the dossier as it stands that day), and the numbered, dated letters. Every other document is
issued once and reused by later packets of the application while what it shows is unchanged
(``documents.issued``); guides depend on nothing and are rendered once per process."""

TITLES: dict[str, tuple[str, str]] = {
    "common/cover_letter": ("Surat Pengantar", "Covering letter"),
    "common/checklist": ("Daftar Periksa Kelengkapan Dokumen", "Document checklist"),
    "guide/halal": ("Panduan Sertifikasi Halal bagi UMKM", "Halal certification guide for UMKM"),
    "guide/trademark": ("Panduan Pendaftaran Merek bagi UMKM", "Trademark registration guide"),
    "guide/sni": ("Panduan Sertifikasi Produk SNI bagi UMKM", "SNI product certification guide"),
    "halal/application_letter": (
        "Surat Permohonan Sertifikasi Halal",
        "Halal certification application letter",
    ),
    "halal/product_list": ("Daftar Nama Produk", "Product list"),
    "halal/materials_list": (
        "Daftar Bahan dan Bukti Kehalalannya",
        "Materials and their halal evidence",
    ),
    "halal/process_flow": ("Diagram Alir Proses Produksi", "Production process flow"),
    "halal/sjph_manual": (
        "Manual Sistem Jaminan Produk Halal",
        "Halal assurance manual",
    ),
    "halal/ikrar": ("Ikrar Pernyataan Pelaku Usaha (Self Declare)", "Halal pledge (self-declare)"),
    "halal/verification_record": (
        "Berita Acara Verifikasi dan Validasi Pendamping PPH",
        "Halal process assistant's verification record",
    ),
    "halal/completion_letter": (
        "Surat Keterangan Selesai Pendampingan",
        "Assistance completion letter",
    ),
    "trademark/filing_data": ("Data Permohonan Pendaftaran Merek", "Trademark filing data"),
    "trademark/ownership_statement": (
        "Surat Pernyataan Kepemilikan Merek",
        "Trademark ownership statement",
    ),
    "trademark/umk_statement": ("Surat Pernyataan Usaha Mikro dan Kecil", "UMK statement"),
    "trademark/umk_recommendation": ("Surat Rekomendasi UKM Binaan", "UMK recommendation letter"),
    "trademark/refusal_response": (
        "Tanggapan atas Usulan Penolakan",
        "Response to a provisional refusal",
    ),
    "sni/application_form": (
        "Formulir Permohonan Sertifikasi Produk SNI",
        "SNI product certification application form",
    ),
    "sni/conformity_declaration": ("Pernyataan Kesesuaian Produk", "Declaration of conformity"),
    "sni/trademark_evidence": ("Bukti Kepemilikan Merek", "Trademark evidence"),
    "sni/quality_records": ("Daftar Rekaman Mutu", "List of quality records"),
    "sni/corrective_action": ("Rekaman Tindakan Koreksi", "Corrective action record"),
}


def title(name: str, lang: str = "id") -> str:
    """The title of document ``name`` in ``lang``."""
    indonesian, english = TITLES[name]
    return english if lang == "en" else indonesian


def packet_documents(documents: tuple[str, ...]) -> tuple[str, ...]:
    """A packet's documents in order: covering letter, the stage's ``documents``, checklist."""
    return (COVER, *documents, CHECKLIST)
