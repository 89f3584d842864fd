"""Tests for workflow.umkm_import: reading and validating UMKM registry files, row by row and
within limits (importing into a database: tests/integration/test_import_bounded.py)."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflow.regions import MALUKU_REGENCIES, Regency
from workflow.umkm_import import (
    ImportFileError,
    ImportLimits,
    ImportReport,
    RegistryReader,
    RowError,
    UmkmRecord,
    read_registry,
)

NIB = "9120001234567"
NIB_2 = "8120107654321"

HEADER = [
    "No",
    "NIB",
    "Nama Usaha",
    "Nama Pemilik",
    "Jenis",
    "Skala Usaha",
    "Kabupaten/Kota",
    "Email",
    "No. HP",
    "Alamat",
    "Omzet",
    "Jumlah Lokasi Produksi",
    "Proses Sederhana",
    "Produk",
]

GOOD = {
    "No": "1",
    "NIB": NIB,
    "Nama Usaha": "Sagu Lempeng Mama Ona",
    "Nama Pemilik": "Ona Latuconsina",
    "Jenis": "UMKM",
    "Skala Usaha": "Mikro",
    "Kabupaten/Kota": "Kota Ambon",
    "Email": "Ona.Sagu@Gmail.COM",
    "No. HP": "0812-3456-7890",
    "Alamat": "Jl. Sultan Hairun No. 5, Ambon",
    "Omzet": "Rp 250.000.000",
    "Jumlah Lokasi Produksi": "1",
    "Proses Sederhana": "ya",
    "Produk": "Sagu lempeng, bagea",
}

GOOD_RECORD = UmkmRecord(
    nib=NIB,
    name="Sagu Lempeng Mama Ona",
    owner_name="Ona Latuconsina",
    kind="umkm",
    scale="mikro",
    regency_code="8171",
    email="ona.sagu@gmail.com",
    phone="+6281234567890",
    address="Jl. Sultan Hairun No. 5, Ambon",
    annual_turnover=250_000_000,
    production_sites=1,
    simple_process=True,
    products="Sagu lempeng, bagea",
    row=2,
)


def row(**changes: object) -> list[object]:
    """A good data row in HEADER order, with some cells replaced (keys use _ for spaces)."""
    values: dict[str, object] = dict(GOOD)
    for key, value in changes.items():
        column = {h.replace(" ", "_").replace(".", "").replace("/", "_"): h for h in HEADER}[key]
        values[column] = value
    return [values[h] for h in HEADER]


def write_csv(
    tmp_path: Path, rows: Sequence[Sequence[object]], delimiter: str = ",", name: str = "r.csv"
) -> Path:
    path = tmp_path / name
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle, delimiter=delimiter).writerows(rows)
    return path


def write_xlsx(tmp_path: Path, rows: Sequence[Sequence[object]], name: str = "r.xlsx") -> Path:
    path = tmp_path / name
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for number, cells in enumerate(rows, start=1):
        for column, value in enumerate(cells, start=1):
            sheet.cell(row=number, column=column, value=value)
    workbook.save(path)
    return path


@dataclasses.dataclass(frozen=True)
class Read:
    """What reading a small file gave: its valid records and the reader's report."""

    records: tuple[UmkmRecord, ...]
    report: ImportReport

    @property
    def errors(self) -> tuple[RowError, ...]:
        return self.report.errors

    @property
    def total_rows(self) -> int:
        return self.report.total_rows

    @property
    def ok(self) -> bool:
        return self.report.ok

    @property
    def bad_rows(self) -> list[int]:
        """The bad rows' numbers (all of them are listed in a file this small)."""
        assert self.report.unlisted_bad_rows == 0
        rows = sorted({error.row for error in self.report.errors})
        assert len(rows) == self.report.bad_rows
        return rows


def read(
    path: Path, regencies: Sequence[Regency] = MALUKU_REGENCIES, limits: ImportLimits | None = None
) -> Read:
    reader = RegistryReader(path, regencies, limits)
    records = tuple(reader)
    report = reader.report()
    assert report.valid_rows == len(records)
    assert report.valid_rows + report.bad_rows == report.total_rows
    return Read(records, report)


def read_one_csv(tmp_path: Path, **changes: object) -> Read:
    return read(write_csv(tmp_path, [HEADER, row(**changes)]))


def only_error(report: Read) -> RowError:
    assert report.records == ()
    assert len(report.errors) == 1, report.errors
    return report.errors[0]


# --- happy paths --------------------------------------------------------------


def test_a_good_csv_row_becomes_a_fully_normalised_record(tmp_path: Path) -> None:
    report = read_one_csv(tmp_path)
    assert report.records == (GOOD_RECORD,)
    assert report.report == ImportReport(total_rows=1, valid_rows=1, bad_rows=0)
    assert report.ok
    assert report.bad_rows == []


def test_a_good_xlsx_row_becomes_the_same_record(tmp_path: Path) -> None:
    report = read(write_xlsx(tmp_path, [HEADER, row()]))
    assert report.records == (GOOD_RECORD,)
    assert report.ok


def test_uppercase_suffix_is_accepted(tmp_path: Path) -> None:
    path = write_csv(tmp_path, [HEADER, row()], name="REGISTER.CSV")
    assert read(path).records == (GOOD_RECORD,)


def test_semicolon_csv_from_indonesian_excel_is_read(tmp_path: Path) -> None:
    path = write_csv(tmp_path, [HEADER, row(Omzet="1,5 miliar")], delimiter=";")
    report = read(path)
    assert report.errors == ()
    assert report.records[0].annual_turnover == 1_500_000_000
    assert report.records[0].products == "Sagu lempeng, bagea"


def test_tab_separated_csv_is_read(tmp_path: Path) -> None:
    path = write_csv(tmp_path, [HEADER, row()], delimiter="\t")
    assert read(path).records == (GOOD_RECORD,)


def test_comma_csv_keeps_quoted_cells_that_contain_semicolons(tmp_path: Path) -> None:
    path = write_csv(tmp_path, [HEADER, row(Produk="sagu; bagea; kenari")])
    assert read(path).records[0].products == "sagu; bagea; kenari"


