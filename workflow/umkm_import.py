"""Read and validate the UMKM registry spreadsheets that PLUT-KUMKM offices keep.

Offices keep their registry of assisted businesses as an Excel workbook or a CSV
export of one (Indonesian Excel writes CSV with ``;``). :func:`read_registry` reads
either, maps the Indonesian or English column headers onto :class:`UmkmRecord`
fields and validates every cell. Each bad cell becomes one :class:`RowError` that
names the spreadsheet row and column, and a row with any error yields no record, so
the office can fix the file and import it again. Nothing is written anywhere.

Problems with the file as a whole (unsupported format, unreadable file, missing
required columns) raise :class:`ImportFileError` instead.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Generator, Iterable, Sequence
from contextlib import closing
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import phonenumbers
from email_validator import EmailNotValidError, validate_email
from openpyxl.utils.exceptions import InvalidFileException

from workflow.errors import InvalidInput
from workflow.regions import MALUKU_REGENCIES, Regency, match_regency

__all__ = ["ImportFileError", "ImportReport", "RowError", "UmkmRecord", "read_registry"]


class ImportFileError(InvalidInput, ValueError):
    """The file as a whole cannot be imported (wrong format, unreadable, missing columns)."""


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


@dataclass(frozen=True, slots=True)
class RowError:
    """One bad cell: where it is, what it held and what was expected."""

    row: int
    column: str  # the header text as written in the file
    value: str
    reason: str


@dataclass(frozen=True)
class ImportReport:
    """The outcome of reading one registry file."""

    records: tuple[UmkmRecord, ...]
    errors: tuple[RowError, ...]
    total_rows: int  # non-empty data rows, header excluded

    @property
    def ok(self) -> bool:
        """True when no cell had an error."""
        return not self.errors

    @property
    def bad_rows(self) -> list[int]:
        """Row numbers with at least one error, ascending and without repeats."""
        return sorted({error.row for error in self.errors})


@dataclass(frozen=True, slots=True)
class _Column:
    field: str
    headers: tuple[str, ...]
    required: bool = False


_COLUMNS: tuple[_Column, ...] = (
    _Column("nib", ("NIB", "No. NIB", "Nomor Induk Berusaha"), required=True),
    _Column(
        "name",
        ("Nama Usaha", "Nama UMKM", "Nama Koperasi", "Business name", "Name"),
        required=True,
    ),
    _Column("owner_name", ("Nama Pemilik", "Pemilik", "Owner", "Owner name"), required=True),
    _Column("scale", ("Skala", "Skala Usaha", "Scale"), required=True),
    _Column("regency_code", ("Kabupaten/Kota", "Kab/Kota", "Kabupaten", "Regency"), required=True),
    _Column("kind", ("Jenis", "Kind")),
    _Column("email", ("Email", "E-mail", "Surel")),
    _Column("phone", ("Telepon", "Telp", "No HP", "No. HP", "HP", "WhatsApp", "WA", "Phone")),
    _Column("address", ("Alamat", "Address")),
    _Column("annual_turnover", ("Omzet", "Omzet Tahunan", "Omset", "Annual turnover")),
    _Column("production_sites", ("Jumlah Lokasi Produksi", "Production sites")),
    _Column("simple_process", ("Proses Sederhana", "Simple process")),
    _Column("products", ("Produk", "Products", "Product")),
    _Column("language", ("Bahasa", "Bahasa Email", "Language", "Email language")),
)

_KINDS = {"umkm": "umkm", "umk": "umkm", "koperasi": "koperasi", "cooperative": "koperasi"}
_SCALES = {
    alias: scale
    for scale, english in (("mikro", "micro"), ("kecil", "small"), ("menengah", "medium"))
    for alias in (scale, english, f"usaha {scale}")
}
_BOOLS = dict.fromkeys(("ya", "yes", "y", "true", "1"), True) | dict.fromkeys(
    ("tidak", "no", "n", "false", "0"), False
)
_MULTIPLIERS = {"juta": 10**6, "miliar": 10**9, "milyar": 10**9}
_RP_PREFIX = re.compile(r"^rp\.?\s*")
_THOUSANDS = re.compile(r"\d{1,3}(?:\.\d{3})+")
_WORD_AMOUNT = re.compile(r"(\d+(?:[.,]\d+)?)\s*(juta|miliar|milyar)")
_TURNOVER_HINT = "a whole Rupiah amount such as 250000000, Rp 250.000.000, 250 juta or 1,5 miliar"


def _header_key(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


_HEADER_LOOKUP = {_header_key(h): column for column in _COLUMNS for h in column.headers}


class _CellError(ValueError):
    """Raised by a cell parser; the message becomes the RowError reason."""


def _text(value: object) -> str:
    """A cell value as trimmed text; whole-number floats lose their ``.0``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(str(value).split())


