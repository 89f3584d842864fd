"""Languages of the web pages: Babel message catalogs, dates and Rupiah for the locale.

The templates' strings are English message ids marked with ``_()``; ``web/locale/id`` holds
their Indonesian, the default language. ``make messages`` extracts them (``pybabel extract``)
and updates the catalogs; the build compiles them (``pybabel compile`` in the Makefile's install
step). A catalog whose ``.mo`` is missing or older than its ``.po`` (a fresh checkout run without
``make``) is compiled in memory when the app starts, so a page is never shown untranslated.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import cache
from gettext import GNUTranslations, NullTranslations
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from documents.formatting import LANGUAGES, long_date, rupiah

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LOCALE_DIR",
    "compiled",
    "days_left",
    "filters",
    "gettext",
    "language_of",
    "local_time",
    "ngettext",
    "translations",
]

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DEFAULT_LANGUAGE = "id"
DOMAIN = "messages"


def compiled(lang: str) -> GNUTranslations | NullTranslations:
    """The catalog of ``lang``: the compiled ``.mo`` when it is up to date, else the ``.po``
    compiled in memory; no catalog at all gives the message ids (English) unchanged."""
    folder = LOCALE_DIR / lang / "LC_MESSAGES"
    po, mo = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    if mo.is_file() and (not po.is_file() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as handle:
            return GNUTranslations(handle)
    if not po.is_file():
        return NullTranslations()
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return GNUTranslations(buffer)


@cache
def translations(lang: str) -> GNUTranslations | NullTranslations:
    """The process's catalog of ``lang`` (one of ``LANGUAGES``), loaded once."""
    return compiled(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)


def language_of(query: str | None, cookie: str | None) -> str:
    """The page's language: ``?lang=`` first, then the ``lang`` cookie, then Indonesian."""
    for choice in (query, cookie):
        if choice in LANGUAGES:
            return str(choice)
    return DEFAULT_LANGUAGE


@pass_context
def gettext(context: Context, message: str) -> str:
    """``_()`` in templates: ``message`` in the page's language (Jinja's i18n extension fills
    in ``%(name)s`` and escapes the values)."""
    return translations(context.get("lang", DEFAULT_LANGUAGE)).gettext(message)


@pass_context
def ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    """``ngettext()`` in templates (``%(num)s`` is ``n``)."""
    return translations(context.get("lang", DEFAULT_LANGUAGE)).ngettext(singular, plural, n)


def local_time(moment: datetime, zone: str, lang: str) -> str:
    """A stored (naive UTC) time as the office's wall-clock time, in words of ``lang``, with
    the zone as Indonesia names it in either language (WIB, WITA, WIT)."""
    office = ZoneInfo(zone)
    local = moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(office)
    locale = "id_ID" if lang == "id" else "en_GB"
    when = format_datetime(local, "d MMMM y, HH:mm", tzinfo=office, locale=locale)
    return f"{when} {format_datetime(local, 'zzz', tzinfo=office, locale='id_ID')}"


def days_left(left: int | None, lang: str) -> Markup:
    """A deadline's working days in words of ``lang``: "3 working days left", or, stressed,
    "today" or "2 working days late" (nothing when there is no deadline). A filter, not a
    macro: a list calls it on each of its rows, and a macro with a translated plural cost a
    fifth of a 50-row page's rendering."""
    if left is None:
        return Markup()
    catalog = translations(lang)
    if left > 0:
        words = catalog.ngettext("%(num)s working day left", "%(num)s working days left", left)
        return escape(words % {"num": left})
    if left == 0:
        words = catalog.gettext("today")
    else:
        words = catalog.ngettext("%(num)s working day late", "%(num)s working days late", -left)
        words %= {"num": -left}
    return Markup(f"<strong>{escape(words)}</strong>")


def _in_page_language(words: Callable[[Any, str], Any]) -> Callable[[Context, Any], Any]:
    """A filter saying ``words(value, lang)`` in the page's language."""

    @pass_context
    def page_filter(context: Context, value: Any) -> Any:
        return words(value, context.get("lang", DEFAULT_LANGUAGE))

    return page_filter


def filters() -> Mapping[str, Any]:
    """The Jinja filters pages use: ``long_date``, ``rupiah`` and ``days_left`` in the page's
    language."""
    return {
        name: _in_page_language(words)
        for name, words in (("long_date", long_date), ("rupiah", rupiah), ("days_left", days_left))
    }
