"""Evidence kinds: the documents a UMKM's dossier holds and transitions require, and the scope
each belongs to.

Every kind has an Indonesian name (what the consultant and the UMKM call it), says whether it
expires, and has a **scope**: what the document proves something about.

- ``umkm``: the business itself (NIB, KTP, NPWP, its SJPH manual and quality manual, its
  product, materials and process documents): one per business, shared by all its applications.
- ``application``: one application (the payment proof for that invoice, the UMK recommendation
  letter for that filing, the lab report and declaration of conformity of that product's SNI
  certification, the ikrar of that self-declare submission). An SNI application is one product
  and standard, so its product documents are the application's.
- ``mark``: one mark of the business, by name (its label, the ownership statement, a licence to
  use it): shared by the applications about that mark (a trademark filing, its renewal, an SNI
  certification of a product sold under it).

A document in the wrong scope is never accepted for another: a guard says whose it is instead.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from workflow.errors import InvalidInput

__all__ = [
    "EVIDENCE_KINDS",
    "MARK_DETAILS",
    "EvidenceItem",
    "EvidenceKind",
    "Scope",
    "application_mark",
    "evidence_kind",
    "evidence_subject",
    "expired",
    "in_scope",
    "mark_key",
    "scope_for",
    "wanted_scope",
]


class Scope(StrEnum):
    """What a kind of document proves something about."""

    UMKM = "umkm"
    APPLICATION = "application"
    MARK = "mark"


@dataclass(frozen=True, slots=True)
class EvidenceKind:
    """One kind of document a dossier can hold."""

    key: str
    name: str
    name_en: str
    expires: bool = False
    scope: Scope = Scope.UMKM
    signed_in_year_of: str | None = None
    """For a letter that must be signed in the year of what it is for: the step's date field
    whose year that is (``filed_on``: DJKI wants the UMK recommendation signed in the filing
    year). Such a document is added with the date it was signed (``signed_on``)."""


_APP = Scope.APPLICATION
_MARK = Scope.MARK
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
        EvidenceKind(
            "halal_pledge", "Ikrar / akad pernyataan pelaku usaha", "Halal pledge", scope=_APP
        ),
        EvidenceKind(
            "payment_proof", "Bukti pembayaran", "Proof of payment", expires=True, scope=_APP
        ),
        EvidenceKind(
            "label_image", "Label / etiket merek (JPG)", "Trademark label image", scope=_MARK
        ),
        EvidenceKind(
            "umk_statement",
            "Surat Pernyataan UMK bermeterai",
            "Stamped UMK statement",
            scope=_APP,
        ),
        EvidenceKind(
            "umk_recommendation",
            "Surat Rekomendasi / Keterangan UKM Binaan",
            "UMK recommendation letter",
            expires=True,
            scope=_APP,
            signed_in_year_of="filed_on",
        ),
        EvidenceKind(
            "trademark_ownership",
            "Surat Pernyataan Kepemilikan Merek",
            "Trademark ownership statement",
            scope=_MARK,
        ),
        EvidenceKind(
            "trademark_licence",
            "Perjanjian lisensi / maklon merek",
            "Trademark licence agreement",
            expires=True,
            scope=_MARK,
        ),
        EvidenceKind("npwp", "NPWP", "Tax ID (NPWP)"),
        EvidenceKind("quality_manual", "Pedoman Mutu dan daftar induk dokumen", "Quality manual"),
        EvidenceKind("qc_records", "Rekaman pengendalian mutu", "Quality control records"),
        EvidenceKind(
            "conformity_declaration",
            "Pernyataan kesesuaian (self-declaration)",
            "Self-declaration of conformity",
            scope=_APP,
        ),
        EvidenceKind(
            "sni_mark_illustration",
            "Ilustrasi pembubuhan tanda SNI",
            "Illustration of the SNI mark placement",
            scope=_APP,
        ),
        EvidenceKind(
            "test_report",
            "Laporan hasil uji laboratorium terakreditasi",
            "Accredited laboratory test report",
            expires=True,
            scope=_APP,
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


MARK_DETAILS: Mapping[str, str] = {"trademark": "mark_name", "sni": "brand"}
"""The application detail naming the mark an application is about, per process: a trademark
filing's mark, an SNI-certified product's brand."""


def mark_key(name: str) -> str:
    """A mark's name as the dossier keys it: blanks collapsed, upper case (DJKI compares marks
    so, and "Sagu  ibu Ana" is the same mark as "SAGU IBU ANA")."""
    return " ".join(name.split()).upper()


def application_mark(process_key: str, details: Mapping[str, Any] | None) -> str | None:
    """The mark an application of ``process_key`` with ``details`` is about, keyed; None when
    its process has no mark or the detail is not recorded yet."""
    detail = MARK_DETAILS.get(process_key)
    value = (details or {}).get(detail) if detail else None
    return mark_key(str(value)) if value and str(value).strip() else None


def wanted_scope(kind: str, application_id: int | None, mark: str | None) -> str | None:
    """The scope (as the dossier stores it) in which a document of ``kind`` counts for the
    application ``application_id`` about ``mark``: ``""`` for the business's own documents,
    ``application:ID``, ``mark:NAME``; None when no document can count (a mark-scoped kind for
    an application that names no mark)."""
    scope = EVIDENCE_KINDS[kind].scope
    if scope is Scope.UMKM:
        return ""
    if scope is Scope.APPLICATION:
        return None if application_id is None else f"application:{application_id}"
    return None if not mark else f"mark:{mark_key(mark)}"


def scope_for(kind: str, application_id: int | None, mark: str | None) -> str:
    """The scope a new document of ``kind`` is stored under; refused, saying what to give, when
    the kind needs an application or a mark it was not given, or was given one it has not."""
    evidence = evidence_kind(kind)
    what = f"{kind} ({evidence.name})"
    if evidence.scope is Scope.UMKM:
        if application_id is not None or mark is not None:
            raise InvalidInput(
                f"{what} belongs to the business, shared by all its applications: leave out "
                "--app and --mark"
            )
        return ""
    if evidence.scope is Scope.APPLICATION:
        if mark is not None:
            raise InvalidInput(f"{what} is for one application, not a mark: name it with --app ID")
        if application_id is None:
            raise InvalidInput(f"{what} is for one application: name it with --app ID")
        return f"application:{application_id}"
    if mark is None or not mark.strip():
        raise InvalidInput(
            f"{what} is for one mark: name it with --mark NAME, or --app ID of an application "
            "about the mark"
        )
    return f"mark:{mark_key(mark)}"


def evidence_subject(umkm_id: int, kind: str, scope: str) -> str:
    """The office journal's subject for a dossier document: ``evidence:UMKM:KIND`` for the
    business's own, with ``:application:ID`` or ``:mark:HASH`` after it for a scoped one (the
    mark hashed, as a subject holds 80 characters)."""
    subject = f"evidence:{umkm_id}:{kind}"
    if scope.startswith("mark:"):
        return f"{subject}:mark:{hashlib.sha256(scope.encode()).hexdigest()[:16]}"
    return f"{subject}:{scope}" if scope else subject


@dataclass(frozen=True, slots=True)
class EvidenceItem:
    """A document in a UMKM's dossier and what it is for: ``scope`` as stored, and for an
    application's document that application and its process."""

    kind: str
    reference: str
    valid_until: date | None
    scope: str = ""
    application_id: int | None = None
    application_process: str = ""
    signed_on: date | None = None

    def belongs_to(self) -> str:
        """Whose document this is, in words: ``application #12 (halal_regular)``."""
        if self.scope.startswith("application:"):
            return f"application #{self.application_id} ({self.application_process})"
        if self.scope.startswith("mark:"):
            return f"the mark {self.scope.partition(':')[2]}"
        if self.kind in EVIDENCE_KINDS and EVIDENCE_KINDS[self.kind].scope is not Scope.UMKM:
            return "no application (on file from before evidence scopes; add it again)"
        return "the business"


def in_scope(
    items: Iterable[EvidenceItem], application_id: int | None, mark: str | None
) -> tuple[dict[str, EvidenceItem], dict[str, tuple[EvidenceItem, ...]]]:
    """The dossier documents that count for application ``application_id`` about ``mark``, by
    kind, and the others of the same kinds (which belong to other applications or marks), by
    kind, for saying why they do not count."""
    counting: dict[str, EvidenceItem] = {}
    elsewhere: dict[str, list[EvidenceItem]] = {}
    for item in items:
        if item.kind not in EVIDENCE_KINDS:
            continue
        if item.scope == wanted_scope(item.kind, application_id, mark):
            counting[item.kind] = item
        else:
            elsewhere.setdefault(item.kind, []).append(item)
    return counting, {kind: tuple(found) for kind, found in elsewhere.items()}