def test_english_headers_are_accepted(tmp_path: Path) -> None:
    header = [
        "nib",
        "Business name",
        "Owner",
        "Kind",
        "Scale",
        "Regency",
        "E-mail",
        "Phone",
        "Address",
        "Annual turnover",
        "Production sites",
        "Simple process",
        "Products",
    ]
    cells = [
        NIB,
        "Kenari Tual",
        "Yosef Rahanra",
        "Koperasi",
        "small",
        "Tual",
        "kop@kenari.or.id",
        "+62 812 3456 7890",
        "Langgur",
        "250 juta",
        "2",
        "no",
        "",
    ]
    report = read(write_csv(tmp_path, [header, cells]))
    assert report.records == (
        UmkmRecord(
            nib=NIB,
            name="Kenari Tual",
            owner_name="Yosef Rahanra",
            kind="koperasi",
            scale="kecil",
            regency_code="8172",
            email="kop@kenari.or.id",
            phone="+6281234567890",
            address="Langgur",
            annual_turnover=250_000_000,
            production_sites=2,
            simple_process=False,
            products="",
            row=2,
        ),
    )


def test_optional_columns_may_be_absent_and_take_their_defaults(tmp_path: Path) -> None:
    header = ["NIB", "Nama UMKM", "Pemilik", "Skala", "Kab/Kota"]
    report = read(write_csv(tmp_path, [header, [NIB, "Toko A", "Ani", "kecil", "SBB"]]))
    assert report.records == (
        UmkmRecord(
            nib=NIB,
            name="Toko A",
            owner_name="Ani",
            kind="umkm",
            scale="kecil",
            regency_code="8106",
            email=None,
            phone=None,
            address="",
            annual_turnover=None,
            production_sites=None,
            simple_process=None,
            products="",
            row=2,
        ),
    )


def test_optional_cells_may_be_empty(tmp_path: Path) -> None:
    report = read_one_csv(
        tmp_path,
        Jenis="",
        Email="",
        No_HP=" ",
        Alamat="",
        Omzet="",
        Jumlah_Lokasi_Produksi="",
        Proses_Sederhana="",
        Produk="",
    )
    assert report.records == (
        dataclasses.replace(
            GOOD_RECORD,
            email=None,
            phone=None,
            address="",
            annual_turnover=None,
            production_sites=None,
            simple_process=None,
            products="",
        ),
    )


@pytest.mark.parametrize(
    ("headers", "field", "expected"),
    [
        (["NIB", "nama_usaha", "NAMA PEMILIK", " Skala ", "Kabupaten"], "name", "Toko A"),
        (["N.I.B.", "Name", "Owner", "SCALE", "kab / kota"], "nib", NIB),
        (["NIB", "Nama Koperasi", "Pemilik", "Skala Usaha", "REGENCY"], "regency_code", "8104"),
    ],
)
def test_headers_are_matched_ignoring_case_spacing_and_punctuation(
    tmp_path: Path, headers: list[str], field: str, expected: str
) -> None:
    report = read(write_csv(tmp_path, [headers, [NIB, "Toko A", "Ani", "mikro", "Buru"]]))
    assert getattr(report.records[0], field) == expected


@pytest.mark.parametrize(
    "header", ["Telepon", "No HP", "No. HP", "HP", "WhatsApp", "WA", "Phone", "no_hp"]
)
def test_every_phone_header_is_recognised(tmp_path: Path, header: str) -> None:
    headers = ["NIB", "Nama Usaha", "Pemilik", "Skala", "Kabupaten/Kota", header]
    cells = [NIB, "Toko A", "Ani", "mikro", "Ambon", "081234567890"]
    assert read(write_csv(tmp_path, [headers, cells])).records[0].phone == "+6281234567890"


@pytest.mark.parametrize(
    ("header", "field", "cell", "expected"),
    [
        ("Surel", "email", "a@b.co.id", "a@b.co.id"),
        ("E-mail", "email", "a@b.co.id", "a@b.co.id"),
        ("Address", "address", "Piru", "Piru"),
        ("Omzet Tahunan", "annual_turnover", "5 juta", 5_000_000),
        ("Production sites", "production_sites", "3", 3),
        ("Simple process", "simple_process", "y", True),
        ("Products", "products", "ikan asap", "ikan asap"),
        ("Kind", "kind", "koperasi", "koperasi"),
    ],
)
def test_optional_headers_in_either_language_are_recognised(
    tmp_path: Path, header: str, field: str, cell: str, expected: object
) -> None:
    headers = ["NIB", "Nama Usaha", "Pemilik", "Skala", "Kabupaten/Kota", header]
    cells = [NIB, "Toko A", "Ani", "mikro", "Ambon", cell]
    report = read(write_csv(tmp_path, [headers, cells]))
    assert getattr(report.records[0], field) == expected


def test_unknown_columns_are_ignored(tmp_path: Path) -> None:
    header = [*HEADER, "Catatan Petugas"]
    report = read(write_csv(tmp_path, [header, [*row(), "sudah survei"]]))
    assert report.records == (GOOD_RECORD,)


# --- field variants ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("mikro", "mikro"),
        ("Micro", "mikro"),
        ("USAHA MIKRO", "mikro"),
        ("kecil", "kecil"),
        ("small", "kecil"),
        ("Usaha  Kecil", "kecil"),
        ("Menengah", "menengah"),
        ("medium", "menengah"),
        ("usaha menengah", "menengah"),
    ],
)
def test_scale_accepts_indonesian_and_english_words(
    tmp_path: Path, cell: str, expected: str
) -> None:
    assert read_one_csv(tmp_path, Skala_Usaha=cell).records[0].scale == expected


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("UMKM", "umkm"), ("umk", "umkm"), ("", "umkm"), ("Koperasi", "koperasi")],
)
def test_kind_accepts_umkm_or_koperasi_and_defaults_to_umkm(
    tmp_path: Path, cell: str, expected: str
) -> None:
    assert read_one_csv(tmp_path, Jenis=cell).records[0].kind == expected


@pytest.mark.parametrize("cell", [" 9120 0012 34567 ", "'9120001234567"])
def test_nib_with_spaces_or_a_leading_apostrophe_is_cleaned(tmp_path: Path, cell: str) -> None:
    assert read_one_csv(tmp_path, NIB=cell).records[0].nib == NIB


def test_numeric_nib_cell_in_xlsx_is_read_as_thirteen_digits(tmp_path: Path) -> None:
    report = read(write_xlsx(tmp_path, [HEADER, row(NIB=9120001234567)]))
    assert report.errors == ()
    assert report.records[0].nib == NIB


def test_whole_number_float_nib_cell_in_xlsx_is_accepted(tmp_path: Path) -> None:
    report = read(write_xlsx(tmp_path, [HEADER, row(NIB=9120001234567.0)]))
    assert report.records[0].nib == NIB


