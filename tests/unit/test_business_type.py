"""Food service (restaurants, canteens, catering; KBLI 56xxx) is refused the self-declare path,
and the registry import reads a business's type and KBLI code (optional columns)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from workflow.business_type import FOOD_SERVICE_RULE, food_service_problem, parse_kbli
from workflow.guards import UmkmProfile, self_declare_problems
from workflow.policy import Policy
from workflow.umkm_import import RegistryReader

HEADERS = ["NIB", "Nama Usaha", "Pemilik", "Skala", "Kabupaten/Kota"]


def _profile(name: str, business_type: str | None = None, kbli: str | None = None) -> UmkmProfile:
    return UmkmProfile(1, "8120000000001", name, "mikro", 120_000_000, 1, True, business_type, kbli)


@pytest.mark.parametrize(
    ("name", "business_type", "kbli", "cause"),
    [
        ("Rumah Makan Padang Sederhana", None, None, "the business name says 'rumah makan'"),
        ("Padang Sederhana", "Rumah makan", None, "business type 'Rumah makan' is food service"),
        ("Dapur Ibu Ros", "Jasa boga / katering", None, "business type"),
        ("Kantin Sekolah Hative", "kantin", "56290", "KBLI 56290 is food service"),
        ("Sagu Ibu Ana", "produsen sagu", "56101", "KBLI 56101 is food service"),
        ("Warung Makan Mama Ona", None, None, "the business name says 'warung makan'"),
    ],
)
def test_food_service_is_refused_self_declare_with_a_reason_naming_the_rule(
    name: str, business_type: str | None, kbli: str | None, cause: str
) -> None:
    problems = self_declare_problems(_profile(name, business_type, kbli), Policy())
    assert len(problems) == 1
    assert problems[0].startswith(cause)
    assert problems[0].endswith(FOOD_SERVICE_RULE)
    assert "KBLI 56xxx" in FOOD_SERVICE_RULE and "Kepkaban 150/2022" in FOOD_SERVICE_RULE


@pytest.mark.parametrize(
    ("name", "business_type", "kbli"),
    [
        ("Sagu Ibu Ana", None, None),
        ("Keripik Pisang Mama Ona", "produsen keripik", "10794"),
        ("Kantin Rasa Keripik", "produsen keripik", None),  # the recorded type wins
        ("Rumah Makan Lama", None, "10794"),  # a KBLI of goods wins over the name
        ("Restorasi Kain Tenun", None, None),  # whole words only: "restorasi" is not "resto"
    ],
)
def test_a_producer_of_goods_stays_eligible(
    name: str, business_type: str | None, kbli: str | None
) -> None:
    assert self_declare_problems(_profile(name, business_type, kbli), Policy()) == []
    assert food_service_problem(business_type, kbli, name) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [("10794", "10794"), (" KBLI 56101 ", "56101"), ("kbli10130", "10130"), ("", None)],
)
def test_kbli_codes_are_read_in_the_forms_offices_write(text: str, expected: str | None) -> None:
    assert parse_kbli(text) == expected


@pytest.mark.parametrize("text", ["1079", "107940", "10.794", "KBLI", "abcde", "00123", "56 101"])
def test_a_bad_kbli_code_is_refused_naming_the_form(text: str) -> None:
    with pytest.raises(ValueError, match="KBLI must be a 5-digit KBLI 2020 code such as 10794"):
        parse_kbli(text)


def _registry(tmp_path: Path, headers: list[str], *rows: list[str]) -> Path:
    path = tmp_path / "registry.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([HEADERS + headers, *rows])
    return path


def _cells(nib: str, *extra: str) -> list[str]:
    return [nib, "Rumah Makan Padang Sederhana", "Ani", "mikro", "Ambon", *extra]


@pytest.mark.parametrize(
    ("type_header", "kbli_header"),
    [("Jenis Usaha", "KBLI"), ("Bidang Usaha", "Kode KBLI"), ("Business type", "KBLI code")],
)
def test_the_import_reads_business_type_and_kbli(
    tmp_path: Path, type_header: str, kbli_header: str
) -> None:
    path = _registry(
        tmp_path,
        [type_header, kbli_header],
        _cells("8120000000001", "  Rumah   makan ", "KBLI 56101"),
        _cells("8120000000002", "", ""),
    )
    typed, untyped = RegistryReader(path)
    assert (typed.business_type, typed.kbli) == ("Rumah makan", "56101")
    assert (untyped.business_type, untyped.kbli) == (None, None)


def test_the_import_leaves_business_type_and_kbli_empty_when_the_columns_are_absent(
    tmp_path: Path,
) -> None:
    (record,) = RegistryReader(_registry(tmp_path, [], _cells("8120000000001")))
    assert (record.business_type, record.kbli) == (None, None)


def test_a_bad_kbli_or_an_overlong_business_type_is_a_row_error(tmp_path: Path) -> None:
    path = _registry(
        tmp_path,
        ["Jenis Usaha", "KBLI"],
        _cells("8120000000001", "rumah makan", "5610"),
        _cells("8120000000002", "x" * 101, "10794"),
        _cells("8120000000003", "produsen keripik", "10794"),
    )
    reader = RegistryReader(path)
    assert [r.nib for r in reader] == ["8120000000003"]
    report = reader.report()
    assert [(e.row, e.column, e.value) for e in report.errors] == [
        (2, "KBLI", "5610"),
        (3, "Jenis Usaha", "x" * 101),
    ]
    assert report.errors[0].reason.startswith("KBLI must be a 5-digit KBLI 2020 code")
    assert report.errors[1].reason.startswith("Business type must be at most 100 characters")
    assert report.error_counts == {"business_type": 1, "kbli": 1}
