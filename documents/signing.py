"""Verification codes and the HMAC signature of issued packets' and documents' records."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from workflow import journal
from workflow.errors import SertiflowError

__all__ = [
    "DOCUMENT_FIELDS",
    "PACKET_FIELDS",
    "RecordTampered",
    "make_code",
    "save_signed",
    "sign_record",
    "signature_ok",
    "trusted",
]

PACKET_FIELDS = (
    "code",
    "application_id",
    "state",
    "lang",
    "template_version",
    "inputs_hash",
    "content_hash",
    "pages",
    "issued_on",
)
"""What a packet's verification vouches for."""
DOCUMENT_FIELDS = (*PACKET_FIELDS, "document", "reference")
"""What a reusable document's verification vouches for: a packet's fields, its template, and the
reference it prints (a later packet re-prints it if the file has to be made again). Packets'
records predate this and do not sign their reference."""


def sign_record(
    secret: bytes, row: Mapping[str, Any], fields: Sequence[str] = PACKET_FIELDS
) -> str:
    """HMAC-SHA256 over the ``fields`` of ``row`` a verification vouches for."""
    text = "|".join(str(row[k]) for k in fields)
    return hmac.new(secret, text.encode(), hashlib.sha256).hexdigest()


def signature_ok(
    secret: bytes, row: Mapping[str, Any], fields: Sequence[str] = PACKET_FIELDS
) -> bool:
    """Whether ``row`` still carries the signature its fields were signed with."""
    return hmac.compare_digest(sign_record(secret, row, fields), str(row["signature"]))


class RecordTampered(SertiflowError):
    """A stored record no longer matches its signature: someone changed the database."""

    code = "record_tampered"


def trusted(secret: bytes, row: dict[str, Any], fields: Sequence[str], what: str) -> dict[str, Any]:
    """``row`` if its signature holds. A changed record is never reused, re-rendered or
    re-signed: that would turn the change into a genuine-looking document."""
    if not signature_ok(secret, row, fields):
        raise RecordTampered(
            f"the record of {what} {row['code']} of application #{row['application_id']} does "
            "not match its signature: the database entry was changed, so nothing was issued; "
            "restore the record from a backup"
        )
    return row


def make_code(secret: bytes, *parts: object) -> str:
    """A short verification code (SF-XXXX-XXXX) derived from ``parts`` with the office's key:
    the same parts give the same code, so two workers issuing the same thing agree on it."""
    digest = hmac.new(secret, "|".join(map(str, parts)).encode(), hashlib.sha256).digest()
    text = base64.b32encode(digest[:5]).decode()  # 8 characters of A-Z2-7
    return f"SF-{text[:4]}-{text[4:]}"


def save_signed(
    db: sa.Engine,
    records: sa.Table,
    row: dict[str, Any],
    fields: Sequence[str],
    secret: bytes,
    existing: Mapping[str, Any] | None,
    actor_id: int | None = None,
) -> bool:
    """Sign ``row`` and store it: a new record, or (``existing``) the new file of a record whose
    file was lost; journalled as issued by ``actor_id`` (None: sertiflow's worker). False when
    another worker inserted the same record (same code) first."""
    row["signature"] = sign_record(secret, row, fields)
    now = datetime.now(UTC).replace(tzinfo=None)
    try:
        with journal.writing(db) as conn:
            journal.note(
                conn,
                at=now,
                actor_id=actor_id,
                action=f"{records.name}.issue",
                subject=f"{records.name}:{row['code']}",
                data={"application_id": row["application_id"], "sha256": row["content_hash"]},
            )
            if existing is None:
                conn.execute(sa.insert(records).values(**row, created_at=now))
            else:
                file_columns = ("content_hash", "pages", "size", "signature")
                conn.execute(
                    sa.update(records)
                    .where(records.c.id == existing["id"])
                    .values({k: row[k] for k in file_columns})
                )
    except IntegrityError:
        if existing is not None:
            raise
        return False
    return True