def test_numeric_cells_in_xlsx_are_accepted_for_numbers(tmp_path: Path) -> None:
    cells = row(
        No_HP=81234567890,
        Omzet=250_000_000,
        Jumlah_Lokasi_Produksi=2,
        Proses_Sederhana=False,
        Kabupaten_Kota=8104,
    )
    report = read(write_xlsx(tmp_path, [HEADER, cells]))
    assert report.errors == ()
    record = report.records[0]
    assert (record.phone, record.annual_turnover, record.production_sites) == (
        "+6281234567890",
        250_000_000,
        2,
    )
    assert record.simple_process is False
    assert record.regency_code == "8104"


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("250000000", 250_000_000),
        ("250.000.000", 250_000_000),
        ("Rp 250.000.000", 250_000_000),
        ("Rp. 250.000.000", 250_000_000),
        ("rp250000000", 250_000_000),
        ("1.000", 1_000),
        ("0", 0),
        ("250 juta", 250_000_000),
        ("250juta", 250_000_000),
        ("2,5 Juta", 2_500_000),
        ("Rp 7.5 juta", 7_500_000),
        ("1,5 miliar", 1_500_000_000),
        ("1.5 milyar", 1_500_000_000),
        ("2 MILIAR", 2_000_000_000),
    ],
)
def test_turnover_accepts_rupiah_amounts_in_office_notation(
    tmp_path: Path, cell: str, expected: int
) -> None:
    assert read_one_csv(tmp_path, Omzet=cell).records[0].annual_turnover == expected


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("0812-3456-7890", "+6281234567890"),
        ("081234567890", "+6281234567890"),
        ("+62 812-3456-7890", "+6281234567890"),
        ("62 812 3456 7890", "+6281234567890"),
        ("(0911) 312345", "+62911312345"),
    ],
)
def test_phone_numbers_are_stored_in_e164(tmp_path: Path, cell: str, expected: str) -> None:
    assert read_one_csv(tmp_path, No_HP=cell).records[0].phone == expected


def test_email_is_lowercased_and_trimmed(tmp_path: Path) -> None:
    record = read_one_csv(tmp_path, Email="  Ona.Sagu@Gmail.COM ").records[0]
    assert record.email == "ona.sagu@gmail.com"


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("ya", True),
        ("Ya", True),
        ("YES", True),
        ("y", True),
        ("true", True),
        ("1", True),
        ("tidak", False),
        ("Tidak", False),
        ("no", False),
        ("N", False),
        ("FALSE", False),
        ("0", False),
        ("", None),
    ],
)
def test_simple_process_accepts_yes_and_no_words(
    tmp_path: Path, cell: str, expected: bool | None
) -> None:
    assert read_one_csv(tmp_path, Proses_Sederhana=cell).records[0].simple_process is expected


@pytest.mark.parametrize(
    ("cell", "code"),
    [
        ("Kab. Buru", "8104"),
        ("Buru Selatan", "8109"),
        ("MTB", "8101"),
        ("Maluku Tenggara", "8102"),
        ("8172", "8172"),
    ],
)
def test_regency_cell_is_matched_to_its_code(tmp_path: Path, cell: str, code: str) -> None:
    assert read_one_csv(tmp_path, Kabupaten_Kota=cell).records[0].regency_code == code


def test_internal_whitespace_in_text_is_collapsed(tmp_path: Path) -> None:
    record = read_one_csv(tmp_path, Nama_Usaha="  Sagu   Lempeng\tMama Ona ").records[0]
    assert record.name == "Sagu Lempeng Mama Ona"


def test_a_custom_regency_list_replaces_maluku(tmp_path: Path) -> None:
    custom = [Regency("9999", "Kota Contoh", "kota", "Contoh")]
    path = write_csv(tmp_path, [HEADER, row(Kabupaten_Kota="Contoh"), row(NIB=NIB_2)])
    report = read(path, regencies=custom)
    assert [r.regency_code for r in report.records] == ["9999"]
    assert report.bad_rows == [3]
    assert report.errors[0].reason == "Unknown regency; expected one of: Kota Contoh"


# --- row errors -------------------------------------------------------------------


def test_nib_with_twelve_digits_is_reported_with_its_row(tmp_path: Path) -> None:
    error = only_error(read_one_csv(tmp_path, NIB="912000123456"))
    assert error == RowError(2, "NIB", "912000123456", "NIB must be 13 digits (got 12)")


def test_nib_with_fourteen_digits_is_reported(tmp_path: Path) -> None:
    error = only_error(read_one_csv(tmp_path, NIB="91200012345678"))
    assert error.reason == "NIB must be 13 digits (got 14)"


@pytest.mark.parametrize("cell", ["9120-0012-3456", "NIB912000123", "91200012345x7"])
def test_nib_with_non_digits_is_reported(tmp_path: Path, cell: str) -> None:
    error = only_error(read_one_csv(tmp_path, NIB=cell))
    assert error == RowError(2, "NIB", cell, "NIB must contain only digits (13 digits expected)")


def test_fractional_nib_cell_in_xlsx_is_reported(tmp_path: Path) -> None:
    report = read(write_xlsx(tmp_path, [HEADER, row(NIB=9120001234567.5)]))
    assert only_error(report).reason == "NIB must contain only digits (13 digits expected)"


@pytest.mark.parametrize(
    ("changes", "column", "reason"),
    [
        ({"NIB": ""}, "NIB", "NIB is required (13 digits)"),
        ({"Nama_Usaha": " "}, "Nama Usaha", "Business name is required but the cell is empty"),
        ({"Nama_Pemilik": ""}, "Nama Pemilik", "Owner name is required but the cell is empty"),
        (
            {"Skala_Usaha": ""},
            "Skala Usaha",
            "Scale is required: expected mikro, kecil or menengah",
        ),
    ],
)
def test_empty_required_cells_are_reported(
    tmp_path: Path, changes: dict[str, str], column: str, reason: str
) -> None:
    error = only_error(read_one_csv(tmp_path, **changes))
    assert (error.row, error.column, error.value, error.reason) == (2, column, "", reason)


def test_empty_regency_is_reported_with_an_example(tmp_path: Path) -> None:
    error = only_error(read_one_csv(tmp_path, Kabupaten_Kota=""))
    assert error.reason == ("Regency is required, e.g. 'Kabupaten Kepulauan Tanimbar' or '8101'")


def test_bad_scale_is_reported(tmp_path: Path) -> None:
    error = only_error(read_one_csv(tmp_path, Skala_Usaha="besar"))
    assert error == RowError(
        2,
        "Skala Usaha",
        "besar",
        "Scale must be mikro, kecil or menengah (or micro, small, medium)",
    )


