"""Read, validate and import the UMKM registry spreadsheets that PLUT-KUMKM offices keep.

Offices keep their registry of assisted businesses as an Excel workbook or a CSV
export of one (Indonesian Excel writes CSV with ``;``). :class:`RegistryReader` reads
either row by row, maps the Indonesian or English column headers onto
:class:`UmkmRecord` fields and validates every cell. Each bad cell becomes one
:class:`RowError` that names the spreadsheet row and column, and a row with any error
yields no record, so the office can fix the file and import it again.

Memory stays flat in the number of errors and nearly flat in the file's size: the file
is read incrementally, only the first ``ImportLimits.max_errors`` errors are kept (with a
count per kind of problem and the number of bad rows), and duplicate NIBs are found with
a compact table of the NIBs seen (17-34 bytes a row), not the records.
:func:`import_registry` writes the valid records in batches inside one savepoint of the
caller's transaction: a file with any bad row (unless ``skip_invalid``), or one that
breaks a limit, writes nothing. :func:`read_registry` only checks a file.

Problems with the file as a whole (unsupported format, unreadable file, missing
required columns, a limit of :class:`ImportLimits` exceeded) raise
:class:`ImportFileError` instead.
"""

from __future__ import annotations

import codecs
import csv
import itertools
import os
import re
import zipfile
from array import array
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import email_validator
import openpyxl
import phonenumbers
from email_validator import EmailNotValidError, validate_email
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy import Connection

from workflow.business_type import BUSINESS_TYPE_MAX_LENGTH, parse_kbli
from workflow.directory import upsert_umkm
from workflow.errors import InvalidInput
from workflow.regions import MALUKU_REGENCIES, Regency, check_postcode, match_regency
from workflow.settings import SettingsError
from workflow.umkm_record import ROW_FIELDS, UmkmRecord

__all__ = [
    "ImportFileError",
    "ImportLimits",
    "ImportReport",
    "RegistryReader",
    "RowError",
    "UmkmRecord",
    "import_registry",
    "parse_registry_field",
    "read_registry",
]

NAME_MAX_LENGTH = 200
"""The longest business or owner name the database stores (``umkm.name``, ``owner_name``)."""
EMAIL_MAX_LENGTH = 254
"""The longest email address (RFC 5321; ``umkm.email``): the longest bounded text column."""
XLSX_MAX_ROWS = 1_048_576
"""The last row an .xlsx sheet can have; a workbook claiming more is not read."""
XLSX_MAX_COLUMNS = 256
"""Columns read from a workbook row; cells further right are ignored."""
BATCH_ROWS = 1_000
"""Valid records written per ``upsert_umkm`` call."""
_ROW_CHARS_PER_CELL = 50
"""One CSV row may run over ``max(1,000,000, 50 * max_cell)`` characters at most."""


class ImportFileError(InvalidInput, ValueError):
    """The file as a whole cannot be imported (wrong format, unreadable, missing columns, a
    limit exceeded)."""


def _mb(size: int) -> str:
    """``size`` bytes for a message: 200 MB, 1.5 MB, 900 bytes."""
    if size < 1_000_000:
        return f"{size:,} bytes"
    return f"{size / 1_000_000:,.1f}".removesuffix(".0") + " MB"


@dataclass(frozen=True, slots=True)
class ImportLimits:
    """What one import accepts; a file beyond a limit is refused before anything is written.

    ``max_rows`` counts non-empty data rows, ``max_bytes`` the file's size (for a workbook
    also its shared strings and styles unpacked, which are read whole), ``max_cell`` the
    characters of one cell of a column sertiflow reads (at least :data:`EMAIL_MAX_LENGTH`, so
    every value the database stores fits). ``max_errors`` is how many row errors a report
    lists; the rest are only counted.
    """

    max_rows: int = 1_000_000
    max_bytes: int = 200_000_000
    max_cell: int = 1_000
    max_errors: int = 100

    def __post_init__(self) -> None:
        if self.max_rows < 1 or self.max_bytes < 1 or self.max_errors < 0:
            raise ValueError("import limits must be positive")
        if self.max_cell < EMAIL_MAX_LENGTH:
            raise ValueError(
                f"the cell limit must be at least {EMAIL_MAX_LENGTH} characters (an email "
                f"address may be that long), not {self.max_cell}"
            )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ImportLimits:
        """The limits with overrides from ``SERTIFLOW_IMPORT_MAX_ROWS``, ``_MAX_BYTES`` and
        ``_MAX_CELL`` (whole numbers; ``environ`` is the process environment when None).
        Raises :class:`SettingsError` naming the variable for a value that is not usable."""
        env = os.environ if environ is None else environ
        default = cls()
        values: dict[str, int] = {}
        for name, floor in (
            ("max_rows", 1),
            ("max_bytes", 1),
            ("max_cell", EMAIL_MAX_LENGTH),
        ):
            variable = f"SERTIFLOW_IMPORT_{name.upper()}"
            raw = env.get(variable, "").strip()
            if not raw:
                continue
            text = raw.replace("_", "")
            if re.fullmatch(r"\d{1,3}(\.\d{3})+", text):  # Indonesian thousands: 1.000.000
                text = text.replace(".", "")
            if not (text.isascii() and text.isdigit()) or int(text) < floor:
                raise SettingsError(
                    f"{variable} must be a whole number of at least {floor:,} (e.g. "
                    f"{getattr(default, name)}), got {raw!r}"
                )
            values[name] = int(text)
        return cls(**values)


