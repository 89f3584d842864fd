"""The office profile: what the office's letters print about it, set by an admin.

The letterhead (parent agency line, name, address, postcode, phone, email) and the named
signatory (name, position, rank, NIP) of the covering letter, the UMK recommendation to DJKI and
the completion letter. Each key is one row of ``office_profile``; a key never set, or set empty,
falls back to the settings (``SERTIFLOW_OFFICE_NAME`` ...) or stays empty. Every change is
journalled whole as ``office:KEY``, and ``audit verify`` compares the rows with the journal, so
an edit made outside sertiflow is caught.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import Connection, Engine, select

from workflow import journal
from workflow.directory import journal_row
from workflow.errors import InvalidInput
from workflow.permissions import acting_user, require_admin
from workflow.persistence.database import dialect_insert
from workflow.persistence.schema import OfficeProfile, User, table
from workflow.regions import check_postcode
from workflow.settings import Settings

__all__ = [
    "OFFICE",
    "OFFICE_IMAGE",
    "OFFICE_KEYS",
    "OfficeKey",
    "ProfileEntry",
    "format_nip",
    "office_subject",
    "office_values",
    "profile_entries",
    "set_office",
    "stored_profile",
]

OFFICE = table(OfficeProfile)
OFFICE_IMAGE = ("key", "value", "updated_at", "updated_by")
"""The profile columns the journal records whole with every change, and ``audit verify``
compares."""
_LONGEST = 200


def office_subject(key: str) -> str:
    """The journal subject of profile key ``key``."""
    return f"office:{key}"


def _line(value: str) -> str:
    """One line of letter text: no line breaks or control characters, at most 200 long."""
    if not value.isprintable():
        raise ValueError("write it on one line, without tabs or control characters")
    if len(value) > _LONGEST:
        raise ValueError(f"it is {len(value)} characters long; at most {_LONGEST} fit a letter")
    return value


def _nip(value: str) -> str:
    """An NIP: 18 digits (birth date, appointment month, sex, number), spaces allowed."""
    digits = re.sub(r"[\s.]", "", value)
    if not re.fullmatch(r"\d{18}", digits):
        raise ValueError(
            "an NIP has 18 digits, e.g. 19700101 199503 1 001 (spaces and dots are ignored)"
        )
    try:
        born = date(int(digits[0:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise ValueError(
            f"its first 8 digits {digits[:8]} are not a date of birth YYYYMMDD"
        ) from None
    appointed_year, appointed_month = int(digits[8:12]), int(digits[12:14])
    if not 1 <= appointed_month <= 12 or appointed_year < born.year + 15:
        raise ValueError(
            f"digits 9-14 {digits[8:14]} are not the month of appointment YYYYMM after the "
            "date of birth"
        )
    if digits[14] not in "12":
        raise ValueError(f"digit 15 is {digits[14]}; it is 1 (male) or 2 (female)")
    return digits


def _email(value: str) -> str:
    try:
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise ValueError(f"not a valid email address: {error}") from None


def _phone(value: str) -> str:
    if not re.fullmatch(r"[0-9+()\- ]{6,30}", value) or sum(c.isdigit() for c in value) < 6:
        raise ValueError("write digits with spaces, +, - or ( ), e.g. (0911) 352 417")
    return value


@dataclass(frozen=True, slots=True)
class OfficeKey:
    """One fact of the profile: its label, how a value is checked and normalised (a
    ``ValueError`` says why not), and the fallback from the settings when it is not set."""

    key: str
    label: str
    example: str
    check: Callable[[str], str] = _line
    fallback: Callable[[Settings], str] = lambda _settings: ""


OFFICE_KEYS: dict[str, OfficeKey] = {
    item.key: item
    for item in (
        OfficeKey(
            "parent_agency",
            "Instansi induk (baris kop surat)",
            "PEMERINTAH PROVINSI MALUKU - DINAS KOPERASI DAN UKM",
        ),
        OfficeKey(
            "name",
            "Nama kantor",
            "UPTD PLUT-KUMKM Provinsi Maluku",
            fallback=lambda s: s.office_name,
        ),
        OfficeKey(
            "address",
            "Alamat kantor",
            "Jl. Pattimura No. 1, Ambon",
            fallback=lambda s: s.office_address,
        ),
        OfficeKey("city", "Kota (tempat surat)", "Ambon", fallback=lambda s: s.office_city),
        OfficeKey("postcode", "Kode pos", "97127", check=check_postcode),
        OfficeKey("phone", "Telepon", "(0911) 352 417", check=_phone),
        OfficeKey("email", "Surel", "plut@maluku.go.id", check=_email),
        OfficeKey("signatory_name", "Nama penanda tangan", "Dr. Ir. Maria Latuconsina, M.Si."),
        OfficeKey(
            "signatory_position",
            "Jabatan penanda tangan",
            "Kepala UPTD PLUT-KUMKM Provinsi Maluku",
            fallback=lambda s: s.office_head,
        ),
        OfficeKey("signatory_rank", "Pangkat/golongan penanda tangan", "Pembina, IV/a"),
        OfficeKey("signatory_nip", "NIP penanda tangan", "19700101 199503 2 001", check=_nip),
        OfficeKey(
            "addressee_halal",
            "Tujuan surat ke BPJPH (jabatan lengkap)",
            "Kepala Badan Penyelenggara Jaminan Produk Halal",
        ),
        OfficeKey(
            "addressee_trademark",
            "Tujuan surat ke DJKI (jabatan lengkap)",
            "Direktur Jenderal Kekayaan Intelektual, Kementerian Hukum",
        ),
        OfficeKey(
            "addressee_sni",
            "Tujuan surat ke LSPro (jabatan lengkap)",
            "Kepala Lembaga Sertifikasi Produk Balai Standardisasi Ambon",
        ),
    )
}
"""The keys an admin may set, in the order ``office show`` lists them."""


def format_nip(nip: str) -> str:
    """An NIP of 18 digits as printed under a signature: ``19700101 199503 2 001``."""
    if len(nip) != 18 or not nip.isdigit():
        return nip
    return f"{nip[:8]} {nip[8:14]} {nip[14]} {nip[15:]}"


def stored_profile(conn: Connection) -> dict[str, str]:
    """The keys set (to a value that is not empty) and their values, as stored."""
    rows = conn.execute(select(OFFICE.c.key, OFFICE.c.value).where(OFFICE.c.value != ""))
    return {str(key): str(value) for key, value in rows if key in OFFICE_KEYS}


def office_values(conn: Connection, settings: Settings) -> dict[str, str]:
    """Every key's value: the profile's, else the settings' fallback, else empty."""
    stored = stored_profile(conn)
    return {k: stored.get(k) or item.fallback(settings) for k, item in OFFICE_KEYS.items()}