def test_bad_kind_is_reported(tmp_path: Path) -> None:
    error = only_error(read_one_csv(tmp_path, Jenis="PT"))
    assert error == RowError(2, "Jenis", "PT", "Kind must be UMKM or Koperasi")


@pytest.mark.parametrize("cell", ["Jakarta", "Buru Utara", "81.04", "Kabupaten Ambon"])
def test_unknown_regency_is_reported_listing_the_known_ones(tmp_path: Path, cell: str) -> None:
    error = only_error(read_one_csv(tmp_path, Kabupaten_Kota=cell))
    assert (error.row, error.column, error.value) == (2, "Kabupaten/Kota", cell)
    assert error.reason.startswith(
        "Unknown regency; expected one of: Kabupaten Kepulauan Tanimbar, "
    )
    assert error.reason.endswith(", Kota Ambon, Kota Tual")


@pytest.mark.parametrize("cell", ["ona@", "ona at gmail.com", "ona@@gmail.com", "@gmail.com"])
def test_bad_email_is_reported(tmp_path: Path, cell: str) -> None:
    error = only_error(read_one_csv(tmp_path, Email=cell))
    assert (error.row, error.column, error.value) == (2, "Email", cell)
    assert error.reason.startswith("Email is not a valid address: ")


@pytest.mark.parametrize("cell", ["12345", "0812", "nomor hp", "0812-3456-7890 / 0813-1111-2222"])
def test_bad_phone_is_reported(tmp_path: Path, cell: str) -> None:
    error = only_error(read_one_csv(tmp_path, No_HP=cell))
    assert error == RowError(
        2,
        "No. HP",
        cell,
        "Phone must be a valid Indonesian number such as 0812-3456-7890 or +62 812-3456-7890",
    )


@pytest.mark.parametrize(
    "cell",
    [
        "250,000,000",
        "1,5 M",
        "-5000",
        "banyak",
        "Rp",
        "25.00.000",
        "1,2345678 juta",
        "250.000.000,00",
    ],
)
def test_bad_turnover_is_reported(tmp_path: Path, cell: str) -> None:
    error = only_error(read_one_csv(tmp_path, Omzet=cell))
    assert error == RowError(
        2,
        "Omzet",
        cell,
        "Annual turnover must be a whole Rupiah amount such as 250000000, "
        "Rp 250.000.000, 250 juta or 1,5 miliar",
    )


@pytest.mark.parametrize("cell", [1500.5, -250_000_000, True])
def test_fractional_negative_or_boolean_turnover_cell_in_xlsx_is_reported(
    tmp_path: Path, cell: object
) -> None:
    report = read(write_xlsx(tmp_path, [HEADER, row(Omzet=cell)]))
    error = only_error(report)
    assert (error.row, error.column, error.value) == (2, "Omzet", str(cell))


@pytest.mark.parametrize("cell", ["dua", "-1", "1.5"])
def test_bad_production_sites_are_reported(tmp_path: Path, cell: str) -> None:
    error = only_error(read_one_csv(tmp_path, Jumlah_Lokasi_Produksi=cell))
    assert error == RowError(
        2,
        "Jumlah Lokasi Produksi",
        cell,
        "Production sites must be a whole number such as 1 or 2",
    )


def test_bad_simple_process_is_reported(tmp_path: Path) -> None:
    error = only_error(read_one_csv(tmp_path, Proses_Sederhana="mungkin"))
    assert error == RowError(
        2,
        "Proses Sederhana",
        "mungkin",
        "Simple process must be ya or tidak (yes/no, y/n, true/false, 1/0)",
    )


def test_duplicate_nib_reports_the_later_row_and_names_the_earlier_one(tmp_path: Path) -> None:
    path = write_csv(tmp_path, [HEADER, row(), row(NIB=NIB_2), row(Nama_Usaha="Lain")])
    report = read(path)
    assert [r.row for r in report.records] == [2, 3]
    assert report.errors == (RowError(4, "NIB", NIB, f"NIB {NIB} is a duplicate of row 2"),)
    assert report.total_rows == 3


def test_duplicate_nib_is_detected_after_cleaning_the_cell(tmp_path: Path) -> None:
    path = write_csv(tmp_path, [HEADER, row(NIB="'" + NIB), row(NIB=" 9120 001234567")])
    assert read(path).errors[0].reason == f"NIB {NIB} is a duplicate of row 2"


def test_each_bad_cell_gives_one_error_and_the_row_gives_no_record(tmp_path: Path) -> None:
    bad = row(NIB="123", Skala_Usaha="besar", Email="x@", Omzet="banyak")
    report = read(write_csv(tmp_path, [HEADER, row(), bad, row(NIB=NIB_2)]))
    assert [r.row for r in report.records] == [2, 4]
    assert [(e.row, e.column) for e in report.errors] == [
        (3, "Email"),
        (3, "NIB"),
        (3, "Omzet"),
        (3, "Skala Usaha"),
    ]
    assert not report.ok
    assert report.bad_rows == [3]
    assert report.total_rows == 3


def test_errors_are_sorted_by_row_then_column(tmp_path: Path) -> None:
    rows: list[Sequence[object]] = [
        HEADER,
        row(Skala_Usaha="x", NIB="1"),
        row(NIB=NIB_2, Email="y@"),
        row(Jenis="PT"),
    ]
    report = read(write_csv(tmp_path, rows))
    assert [(e.row, e.column) for e in report.errors] == [
        (2, "NIB"),
        (2, "Skala Usaha"),
        (3, "Email"),
        (4, "Jenis"),
    ]
    assert report.bad_rows == [2, 3, 4]
    assert report.records == ()


def test_short_rows_treat_missing_cells_as_empty(tmp_path: Path) -> None:
    report = read(write_csv(tmp_path, [HEADER, ["1", NIB, "Toko A"]]))
    assert [(e.column, e.reason) for e in report.errors] == [
        ("Kabupaten/Kota", "Regency is required, e.g. 'Kabupaten Kepulauan Tanimbar' or '8101'"),
        ("Nama Pemilik", "Owner name is required but the cell is empty"),
        ("Skala Usaha", "Scale is required: expected mikro, kecil or menengah"),
    ]


# --- empty rows and row numbers -------------------------------------------------------


def test_empty_rows_in_xlsx_are_skipped_but_row_numbers_are_kept(tmp_path: Path) -> None:
    rows: list[Sequence[object]] = [
        HEADER,
        row(),
        [None] * len(HEADER),
        [],
        row(NIB=NIB_2, Skala_Usaha="besar"),
    ]
    report = read(write_xlsx(tmp_path, rows))
    assert report.total_rows == 2
    assert [r.row for r in report.records] == [2]
    assert report.bad_rows == [5]


