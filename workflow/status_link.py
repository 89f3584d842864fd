"""Signed, expiring links to a UMKM's status page: no password, only the office's secret key.

A token names the UMKM and the last day it opens the page; an HMAC with the office's secret key
makes it unforgeable. The status email prints it; the web app's status page checks it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import date

from workflow.errors import InvalidInput

__all__ = ["make_status_token", "read_status_token"]

_PURPOSE = b"sertiflow status link\x00"


def _sign(secret: bytes, payload: bytes) -> str:
    digest = hmac.new(secret, _PURPOSE + payload, hashlib.sha256).digest()[:18]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def make_status_token(secret: bytes, umkm_id: int, expires_on: date) -> str:
    """A token that opens UMKM ``umkm_id``'s status page until the end of ``expires_on``."""
    payload = f"{umkm_id}.{expires_on:%Y%m%d}".encode()
    return f"{payload.decode()}.{_sign(secret, payload)}"


def read_status_token(secret: bytes, token: str, today: date) -> int:
    """The UMKM id a token opens; refused when it was not signed here or has expired."""
    umkm_text, _, rest = token.partition(".")
    day_text, _, signature = rest.partition(".")
    payload = f"{umkm_text}.{day_text}".encode()
    if not (umkm_text.isdigit() and len(day_text) == 8 and day_text.isdigit()) or not (
        hmac.compare_digest(signature.encode(), _sign(secret, payload).encode())
    ):
        raise InvalidInput("this status link is not valid; use the link in your latest email")
    try:
        expires_on = date(int(day_text[:4]), int(day_text[4:6]), int(day_text[6:]))
    except ValueError:
        raise InvalidInput("this status link is not valid") from None
    if today > expires_on:
        raise InvalidInput(
            f"this status link expired on {expires_on.isoformat()}; the next status email "
            "brings a new one, or ask your PLUT consultant"
        )
    return int(umkm_text)
