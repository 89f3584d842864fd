"""The status link in an email opens one UMKM's page until it expires, and nothing else."""

from __future__ import annotations

from datetime import date

import pytest

from workflow.errors import InvalidInput
from workflow.status_link import make_status_token, read_status_token

SECRET = b"office-secret-key-for-tests-0123456789"


def test_a_token_opens_its_umkm_until_the_end_of_its_last_day() -> None:
    token = make_status_token(SECRET, 42, date(2026, 12, 31))
    assert read_status_token(SECRET, token, date(2026, 12, 2)) == 42
    assert read_status_token(SECRET, token, date(2026, 12, 31)) == 42
    with pytest.raises(InvalidInput, match="expired on 2026-12-31"):
        read_status_token(SECRET, token, date(2027, 1, 1))


@pytest.mark.parametrize(
    "forge",
    [
        lambda t: t.replace("42.", "43.", 1),  # another UMKM
        lambda t: t.replace("20261231", "20271231"),  # a later expiry
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # a changed signature
        lambda t: t.rpartition(".")[0],  # no signature
        lambda t: "",
        lambda t: "42.2026123.x",
        lambda t: "../../etc/passwd",
    ],
)
def test_a_changed_or_malformed_token_opens_nothing(forge: object) -> None:
    token = make_status_token(SECRET, 42, date(2026, 12, 31))
    forged = forge(token)  # type: ignore[operator]
    with pytest.raises(InvalidInput, match="not valid"):
        read_status_token(SECRET, forged, date(2026, 12, 2))


def test_another_offices_key_opens_nothing() -> None:
    token = make_status_token(SECRET, 42, date(2026, 12, 31))
    with pytest.raises(InvalidInput, match="not valid"):
        read_status_token(b"another-office-key-0123456789-abcdef", token, date(2026, 12, 2))