def test_empty_rows_in_csv_are_skipped_but_row_numbers_are_kept(tmp_path: Path) -> None:
    rows: list[Sequence[object]] = [HEADER, row(), [""] * len(HEADER), [" ", ""], row(NIB=NIB_2)]
    report = read(write_csv(tmp_path, rows))
    assert [r.row for r in report.records] == [2, 5]
    assert report.total_rows == 2


def test_header_below_leading_empty_rows_is_found(tmp_path: Path) -> None:
    report = read(write_xlsx(tmp_path, [[], [], HEADER, row()]))
    assert report.records == (dataclasses.replace(GOOD_RECORD, row=4),)


def test_a_file_with_only_a_header_has_no_rows(tmp_path: Path) -> None:
    report = read_registry(write_csv(tmp_path, [HEADER]))
    assert report == ImportReport(total_rows=0, valid_rows=0, bad_rows=0)


# --- file errors ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["r.xls", "r.txt", "r.ods", "registry"])
def test_unknown_file_type_is_refused_naming_the_accepted_formats(
    tmp_path: Path, name: str
) -> None:
    path = tmp_path / name
    path.write_text("NIB\n", encoding="utf-8")
    with pytest.raises(ImportFileError) as excinfo:
        read(path)
    assert str(excinfo.value) == f"Cannot import {name!r}: only .csv and .xlsx files are accepted"


def test_missing_required_column_is_named_with_its_accepted_headers(tmp_path: Path) -> None:
    header = [h for h in HEADER if h != "Skala Usaha"]
    path = write_csv(tmp_path, [header])
    with pytest.raises(ImportFileError) as excinfo:
        read(path)
    assert str(excinfo.value) == (
        "Missing required column(s): Skala. "
        "Accepted header names are Skala: 'Skala', 'Skala Usaha', 'Scale'"
    )


def test_several_missing_columns_are_all_named(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path, [["Nama Usaha", "Pemilik", "Skala"]])
    with pytest.raises(ImportFileError) as excinfo:
        read(path)
    message = str(excinfo.value)
    assert message.startswith("Missing required column(s): NIB, Kabupaten/Kota. ")
    assert "Kabupaten/Kota: 'Kabupaten/Kota', 'Kab/Kota', 'Kabupaten', 'Regency'" in message
    assert "NIB: 'NIB', 'No. NIB', 'Nomor Induk Berusaha'" in message


def test_two_columns_for_the_same_field_are_refused(tmp_path: Path) -> None:
    path = write_csv(tmp_path, [[*HEADER, "WhatsApp"]])
    with pytest.raises(
        ImportFileError, match=re.escape("'No. HP' and 'WhatsApp' both hold 'Telepon'")
    ):
        read(path)