def _parse_nib(value: object) -> str:
    text = "".join(_text(value).split()).removeprefix("'")
    if not text:
        raise _CellError("NIB is required (13 digits)")
    if not (text.isascii() and text.isdigit()):
        raise _CellError("NIB must contain only digits (13 digits expected)")
    if len(text) != 13:
        raise _CellError(f"NIB must be 13 digits (got {len(text)})")
    return text


def _parse_kind(value: object) -> str:
    text = _text(value).casefold()
    if not text:
        return "umkm"
    if text not in _KINDS:
        raise _CellError("Kind must be UMKM or Koperasi")
    return _KINDS[text]


def _parse_scale(value: object) -> str:
    text = _text(value).casefold()
    if not text:
        raise _CellError("Scale is required: expected mikro, kecil or menengah")
    if text not in _SCALES:
        raise _CellError("Scale must be mikro, kecil or menengah (or micro, small, medium)")
    return _SCALES[text]


_LANGUAGES = {
    alias: code
    for code, aliases in (
        ("id", ("id", "indonesia", "bahasa indonesia", "indonesian")),
        ("en", ("en", "inggris", "bahasa inggris", "english")),
    )
    for alias in aliases
}


def _parse_language(value: object) -> str:
    text = _text(value).casefold()
    if not text:
        return "id"
    if text not in _LANGUAGES:
        raise _CellError("Language must be Indonesia (id) or English (en)")
    return _LANGUAGES[text]


def _parse_email(value: object) -> str | None:
    text = _text(value)
    if not text:
        return None
    try:
        normalized = validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise _CellError(f"Email is not a valid address: {exc}") from exc
    return normalized.lower()


def _parse_phone(value: object) -> str | None:
    text = _text(value)
    if not text:
        return None
    hint = "Phone must be a valid Indonesian number such as 0812-3456-7890 or +62 812-3456-7890"
    try:
        number = phonenumbers.parse(text, "ID")
    except phonenumbers.NumberParseException as exc:
        raise _CellError(hint) from exc
    if not phonenumbers.is_valid_number(number):
        raise _CellError(hint)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _parse_turnover(value: object) -> int | None:
    if isinstance(value, bool):
        raise _CellError(f"Annual turnover must be {_TURNOVER_HINT}")
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        if not value.is_integer():
            raise _CellError(f"Annual turnover must be {_TURNOVER_HINT}")
        amount = Decimal(int(value))
    else:
        text = _text(value).casefold()
        if not text:
            return None
        text = _RP_PREFIX.sub("", text)
        word = _WORD_AMOUNT.fullmatch(text)
        if word:
            amount = Decimal(word[1].replace(",", ".")) * _MULTIPLIERS[word[2]]
        elif text.isascii() and text.isdigit():
            amount = Decimal(text)
        elif _THOUSANDS.fullmatch(text):
            amount = Decimal(text.replace(".", ""))
        else:
            raise _CellError(f"Annual turnover must be {_TURNOVER_HINT}")
    if amount < 0 or amount != amount.to_integral_value():
        raise _CellError(f"Annual turnover must be {_TURNOVER_HINT}")
    return int(amount)


def _parse_sites(value: object) -> int | None:
    text = _text(value)
    if not text:
        return None
    if not (text.isascii() and text.isdigit()):  # True reads "True": refused too
        raise _CellError("Production sites must be a whole number such as 1 or 2")
    return int(text)


