"""What ``sertiflow doc verify`` answers, word for word, for each kind of file and code.

The records are signed and stored here directly, and the PDFs are small ones made with pikepdf:
verification reads nothing else, and the real packets' verification is in test_packets.py. Found
by mutation testing (``make mutation``): each test pins an answer a clerk reads at the counter.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pikepdf
import pytest
import sqlalchemy as sa

from documents.issued import DOCUMENTS
from documents.packets import PACKETS
from documents.signing import DOCUMENT_FIELDS, PACKET_FIELDS, sign_record
from documents.verify import Verdict, find_code, is_code, verify_code, verify_pdf

KEY = b"office key"
PACKET_CODE = "SF-PAKE-T222"
DOCUMENT_CODE = "SF-DOCU-MENT"
ISSUED = date(2026, 11, 2)
PACKET = f"packet {PACKET_CODE} of application #7, stage DOC_PREPARATION, issued 2026-11-02"
DOCUMENT = (
    f"document {DOCUMENT_CODE} (Data Permohonan Pendaftaran Merek) of application #7, first "
    "issued for stage DOC_PREPARATION on 2026-11-02"
)


def pdf(text: str = "", keywords: str = "", tail: str = "", compress: bool = True) -> bytes:
    """A one-page PDF whose page reads ``text`` and whose metadata keywords are ``keywords``
    (both compressed, as WeasyPrint and pikepdf write them, unless not ``compress``), with
    ``tail`` after %%EOF the way ``documents.assemble.combine`` appends a packet's code."""
    document = pikepdf.new()
    page = document.add_blank_page(page_size=(200, 200))
    if text:
        font = pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
        )
        page.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
        page.Contents = document.make_stream(f"BT /F1 8 Tf 10 100 Td ({text}) Tj ET".encode())
    if keywords:
        document.docinfo["/Keywords"] = keywords
    out = io.BytesIO()
    if compress:
        document.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    else:
        document.save(out, compress_streams=False)
    return out.getvalue() + (f"%sertiflow {tail}\n".encode() if tail else b"")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


PACKET_PDF = pdf(f"Kode verifikasi {PACKET_CODE}", f"sertiflow {PACKET_CODE} #7", PACKET_CODE)
DOCUMENT_PDF = pdf(f"Kode verifikasi {DOCUMENT_CODE}")


def row(code: str, content_hash: str, **extra: object) -> dict[str, Any]:
    return {
        "code": code,
        "reference": "001/MRK/PLUT/XI/2026",
        "application_id": 7,
        "state": "DOC_PREPARATION",
        "lang": "id",
        "template_version": "0123456789abcdef",
        "inputs_hash": "a" * 64,
        "content_hash": content_hash,
        "pages": 3,
        "size": 4096,
        "issued_on": ISSUED,
        "created_at": datetime(2026, 11, 2, 9, 30),
        **extra,
    }