def test_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("\n\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match=r"r\.csv is empty"):
        read(path)


def test_csv_that_is_not_utf8_is_refused_with_advice(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes(";".join(HEADER).encode() + b"\n1;" + NIB.encode() + b";Caf\xe9\n")
    with pytest.raises(ImportFileError, match="save it from Excel as 'CSV UTF-8'"):
        read(path)


def test_corrupt_xlsx_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    path.write_bytes(b"this is not a zip file")
    with pytest.raises(ImportFileError, match=r"r\.xlsx is not a readable \.xlsx workbook"):
        read(path)


def test_import_file_error_is_a_value_error() -> None:
    assert issubclass(ImportFileError, ValueError)


def test_records_and_errors_are_immutable() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        GOOD_RECORD.nib = "x"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        RowError(1, "NIB", "", "r").row = 2  # type: ignore[misc]


def _rewrite_sheet(path: Path, change: Callable[[str], str]) -> None:
    """Rewrite the first worksheet's XML inside the workbook, as another writer would."""
    original = path.read_bytes()
    with zipfile.ZipFile(io.BytesIO(original)) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = change(data.decode()).encode()
            target.writestr(item, data)


def test_every_row_is_read_whatever_a_stale_dimension_claims(tmp_path: Path) -> None:
    nibs = [f"81200000000{n:02d}" for n in range(1, 7)]
    path = write_xlsx(tmp_path, [HEADER, *(row(NIB=nib) for nib in nibs)])
    _rewrite_sheet(
        path, lambda xml: re.sub(r'<dimension ref="[^"]*"/>', '<dimension ref="A1:E2"/>', xml)
    )
    report = read(path)
    assert [r.nib for r in report.records] == nibs and report.total_rows == 6


def test_a_workbook_with_a_dtd_or_entities_is_refused_in_one_line(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path, [HEADER, row()])
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    )
    _rewrite_sheet(path, lambda xml: laughs + (xml.split("?>", 1)[1] if "?>" in xml else xml))
    with pytest.raises(ImportFileError, match=r"not a readable \.xlsx|will not read") as refused:
        read(path)
    assert "\n" not in str(refused.value)


def test_a_csv_cell_beyond_the_field_limit_is_refused_in_one_line(tmp_path: Path) -> None:
    path = write_csv(tmp_path, [HEADER, row(Alamat="x" * (csv.field_size_limit() + 10))])
    with pytest.raises(ImportFileError, match="line 2: field larger than field limit"):
        read(path)


# --- bounded reading: errors capped, limits, streaming ------------------------------------


def nib(n: int) -> str:
    return f"{8120000000000 + n:013d}"


def test_a_name_longer_than_the_database_stores_is_a_row_error(tmp_path: Path) -> None:
    error = only_error(read_one_csv(tmp_path, Nama_Usaha="x" * 201))
    assert (error.row, error.column) == (2, "Nama Usaha")
    assert error.reason == "Business name must be at most 200 characters (got 201)"
    assert read_one_csv(tmp_path, Nama_Pemilik="y" * 200).records[0].owner_name == "y" * 200


def test_the_name_limit_is_the_database_column_and_the_cell_limit_holds_every_column() -> None:
    from sqlalchemy import String

    from workflow.persistence.schema import Umkm
    from workflow.umkm_import import EMAIL_MAX_LENGTH, NAME_MAX_LENGTH

    lengths = {c.name: c.type.length for c in Umkm.__table__.columns if isinstance(c.type, String)}
    assert lengths["name"] == lengths["owner_name"] == NAME_MAX_LENGTH
    assert max(n for n in lengths.values() if n) == EMAIL_MAX_LENGTH <= ImportLimits().max_cell


def test_only_the_first_errors_are_listed_and_every_bad_row_is_counted(tmp_path: Path) -> None:
    rows: list[Sequence[object]] = [HEADER]
    rows += [row(NIB=nib(n), Kabupaten_Kota="Jakarta") for n in range(130)]
    rows += [row(NIB=str(n)) for n in range(20)]
    rows += [row(NIB=nib(1000 + n)) for n in range(5)]
    report = read_registry(write_csv(tmp_path, rows))
    assert (report.total_rows, report.valid_rows, report.bad_rows) == (155, 5, 150)
    assert len(report.errors) == 100
    assert [e.row for e in report.errors] == list(range(2, 102))  # the first ones, in order
    assert report.listed_bad_rows == 100 and report.unlisted_bad_rows == 50
    assert report.error_counts == {"regency": 130, "nib": 20}
    assert not report.ok


def test_listed_rows_stay_whole(tmp_path: Path) -> None:
    bad = {"Skala_Usaha": "besar", "Jenis": "PT", "Omzet": "banyak"}  # three errors a row
    rows: list[Sequence[object]] = [HEADER, *(row(NIB=nib(n), **bad) for n in range(10))]
    report = read(write_csv(tmp_path, rows), limits=ImportLimits(max_errors=10)).report
    assert len(report.errors) == 9 and report.listed_bad_rows == 3
    assert report.unlisted_bad_rows == 7
    assert report.error_counts == {"annual_turnover": 10, "kind": 10, "scale": 10}


def test_a_first_bad_row_with_more_errors_than_listed_shows_its_first_ones(
    tmp_path: Path,
) -> None:
    bad = row(NIB="1", Skala_Usaha="besar", Jenis="PT", Omzet="banyak")
    report = read(write_csv(tmp_path, [HEADER, bad]), limits=ImportLimits(max_errors=2)).report
    assert [e.column for e in report.errors] == ["Jenis", "NIB"]  # sorted by column, as always
    assert (report.bad_rows, report.unlisted_bad_rows) == (1, 0)
    none = read(write_csv(tmp_path, [HEADER, bad]), limits=ImportLimits(max_errors=0)).report
    assert none.errors == () and none.bad_rows == 1 and none.unlisted_bad_rows == 1


def test_duplicates_are_counted_as_their_own_kind_of_problem(tmp_path: Path) -> None:
    rows: list[Sequence[object]] = [HEADER, row(), row(Email="x@"), row(NIB=NIB_2)]
    rows.append(row(NIB=NIB_2))
    report = read(write_csv(tmp_path, rows)).report
    assert report.error_counts == {"duplicate_nib": 2, "email": 1}
    assert [e.reason for e in report.errors if e.row == 5] == [
        f"NIB {NIB_2} is a duplicate of row 4"
    ]


def test_duplicates_are_found_among_many_rows(tmp_path: Path) -> None:
    rows: list[Sequence[object]] = [HEADER, *(row(NIB=nib(n * 7919)) for n in range(20_000))]
    rows += [row(NIB=nib(0)), row(NIB=nib(7919 * 12_345)), row(NIB=nib(19_999 * 7919))]
    report = read_registry(write_csv(tmp_path, rows))
    assert (report.valid_rows, report.bad_rows) == (20_000, 3)
    assert [e.reason for e in report.errors] == [
        f"NIB {nib(0)} is a duplicate of row 2",
        f"NIB {nib(7919 * 12_345)} is a duplicate of row {12_345 + 2}",
        f"NIB {nib(19_999 * 7919)} is a duplicate of row {19_999 + 2}",
    ]


def test_the_nib_table_agrees_with_a_dict() -> None:
    from workflow.umkm_import import _SeenNibs

    seen, expected = _SeenNibs(), dict[int, int]()
    keys = [0, 9_999_999_999_999, *(n * 4096 for n in range(30_000)), *range(5_000)]
    for number, key in enumerate(keys, start=2):
        assert seen.first_row(key, number) == expected.get(key)
        expected.setdefault(key, number)


def test_too_many_rows_are_refused_naming_the_limit_and_the_variable(tmp_path: Path) -> None:
    path = write_csv(tmp_path, [HEADER, *(row(NIB=nib(n)) for n in range(3)), [""]])
    assert read(path, limits=ImportLimits(max_rows=3)).report.valid_rows == 3
    with pytest.raises(ImportFileError) as refused:
        read(path, limits=ImportLimits(max_rows=2))
    assert str(refused.value) == (
        "r.csv has more than 2 rows (row 4 is one too many); split it into files of at most "
        "2 rows, or raise SERTIFLOW_IMPORT_MAX_ROWS"
    )


def test_a_file_larger_than_allowed_is_refused_before_reading(tmp_path: Path) -> None:
    path = write_csv(tmp_path, [HEADER, row()])
    size = path.stat().st_size
    assert read(path, limits=ImportLimits(max_bytes=size)).ok
    with pytest.raises(ImportFileError) as refused:
        RegistryReader(path, limits=ImportLimits(max_bytes=size - 1))
    assert str(refused.value) == (
        f"r.csv is {size:,} bytes, more than the {size - 1:,} bytes an import accepts; split it "
        "into smaller files, or raise SERTIFLOW_IMPORT_MAX_BYTES"
    )
    with pytest.raises(ImportFileError, match=r"is 1\.5 MB, more than the 1 MB"):
        big = tmp_path / "big.csv"
        big.write_bytes(b"x" * 1_500_000)
        read_registry(big, limits=ImportLimits(max_bytes=1_000_000))


def test_a_workbook_whose_shared_parts_unpack_beyond_the_limit_is_refused(
    tmp_path: Path,
) -> None:
    path = write_xlsx(tmp_path, [HEADER, row()])
    with pytest.raises(ImportFileError, match=r"unpacks to .* of shared strings and styles"):
        read(path, limits=ImportLimits(max_bytes=path.stat().st_size))


@pytest.mark.parametrize("writer", [write_csv, write_xlsx])
def test_a_cell_over_the_limit_is_refused_naming_row_and_column(
    tmp_path: Path, writer: Callable[[Path, Sequence[Sequence[object]]], Path]
) -> None:
    limits = ImportLimits(max_cell=300)
    rows: list[Sequence[object]] = [HEADER, row(Alamat="a" * 300)]
    rows.append(row(NIB=NIB_2, Alamat="b" * 301))
    path = writer(tmp_path, rows)
    with pytest.raises(ImportFileError) as refused:
        read(path, limits=limits)
    assert str(refused.value) == (
        f"{path.name} row 3, column 'Alamat': the cell holds 301 characters, more than the 300 "
        "allowed; shorten it, or raise SERTIFLOW_IMPORT_MAX_CELL"
    )
    assert "\n" not in str(refused.value)


def test_a_long_cell_in_a_column_sertiflow_does_not_read_is_ignored(tmp_path: Path) -> None:
    path = write_csv(tmp_path, [[*HEADER, "Catatan"], [*row(), "c" * 5_000]])
    assert read(path).records == (GOOD_RECORD,)


def test_the_cell_limit_cannot_be_set_below_the_longest_database_column() -> None:
    with pytest.raises(ValueError, match="at least 254 characters"):
        ImportLimits(max_cell=253)
    with pytest.raises(ValueError, match="must be positive"):
        ImportLimits(max_rows=0)


def test_limits_are_read_from_the_environment() -> None:
    assert ImportLimits.from_env({}) == ImportLimits()
    limits = ImportLimits.from_env(
        {
            "SERTIFLOW_IMPORT_MAX_ROWS": "2.000.000",
            "SERTIFLOW_IMPORT_MAX_BYTES": " 500_000_000 ",
            "SERTIFLOW_IMPORT_MAX_CELL": "4000",
            "SERTIFLOW_IMPORT_MAX_ERRORS": "1",  # not a setting: ignored
        }
    )
    assert limits == ImportLimits(max_rows=2_000_000, max_bytes=500_000_000, max_cell=4_000)


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("ROWS", "lots", "SERTIFLOW_IMPORT_MAX_ROWS must be a whole number of at least 1"),
        ("BYTES", "200MB", "SERTIFLOW_IMPORT_MAX_BYTES must be a whole number of at least 1"),
        ("BYTES", "0", "SERTIFLOW_IMPORT_MAX_BYTES must be a whole number of at least 1"),
        ("CELL", "100", "SERTIFLOW_IMPORT_MAX_CELL must be a whole number of at least 254"),
        ("CELL", "-5", "SERTIFLOW_IMPORT_MAX_CELL must be a whole number of at least 254"),
    ],
)
def test_an_unusable_limit_names_the_variable(name: str, value: str, says: str) -> None:
    from workflow.settings import SettingsError

    with pytest.raises(SettingsError) as refused:
        ImportLimits.from_env({f"SERTIFLOW_IMPORT_MAX_{name}": value})
    assert str(refused.value).startswith(says) and repr(value) in str(refused.value)


