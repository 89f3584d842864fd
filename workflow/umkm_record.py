"""One validated row of a UMKM registry: what an import reads and the directory stores."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["UmkmRecord"]


@dataclass(frozen=True, slots=True)
class UmkmRecord:
    """One validated registry row."""

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
    row: int  # 1-based spreadsheet row; the header is row 1
    language: str = "id"  # of the status emails: "id" (Bahasa Indonesia) or "en"
    business_type: str | None = None  # what it does, e.g. "produsen keripik", "rumah makan"
    kbli: str | None = None  # its KBLI 2020 code, 5 digits, e.g. "10794"