@dataclass(frozen=True, slots=True)
class RowError:
    """One bad cell: where it is, what it held and what was expected."""

    row: int
    column: str  # the header text as written in the file
    value: str
    reason: str


@dataclass(frozen=True)
class ImportReport:
    """The outcome of reading (and perhaps importing) one registry file.

    ``errors`` holds the first bad rows' errors in file order, at most
    ``ImportLimits.max_errors`` of them; ``error_counts`` counts every bad cell of the file
    by kind of problem (the field, e.g. ``nib`` or ``regency``, or ``duplicate_nib``), and
    ``bad_rows`` the rows with at least one error.
    """

    total_rows: int  # non-empty data rows, header excluded
    valid_rows: int
    bad_rows: int
    errors: tuple[RowError, ...] = ()
    error_counts: Mapping[str, int] = field(default_factory=dict)
    created: int = 0
    updated: int = 0
    written: bool = False  # True when the valid rows were written (and will be committed)

    @property
    def ok(self) -> bool:
        """True when no cell had an error."""
        return self.bad_rows == 0

    @property
    def listed_bad_rows(self) -> int:
        """How many bad rows ``errors`` lists."""
        return len({error.row for error in self.errors})

    @property
    def unlisted_bad_rows(self) -> int:
        """Bad rows counted but not listed in ``errors``."""
        return self.bad_rows - self.listed_bad_rows


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
    _Column(
        "business_type",
        (
            "Jenis Usaha",
            "Bidang Usaha",
            "Jenis Kegiatan Usaha",
            "Business type",
            "Line of business",
        ),
    ),
    _Column("kbli", ("KBLI", "Kode KBLI", "KBLI code")),
    _Column("postcode", ("Kode Pos", "Kodepos", "Postcode", "Postal code", "Zip code")),
)

_CATEGORY = {"regency_code": "regency"}
"""The kind of problem a bad cell is counted under, when not its field's name."""
DUPLICATE_NIB = "duplicate_nib"

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
    if type(value) is str:
        return " ".join(value.split())
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


# The common plain ASCII address, checked by one regular expression instead of the
# validator's full parse (35 us a cell): what it accepts, email-validator accepts too, and
# normalises the same way; anything else goes through email-validator.
_PLAIN_EMAIL = re.compile(
    r"([A-Za-z0-9_+\-]{1,64}(?:\.[A-Za-z0-9_+\-]+)*)"
    r"@((?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})"
)
_SPECIAL_USE_SUFFIXES = tuple("." + name for name in email_validator.SPECIAL_USE_DOMAIN_NAMES)


def _plain_email(text: str) -> str | None:
    match = _PLAIN_EMAIL.fullmatch(text)
    if match is None or len(text) > EMAIL_MAX_LENGTH:
        return None
    local, domain = match[1], match[2].lower()
    if len(local) > 64 or len(domain) > 253 or "--" in domain:  # "xn--", "ab--": the validator
        return None
    if ("." + domain).endswith(_SPECIAL_USE_SUFFIXES):  # .test, .localhost, ...: refused there
        return None
    return text.lower()


def _parse_email(value: object) -> str | None:
    text = _text(value)
    if not text:
        return None
    plain = _plain_email(text)
    if plain is not None:
        return plain
    try:
        normalized = validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise _CellError(f"Email is not a valid address: {exc}") from exc
    return normalized.lower()


_PHONE_HINT = "Phone must be a valid Indonesian number such as 0812-3456-7890 or +62 812-3456-7890"
_PHONE_SHAPE = re.compile(r"\+?\(?[0-9][0-9 ()\-.]{5,24}")
_NOT_DIGIT = re.compile(r"\D")