def test_a_byte_that_is_not_utf8_far_into_the_file_is_reported_with_its_line(
    tmp_path: Path,
) -> None:
    path = write_csv(tmp_path, [HEADER, *(row(NIB=nib(n)) for n in range(3_000))])
    with path.open("ab") as handle:  # past the decoder's first chunks, and the 64 KB scan's
        handle.write(";".join(map(str, row(NIB=NIB_2))).encode() + b"\r\n")
        handle.write(b"1;" + NIB.encode() + b";Caf\xe9 Ambon\r\n")
    with pytest.raises(ImportFileError) as refused:
        read(path)
    assert str(refused.value) == (
        "r.csv is not UTF-8 text (line 3,003 is not); save it from Excel as 'CSV UTF-8'"
    )


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"])
def test_the_line_of_a_bad_byte_counts_every_kind_of_line_break(
    tmp_path: Path, newline: bytes
) -> None:
    from workflow.umkm_import import _first_bad_utf8_line

    path = tmp_path / "r.csv"
    lines = [b"x" * (n % 97) + "é".encode() for n in range(5_000)]
    path.write_bytes(newline.join([*lines, b"caf\xe9", b"more"]))
    assert _first_bad_utf8_line(path) == 5_001
    path.write_bytes(b"ok" + newline + b"\xf0\x9f\x98")  # cut short at the end
    assert _first_bad_utf8_line(path) == 2


def test_an_endless_csv_row_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(";".join(HEADER) + "\n" + ";" * 1_200_000 + "\n", encoding="utf-8")
    with pytest.raises(ImportFileError) as refused:
        read(path)
    assert str(refused.value) == (
        "r.csv line 2: one row runs over more than 1,000,000 characters; is it really a registry?"
    )


def test_a_quoted_cell_over_many_lines_is_one_row_and_bounded(tmp_path: Path) -> None:
    address = "Jl. Pattimura 1\nRT 02\nAmbon"
    assert read(write_csv(tmp_path, [HEADER, row(Alamat=address)])).records[0].address == (
        "Jl. Pattimura 1 RT 02 Ambon"
    )
    path = tmp_path / "many.csv"  # cells of many lines each, each under csv's own field limit
    cell = '"' + "\n".join(["x" * 900] * 100) + '"'
    path.write_text(";".join(HEADER) + "\n" + ";".join([cell] * 20) + "\n", encoding="utf-8")
    with pytest.raises(ImportFileError) as refused:
        read(path)
    assert str(refused.value).startswith("many.csv line 1,100: one row runs over more than ")


def test_rows_are_yielded_as_they_are_read(tmp_path: Path) -> None:
    path = write_csv(tmp_path, [HEADER, row(), row(NIB=NIB_2, Skala_Usaha="besar")])
    reader = RegistryReader(path)
    records = iter(reader)
    assert next(records) == GOOD_RECORD
    assert reader.report().total_rows == 1 and reader.report().bad_rows == 0
    assert list(records) == []
    assert reader.report().bad_rows == 1
    with pytest.raises(RuntimeError, match="reads its file once"):
        iter(reader)


def test_progress_is_reported_while_reading(tmp_path: Path) -> None:
    path = write_csv(tmp_path, [HEADER, *(row(NIB=nib(n)) for n in range(25))])
    seen: list[int] = []
    reader = RegistryReader(path, progress=seen.append, progress_every=10)
    assert len(list(reader)) == 25
    assert seen == [10, 20, 25]


def test_a_workbook_row_beyond_the_last_excel_row_is_refused(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path, [HEADER, row()])
    _rewrite_sheet(path, lambda xml: xml.replace('<row r="2"', '<row r="1048577"'))
    with pytest.raises(ImportFileError, match="has rows beyond row 1,048,576"):
        read(path)


def test_a_workbook_with_blank_and_far_right_cells_is_read(tmp_path: Path) -> None:
    far = [None] * 300
    path = write_xlsx(tmp_path, [HEADER, row(), [*far, "ignored"], row(NIB=NIB_2)])
    report = read(path)
    assert [r.row for r in report.records] == [2, 4] and report.total_rows == 2


