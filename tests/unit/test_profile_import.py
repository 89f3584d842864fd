"""Reading a UMKM's profile workbook (sheets Produk, Bahan, Proses)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from workflow.errors import InvalidInput
from workflow.profile_import import read_profile


def book(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    workbook = openpyxl.Workbook()
    first = workbook.active
    assert first is not None
    workbook.remove(first)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


GOOD: dict[str, list[list[object]]] = {
    "Produk": [
        ["Nama Produk", "Deskripsi"],
        ["Sagu lempeng", "250 g"],
        [None, None],
        ["Bagea", ""],
    ],
    "Bahan": [
        ["Bahan", "Kategori", "Pemasok", "Bukti Halal"],
        ["Tepung sagu", "baku", "Saparua", "Daftar positif"],
        ["Gula", "Bahan Tambahan", "", "SH ID001"],
        ["Minyak", "penolong", "", ""],
    ],
    "Proses": [["Langkah"], ["Pembelian"], ["Pemanggangan"]],
}


def test_a_good_workbook_gives_products_materials_and_steps_in_order(tmp_path: Path) -> None:
    profile = read_profile(book(tmp_path / "p.xlsx", GOOD))
    assert [p.name for p in profile.products] == ["Sagu lempeng", "Bagea"]
    assert [(m.name, m.category) for m in profile.materials] == [
        ("Tepung sagu", "bahan baku"),
        ("Gula", "bahan tambahan"),
        ("Minyak", "bahan penolong"),
    ]
    assert profile.steps == ("Pembelian", "Pemanggangan")


def test_every_bad_cell_is_named_and_nothing_is_returned(tmp_path: Path) -> None:
    bad: dict[str, list[list[object]]] = {
        **GOOD,
        "Bahan": [["Bahan", "Kategori"], ["", "baku"], ["Cuka", "asam"]],
    }
    with pytest.raises(InvalidInput) as error:
        read_profile(book(tmp_path / "p.xlsx", bad))
    message = str(error.value)
    assert "sheet Bahan row 2: the name is empty" in message
    assert "sheet Bahan row 3: Kategori 'asam' must be" in message
    assert message.endswith("nothing was imported")


def test_missing_sheets_and_headers_are_explained(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="lacks the sheets Proses"):
        read_profile(book(tmp_path / "a.xlsx", {"Produk": GOOD["Produk"], "Bahan": GOOD["Bahan"]}))
    no_header: dict[str, list[list[object]]] = {**GOOD, "Proses": [["Urutan"], ["1"]]}
    with pytest.raises(InvalidInput, match="sheet Proses: no name column"):
        read_profile(book(tmp_path / "b.xlsx", no_header))


def test_only_a_readable_xlsx_is_accepted(tmp_path: Path) -> None:
    csv = tmp_path / "p.csv"
    csv.write_text("x")
    with pytest.raises(InvalidInput, match=r"is an \.xlsx workbook"):
        read_profile(csv)
    broken = tmp_path / "p.xlsx"
    broken.write_bytes(b"not a zip")
    with pytest.raises(InvalidInput, match="cannot be read as a workbook"):
        read_profile(broken)