def _matcher(
    desc: phonenumbers.PhoneNumberDesc | None, *, check_length: bool = True
) -> Callable[[str], bool]:
    """What ``phonenumbers`` checks of a national number against one of its descriptions."""
    if desc is None or not desc.national_number_pattern:  # pragma: no cover - always there
        raise RuntimeError("phonenumbers lacks a pattern for Indonesian numbers")
    pattern = re.compile(desc.national_number_pattern)
    allowed = frozenset(desc.possible_length or ()) if check_length else frozenset()
    return lambda number: (
        (not allowed or len(number) in allowed) and bool(pattern.fullmatch(number))
    )


_ID_PHONES = phonenumbers.PhoneMetadata.metadata_for_region("ID")
if _ID_PHONES is None:  # pragma: no cover - the library always has Indonesia
    raise RuntimeError("phonenumbers has no metadata for Indonesia")
_ID_GENERAL = _matcher(_ID_PHONES.general_desc, check_length=False)
_ID_MOBILE = _matcher(_ID_PHONES.mobile)
_ID_FIXED = _matcher(_ID_PHONES.fixed_line)


def _plain_phone(text: str) -> str | None:
    """``0812-3456-7890``, ``(0911) 312345`` or ``+62 812 3456 7890`` without
    ``phonenumbers.parse`` (30 us a cell): for these shapes the national number is the digits
    after the ``0`` or ``+62``, as parse finds it, and it must be an Indonesian mobile or fixed
    line number by the library's own patterns; anything else goes through ``phonenumbers``."""
    if _PHONE_SHAPE.fullmatch(text) is None:
        return None
    digits = _NOT_DIGIT.sub("", text)
    if text.startswith("+"):
        if not digits.startswith("62"):
            return None
        national = digits[2:]
    elif digits.startswith("0"):
        national = digits[1:]
    else:
        return None
    if not national or national[0] == "0" or not _ID_GENERAL(national):
        return None
    if not (_ID_MOBILE(national) or _ID_FIXED(national)):
        return None
    return "+62" + national


def _parse_phone(value: object) -> str | None:
    text = _text(value)
    if not text:
        return None
    plain = _plain_phone(text)
    if plain is not None:
        return plain
    try:
        number = phonenumbers.parse(text, "ID")
    except phonenumbers.NumberParseException as exc:
        raise _CellError(_PHONE_HINT) from exc
    if not phonenumbers.is_valid_number(number):
        raise _CellError(_PHONE_HINT)
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
        if text.startswith("rp"):
            text = _RP_PREFIX.sub("", text)
        if text.isascii() and text.isdigit():
            return int(text)
        if _THOUSANDS.fullmatch(text):
            return int(text.replace(".", ""))
        word = _WORD_AMOUNT.fullmatch(text)
        if word is None:
            raise _CellError(f"Annual turnover must be {_TURNOVER_HINT}")
        amount = Decimal(word[1].replace(",", ".")) * _MULTIPLIERS[word[2]]
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


def _parse_business_type(value: object) -> str | None:
    if value is None:
        return None
    text = _text(value)
    if not text:
        return None
    if len(text) > BUSINESS_TYPE_MAX_LENGTH:
        raise _CellError(
            f"Business type must be at most {BUSINESS_TYPE_MAX_LENGTH} characters (got "
            f"{len(text)}), e.g. produsen keripik or rumah makan"
        )
    return text


def _parse_kbli(value: object) -> str | None:
    if value is None:  # the column absent or the cell empty: the common case, kept cheap
        return None
    if (  # a plain code: no need to clean it
        type(value) is str
        and len(value) == 5
        and value.isascii()
        and value.isdigit()
        and not value.startswith("00")
    ):
        return value
    try:
        return parse_kbli(_text(value))
    except ValueError as exc:
        raise _CellError(str(exc)) from None


def _parse_postcode(value: object) -> str | None:
    if value is None:  # the column absent or the cell empty: the common case, kept cheap
        return None
    text = _text(value)
    if not text:
        return None
    try:
        return check_postcode(text)
    except ValueError as exc:  # "a postcode (kode pos) has 5 digits ...", as a sentence
        reason = str(exc)
        raise _CellError(reason[:1].upper() + reason[1:]) from None


def _required_text(label: str, max_length: int) -> Callable[[object], str]:
    def parse(value: object) -> str:
        text = _text(value)
        if not text:
            raise _CellError(f"{label} is required but the cell is empty")
        if len(text) > max_length:
            raise _CellError(f"{label} must be at most {max_length} characters (got {len(text)})")
        return text

    return parse


