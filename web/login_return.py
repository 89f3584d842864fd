"""Back where one was after logging in: a signed-out visitor sent to the login from a page (the
application page an email links to) returns to that page, and never to another site.

The page travels as ``/masuk?lanjut=PATH`` and as a hidden field of the login form. Only a path
on this site is followed: one starting with a single ``/``, without a backslash or control
character (``//evil.example``, ``/\\evil.example`` and ``https://...`` would leave the site);
anything else returns to the start page.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi.responses import RedirectResponse
from starlette.requests import Request

__all__ = ["NEXT_FIELD", "safe_next", "to_login"]

NEXT_FIELD = "lanjut"
"""The query parameter and form field carrying the page to return to."""
_LONGEST = 500


def safe_next(value: object) -> str:
    """``value`` if it is a path on this site, else ``/``."""
    if not isinstance(value, str) or not value.startswith("/") or len(value) > _LONGEST:
        return "/"
    if value.startswith("//") or "\\" in value or any(ord(c) < 32 or ord(c) == 127 for c in value):
        return "/"
    return value


def to_login(request: Request) -> RedirectResponse:
    """The login page, remembering the page asked for (a page, not a form post)."""
    if request.method != "GET" or request.url.path in ("/", "/masuk"):
        return RedirectResponse("/masuk", status_code=303)
    wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/masuk?{NEXT_FIELD}={quote(safe_next(wanted), safe='')}", 303)
