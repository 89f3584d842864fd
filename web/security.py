"""The web app's defences: response headers, CSRF tokens, limits counted in the database, and
the log every denial goes to.

- **Headers** on every response: a CSP without ``unsafe-inline`` (pages carry no script at all;
  styles come from one file), ``frame-ancestors 'none'``, ``nosniff``, ``Referrer-Policy:
  no-referrer`` (a status link's token must not leak to another site), and ``no-store`` on
  pages that show a business's affairs.
- **CSRF**: a random cookie (HttpOnly, SameSite=Lax) and, in every form, an HMAC of it and of
  the session's token with the office's secret key. A POST without the pair is refused with 403
  before anything else is read. Bound to the session, a token stolen before login is worthless
  after it; signed, it cannot be forged from a cookie an attacker managed to set.
- **Limits**: failed logins per username and per client address, verification lookups per
  address, counted in ``web_attempt`` so that every web worker and machine sees one count.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, func, insert, select
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from workflow.persistence.database import reading
from workflow.persistence.schema import WebAttempt, table

__all__ = [
    "CSP",
    "LOG",
    "Limits",
    "RedactStatusTokens",
    "SecurityHeaders",
    "count_attempts",
    "csrf_token",
    "csrf_valid",
    "forget_failures",
    "note_attempt",
    "security_headers",
]

LOG = logging.getLogger("sertiflow.web.security")
"""Every denial: a refused CSRF token, a failed or throttled login, a forged or expired status
link, a packet of another business, a refused upload, a rate-limited lookup."""

CSP = (
    "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; "
    "object-src 'none'; img-src 'self' data:"
)
ATTEMPTS = table(WebAttempt)
_KEEP = timedelta(days=1)  # attempts older than this count for nothing: deleted as we go


@dataclass(frozen=True)
class Limits:
    """How much the web app allows before it makes a client wait."""

    login_failures_per_user: int = 5
    login_failures_per_client: int = 20  # an office's PCs share one address behind its router
    login_window: timedelta = timedelta(minutes=15)
    lookups_per_client: int = 30  # verification codes and uploads
    lookup_window: timedelta = timedelta(minutes=10)
    upload_bytes: int = 20 * 1024 * 1024  # a packet with scans stays well under this
    session_hours: int = 12  # then log in again, however active
    idle_minutes: int = 120  # an unattended PC's session ends
    dashboard_seconds: int = 60  # the dashboard's figures are computed at most this often

    @property
    def dashboard_age(self) -> timedelta:
        """How long the dashboard's figures are shown before they are computed again."""
        return timedelta(seconds=self.dashboard_seconds)


class RedactStatusTokens(logging.Filter):
    """Keeps status links' tokens out of the access log: a token opens a business's page for
    weeks, so ``/status/8.20261202.SIG`` is logged as ``/status/8.20261202.…``."""

    _TOKEN = re.compile(r"(/status/[0-9]+\.[0-9]+\.)[A-Za-z0-9_-]+")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                self._TOKEN.sub(r"\1…", arg) if isinstance(arg, str) else arg for arg in record.args
            )
        if isinstance(record.msg, str):
            record.msg = self._TOKEN.sub(r"\1…", record.msg)
        return True


def security_headers(html: bool, private: bool) -> dict[str, str]:
    """The headers every response carries; ``private`` pages are never cached."""
    headers = {
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    }
    if private or html:
        headers["Cache-Control"] = "no-store" if private else "no-cache"
    return headers


class SecurityHeaders:
    """ASGI middleware: every response carries ``security_headers``, worked out once (those it
    sets itself kept). Plain ASGI rather than Starlette's ``BaseHTTPMiddleware``, which runs
    each request through a task and a memory stream of its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.headers = {html: security_headers(html, private=False) for html in (False, True)}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                html = headers.get("content-type", "").startswith("text/html")
                for name, value in self.headers[html].items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, with_headers)


def csrf_token(secret: bytes, cookie: str, session: str) -> str:
    """The token forms carry for the CSRF ``cookie`` and the session's token (``""`` when
    nobody is signed in)."""
    message = f"csrf\x00{cookie}\x00{session}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def csrf_valid(secret: bytes, cookie: str | None, session: str, sent: str | None) -> bool:
    """Whether the form's token ``sent`` matches the CSRF cookie and the session."""
    if not cookie or not sent:
        return False
    return hmac.compare_digest(csrf_token(secret, cookie, session).encode(), sent.encode())


def note_attempt(
    db: Engine, kind: str, client: str, now: datetime, username: str | None = None
) -> None:
    """Count one ``kind`` attempt (``login`` for a failed login, ``verify`` for a lookup) by
    ``client``, and forget those too old to count."""
    with db.begin() as conn:
        conn.execute(delete(ATTEMPTS).where(ATTEMPTS.c.at < now - _KEEP))
        conn.execute(
            insert(ATTEMPTS).values(
                kind=kind, username=username and username[:64], client=client[:64], at=now
            )
        )


def forget_failures(db: Engine, username: str) -> None:
    """A successful login wipes the username's failed ones (not its address's: one account an
    attacker holds must not reset the count against every other)."""
    with db.begin() as conn:
        conn.execute(
            delete(ATTEMPTS).where(ATTEMPTS.c.kind == "login", ATTEMPTS.c.username == username)
        )


def count_attempts(
    db: Engine,
    kind: str,
    since: datetime,
    *,
    client: str | None = None,
    username: str | None = None,
) -> int:
    """How many ``kind`` attempts ``client`` (or against ``username``) made since ``since``."""
    query = select(func.count()).select_from(ATTEMPTS)
    query = query.where(ATTEMPTS.c.kind == kind, ATTEMPTS.c.at >= since)
    if client is not None:
        query = query.where(ATTEMPTS.c.client == client[:64])
    if username is not None:
        query = query.where(ATTEMPTS.c.username == username[:64])
    with reading(db).connect() as conn:
        return int(conn.scalar(query) or 0)