def _regency_parser(regencies: Sequence[Regency]) -> Callable[[object], str]:
    example = f"{regencies[0].name!r} or {regencies[0].code!r}" if regencies else "a code"
    known = ", ".join(r.name for r in regencies)
    seen: dict[str, str] = {}  # a registry spells its few regencies the same way many times

    def parse(value: object) -> str:
        text = _text(value)
        if not text:
            raise _CellError(f"Regency is required, e.g. {example}")
        code = seen.get(text)
        if code is not None:
            return code
        found = match_regency(text, regencies)
        if found is None:
            raise _CellError(f"Unknown regency; expected one of: {known}")
        if len(seen) < 1_000:
            seen[text] = found.code
        return found.code

    return parse


def _parsers(regencies: Sequence[Regency]) -> dict[str, Callable[[object], Any]]:
    return {
        "nib": _parse_nib,
        "name": _required_text("Business name", NAME_MAX_LENGTH),
        "owner_name": _required_text("Owner name", NAME_MAX_LENGTH),
        "kind": _parse_kind,
        "scale": _parse_scale,
        "regency_code": _regency_parser(regencies),
        "email": _parse_email,
        "phone": _parse_phone,
        "address": _text,
        "annual_turnover": _parse_turnover,
        "production_sites": _parse_sites,
        "simple_process": _parse_bool,
        "products": _text,
        "language": _parse_language,
        "business_type": _parse_business_type,
        "kbli": _parse_kbli,
        "postcode": _parse_postcode,
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


# ------------------------------------------------------------------------------- reading files
_Plan = tuple[str, int, str, Callable[[object], Any], str]
"""How to read one field: its name, column index (-1: absent), header, parser, category."""


@dataclass(frozen=True, slots=True)
class _Layout:
    """How the data rows under one header row are read."""

    plan: tuple[_Plan, ...]
    """Every field, in ``ROW_FIELDS`` order."""
    reads: tuple[tuple[int, Callable[[object], Any]], ...]
    """The column and the parser of each field, in ``ROW_FIELDS`` order: a row's values are
    ``parse(cells[index])`` for each (a field whose column the file lacks takes every row the
    value of an empty cell)."""
    reach: int
    """How many cells ``reads`` needs: a shorter row gets empty cells added."""
    nib_header: str


def _layout(header: Sequence[object], parsers: Mapping[str, Callable[[object], Any]]) -> _Layout:
    """How to read the data rows under ``header``; raises ``ImportFileError`` if a required
    column is missing or a field has two."""
    columns = _map_header(header)
    plan = tuple(
        (field, *columns.get(field, (-1, field)), parsers[field], _CATEGORY.get(field, field))
        for field in ROW_FIELDS
    )
    reads = tuple(
        (index, parse) if index >= 0 else (0, _always(parse(None)))
        for _, index, _, parse, _ in plan
    )
    return _Layout(plan, reads, 1 + max(index for index, _ in reads), columns["nib"][1])


_NIB = ROW_FIELDS.index("nib")
"""Where a row's NIB is among its values."""


def _always(value: Any) -> Callable[[object], Any]:
    """A parser for a field the file has no column for: ``value`` whatever the cell."""
    return lambda _cell: value


def _duplicate_nib(
    seen: _SeenNibs, nib: str, number: int, header: str
) -> tuple[str, RowError] | None:
    """The error if ``nib`` was seen on an earlier row; else None, and ``nib`` is noted as
    seen on row ``number``."""
    first = seen.first_row(int(nib), number)
    if first is None:
        return None
    where = f"row {first}" if first < _ROW_CAP else "an earlier row"
    return DUPLICATE_NIB, RowError(number, header, nib, f"NIB {nib} is a duplicate of {where}")


_Rows = Generator[tuple[int, Sequence[object]], None, None]
"""A file's rows, numbered as in the spreadsheet (1 is the first line or row)."""


def _not_utf8(path: Path) -> ImportFileError:
    return ImportFileError(
        f"{path.name} is not UTF-8 text (line {_first_bad_utf8_line(path):,} is not); "
        "save it from Excel as 'CSV UTF-8'"
    )


def _line_breaks(data: bytes) -> int:
    """Line breaks as ``str.splitlines`` counts them: ``\\n``, ``\\r`` and ``\\r\\n``."""
    return data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")


def _first_bad_utf8_line(path: Path) -> int:
    """The line of ``path`` holding its first byte that is not UTF-8 (read in chunks)."""
    line, carry = 1, b""
    with path.open("rb") as handle:
        while True:
            chunk = handle.read(1 << 16)
            data = carry + chunk
            try:
                _, used = codecs.utf_8_decode(data, "strict", not chunk)
            except UnicodeDecodeError as exc:
                return line + _line_breaks(data[: exc.start])
            if not chunk:
                return line
            if data[:used].endswith(b"\r"):  # its \n may start the next chunk
                used -= 1
            line += _line_breaks(data[:used])
            carry = data[used:]


class _Lines:
    """A text file's lines for ``csv.reader``, each read with a bound: one row (several lines
    when a quoted cell holds line breaks) may not run over ``max_chars`` characters."""

    def __init__(self, handle: IO[str], path: Path, max_chars: int) -> None:
        self._handle = handle
        self._path = path
        self._max = max_chars
        self.number = 0  # lines read so far
        self.row_chars = 0  # characters read since the reader's last row

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        try:
            line = self._handle.readline(self._max + 1)
        except UnicodeDecodeError:
            raise _not_utf8(self._path) from None
        if not line:
            raise StopIteration
        self.number += 1
        self.row_chars += len(line)
        if self.row_chars > self._max:
            raise ImportFileError(
                f"{self._path.name} line {self.number:,}: one row runs over more than "
                f"{self._max:,} characters; is it really a registry?"
            )
        return line


def _read_csv(path: Path, limits: ImportLimits) -> _Rows:
    max_chars = max(1_000_000, _ROW_CHARS_PER_CELL * limits.max_cell)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        lines = _Lines(handle, path, max_chars)
        blank, first = 0, ""
        for line in lines:  # the delimiter is the one the first non-empty line uses most
            lines.row_chars = 0
            if line.strip():
                first = line
                break
            blank += 1
        delimiter = max((",", ";", "\t"), key=first.count)
        source = itertools.chain(itertools.repeat("\n", blank), [first] if first else [], lines)
        reader = csv.reader(source, delimiter=delimiter)
        try:
            for number, cells in enumerate(reader, start=1):
                lines.row_chars = 0
                yield number, cells
        except csv.Error as exc:  # e.g. a cell beyond the csv module's field limit
            raise ImportFileError(
                f"{path.name} line {reader.line_num}: {exc}; is it really a registry?"
            ) from None


def _check_xlsx_parts(path: Path, limits: ImportLimits) -> None:
    """Refuse a workbook whose parts read whole (shared strings, styles: all but the sheets,
    which are streamed) unpack to more than ``max_bytes``, e.g. a zip bomb."""
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(
                info.file_size
                for info in archive.infolist()
                if not info.filename.startswith("xl/worksheets/")
            )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, KeyError):
        return  # openpyxl says what is wrong with it
    if unpacked > limits.max_bytes:
        raise ImportFileError(
            f"{path.name} unpacks to {_mb(unpacked)} of shared strings and styles, more than "
            f"the {_mb(limits.max_bytes)} allowed; split the workbook, or raise "
            "SERTIFLOW_IMPORT_MAX_BYTES"
        )


