"""Read a UMKM's product profile from a workbook: its products, materials and process steps.

One XLSX per UMKM with three sheets, as a consultant fills it in with the owner:
``Produk`` (Nama Produk, Deskripsi, and what reviewers ask: Merek, Kategori Produk, KBLI),
``Bahan`` (Nama Bahan, Kategori, Pemasok, Bukti Halal, Nomor Sertifikat Halal, Berlaku Sampai)
and ``Proses`` (Langkah), each with a header row; Kategori of a material may be ``kemasan``
(packaging, its own group in the materials list). Every bad cell is reported with its sheet, row and
column; a workbook with any error is not imported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl

from workflow.errors import InvalidInput
from workflow.facts import MaterialFacts, ProductFacts

__all__ = ["CATEGORIES", "Profile", "read_profile"]

CATEGORIES = {
    "bahan baku": "bahan baku",
    "baku": "bahan baku",
    "raw": "bahan baku",
    "raw material": "bahan baku",
    "bahan tambahan": "bahan tambahan",
    "tambahan": "bahan tambahan",
    "additive": "bahan tambahan",
    "bahan penolong": "bahan penolong",
    "penolong": "bahan penolong",
    "auxiliary": "bahan penolong",
    "processing aid": "bahan penolong",
    "kemasan": "kemasan",
    "bahan kemasan": "kemasan",
    "packaging": "kemasan",
}
_SHEETS = {
    "Produk": {
        "nama produk": "name",
        "produk": "name",
        "product": "name",
        "deskripsi": "description",
        "description": "description",
        "merek": "brand",
        "brand": "brand",
        "kategori produk": "category",
        "kategori": "category",
        "product category": "category",
        "kbli": "kbli",
    },
    "Bahan": {
        "nama bahan": "name",
        "bahan": "name",
        "material": "name",
        "kategori": "category",
        "category": "category",
        "pemasok": "supplier",
        "supplier": "supplier",
        "bukti halal": "halal_evidence",
        "halal evidence": "halal_evidence",
        "nomor sertifikat halal": "certificate_number",
        "halal certificate number": "certificate_number",
        "berlaku sampai": "valid_until",
        "valid until": "valid_until",
    },
    "Proses": {"langkah": "step", "tahap": "step", "step": "step"},
}


@dataclass(frozen=True)
class Profile:
    """What the workbook says the UMKM makes, from what, and how."""

    products: tuple[ProductFacts, ...]
    materials: tuple[MaterialFacts, ...]
    steps: tuple[str, ...]


def _key(text: Any) -> str:
    return re.sub(r"\s+", " ", str(text or "")).strip().lower()


def _rows(sheet: Any, name: str, problems: list[str]) -> Iterator[tuple[int, dict[str, str]]]:
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None) or ()
    columns = {i: _SHEETS[name][_key(h)] for i, h in enumerate(header) if _key(h) in _SHEETS[name]}
    if "name" not in columns.values() and "step" not in columns.values():
        problems.append(
            f"sheet {name}: no name column; use the headers "
            + ", ".join(sorted({k.title() for k in _SHEETS[name]}))
        )
        return
    for number, values in enumerate(rows, start=2):
        record = {
            field: str(values[i]).strip() if i < len(values) and values[i] is not None else ""
            for i, field in columns.items()
        }
        if any(record.values()):
            yield number, record


def read_profile(path: Path) -> Profile:
    """The profile in the workbook at ``path``; ``InvalidInput`` listing every problem."""
    if path.suffix.lower() != ".xlsx":
        raise InvalidInput(
            f"{path.name}: a profile is an .xlsx workbook with sheets Produk, Bahan and Proses"
        )
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises several kinds for a damaged file
        raise InvalidInput(f"{path.name} cannot be read as a workbook: {error}") from None
    with closing(book):  # a read-only workbook keeps its file open until closed
        problems: list[str] = []
        missing = [name for name in _SHEETS if name not in book.sheetnames]
        if missing:
            raise InvalidInput(
                f"{path.name} lacks the sheets {', '.join(missing)} "
                f"(it has {', '.join(book.sheetnames)})"
            )
        products = [
            ProductFacts(
                r["name"],
                r.get("description", ""),
                r.get("brand", ""),
                r.get("category", ""),
                _kbli(r.get("kbli", ""), number, problems),
            )
            for number, r in _rows(book["Produk"], "Produk", problems)
            if _required(r, "name", "Produk", number, problems)
        ]
        materials = []
        for number, r in _rows(book["Bahan"], "Bahan", problems):
            category = CATEGORIES.get(_key(r.get("category")))
            if not _required(r, "name", "Bahan", number, problems):
                continue
            if category is None:
                problems.append(
                    f"sheet Bahan row {number}: Kategori {r.get('category', '')!r} must "
                    "be bahan baku, bahan tambahan, bahan penolong or kemasan"
                )
                continue
            supplier, evidence = r.get("supplier", ""), r.get("halal_evidence", "")
            certificate = r.get("certificate_number", "")
            valid_until = _date(r.get("valid_until", ""), number, problems)
            materials.append(
                MaterialFacts(r["name"], category, supplier, evidence, certificate, valid_until)
            )
        steps = [
            r["step"]
            for number, r in _rows(book["Proses"], "Proses", problems)
            if _required(r, "step", "Proses", number, problems)
        ]
    if problems:
        raise InvalidInput(f"{path.name}: " + "; ".join(problems) + "; nothing was imported")
    return Profile(tuple(products), tuple(materials), tuple(steps))


def _required(
    record: dict[str, str], field: str, sheet: str, number: int, problems: list[str]
) -> bool:
    if record.get(field):
        return True
    problems.append(f"sheet {sheet} row {number}: the {field} is empty")
    return False


def _kbli(text: str, number: int, problems: list[str]) -> str:
    """A KBLI 2020 code (five digits; Excel may have made it a number such as 10792.0)."""
    code = text.removesuffix(".0")
    if code and not (len(code) == 5 and code.isdigit()):
        problems.append(
            f"sheet Produk row {number}: KBLI {text!r} is not a KBLI 2020 code; "
            "write its five digits, e.g. 10792"
        )
        return ""
    return code


def _date(text: str, number: int, problems: list[str]) -> date | None:
    """A date cell (Excel's own date, or text YYYY-MM-DD); None when empty."""
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        problems.append(
            f"sheet Bahan row {number}: Berlaku Sampai {text!r} is not a date; "
            "write it as YYYY-MM-DD, e.g. 2027-05-31"
        )
        return None