@pytest.fixture
def db(tmp_path: Path) -> Iterator[sa.Engine]:
    """A packet and a document record, signed with ``KEY``."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'verify.db'}")
    PACKETS.create(engine)
    DOCUMENTS.create(engine)
    packet = row(PACKET_CODE, sha256(PACKET_PDF))
    document = row(DOCUMENT_CODE, sha256(DOCUMENT_PDF), document="trademark/filing_data")
    packet["signature"] = sign_record(KEY, packet, PACKET_FIELDS)
    document["signature"] = sign_record(KEY, document, DOCUMENT_FIELDS)
    with engine.begin() as conn:
        conn.execute(sa.insert(PACKETS).values(**packet))
        conn.execute(sa.insert(DOCUMENTS).values(**document))
    yield engine
    engine.dispose()


def facts(code: str) -> dict[str, Any]:
    return {"code": code, "application_id": 7, "state": "DOC_PREPARATION", "issued_on": ISSUED}


# --------------------------------------------------------------------------- files


def test_an_issued_packet_is_authentic(db: sa.Engine) -> None:
    verdict = verify_pdf(db, KEY, PACKET_PDF)
    assert verdict == Verdict("authentic", f"authentic: {PACKET}, unaltered", **facts(PACKET_CODE))
    assert verdict.ok


def test_an_issued_document_is_authentic_under_its_title(db: sa.Engine) -> None:
    verdict = verify_pdf(db, KEY, DOCUMENT_PDF)
    assert verdict == Verdict(
        "authentic", f"authentic: {DOCUMENT}, unaltered", **facts(DOCUMENT_CODE)
    )


def test_a_file_found_by_its_hash_is_judged_by_that_record_whatever_code_it_prints(
    db: sa.Engine,
) -> None:
    """A packet prints its documents' codes too: its hash, not a code it carries, says which
    record it is."""
    carrying = pdf(f"{DOCUMENT_CODE} {PACKET_CODE}", tail=DOCUMENT_CODE)
    with db.begin() as conn:
        conn.execute(sa.delete(PACKETS))
        packet = row(PACKET_CODE, sha256(carrying))
        packet["signature"] = sign_record(KEY, packet, PACKET_FIELDS)
        conn.execute(sa.insert(PACKETS).values(**packet))
    assert verify_pdf(db, KEY, carrying).message == f"authentic: {PACKET}, unaltered"


def test_a_changed_file_is_reported_as_altered_with_what_it_claims_to_be(db: sa.Engine) -> None:
    changed = PACKET_PDF.replace(b"%sertiflow", b"%sertiflow ")
    verdict = verify_pdf(db, KEY, changed)
    assert verdict == Verdict(
        "altered",
        f"ALTERED: the file claims to be {PACKET}, but its content differs from what was issued",
        **facts(PACKET_CODE),
    )
    assert not verdict.ok


def test_a_changed_record_is_reported_as_tampered(db: sa.Engine) -> None:
    with db.begin() as conn:
        conn.execute(sa.update(DOCUMENTS).values(reference="999/MRK/PLUT/XI/2026"))
    verdict = verify_pdf(db, KEY, DOCUMENT_PDF)
    assert verdict == Verdict(
        "record_tampered",
        f"the record of {DOCUMENT} does not match its signature: the database entry was changed",
        **facts(DOCUMENT_CODE),
    )
    assert not verdict.ok
    assert verify_pdf(db, b"another office's key", PACKET_PDF).status == "record_tampered"


def test_a_file_naming_a_code_never_issued_or_none_is_unknown(db: sa.Engine) -> None:
    stranger = pdf(tail="SF-AAAA-BBBB")
    assert verify_pdf(db, KEY, stranger) == Verdict(
        "unknown",
        "the file names code SF-AAAA-BBBB, which this office never issued",
        "SF-AAAA-BBBB",
    )
    assert verify_pdf(db, KEY, pdf("Surat biasa")) == Verdict(
        "unknown", "not a document issued by sertiflow (no verification code)"
    )


# --------------------------------------------------------------------------- codes


def test_a_code_typed_in_any_case_resolves_to_its_record(db: sa.Engine) -> None:
    verdict = verify_code(db, KEY, f"  {PACKET_CODE.lower()} ")
    assert verdict == Verdict(
        "issued",
        f"issued: {PACKET}, 3 halaman; a copy on paper should read the same",
        **facts(PACKET_CODE),
    )
    assert verdict.ok
    assert verify_code(db, KEY, DOCUMENT_CODE).message == (
        f"issued: {DOCUMENT}, 3 halaman; a copy on paper should read the same"
    )


def test_a_code_never_issued_or_not_a_code_at_all_is_unknown(db: sa.Engine) -> None:
    assert verify_code(db, KEY, "sf-aaaa-bbbb") == Verdict(
        "unknown", "code SF-AAAA-BBBB was never issued by this office", "SF-AAAA-BBBB"
    )
    assert verify_code(db, KEY, "SF-0000-1111") == Verdict(
        "unknown", "'SF-0000-1111' is not a verification code; they read like SF-7K3Q-2XWD"
    )
    assert is_code(" sf-7k3q-2xwd ") and not is_code("SF-7K3Q-2XWD-")


# --------------------------------------------------------------------------- finding the code


def test_the_code_after_eof_comes_first_then_the_keywords_then_the_first_pages_text() -> None:
    text, keywords = "Kode SF-TEXT-CODE", "sertiflow SF-KEYW-ORDS #7"
    assert find_code(pdf(text, keywords, "SF-TAIL-CODE")) == "SF-TAIL-CODE"
    plain = pdf(text, keywords, "SF-TAIL-CODE", compress=False)  # e.g. rewritten by qpdf --qdf
    assert b"SF-TEXT-CODE" in plain and find_code(plain) == "SF-TAIL-CODE"
    assert find_code(pdf(text, keywords)) == "SF-KEYW-ORDS"
    assert find_code(pdf(text)) == "SF-TEXT-CODE"
    assert find_code(pdf()) is None


@pytest.mark.parametrize("configured", [logging.NOTSET, logging.WARNING])
def test_a_code_in_a_damaged_file_is_still_found_and_pypdf_stays_quiet(
    caplog: pytest.LogCaptureFixture, configured: int
) -> None:
    """A damaged file is expected here, not news: pypdf says nothing about it, even where the
    logging set-up gave pypdf a level of its own, and gets that level back afterwards."""
    pypdf_log = logging.getLogger("pypdf")
    level = pypdf_log.level
    damaged = pdf("Kode SF-TEXT-CODE")[:-300] + b" SF-RAWC-ODES " + b"\0" * 100
    pypdf_log.setLevel(configured)
    try:
        with caplog.at_level(logging.WARNING):
            assert find_code(damaged) == "SF-RAWC-ODES"
        assert pypdf_log.level == configured  # set back for everyone else
    finally:
        pypdf_log.setLevel(level)
    assert [r for r in caplog.records if r.name.startswith("pypdf")] == []