# --- the quick paths for common emails and phone numbers agree with the libraries ---------


EMAILS = st.one_of(
    st.from_regex(r"[a-zA-Z0-9._+\-]{1,12}@[a-zA-Z0-9.\-]{1,16}\.[a-zA-Z0-9]{1,4}", fullmatch=True),
    st.text(alphabet="aZ09._+-@xn-.é!", min_size=3, max_size=30),
)
PHONES = st.one_of(
    st.from_regex(
        r"(\+62 ?|0|\(0|62|\+62 \(0\)|00)8[0-9]{1,3}[ \-.]?[0-9]{3,4}[ \-.]?[0-9]{2,5}",
        fullmatch=True,
    ),
    st.from_regex(r"(\(0|0|\+62 ?)[1-9][0-9]{1,3}\)? ?[0-9]{4,8}", fullmatch=True),
    st.text(alphabet="0123456789+-() .x", min_size=1, max_size=20),
)


@given(EMAILS)
@settings(max_examples=500, deadline=None)
def test_the_plain_email_path_agrees_with_email_validator(text: str) -> None:
    from email_validator import EmailNotValidError, validate_email

    from workflow.umkm_import import _plain_email

    quick = _plain_email(text)
    if quick is not None:
        try:
            full = validate_email(text, check_deliverability=False).normalized.lower()
        except EmailNotValidError as error:
            raise AssertionError(f"{text!r} passed the quick path only: {error}") from error
        assert quick == full


@pytest.mark.parametrize(
    ("text", "quick"),
    [
        ("Ona.Sagu@Gmail.COM", "ona.sagu@gmail.com"),
        ("a+b_c-d@sub.contoh.co.id", "a+b_c-d@sub.contoh.co.id"),
        ("ana@toko.test", None),  # special-use domain: the validator refuses it
        ("ana@xn--80ak6aa92e.com", None),  # punycode: the validator decides
        ("ana@ab--cd.com", None),
        ("a..b@contoh.id", None),
        ("ana@contoh", None),
        ("ana@contoh.123", None),
        ("x" * 65 + "@contoh.id", None),
    ],
)
def test_the_plain_email_path_takes_only_simple_addresses(text: str, quick: str | None) -> None:
    from workflow.umkm_import import _plain_email

    assert _plain_email(text) == quick


@given(PHONES)
@settings(max_examples=500, deadline=None)
def test_the_plain_phone_path_agrees_with_phonenumbers(text: str) -> None:
    import phonenumbers

    from workflow.umkm_import import _plain_phone

    quick = _plain_phone(text)
    if quick is not None:
        number = phonenumbers.parse(text, "ID")
        assert phonenumbers.is_valid_number(number), text
        assert quick == phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@pytest.mark.parametrize(
    ("text", "quick"),
    [
        ("0812-3456-7890", "+6281234567890"),
        ("+62 812 3456 7890", "+6281234567890"),
        ("(0911) 312345", "+62911312345"),
        ("62 812 3456 7890", None),  # no 0 or +: phonenumbers decides
        ("+62 (0)812 3456 7890", None),
        ("0812", None),
        ("+1 202 555 0100", None),
    ],
)
def test_the_plain_phone_path_takes_only_plain_indonesian_numbers(
    text: str, quick: str | None
) -> None:
    from workflow.umkm_import import _plain_phone

    assert _plain_phone(text) == quick


def test_a_workbook_element_with_unknown_attributes_is_refused_in_one_line(
    tmp_path: Path,
) -> None:
    path = write_xlsx(tmp_path, [HEADER, row()])
    _rewrite_sheet(path, lambda xml: xml.replace("<dimension ref=", '<dimension old="x" ref=', 1))
    with pytest.raises(ImportFileError, match=r"not a readable \.xlsx|will not read") as refused:
        read(path)
    assert "\n" not in str(refused.value) and "unexpected keyword" in str(refused.value)


def test_a_first_row_beyond_what_the_nib_table_keeps_is_named_an_earlier_row() -> None:
    from workflow.umkm_import import _ROW_CAP, _SeenNibs

    seen = _SeenNibs()
    assert seen.first_row(int(NIB), 2**40) is None
    assert seen.first_row(int(NIB), 2**40 + 1) == _ROW_CAP


# --- postcode (schema 0011) ---------------------------------------------------


@pytest.mark.parametrize("header", ["Kode Pos", "kodepos", "Postcode", "Postal code", "Zip code"])
def test_the_postcode_column_is_read_under_its_names(tmp_path: Path, header: str) -> None:
    headers = ["NIB", "Nama Usaha", "Pemilik", "Skala", "Kabupaten/Kota", header]
    rows = [
        [NIB, "Toko A", "Ani", "mikro", "Ambon", " 97128 "],
        [NIB_2, "Toko B", "Budi", "mikro", "Tual", ""],
    ]
    report = read(write_csv(tmp_path, [headers, *rows]))
    assert [r.postcode for r in report.records] == ["97128", None]


def test_a_postcode_the_workbook_holds_as_a_number_is_read(tmp_path: Path) -> None:
    headers = ["NIB", "Nama Usaha", "Pemilik", "Skala", "Kabupaten/Kota", "Kode Pos"]
    report = read(write_xlsx(tmp_path, [headers, [NIB, "Toko A", "Ani", "mikro", "Ambon", 97128]]))
    assert report.records[0].postcode == "97128"


def test_without_a_postcode_column_a_record_has_none(tmp_path: Path) -> None:
    assert read_one_csv(tmp_path).records[0].postcode is None


def test_a_bad_postcode_is_a_row_error_and_the_other_rows_are_read(tmp_path: Path) -> None:
    headers = ["NIB", "Nama Usaha", "Pemilik", "Skala", "Kabupaten/Kota", "Kode Pos"]
    rows = [
        [NIB, "Toko A", "Ani", "mikro", "Ambon", "9712"],
        [NIB_2, "Toko B", "Budi", "mikro", "Tual", "97611"],
        ["8120107654322", "Toko C", "Cici", "mikro", "Buru", "97 571"],
    ]
    report = read(write_csv(tmp_path, [headers, *rows]))
    assert [(r.nib, r.postcode) for r in report.records] == [(NIB_2, "97611")]
    assert [(e.row, e.column, e.value) for e in report.errors] == [
        (2, "Kode Pos", "9712"),
        (4, "Kode Pos", "97 571"),
    ]
    assert report.errors[0].reason.startswith("A postcode (kode pos) has 5 digits, e.g. 97128")
    assert report.report.error_counts == {"postcode": 2}
