"""Verification codes and the HMAC signature of issued packets' and documents' records."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["DOCUMENT_FIELDS", "PACKET_FIELDS", "make_code", "sign_record"]

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
DOCUMENT_FIELDS = (*PACKET_FIELDS, "document")
"""What a reusable document's verification vouches for: a packet's fields and its template."""


def sign_record(
    secret: bytes, row: Mapping[str, Any], fields: Sequence[str] = PACKET_FIELDS
) -> str:
    """HMAC-SHA256 over the ``fields`` of ``row`` a verification vouches for."""
    text = "|".join(str(row[k]) for k in fields)
    return hmac.new(secret, text.encode(), hashlib.sha256).hexdigest()


def make_code(secret: bytes, *parts: object) -> str:
    """A short verification code (SF-XXXX-XXXX) derived from ``parts`` with the office's key:
    the same parts give the same code, so two workers issuing the same thing agree on it."""
    digest = hmac.new(secret, "|".join(map(str, parts)).encode(), hashlib.sha256).digest()
    text = base64.b32encode(digest[:5]).decode()  # 8 characters of A-Z2-7
    return f"SF-{text[:4]}-{text[4:]}"
