"""The days left before a deadline, as the pages' ``days_left`` filter words them."""

from __future__ import annotations

from markupsafe import Markup

from web.i18n import days_left


def test_days_left_in_each_language_late_and_today_stressed() -> None:
    assert days_left(3, "id") == "3 hari kerja lagi"
    assert days_left(1, "en") == "1 working day left"
    assert days_left(0, "id") == Markup("<strong>hari ini</strong>")
    assert days_left(0, "en") == Markup("<strong>today</strong>")
    assert days_left(-1, "id") == Markup("<strong>terlambat 1 hari kerja</strong>")
    assert days_left(-4, "en") == Markup("<strong>4 working days late</strong>")
    assert days_left(None, "id") == ""


def test_days_left_is_markup_that_escapes_a_catalogs_words() -> None:
    words = days_left(2, "en")
    assert isinstance(words, Markup) and "<" not in words