def _read_xlsx(path: Path, limits: ImportLimits) -> _Rows:
    _check_xlsx_parts(path, limits)
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (
        InvalidFileException,
        zipfile.BadZipFile,
        KeyError,
        OSError,
        ValueError,
        TypeError,  # an element with attributes openpyxl does not know
    ) as exc:
        reason = " ".join(str(exc).split())  # openpyxl's messages run over several lines
        raise ImportFileError(f"{path.name} is not a readable .xlsx workbook: {reason}") from exc
    try:
        if not workbook.worksheets:
            raise ImportFileError(f"{path.name} holds no worksheet; is it really a registry?")
        sheet = workbook.worksheets[0]
        # The <dimension> a writer records can be stale (one said A1:E2 over 6 data rows, and 5
        # rows were lost): read every row whatever it claims.
        sheet.reset_dimensions()
        rows = sheet.iter_rows(min_row=1, max_col=XLSX_MAX_COLUMNS, values_only=True)
        for number, cells in enumerate(rows, start=1):
            if number > XLSX_MAX_ROWS:  # a forged row number would yield empty rows for ever
                raise ImportFileError(
                    f"{path.name} has rows beyond row {XLSX_MAX_ROWS:,}, the last one an .xlsx "
                    "sheet can have; save it again from a spreadsheet program"
                )
            yield number, cells
    except ImportFileError:
        raise
    except (ValueError, SyntaxError, TypeError) as exc:  # defusedxml refusing a DTD; bad XML
        raise ImportFileError(
            f"{path.name} holds XML sertiflow will not read ({exc.__class__.__name__}: {exc}); "
            "save it again from a spreadsheet program"
        ) from None
    finally:
        workbook.close()


