"""Tests for workflow.regions: the Maluku regency table and match_regency."""

from __future__ import annotations

import dataclasses

import pytest

from workflow.regions import MALUKU_REGENCIES, Regency, check_postcode, match_regency


def _code(text: str) -> str | None:
    found = match_regency(text)
    return None if found is None else found.code


def test_maluku_has_eleven_regions_with_the_expected_codes_names_and_seats() -> None:
    assert [(r.code, r.name, r.kind, r.seat) for r in MALUKU_REGENCIES] == [
        ("8101", "Kabupaten Kepulauan Tanimbar", "kabupaten", "Saumlaki"),
        ("8102", "Kabupaten Maluku Tenggara", "kabupaten", "Langgur"),
        ("8103", "Kabupaten Maluku Tengah", "kabupaten", "Masohi"),
        ("8104", "Kabupaten Buru", "kabupaten", "Namlea"),
        ("8105", "Kabupaten Kepulauan Aru", "kabupaten", "Dobo"),
        ("8106", "Kabupaten Seram Bagian Barat", "kabupaten", "Piru"),
        ("8107", "Kabupaten Seram Bagian Timur", "kabupaten", "Bula"),
        ("8108", "Kabupaten Maluku Barat Daya", "kabupaten", "Tiakur"),
        ("8109", "Kabupaten Buru Selatan", "kabupaten", "Namrole"),
        ("8171", "Kota Ambon", "kota", "Ambon"),
        ("8172", "Kota Tual", "kota", "Tual"),
    ]


def test_regency_is_immutable() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        MALUKU_REGENCIES[0].code = "0000"  # type: ignore[misc]


@pytest.mark.parametrize("regency", MALUKU_REGENCIES, ids=lambda r: r.code)
def test_every_region_matches_its_full_name_and_its_code(regency: Regency) -> None:
    assert match_regency(regency.name) is regency
    assert match_regency(regency.code) is regency


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Kabupaten Buru", "8104"),
        ("Buru", "8104"),
        ("BURU", "8104"),
        ("  buru  ", "8104"),
        ("Kab. Buru", "8104"),
        ("Kab Buru", "8104"),
        ("kab.buru", "8104"),
        ("KAB.  BURU", "8104"),
        ("8104", "8104"),
        (" 8104 ", "8104"),
        ("Kota Ambon", "8171"),
        ("Ambon", "8171"),
        ("kota   ambon", "8171"),
        ("Tual", "8172"),
        ("Kota Tual", "8172"),
        ("Buru Selatan", "8109"),
        ("Kab. Buru Selatan", "8109"),
        ("buruselatan", "8109"),
        ("Maluku Tengah", "8103"),
        ("Kepulauan Aru", "8105"),
        ("Kab. Kep. Aru", "8105"),
        ("Kepulauan Tanimbar", "8101"),
        ("Maluku Tenggara Barat", "8101"),
        ("Kabupaten Maluku Tenggara Barat", "8101"),
        ("MTB", "8101"),
        ("mtb", "8101"),
        ("SBB", "8106"),
        ("Kab. SBB", "8106"),
        ("Seram Bagian Barat", "8106"),
        ("SBT", "8107"),
        ("Seram Bagian Timur", "8107"),
        ("MBD", "8108"),
        ("Maluku Barat Daya", "8108"),
    ],
)
def test_accepted_spellings_find_the_right_region(text: str, code: str) -> None:
    assert _code(text) == code


def test_buru_is_never_confused_with_buru_selatan() -> None:
    assert _code("Buru") == "8104"
    assert _code("Kabupaten Buru") == "8104"
    assert _code("Buru Selatan") == "8109"
    assert _code("Kabupaten Buru Selatan") == "8109"


def test_maluku_tenggara_is_never_confused_with_maluku_tenggara_barat() -> None:
    assert _code("Maluku Tenggara") == "8102"
    assert _code("Kab. Maluku Tenggara") == "8102"
    assert _code("Maluku Tenggara Barat") == "8101"
    assert _code("Maluku Tengah") == "8103"


def test_partial_names_do_not_match_anything() -> None:
    assert match_regency("Selatan") is None
    assert match_regency("Maluku") is None
    assert match_regency("Seram") is None
    assert match_regency("Bur") is None


def test_a_prefix_that_contradicts_the_kind_of_region_does_not_match() -> None:
    assert match_regency("Kabupaten Ambon") is None
    assert match_regency("Kab. Tual") is None
    assert match_regency("Kota Buru") is None


@pytest.mark.parametrize("text", ["", "   ", "Jakarta", "8100", "81.04", "810", "Kab."])
def test_unknown_or_empty_text_matches_nothing(text: str) -> None:
    assert match_regency(text) is None


def test_a_custom_list_of_regions_can_be_searched_even_as_a_generator() -> None:
    custom = Regency("9999", "Kota Contoh", "kota", "Contoh")
    assert match_regency("contoh", (r for r in [custom])) is custom
    assert match_regency("9999", [custom]) is custom
    assert match_regency("Ambon", [custom]) is None


@pytest.mark.parametrize(("text", "expected"), [("97128", "97128"), (" 97611 ", "97611")])
def test_a_postcode_is_five_digits_with_the_spaces_around_it_dropped(
    text: str, expected: str
) -> None:
    assert check_postcode(text) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "has 5 digits, e.g. 97128: write the digits only"),
        ("9712", "has 5 digits, e.g. 97128, not 4: look it up for the village"),
        ("971280", "has 5 digits, e.g. 97128, not 6"),
        ("97-128", "write the digits only, without letters, spaces or dots"),
        ("97.128", "write the digits only"),
        ("kode pos", "write the digits only"),
        ("٩٧١٢٨", "write the digits only"),  # digits, but not the ones a form takes
        ("00128", "never starts with 0 (Maluku's start with 97, e.g. 97128)"),
    ],
)
def test_a_bad_postcode_is_refused_saying_what_is_wrong_and_what_to_write(
    text: str, says: str
) -> None:
    with pytest.raises(ValueError, match=r"^a postcode \(kode pos\) ") as refused:
        check_postcode(text)
    assert says in str(refused.value)
