"""One validated row of a UMKM registry: what an import reads and the directory stores."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

__all__ = ["ROW_FIELDS", "UmkmRecord"]


@dataclass(frozen=True, slots=True)
class UmkmRecord:
    """One validated registry row. ``row`` is keyword-only, so a registry row's values build a
    record in one call: ``UmkmRecord(*values, row=number)`` with ``values`` in ``ROW_FIELDS``
    order."""

    nib: str
    name: str
    owner_name: str
    kind: str  # "umkm" | "koperasi"
    scale: str  # "mikro" | "kecil" | "menengah"
    regency_code: str
    email: str | None
    phone: str | None  # E.164, e.g. "+6281234567890"
    address: str
    annual_turnover: int | None  # Rupiah
    production_sites: int | None
    simple_process: bool | None
    products: str
    row: int = field(kw_only=True)  # 1-based spreadsheet row; the header is row 1
    language: str = "id"  # of the status emails: "id" (Bahasa Indonesia) or "en"
    business_type: str | None = None  # what it does, e.g. "produsen keripik", "rumah makan"
    kbli: str | None = None  # its KBLI 2020 code, 5 digits, e.g. "10794"
    postcode: str | None = None  # kode pos, 5 digits, e.g. "97128"


ROW_FIELDS = tuple(f.name for f in fields(UmkmRecord) if f.name != "row")
"""The fields a registry row fills, in the order ``UmkmRecord`` takes them positionally."""
