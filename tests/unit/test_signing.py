"""The signature that vouches for an issued record, its verification code, and how both are kept."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from documents.issued import DOCUMENTS
from documents.packets import PACKETS
from documents.signing import (
    DOCUMENT_FIELDS,
    PACKET_FIELDS,
    RecordTampered,
    make_code,
    save_signed,
    sign_record,
    signature_ok,
    trusted,
)
from workflow.journal import JOURNAL

KEY = b"office key"


def record(**changes: object) -> dict[str, Any]:
    row: dict[str, Any] = {
        "code": "SF-ABCD-EFGH",
        "reference": "001/HLR/PLUT/XI/2026",
        "application_id": 7,
        "state": "DOC_PREPARATION",
        "lang": "id",
        "template_version": "0123456789abcdef",
        "inputs_hash": "a" * 64,
        "content_hash": "b" * 64,
        "pages": 3,
        "size": 4096,
        "issued_on": date(2026, 11, 2),
        "document": "product_list",
    }
    return {**row, **changes}


def signed(fields: tuple[str, ...] = PACKET_FIELDS, **changes: object) -> dict[str, Any]:
    row = record(**changes)
    return {**row, "signature": sign_record(KEY, row, fields)}


# --------------------------------------------------------------------------- signatures


def test_a_signature_made_by_an_earlier_release_still_verifies() -> None:
    """Records in the database were signed by earlier releases: the same fields, joined the same
    way, must give the same HMAC, or every issued document would turn into "tampered"."""
    assert sign_record(KEY, record()) == (
        "5ff6c8871686253de3144b63a736f41808e13592f8463b802e28771b78264fff"
    )
    assert sign_record(KEY, record(), DOCUMENT_FIELDS) == (
        "182df55d173adba64f470532d6cd2b2ca439bdc2fa84a821d8ecc97bc24d0a45"
    )


def test_changing_any_vouched_for_field_breaks_the_signature() -> None:
    changed: dict[str, object] = {
        "code": "SF-ABCD-EFGX",
        "application_id": 8,
        "state": "SUBMITTED",
        "lang": "en",
        "template_version": "fedcba9876543210",
        "inputs_hash": "c" * 64,
        "content_hash": "d" * 64,
        "pages": 4,
        "issued_on": date(2026, 11, 3),
        "document": "materials_list",
        "reference": "002/HLR/PLUT/XI/2026",
    }
    for name, value in changed.items():
        fields = DOCUMENT_FIELDS if name in ("document", "reference") else PACKET_FIELDS
        row = {**signed(fields), name: value}
        assert not signature_ok(KEY, row, fields), name
    assert signature_ok(KEY, signed(PACKET_FIELDS), PACKET_FIELDS)
    assert signature_ok(KEY, signed(DOCUMENT_FIELDS), DOCUMENT_FIELDS)
    assert signature_ok(KEY, {**signed(), "size": 1}), "the file size is not vouched for"


def test_another_offices_key_does_not_verify() -> None:
    assert not signature_ok(b"another office's key", signed())


def test_a_tampered_record_is_refused_and_says_what_to_do() -> None:
    row = signed()
    assert trusted(KEY, row, PACKET_FIELDS, "packet") is row
    document = signed(DOCUMENT_FIELDS)
    assert trusted(KEY, document, DOCUMENT_FIELDS, "document") is document
    with pytest.raises(RecordTampered) as refused:
        trusted(KEY, {**row, "pages": 2}, PACKET_FIELDS, "packet")
    assert str(refused.value) == (
        "the record of packet SF-ABCD-EFGH of application #7 does not match its signature: the "
        "database entry was changed, so nothing was issued; restore the record from a backup"
    )
    assert refused.value.code == "record_tampered"


# --------------------------------------------------------------------------- codes


def test_a_verification_code_is_the_one_an_earlier_release_derived() -> None:
    """A lost file is made again under the code its record holds, and two workers (maybe of two
    releases during an upgrade) must agree on the code of the same packet."""
    parts = (7, "DOC_PREPARATION", "id", "a" * 64, "0123456789abcdef")
    assert make_code(KEY, *parts) == "SF-GJJ3-J7EL"
    assert make_code(KEY, "document", 7, "a" * 64) == "SF-CTXS-KF3K"


def test_codes_differ_by_part_boundaries_and_by_office() -> None:
    assert make_code(KEY, 1, 23) != make_code(KEY, 12, 3)
    assert make_code(KEY, 7, "id") != make_code(b"another office's key", 7, "id")


# --------------------------------------------------------------------------- storing


@pytest.fixture
def db(tmp_path: Path) -> Iterator[sa.Engine]:
    """The issued-packet and -document tables and the office journal, alone (no applications
    to refer to)."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'signing.db'}")
    PACKETS.create(engine)
    DOCUMENTS.create(engine)
    JOURNAL.create(engine)
    yield engine
    engine.dispose()


