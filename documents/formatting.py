"""Dates, Rupiah and two-language strings for documents, through Babel.

Bahasa Indonesia is the default; English is available for every string: templates write both
side by side (``tr("Daftar Produk", "Product list")``) so that no string can be missing in one
language.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal

__all__ = ["LANGUAGES", "long_date", "number", "roman_month", "rupiah", "tr"]

LANGUAGES = ("id", "en")
_LOCALES = {"id": "id_ID", "en": "en_GB"}
_ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")


def _locale(lang: str) -> str:
    try:
        return _LOCALES[lang]
    except KeyError:
        raise ValueError(f"unknown language {lang!r}; use one of: {', '.join(LANGUAGES)}") from None


@lru_cache(maxsize=4096)
def long_date(day: date | None, lang: str = "id") -> str:
    """``30 Juni 2020`` (id) or ``30 June 2020`` (en); an empty string for no date. Kept for
    the last few thousand days asked: Babel reads its pattern anew on every call, and a list
    of applications asks for the same deadlines again and again."""
    return "" if day is None else format_date(day, format="long", locale=_locale(lang))


def rupiah(amount: int | None, lang: str = "id") -> str:
    """``Rp650.000`` (id) or ``IDR 650,000`` (en)."""
    if amount is None:
        return ""
    if lang == "id":
        return format_currency(
            amount, "IDR", format="¤#,##0", locale="id_ID", currency_digits=False
        )
    return format_currency(
        amount, "IDR", format="¤\u00a0#,##0", locale=_locale(lang), currency_digits=False
    ).replace("IDR\u00a0", "IDR ")


def number(value: int | float, lang: str = "id") -> str:
    """A number with the language's separators (``1.036`` in Indonesian)."""
    return format_decimal(value, locale=_locale(lang))


def roman_month(day: date) -> str:
    """The month in Roman numerals, as Indonesian letter numbers write it (``XI``)."""
    return _ROMAN[day.month - 1]


def tr(lang: str, indonesian: str, english: str) -> str:
    """The string in ``lang``."""
    return english if lang == "en" else indonesian
