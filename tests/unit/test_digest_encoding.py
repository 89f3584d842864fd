"""The journal's digests: the encoder built once writes exactly what ``json.dumps`` writes."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflow.audit import plain
from workflow.directory import UMKM_IMAGE, digest, umkm_digest


def _reference(values: Any) -> str:
    """The digest as ``json.dumps`` with the canonical options writes it."""
    text = json.dumps(values, default=plain, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text()  # any code point: non-ASCII, quotes, backslashes, control characters
    | st.datetimes()
    | st.dates()
)
_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=5), max_leaves=30)


@given(_VALUES)
def test_a_digest_is_of_the_canonical_json(values: Any) -> None:
    assert digest(values) == _reference(values)


def test_a_registry_row_digests_as_the_canonical_json_of_its_columns() -> None:
    row: dict[str, Any] = {
        "nib": "8100000000001",
        "name": 'Kopi "Rempah" Mama Ona \\ Ambon',
        "owner_name": "Ona Latuconsina",
        "kind": "umkm",
        "scale": "mikro",
        "regency_code": "8171",
        "email": "ona.sagu@gmail.com",
        "phone": "+6281234567890",
        "address": "Jl. Sultan Hairun No. 5, Ambon — dekat pasar\ttab",
        "annual_turnover": 1_500_000_000,
        "production_sites": 2,
        "simple_process": False,
        "products": "Sagu lempeng, bagéa",
        "language": "id",
        "business_type": None,
        "kbli": "10794",
        "postcode": "97128",
    }
    assert umkm_digest(row) == _reference([row[c] for c in UMKM_IMAGE])
    assert digest([[datetime(2026, 11, 2, 2, 0), date(2026, 11, 2)]]) == _reference(
        [["2026-11-02T02:00:00.000000", "2026-11-02"]]
    )


def test_a_value_json_cannot_write_is_refused_as_before() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        digest([{1, 2}])
    assert digest([]) == _reference([])  # the encoder is usable after a refusal
