"""Web logins: a user's password, hashed with argon2id, set and checked here only.

The hash lives in ``app_user.password_hash``. It is not part of ``directory.USER_IMAGE`` (the
journal records that image whole, and a password hash must not be copied into the journal), so
setting a password journals the SHA-256 of the new hash under ``password:USER_ID`` instead:
``audit verify`` compares it with the stored hash and reports a hash edited, planted or
removed behind sertiflow's back. An empty digest records that the user has no password.
"""

from __future__ import annotations

import hashlib
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING

from sqlalchemy import Engine, delete, select, update

from workflow import journal
from workflow.errors import InvalidInput, NotFound
from workflow.ledger import Actor
from workflow.model import Role
from workflow.permissions import acting_user, require_admin
from workflow.persistence.database import reading
from workflow.persistence.schema import User, WebSession

if TYPE_CHECKING:  # argon2 loads with the first hash: audit verify needs only the digests
    from argon2 import PasswordHasher

__all__ = [
    "MAX_PASSWORD",
    "MIN_PASSWORD",
    "Login",
    "check_password",
    "password_digest",
    "password_subject",
    "set_password",
]

MIN_PASSWORD = 10
"""Characters a password needs at least (NIST SP 800-63B asks for 8; a shared office PC, 10)."""
MAX_PASSWORD = 256
"""Characters at most: argon2 hashes anything, but nobody types more, and it bounds the work."""


@cache
def _hasher() -> PasswordHasher:
    """argon2id with argon2-cffi's default parameters (RFC 9106's low-memory profile)."""
    from argon2 import PasswordHasher

    return PasswordHasher()


@cache
def _dummy() -> str:
    """A hash to check when there is none, so that a missing user costs the same time."""
    return _hasher().hash("sertiflow: a user without a password still costs one hash")


@dataclass(frozen=True, slots=True)
class Login:
    """Who logged in."""

    user_id: int
    username: str
    full_name: str
    role: Role
    umkm_id: int | None


def password_subject(user_id: int) -> str:
    """The journal subject of a user's password digest."""
    return f"password:{user_id}"


def password_digest(password_hash: str | None) -> str:
    """What the journal records of a stored hash: its SHA-256, or ``""`` for none."""
    return "" if password_hash is None else hashlib.sha256(password_hash.encode()).hexdigest()


def _check_strength(password: str, username: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"the password is too short: use at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise InvalidInput(f"the password is too long: use at most {MAX_PASSWORD} characters")
    if password.strip() != password:
        raise InvalidInput("the password starts or ends with a space; leave those out")
    if username.lower() in password.lower():
        raise InvalidInput("the password contains the username; choose another")
    if len(set(password)) < 4:
        raise InvalidInput("the password repeats too few characters; choose another")


def set_password(db: Engine, username: str, password: str, *, acting: str, now: datetime) -> None:
    """Give ``username`` the web login ``password``, as that user or an admin (``acting``).
    Journalled as ``user.password`` with the SHA-256 of the new hash, never the hash. Every
    signed-in session of the user ends: a changed password logs out a thief."""
    _check_strength(password, username)
    hashed = _hasher().hash(password)
    with journal.writing(db) as conn:
        actor: Actor = acting_user(conn, acting)
        if actor.username != username:
            require_admin(actor, "set another user's password")
        user_id = conn.scalar(select(User.id).where(User.username == username))
        if user_id is None:
            raise NotFound(f"no user {username!r}; see 'sertiflow user list'")
        conn.execute(update(User).where(User.id == user_id).values(password_hash=hashed))
        conn.execute(delete(WebSession).where(WebSession.user_id == user_id))
        journal.note(
            conn,
            at=now,
            actor_id=actor.id,
            action="user.password",
            subject=password_subject(user_id),
            data={"digest": password_digest(hashed)},
        )


def check_password(db: Engine, username: str, password: str) -> Login | None:
    """The active user ``username`` if ``password`` is theirs, else None. A user who does not
    exist, is deactivated or has no password costs one hash too, so timing tells nothing."""
    from argon2.exceptions import InvalidHashError, VerificationError

    query = select(
        User.id, User.username, User.full_name, User.role, User.umkm_id, User.active
    ).add_columns(User.password_hash)
    with reading(db).connect() as conn:
        row = conn.execute(query.where(User.username == username)).first()
    if row is None or not row.active or row.password_hash is None or len(password) > MAX_PASSWORD:
        with suppress(VerificationError):
            _hasher().verify(_dummy(), password[:MAX_PASSWORD] + "\x00")
        return None
    try:
        _hasher().verify(row.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    return Login(row.id, row.username, row.full_name, Role(row.role), row.umkm_id)
