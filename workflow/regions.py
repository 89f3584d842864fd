"""The regencies (kabupaten) and cities (kota) of Maluku province.

PLUT-KUMKM offices record where each UMKM is based using whatever spelling the
officer happened to type: ``"Kab. Buru"``, ``"BURU"``, ``"8104"``, ``"SBB"`` or the
pre-2019 name ``"Maluku Tenggara Barat"``. This module holds the eleven
second-level regions of Maluku as data and :func:`match_regency`, which maps those
spellings onto one :class:`Regency`.

Codes are the four-digit BPS codes (``8104`` for Buru). The Kemendagri codes use a
different order and a dot (``81.03``), so dotted codes are deliberately not
accepted: ``"81.01"`` would be Maluku Tengah there but Kepulauan Tanimbar here.

Matching is exact after normalisation (case folding, dropping punctuation and
whitespace), never by prefix or substring, so ``"Buru"`` cannot match Buru
Selatan and ``"Maluku Tenggara"`` cannot match Maluku Tenggara Barat.

:func:`check_postcode` checks an Indonesian postcode (kode pos), wherever one is typed: the
office's letterhead and a business's record.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

__all__ = ["MALUKU_REGENCIES", "POSTCODE_EXAMPLE", "Regency", "check_postcode", "match_regency"]


@dataclass(frozen=True, slots=True)
class Regency:
    """One regency (kabupaten) or city (kota).

    ``name`` is the official name with its prefix, e.g. ``"Kabupaten Buru"``;
    ``kind`` is ``"kabupaten"`` or ``"kota"``; ``seat`` is the administrative seat.
    """

    code: str
    name: str
    kind: str  # "kabupaten" | "kota"
    seat: str


MALUKU_REGENCIES: tuple[Regency, ...] = (
    Regency("8101", "Kabupaten Kepulauan Tanimbar", "kabupaten", "Saumlaki"),
    Regency("8102", "Kabupaten Maluku Tenggara", "kabupaten", "Langgur"),
    Regency("8103", "Kabupaten Maluku Tengah", "kabupaten", "Masohi"),
    Regency("8104", "Kabupaten Buru", "kabupaten", "Namlea"),
    Regency("8105", "Kabupaten Kepulauan Aru", "kabupaten", "Dobo"),
    Regency("8106", "Kabupaten Seram Bagian Barat", "kabupaten", "Piru"),
    Regency("8107", "Kabupaten Seram Bagian Timur", "kabupaten", "Bula"),
    Regency("8108", "Kabupaten Maluku Barat Daya", "kabupaten", "Tiakur"),
    Regency("8109", "Kabupaten Buru Selatan", "kabupaten", "Namrole"),
    Regency("8171", "Kota Ambon", "kota", "Ambon"),
    Regency("8172", "Kota Tual", "kota", "Tual"),
)

# Other names by which a region is known, keyed by code. Each is also accepted
# with the region's prefix ("Kab. SBB", "Kabupaten Maluku Tenggara Barat").
_EXTRA_NAMES: dict[str, tuple[str, ...]] = {
    "8101": ("Maluku Tenggara Barat", "MTB"),
    "8106": ("SBB",),
    "8107": ("SBT",),
    "8108": ("MBD",),
}

_PREFIXES: dict[str, tuple[str, ...]] = {
    "kabupaten": ("Kabupaten", "Kab"),
    "kota": ("Kota",),
}

_NON_ALNUM = re.compile(r"[\W_]+")


def _key(text: str) -> str:
    """Fold case, expand "Kep." to "Kepulauan" and drop everything but letters and digits."""
    words = _NON_ALNUM.sub(" ", text.casefold()).split()
    return "".join("kepulauan" if word == "kep" else word for word in words)


def _bare_name(regency: Regency) -> str:
    """The name without its "Kabupaten"/"Kota" prefix."""
    for prefix in _PREFIXES.get(regency.kind, ()):
        if regency.name.startswith(prefix + " "):
            return regency.name[len(prefix) + 1 :]
    return regency.name


@cache
def _aliases(regency: Regency) -> frozenset[str]:
    """Every normalised spelling that identifies ``regency`` (codes excluded)."""
    names = [regency.name, _bare_name(regency), *_EXTRA_NAMES.get(regency.code, ())]
    aliases = {_key(name) for name in names}
    for prefix in _PREFIXES.get(regency.kind, ()):
        aliases.update(_key(f"{prefix} {name}") for name in names[1:])
    return frozenset(aliases)


def match_regency(text: str, regencies: Iterable[Regency] = MALUKU_REGENCIES) -> Regency | None:
    """Return the regency or city that ``text`` names, or ``None``.

    Case, whitespace and punctuation are ignored. Accepted spellings are the full
    name (``"Kabupaten Buru"``), the name without prefix (``"Buru"``), the
    abbreviated prefixes ``"Kab."``/``"Kab"`` (and ``"Kep."`` for "Kepulauan"),
    the four-digit BPS code (``"8104"``), the former name ``"Maluku Tenggara
    Barat"``/``"MTB"`` of Kepulauan Tanimbar, and ``"SBB"``, ``"SBT"``, ``"MBD"``.
    A prefix that contradicts the region's kind (``"Kabupaten Ambon"``) does not
    match. Names are compared whole, so ``"Buru"`` never matches Buru Selatan.
    """
    stripped = text.strip()
    if not stripped:
        return None
    candidates = tuple(regencies)
    if stripped.isdigit():
        return next((r for r in candidates if r.code == stripped), None)
    key = _key(stripped)
    return next((r for r in candidates if key in _aliases(r)), None)


POSTCODE_EXAMPLE = "97128"
"""A postcode to show in a hint: one of Kota Ambon's (971xx)."""


def check_postcode(value: str) -> str:
    """``value`` as an Indonesian postcode (kode pos): five ASCII digits, the first not 0 (Pos
    Indonesia numbers them 10xxx to 99xxx), spaces around them dropped. Raises ``ValueError``
    saying what is wrong and how to write one; every place a postcode is typed checks it here."""
    text = value.strip()
    if not (text.isascii() and text.isdigit()):
        raise ValueError(
            f"a postcode (kode pos) has 5 digits, e.g. {POSTCODE_EXAMPLE}: write the digits "
            "only, without letters, spaces or dots"
        )
    if len(text) != 5:
        raise ValueError(
            f"a postcode (kode pos) has 5 digits, e.g. {POSTCODE_EXAMPLE}, not {len(text)}: "
            "look it up for the village (kelurahan/desa)"
        )
    if text[0] == "0":
        raise ValueError(
            f"a postcode (kode pos) never starts with 0 (Maluku's start with 97, e.g. "
            f"{POSTCODE_EXAMPLE}): look it up for the village (kelurahan/desa)"
        )
    return text