def _is_empty(cells: Sequence[object]) -> bool:
    if cells.count(None) == len(cells):  # a blank workbook row: as wide as the widest read
        return True
    for cell in cells:
        if cell is None or cell == "":
            continue
        if _text(cell):
            return False
    return True


def _long_cell_check(
    csv_rows: bool, plan: Sequence[_Plan]
) -> Callable[[Sequence[object], int], bool]:
    """A quick test whether a row may hold a cell over the limit: any cell of a CSV row (they
    are all text, measured in one pass), the columns sertiflow reads of a workbook row."""
    if csv_rows:
        return lambda cells, limit: max(map(len, cells), default=0) > limit  # type: ignore[arg-type]
    read = [index for _, index, _, _, _ in plan if index >= 0]
    return lambda cells, limit: any(
        type(cells[i]) is str and len(cells[i]) > limit  # type: ignore[arg-type]
        for i in read
        if i < len(cells)
    )


_GOLDEN = 0x9E3779B97F4A7C15
_MASK64 = (1 << 64) - 1


_ROW_CAP = 2**31 - 1
"""The largest row number the NIB table keeps; a later first row is kept as this."""


class _SeenNibs:
    """Each NIB seen so far and the row it was first seen on, in an open-addressing table of
    two flat arrays: 17-34 bytes a NIB, where a dict of NIB strings to rows takes over 100."""

    def __init__(self) -> None:
        self._bits = 12
        self._keys = array("q", bytes(8 << self._bits))  # NIB + 1; 0 is a free slot
        self._rows = array("i", bytes(4 << self._bits))
        self._count = 0

    def first_row(self, nib: int, row: int) -> int | None:
        """The row ``nib`` was first seen on; None (and ``nib`` noted as on ``row``) if new."""
        key = nib + 1
        keys, shift, mask = self._keys, 64 - self._bits, (1 << self._bits) - 1
        slot = ((key * _GOLDEN) & _MASK64) >> shift
        while True:
            found = keys[slot]
            if found == key:
                return self._rows[slot]
            if not found:
                break
            slot = (slot + 1) & mask
        keys[slot] = key
        self._rows[slot] = min(row, _ROW_CAP)
        self._count += 1
        if self._count * 10 > 7 << self._bits:  # more than 70 % full
            self._grow()
        return None

    def _grow(self) -> None:
        old = zip(self._keys, self._rows, strict=True)
        self._bits += 1
        self._keys = array("q", bytes(8 << self._bits))
        self._rows = array("i", bytes(4 << self._bits))
        keys, rows = self._keys, self._rows
        shift, mask = 64 - self._bits, (1 << self._bits) - 1
        for key, row in old:
            if key:
                slot = ((key * _GOLDEN) & _MASK64) >> shift
                while keys[slot]:
                    slot = (slot + 1) & mask
                keys[slot] = key
                rows[slot] = row