def stored(db: sa.Engine) -> dict[str, dict[str, Any]]:
    with db.connect() as conn:
        return {r["code"]: dict(r) for r in conn.execute(sa.select(PACKETS)).mappings()}


def journal(db: sa.Engine) -> list[dict[str, Any]]:
    with db.connect() as conn:
        query = sa.select(JOURNAL).order_by(JOURNAL.c.seq)
        return [dict(r) for r in conn.execute(query).mappings()]


def new_row(code: str = "SF-ABCD-EFGH", **changes: object) -> dict[str, Any]:
    row = record(code=code, **changes)
    del row["document"]
    return row


def test_a_new_record_is_stored_signed_and_journalled_as_issued_by_its_actor(
    db: sa.Engine,
) -> None:
    row = new_row()
    assert save_signed(db, PACKETS, row, PACKET_FIELDS, KEY, None, actor_id=5)
    kept = stored(db)["SF-ABCD-EFGH"]
    assert signature_ok(KEY, kept)
    assert kept["signature"] == row["signature"]
    [entry] = journal(db)
    assert (entry["actor_id"], entry["action"], entry["subject"]) == (
        5,
        "issued_packet.issue",
        "issued_packet:SF-ABCD-EFGH",
    )
    assert entry["data"] == {"application_id": 7, "sha256": "b" * 64}


def test_the_worker_issuing_a_record_is_journalled_as_no_one(db: sa.Engine) -> None:
    assert save_signed(db, PACKETS, new_row(), PACKET_FIELDS, KEY, None)
    assert journal(db)[0]["actor_id"] is None


def test_issue_times_are_utc_whatever_the_servers_time_zone(
    db: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "Asia/Jayapura")  # WIT, UTC+9
    time.tzset()
    try:
        assert save_signed(db, PACKETS, new_row(), PACKET_FIELDS, KEY, None)
    finally:
        monkeypatch.undo()
        time.tzset()
    now = datetime.now(UTC).replace(tzinfo=None)
    assert abs(stored(db)["SF-ABCD-EFGH"]["created_at"] - now) < timedelta(minutes=5)
    assert abs(journal(db)[0]["at"] - now) < timedelta(minutes=5)


def test_a_second_worker_inserting_the_same_code_is_told_so(db: sa.Engine) -> None:
    assert save_signed(db, PACKETS, new_row(), PACKET_FIELDS, KEY, None)
    again = new_row(content_hash="e" * 64)
    assert not save_signed(db, PACKETS, again, PACKET_FIELDS, KEY, None)
    assert stored(db)["SF-ABCD-EFGH"]["content_hash"] == "b" * 64
    assert len(journal(db)) == 1  # the refused insert journals nothing


def test_a_lost_file_replaces_only_its_own_records_file_columns(db: sa.Engine) -> None:
    assert save_signed(db, PACKETS, new_row(), PACKET_FIELDS, KEY, None)
    other = new_row("SF-WXYZ-2345", application_id=8, content_hash="f" * 64)
    assert save_signed(db, PACKETS, other, PACKET_FIELDS, KEY, None)
    before = stored(db)

    remade = new_row(content_hash="e" * 64, pages=4, size=5000, reference="changed")
    assert save_signed(db, PACKETS, remade, PACKET_FIELDS, KEY, before["SF-ABCD-EFGH"])

    after = stored(db)
    mine = after["SF-ABCD-EFGH"]
    assert (mine["content_hash"], mine["pages"], mine["size"]) == ("e" * 64, 4, 5000)
    assert mine["reference"] == "001/HLR/PLUT/XI/2026"  # not a file column
    assert signature_ok(KEY, mine)
    assert after["SF-WXYZ-2345"] == before["SF-WXYZ-2345"]


def test_a_document_record_is_signed_over_its_template_and_reference_too(db: sa.Engine) -> None:
    row = record()
    assert save_signed(db, DOCUMENTS, row, DOCUMENT_FIELDS, KEY, None)
    with db.connect() as conn:
        kept = dict(conn.execute(sa.select(DOCUMENTS)).mappings().one())
    assert signature_ok(KEY, kept, DOCUMENT_FIELDS)
    assert not signature_ok(KEY, {**kept, "reference": "002/HLR/PLUT/XI/2026"}, DOCUMENT_FIELDS)
    assert journal(db)[0]["subject"] == "issued_document:SF-ABCD-EFGH"