@dataclass(frozen=True, slots=True)
class ProfileEntry:
    """One key as ``office show`` prints it: where the value comes from and who set it."""

    key: str
    label: str
    value: str
    source: str  # profile | settings | unset
    updated_at: datetime | None
    updated_by: str | None


def profile_entries(conn: Connection, settings: Settings) -> list[ProfileEntry]:
    """Every key, in order, with its value, where it comes from and who last set it."""
    query = select(OFFICE.c.key, OFFICE.c.value, OFFICE.c.updated_at, User.username).outerjoin(
        User, User.id == OFFICE.c.updated_by
    )
    rows = {r.key: r for r in conn.execute(query)}
    entries = []
    for key, item in OFFICE_KEYS.items():
        row = rows.get(key)
        fallback = item.fallback(settings)
        if row is not None and row.value:
            value, source = str(row.value), "profile"
        else:
            value, source = fallback, "settings" if fallback else "unset"
        entries.append(
            ProfileEntry(
                key,
                item.label,
                value,
                source,
                None if row is None else row.updated_at,
                None if row is None else row.username,
            )
        )
    return entries


def _checked(changes: Mapping[str, str]) -> dict[str, str]:
    """``changes`` with every value checked and normalised; every problem in one error."""
    problems, values = [], {}
    for key, raw in changes.items():
        item = OFFICE_KEYS.get(key)
        if item is None:
            problems.append(
                f"{key!r} is not an office profile key (known: {', '.join(OFFICE_KEYS)})"
            )
            continue
        value = " ".join(raw.split()) if raw.isprintable() else raw.strip()
        if not value:
            values[key] = ""  # cleared: the settings' value, or nothing, is printed again
            continue
        try:
            values[key] = item.check(value)
        except ValueError as error:
            problems.append(f"{key} {raw!r}: {error}")
    if not changes:
        problems.append(
            f"nothing to set: give KEY=VALUE, e.g. signatory_nip="
            f"'{OFFICE_KEYS['signatory_nip'].example}'"
        )
    if problems:
        raise InvalidInput("; ".join(problems))
    return values


def set_office(
    db: Engine, changes: Mapping[str, str], *, acting: str, now: datetime
) -> dict[str, str]:
    """Set profile keys (``key -> value`` as typed; an empty value clears a key) as the admin
    ``acting``. Each value is checked first (the NIP's 18 digits, the email, the postcode),
    all of them or none are written, and each changed row is journalled whole. Returns the
    keys that changed, with their new values."""
    values = _checked(changes)
    with journal.writing(db) as conn:
        actor = acting_user(conn, acting)
        require_admin(actor, "change the office profile")
        current = {str(k): str(v) for k, v in conn.execute(select(OFFICE.c.key, OFFICE.c.value))}
        # A key never set and "cleared" changes nothing; any other new value is written.
        changed = {k: v for k, v in values.items() if current.get(k, "") != v}
        for key, value in changed.items():
            row: dict[str, Any] = {
                "key": key,
                "value": value,
                "updated_at": now,
                "updated_by": actor.id,
            }
            insert = dialect_insert(conn)(OfficeProfile).values(row)
            conn.execute(
                insert.on_conflict_do_update(
                    index_elements=["key"],
                    set_={"value": value, "updated_at": now, "updated_by": actor.id},
                )
            )
            journal_row(
                conn,
                OfficeProfile,
                OfficeProfile.key == key,
                OFFICE_IMAGE,
                office_subject(key),
                actor=actor,
                action="office.set",
                at=now,
            )
    return changed
