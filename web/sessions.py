"""Signed-in sessions: a random token in an HttpOnly cookie, its SHA-256 in ``web_session``.

A new token at every login (no session fixation: a token planted before login never becomes a
signed-in one), deleted at logout, expired after ``Limits.session_hours`` or when unused for
``Limits.idle_minutes``; a deactivated user's sessions stop working at once, and setting a
password ends all of them (``workflow.accounts.set_password``).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, bindparam, delete, func, insert, select, update

from web.notifications import NOTIFICATIONS
from web.security import Limits
from workflow.accounts import Login
from workflow.model import Role
from workflow.persistence.database import single_read
from workflow.persistence.schema import User, WebSession, table

__all__ = ["UNREAD_SHOWN", "SignedIn", "end_session", "find_session", "start_session"]

SESSIONS = table(WebSession)
USERS = table(User)
_TOUCH = timedelta(minutes=1)  # seen_at is written at most this often: reads stay reads
UNREAD_SHOWN = 99
"""Unread notifications counted exactly; beyond, the badge says "99+" (a user who never reads
them would otherwise have every page count them all)."""

# The user's unread notifications, counted in the session's lookup (no round trip of their own:
# every workspace page shows them), up to one more than shown.
_UNREAD = (
    select(func.count())
    .select_from(
        select(NOTIFICATIONS.c.id)
        .where(NOTIFICATIONS.c.user_id == USERS.c.id, NOTIFICATIONS.c.read_at.is_(None))
        .limit(UNREAD_SHOWN + 1)
        .correlate(USERS)
        .subquery()
    )
    .scalar_subquery()
)
_LOOKUP = (  # built once: every request asks
    select(
        SESSIONS.c.seen_at,
        SESSIONS.c.expires_at,
        USERS.c.id,
        USERS.c.username,
        USERS.c.full_name,
        USERS.c.role,
        USERS.c.umkm_id,
        USERS.c.active,
        _UNREAD.label("unread"),
    )
    .join(USERS, USERS.c.id == SESSIONS.c.user_id)
    .where(SESSIONS.c.token_hash == bindparam("token_hash"))
)


@dataclass(frozen=True, slots=True)
class SignedIn:
    """The user behind a request's session cookie."""

    token: str
    user_id: int
    username: str
    full_name: str
    role: Role
    umkm_id: int | None
    unread: int = 0
    """Unread notifications, at most ``UNREAD_SHOWN + 1``."""

    @property
    def unread_badge(self) -> str:
        """The unread count as the badge shows it: "3", "99+"."""
        return str(self.unread) if self.unread <= UNREAD_SHOWN else f"{UNREAD_SHOWN}+"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(db: Engine, login: Login, now: datetime, limits: Limits) -> str:
    """A new session for ``login``; returns the token for the cookie."""
    token = secrets.token_urlsafe(32)
    with db.begin() as conn:
        conn.execute(delete(SESSIONS).where(SESSIONS.c.expires_at < now))
        conn.execute(
            insert(SESSIONS).values(
                token_hash=_digest(token),
                user_id=login.user_id,
                created_at=now,
                seen_at=now,
                expires_at=now + timedelta(hours=limits.session_hours),
            )
        )
    return token


def find_session(db: Engine, token: str | None, now: datetime, limits: Limits) -> SignedIn | None:
    """Who the session ``token`` belongs to, if it is live and its user active."""
    if not token or len(token) > 100:
        return None
    with single_read(db).connect() as conn:
        row = conn.execute(_LOOKUP, {"token_hash": _digest(token)}).first()
    if row is None or not row.active or row.expires_at <= now:
        return None
    if row.seen_at + timedelta(minutes=limits.idle_minutes) <= now:
        end_session(db, token)
        return None
    if now - row.seen_at >= _TOUCH:
        with db.begin() as conn:
            conn.execute(
                update(SESSIONS).where(SESSIONS.c.token_hash == _digest(token)).values(seen_at=now)
            )
    return SignedIn(
        token, row.id, row.username, row.full_name, Role(row.role), row.umkm_id, int(row.unread)
    )


def end_session(db: Engine, token: str | None) -> None:
    """Log out: the session's row is deleted, so its cookie opens nothing any more."""
    if token:
        with db.begin() as conn:
            conn.execute(delete(SESSIONS).where(SESSIONS.c.token_hash == _digest(token)))