# ------------------------------------------------------------------------------- reading rows
class RegistryReader:
    """One registry file (``.csv`` or ``.xlsx``), read row by row.

    Iterating yields the valid rows as :class:`UmkmRecord`, once; the bad rows are counted
    and the first ones listed, for :meth:`report`. The first non-empty row is the header;
    fully empty rows are skipped. Rows are numbered as in the spreadsheet (header = row 1).
    Raises :class:`ImportFileError` for an unsupported suffix, a file over a limit,
    an unreadable file or missing required columns (when constructed, or while iterating).
    """

    def __init__(
        self,
        path: Path,
        regencies: Iterable[Regency] = MALUKU_REGENCIES,
        limits: ImportLimits | None = None,
        *,
        progress: Callable[[int], None] | None = None,
        progress_every: int = 10_000,
    ) -> None:
        self.path = path
        self.limits = limits or ImportLimits()
        self._suffix = path.suffix.lower()
        if self._suffix not in (".csv", ".xlsx"):
            raise ImportFileError(
                f"Cannot import {path.name!r}: only .csv and .xlsx files are accepted"
            )
        size = path.stat().st_size
        if size > self.limits.max_bytes:
            raise ImportFileError(
                f"{path.name} is {_mb(size)}, more than the {_mb(self.limits.max_bytes)} an "
                "import accepts; split it into smaller files, or raise SERTIFLOW_IMPORT_MAX_BYTES"
            )
        self._regencies = tuple(regencies)
        self._progress = progress
        self._progress_every = max(1, progress_every)
        self.total_rows = 0  # non-empty data rows read so far
        self.valid_rows = 0
        self.bad_rows = 0
        self._errors: list[RowError] = []
        self._listing = True
        self._counts: dict[str, int] = {}
        self._started = False
        self.absent: frozenset[str] = frozenset()
        """The fields the file has no column for (known once the header row is read)."""

    def __iter__(self) -> Iterator[UmkmRecord]:
        if self._started:
            raise RuntimeError("a RegistryReader reads its file once")
        self._started = True
        return self._records()

    def report(self, *, created: int = 0, updated: int = 0, written: bool = False) -> ImportReport:
        """What was read so far: counts, the first errors, the errors by kind of problem."""
        counts = dict(sorted(self._counts.items(), key=lambda item: (-item[1], item[0])))
        return ImportReport(
            total_rows=self.total_rows,
            valid_rows=self.valid_rows,
            bad_rows=self.bad_rows,
            errors=tuple(self._errors),
            error_counts=counts,
            created=created,
            updated=updated,
            written=written,
        )

    def _rows(self) -> _Rows:
        if self._suffix == ".csv":
            return _read_csv(self.path, self.limits)
        return _read_xlsx(self.path, self.limits)

    def _records(self) -> Iterator[UmkmRecord]:
        parsers = _parsers(self._regencies)
        name = self.path.name
        max_rows, max_cell = self.limits.max_rows, self.limits.max_cell
        progress, every = self._progress, self._progress_every
        seen = _SeenNibs()
        layout: _Layout | None = None
        reads: tuple[tuple[int, Callable[[object], Any]], ...] = ()  # set with the layout
        reach = 0
        long_cells: Callable[[Sequence[object], int], bool]
        rows = self._rows()
        with closing(rows):
            for number, cells in rows:
                if _is_empty(cells):
                    continue
                if layout is None:
                    layout = _layout(cells, parsers)
                    reads, reach = layout.reads, layout.reach
                    self.absent = frozenset(field for field, index, *_ in layout.plan if index < 0)
                    long_cells = _long_cell_check(self._suffix == ".csv", layout.plan)
                    continue
                self.total_rows += 1
                if self.total_rows > max_rows:
                    raise ImportFileError(
                        f"{name} has more than {max_rows:,} rows (row {number:,} is one too "
                        f"many); split it into files of at most {max_rows:,} rows, or raise "
                        "SERTIFLOW_IMPORT_MAX_ROWS"
                    )
                if progress is not None and self.total_rows % every == 0:
                    progress(self.total_rows)
                if long_cells(cells, max_cell):
                    self._refuse_long_cell(number, cells, layout.plan)
                if len(cells) < reach:  # the row's last cells left out: empty
                    cells = [*cells, *[None] * (reach - len(cells))]
                values: list[Any] = []
                try:
                    for index, parse in reads:
                        values.append(parse(cells[index]))
                except _CellError:  # a bad cell: the rest of the row read cell by cell
                    self._tally(self._row_errors(number, cells, layout, seen, values))
                    continue
                duplicate = _duplicate_nib(seen, values[_NIB], number, layout.nib_header)
                if duplicate is not None:
                    self._tally([duplicate])
                    continue
                self.valid_rows += 1
                yield UmkmRecord(*values, row=number)
        if layout is None:
            raise ImportFileError(f"{name} is empty: expected a header row and data rows")
        if progress is not None:
            progress(self.total_rows)

    @staticmethod
    def _row_errors(
        number: int, cells: Sequence[object], layout: _Layout, seen: _SeenNibs, good: list[Any]
    ) -> list[tuple[str, RowError]]:
        """Each error of a row whose first ``len(good)`` fields are ``good`` and the next one's
        cell bad, by kind of problem: every bad cell, and the NIB if it is good but a duplicate
        (a good NIB is noted as seen on this row)."""
        row_errors: list[tuple[str, RowError]] = []
        nib = good[_NIB] if len(good) > _NIB else None
        for column, index, header, parse, category in layout.plan[len(good) :]:
            raw = cells[index] if index >= 0 else None
            try:
                value = parse(raw)
            except _CellError as exc:
                row_errors.append((category, RowError(number, header, _text(raw), str(exc))))
                continue
            if column == "nib":
                nib = value
        if nib is not None:
            duplicate = _duplicate_nib(seen, nib, number, layout.nib_header)
            if duplicate is not None:
                row_errors.append(duplicate)
        return row_errors

    def _refuse_long_cell(
        self, number: int, cells: Sequence[object], plan: Sequence[_Plan]
    ) -> None:
        """Refuse the file if a cell of a column sertiflow reads is over the cell limit."""
        max_cell = self.limits.max_cell
        for _, index, header, _, _ in plan:
            raw = cells[index] if 0 <= index < len(cells) else None
            if isinstance(raw, str) and len(raw) > max_cell:
                raise ImportFileError(
                    f"{self.path.name} row {number:,}, column {header!r}: the cell holds "
                    f"{len(raw):,} characters, more than the {max_cell:,} allowed; shorten it, "
                    "or raise SERTIFLOW_IMPORT_MAX_CELL"
                )

    def _tally(self, row_errors: list[tuple[str, RowError]]) -> None:
        self.bad_rows += 1
        for category, _ in row_errors:
            self._counts[category] = self._counts.get(category, 0) + 1
        if not self._listing:
            return
        errors = sorted((error for _, error in row_errors), key=lambda error: error.column)
        room = self.limits.max_errors - len(self._errors)
        if len(errors) <= room:
            self._errors.extend(errors)
            return
        if not self._errors:  # one row with more errors than are listed: its first ones
            self._errors.extend(errors[:room])
        self._listing = False  # listed rows stay whole and the first ones of the file


