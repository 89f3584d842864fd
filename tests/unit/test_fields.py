"""Reading the values a trigger carries: every problem reported at once."""

from __future__ import annotations

from datetime import date

import pytest

from workflow.errors import InvalidInput, SertiflowError
from workflow.fields import parse_fields
from workflow.model import Field, Transition
from workflow.processes import SNI, TRADEMARK
from workflow.processes.common import PLUT

TODAY = date(2026, 11, 2)
NUMBER = Field("certificate_number", "Nomor", pattern=r"^IDM\d{9}$", example="IDM001234567")
ISSUED = Field("issued_on", "Tanggal terbit", kind="date", example="2026-11-30")
FILED = Field(
    "filed_on", "Tanggal penerimaan", kind="date", example="2026-11-30", default_today=True
)
UNTIL = Field("expires_on", "Sampai", kind="date", example="2036-11-30", allow_future=True)
NOTE = Field("reference", "Nomor surat", required=False, example="S-1/2026")


def rule(*fields: Field) -> Transition:
    return Transition("approved", ("A",), "B", PLUT, "Disetujui", fields=fields)


def test_declared_fields_are_read_and_typed() -> None:
    values = parse_fields(
        rule(NUMBER, ISSUED, NOTE),
        {"certificate_number": " IDM000000042 ", "issued_on": "2026-10-30", "reference": "S-9"},
        TODAY,
    )
    assert values == {
        "certificate_number": "IDM000000042",
        "issued_on": date(2026, 10, 30),
        "reference": "S-9",
    }


def test_a_trigger_without_fields_takes_nothing() -> None:
    assert parse_fields(rule(), {}, TODAY) == {}


def test_a_missing_required_field_is_refused_with_an_example() -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_fields(rule(NUMBER), {}, TODAY)
    assert str(raised.value) == (
        "certificate_number (Nomor) is required, e.g. certificate_number=IDM001234567"
    )


def test_a_blank_required_field_counts_as_missing() -> None:
    with pytest.raises(InvalidInput, match=r"issued_on \(Tanggal terbit\) is required"):
        parse_fields(rule(ISSUED), {"issued_on": "   "}, TODAY)


def test_an_optional_field_may_be_left_out() -> None:
    assert parse_fields(rule(NOTE), {}, TODAY) == {}


def test_an_unknown_field_is_refused_naming_the_fields_it_takes() -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_fields(rule(NOTE), {"reference": "S-1", "nomor": "1", "colour": "red"}, TODAY)
    assert str(raised.value) == "approved does not take colour, nomor (it takes reference)"


def test_a_field_given_to_a_trigger_without_fields_is_refused() -> None:
    with pytest.raises(InvalidInput, match=r"approved does not take x \(it takes no fields\)"):
        parse_fields(rule(), {"x": "1"}, TODAY)


@pytest.mark.parametrize("text", ["30-10-2026", "2026-13-01", "kemarin", "2026/10/30"])
def test_a_bad_date_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_fields(rule(ISSUED), {"issued_on": text}, TODAY)
    assert str(raised.value) == f"issued_on must be a date YYYY-MM-DD, got {text!r}"


def test_a_future_date_is_refused() -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_fields(rule(ISSUED), {"issued_on": "2026-11-03"}, TODAY)
    assert str(raised.value) == "issued_on 2026-11-03 is in the future"


def test_today_is_not_in_the_future() -> None:
    assert parse_fields(rule(ISSUED), {"issued_on": "2026-11-02"}, TODAY) == {"issued_on": TODAY}


def test_a_field_that_allows_the_future_takes_a_future_date() -> None:
    assert parse_fields(rule(UNTIL), {"expires_on": "2036-11-02"}, TODAY) == {
        "expires_on": date(2036, 11, 2)
    }


def test_a_pattern_mismatch_is_refused_with_an_example() -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_fields(rule(NUMBER), {"certificate_number": "IDM12345"}, TODAY)
    assert str(raised.value) == (
        "certificate_number 'IDM12345' is not a valid Nomor, e.g. IDM001234567"
    )


def test_the_pattern_must_match_the_whole_value() -> None:
    with pytest.raises(InvalidInput, match="is not a valid Nomor"):
        parse_fields(rule(NUMBER), {"certificate_number": "IDM0012345678"}, TODAY)


def test_a_default_today_field_left_out_means_today() -> None:
    assert parse_fields(rule(FILED), {}, TODAY) == {"filed_on": TODAY}
    assert parse_fields(rule(FILED), {"filed_on": ""}, TODAY) == {"filed_on": TODAY}
    assert parse_fields(rule(FILED), {"filed_on": "2026-10-01"}, TODAY) == {
        "filed_on": date(2026, 10, 1)
    }


def test_every_problem_is_reported_in_one_error() -> None:
    given = {"certificate_number": "123", "filed_on": "2027-01-01", "extra": "x"}
    with pytest.raises(InvalidInput) as raised:
        parse_fields(rule(NUMBER, ISSUED, FILED), given, TODAY)
    problems = str(raised.value).split("; ")
    assert problems == [
        "approved does not take extra (it takes certificate_number, issued_on, filed_on)",
        "certificate_number '123' is not a valid Nomor, e.g. IDM001234567",
        "issued_on (Tanggal terbit) is required, e.g. issued_on=2026-11-30",
        "filed_on 2027-01-01 is in the future",
    ]
    assert isinstance(raised.value, SertiflowError)
    assert raised.value.code == "invalid_input"


def test_the_trademark_registration_takes_an_idm_number_and_an_issue_date() -> None:
    approved = TRADEMARK.transition("approved", "SUBSTANTIVE_EXAM")
    assert approved is not None
    values = parse_fields(
        approved, {"certificate_number": "IDM000123456", "issued_on": "2026-11-02"}, TODAY
    )
    assert values == {"certificate_number": "IDM000123456", "issued_on": TODAY}
    with pytest.raises(InvalidInput, match="is not a valid Nomor pendaftaran merek"):
        parse_fields(
            approved, {"certificate_number": "ID000123456", "issued_on": "2026-11-02"}, TODAY
        )


def test_the_sni_grant_refuses_a_lowercase_certificate_number() -> None:
    grant = SNI.transition("grant", "DECISION")
    assert grant is not None
    with pytest.raises(InvalidInput, match="is not a valid Nomor SPPT SNI"):
        parse_fields(
            grant, {"certificate_number": "lspro-1/2026", "issued_on": "2026-11-02"}, TODAY
        )