def _parse_bool(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    text = _text(value).casefold()
    if not text:
        return None
    if text not in _BOOLS:
        raise _CellError("Simple process must be ya or tidak (yes/no, y/n, true/false, 1/0)")
    return _BOOLS[text]


def _required_text(label: str) -> Callable[[object], str]:
    def parse(value: object) -> str:
        text = _text(value)
        if not text:
            raise _CellError(f"{label} is required but the cell is empty")
        return text

    return parse


def _regency_parser(regencies: Sequence[Regency]) -> Callable[[object], str]:
    example = f"{regencies[0].name!r} or {regencies[0].code!r}" if regencies else "a code"
    known = ", ".join(r.name for r in regencies)

    def parse(value: object) -> str:
        text = _text(value)
        if not text:
            raise _CellError(f"Regency is required, e.g. {example}")
        found = match_regency(text, regencies)
        if found is None:
            raise _CellError(f"Unknown regency; expected one of: {known}")
        return found.code

    return parse


_PARSERS: dict[str, Callable[[object], Any]] = {
    "nib": _parse_nib,
    "name": _required_text("Business name"),
    "owner_name": _required_text("Owner name"),
    "kind": _parse_kind,
    "scale": _parse_scale,
    "email": _parse_email,
    "phone": _parse_phone,
    "address": _text,
    "annual_turnover": _parse_turnover,
    "production_sites": _parse_sites,
    "simple_process": _parse_bool,
    "products": _text,
    "language": _parse_language,
}


def _map_header(header: Sequence[object]) -> dict[str, tuple[int, str]]:
    """Map field name -> (column index, header text as written)."""
    found: dict[str, tuple[int, str]] = {}
    for index, cell in enumerate(header):
        text = _text(cell)
        column = _HEADER_LOOKUP.get(_header_key(text))
        if column is None:
            continue
        if column.field in found:
            other = found[column.field][1]
            raise ImportFileError(
                f"Columns {other!r} and {text!r} both hold {column.headers[0]!r}; keep only one"
            )
        found[column.field] = (index, text)
    missing = [c for c in _COLUMNS if c.required and c.field not in found]
    if missing:
        accepted = "; ".join(
            f"{c.headers[0]}: " + ", ".join(repr(h) for h in c.headers) for c in missing
        )
        raise ImportFileError(
            "Missing required column(s): "
            + ", ".join(c.headers[0] for c in missing)
            + f". Accepted header names are {accepted}"
        )
    return found


def _read_csv(path: Path) -> Generator[tuple[int, Sequence[object]], None, None]:
    try:
        content = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"{path.name} is not UTF-8 text; save it from Excel as 'CSV UTF-8'"
        ) from exc
    first_line = next((line for line in content.splitlines() if line.strip()), "")
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter)
    try:
        yield from enumerate(reader, start=1)
    except csv.Error as exc:  # e.g. a cell beyond the csv module's field limit
        raise ImportFileError(
            f"{path.name} line {reader.line_num}: {exc}; is it really a registry?"
        ) from None


def _read_xlsx(path: Path) -> Generator[tuple[int, Sequence[object]], None, None]:
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        reason = " ".join(str(exc).split())  # openpyxl's messages run over several lines
        raise ImportFileError(f"{path.name} is not a readable .xlsx workbook: {reason}") from exc
    try:
        sheet = workbook.worksheets[0]
        # The <dimension> a writer records can be stale (one said A1:E2 over 6 data rows, and 5
        # rows were lost): read every row whatever it claims.
        sheet.reset_dimensions()
        yield from enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1)
    except (ValueError, SyntaxError) as exc:  # defusedxml refusing a DTD or entity; bad XML
        raise ImportFileError(
            f"{path.name} holds XML sertiflow will not read ({exc.__class__.__name__}: {exc}); "
            "save it again from a spreadsheet program"
        ) from None
    finally:
        workbook.close()


def read_registry(path: Path, regencies: Iterable[Regency] = MALUKU_REGENCIES) -> ImportReport:
    """Read a UMKM registry from a ``.csv`` or ``.xlsx`` file and validate every row.

    The first non-empty row is the header; fully empty rows are skipped. Rows are
    numbered as in the spreadsheet (header = row 1). Raises :class:`ImportFileError`
    for an unsupported suffix, an unreadable file or missing required columns.
    """
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows = _read_csv(path)
    elif suffix == ".xlsx":
        rows = _read_xlsx(path)
    else:
        raise ImportFileError(
            f"Cannot import {path.name!r}: only .csv and .xlsx files are accepted"
        )
    parsers = {**_PARSERS, "regency_code": _regency_parser(tuple(regencies))}
    records: list[UmkmRecord] = []
    errors: list[RowError] = []
    first_row_of_nib: dict[str, int] = {}
    columns: dict[str, tuple[int, str]] | None = None
    total = 0
    with closing(rows):
        for number, cells in rows:
            if all(_text(cell) == "" for cell in cells):
                continue
            if columns is None:
                columns = _map_header(cells)
                continue
            total += 1
            values: dict[str, Any] = {}
            row_errors: list[RowError] = []
            for field, parse in parsers.items():
                # Absent optional columns parse as empty cells, giving the field's default.
                index, header = columns.get(field, (len(cells), field))
                raw = cells[index] if index < len(cells) else None
                try:
                    values[field] = parse(raw)
                except _CellError as exc:
                    row_errors.append(RowError(number, header, _text(raw), str(exc)))
            nib = values.get("nib")
            if isinstance(nib, str):
                if nib in first_row_of_nib:
                    reason = f"NIB {nib} is a duplicate of row {first_row_of_nib[nib]}"
                    row_errors.append(RowError(number, columns["nib"][1], nib, reason))
                else:
                    first_row_of_nib[nib] = number
            if row_errors:
                errors.extend(row_errors)
                continue
            records.append(UmkmRecord(**values, row=number))
    if columns is None:
        raise ImportFileError(f"{path.name} is empty: expected a header row and data rows")
    errors.sort(key=lambda error: (error.row, error.column))
    return ImportReport(records=tuple(records), errors=tuple(errors), total_rows=total)