# ------------------------------------------------------------------------------- importing
def import_registry(
    conn: Connection | None,
    path: Path,
    now: datetime | None,
    *,
    skip_invalid: bool = False,
    limits: ImportLimits | None = None,
    regencies: Iterable[Regency] = MALUKU_REGENCIES,
    batch_size: int = BATCH_ROWS,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Read a registry file and create or update its UMKM by NIB, all or nothing. A column
    the file does not have leaves what a known business holds in it as it was.

    Valid records are written ``batch_size`` at a time (``upsert_umkm``) inside a savepoint
    of ``conn``'s transaction, which the caller commits. A bad row (unless ``skip_invalid``)
    rolls the savepoint back, so nothing is written, and the report says ``written=False``;
    a file beyond a limit, or unreadable part-way, raises :class:`ImportFileError` with the
    savepoint rolled back. ``conn`` None checks the file only (a dry run needs no database).
    ``progress`` is called with the rows read so far every 10,000 rows and at the end.
    """
    reader = RegistryReader(path, regencies, limits, progress=progress)
    if conn is None:
        for _ in reader:
            pass
        return reader.report()
    if now is None:
        raise ValueError("import_registry needs the time to stamp the rows it writes")
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    created = updated = 0
    batch: list[UmkmRecord] = []
    with conn.begin_nested() as savepoint:
        for record in reader:
            if reader.bad_rows and not skip_invalid:
                batch.clear()  # nothing will be written: only check the rest of the file
                continue
            batch.append(record)
            if len(batch) >= batch_size:
                counts = upsert_umkm(conn, batch, now, keep=reader.absent)
                created, updated = created + counts.created, updated + counts.updated
                batch = []
        if reader.bad_rows and not skip_invalid:
            savepoint.rollback()
            return reader.report()
        if batch:
            counts = upsert_umkm(conn, batch, now, keep=reader.absent)
            created, updated = created + counts.created, updated + counts.updated
    return reader.report(created=created, updated=updated, written=True)


def read_registry(
    path: Path,
    regencies: Iterable[Regency] = MALUKU_REGENCIES,
    limits: ImportLimits | None = None,
) -> ImportReport:
    """Check a ``.csv`` or ``.xlsx`` registry row by row, writing nothing (a dry run).

    Raises :class:`ImportFileError` for an unsupported suffix, a file over a limit, an
    unreadable file or missing required columns.
    """
    return import_registry(None, path, None, regencies=regencies, limits=limits)


def parse_registry_field(field: str, value: str, regencies: Sequence[Regency]) -> Any:
    """``value`` for the registry field ``field`` (a ``UmkmRecord`` field, ``regency_code``
    read from a regency's name or code among ``regencies``), checked and normalised exactly as
    an import reads that column's cell; an empty value clears an optional field. Raises
    ``InvalidInput`` naming the field and the problem."""
    parse = _parsers(regencies).get(field)
    if parse is None:
        raise InvalidInput(f"{field!r} is not a registry field")
    try:
        return parse(value)
    except _CellError as error:
        raise InvalidInput(f"{field}={value!r}: {error}") from None
