"""Bearer tokens of the JSON API: issued to one user by an admin, shown once, stored as a hash.

A token is ``sf_`` and 43 random URL-safe characters (256 bits). Only its SHA-256 is kept
(``api_token.token_hash``), so a copy of the database lends nobody a token; its first
``TOKEN_ID_LENGTH`` hex digits are the token's id, which the CLI prints and revocation takes.
Issuing and revoking are journalled (``user.token``, ``user.token_revoke``) with that id, never
the token. A revoked token is kept with when it was revoked; it and the tokens of a deactivated
user open nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, insert, select, update

from workflow import journal
from workflow.accounts import Login
from workflow.audit import plain
from workflow.directory import digest
from workflow.errors import InvalidInput, NotFound
from workflow.ledger import Actor
from workflow.model import Role
from workflow.permissions import acting_user, require_admin
from workflow.persistence.database import reading
from workflow.persistence.schema import ApiToken, User, table

__all__ = [
    "LABEL_LENGTH",
    "PREFIX",
    "TOKEN_ID_LENGTH",
    "IssuedToken",
    "TokenInfo",
    "issue_token",
    "revoke_tokens",
    "token_hash",
    "token_user",
    "tokens_digests",
    "tokens_of",
]

PREFIX = "sf_"
"""How every token starts: a secret scanner, or a person, can tell one at a glance."""
TOKEN_ID_LENGTH = 12
"""Hex digits of the token's hash that name it (its id) in the CLI and the journal."""
LABEL_LENGTH = 100
_TOUCH = timedelta(minutes=1)  # last_used_at is written at most this often: reads stay reads
TOKENS = table(ApiToken)


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A token just issued: the token itself (shown once, never stored) and its id."""

    token: str
    token_id: str
    username: str
    label: str


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """A token of a user as the CLI lists it (never the token)."""

    token_id: str
    label: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def token_hash(token: str) -> str:
    """The SHA-256 (hex) under which ``token`` is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def _subject(user_id: int) -> str:
    return f"api_token:{user_id}"


def tokens_digests(conn: Connection, user_id: int | None = None) -> dict[str, str]:
    """The digest of each user's tokens as stored (hash, label, when made, when revoked), by
    journal subject: every issue and revocation journals it, and ``audit verify`` compares it,
    so a token row inserted, edited or un-revoked outside sertiflow shows."""
    query = select(
        TOKENS.c.user_id,
        TOKENS.c.token_hash,
        TOKENS.c.label,
        TOKENS.c.created_at,
        TOKENS.c.revoked_at,
    ).order_by(TOKENS.c.user_id, TOKENS.c.token_hash)
    if user_id is not None:
        query = query.where(TOKENS.c.user_id == user_id)
    rows: dict[int, list[list[object]]] = {}
    for row in conn.execute(query):
        rows.setdefault(int(row.user_id), []).append([plain(v) for v in row[1:]])
    return {_subject(owner): digest(tokens) for owner, tokens in rows.items()}


def _active_user(conn: Connection, username: str) -> tuple[int, str]:
    row = conn.execute(select(User.id, User.active).where(User.username == username)).first()
    if row is None:
        raise NotFound(f"no user {username!r}; see 'sertiflow user list'")
    return int(row.id), "active" if row.active else "inactive"


def issue_token(
    db: Engine, username: str, *, label: str = "", acting: str, now: datetime
) -> IssuedToken:
    """A new API token for the active user ``username``, issued by the admin ``acting``;
    journalled with its id. The token is in the result only: keep it, it is not stored."""
    label = label.strip()
    if len(label) > LABEL_LENGTH:
        raise InvalidInput(f"the label is longer than {LABEL_LENGTH} characters; shorten it")
    if any(not c.isprintable() for c in label):
        raise InvalidInput("the label has control characters; use plain text")
    token = PREFIX + secrets.token_urlsafe(32)
    hashed = token_hash(token)
    with journal.writing(db) as conn:
        actor: Actor = acting_user(conn, acting)
        require_admin(actor, "issue API tokens")
        user_id, status = _active_user(conn, username)
        if status != "active":
            raise InvalidInput(f"{username} is deactivated; reactivate the user first")
        conn.execute(
            insert(TOKENS).values(token_hash=hashed, user_id=user_id, label=label, created_at=now)
        )
        journal.note(
            conn,
            at=now,
            actor_id=actor.id,
            action="user.token",
            subject=_subject(user_id),
            data={
                "token_id": hashed[:TOKEN_ID_LENGTH],
                "label": label,
                "digest": tokens_digests(conn, user_id)[_subject(user_id)],
            },
        )
    return IssuedToken(token, hashed[:TOKEN_ID_LENGTH], username, label)


def revoke_tokens(
    db: Engine, username: str, *, token_id: str | None, acting: str, now: datetime
) -> list[str]:
    """Revoke ``username``'s token ``token_id`` (None: every live token of the user), as that
    user or an admin (``acting``); the ids revoked, each journalled. A token that is unknown,
    another user's or revoked already is refused."""
    if token_id is not None:
        token_id = token_id.strip().lower()
        if not (4 <= len(token_id) <= 64 and all(c in "0123456789abcdef" for c in token_id)):
            raise InvalidInput(f"{token_id[:20]!r} is not a token id: give the hex id printed")
    with journal.writing(db) as conn:
        actor: Actor = acting_user(conn, acting)
        if actor.username != username:
            require_admin(actor, "revoke another user's API tokens")
        user_id, _ = _active_user(conn, username)
        query = select(TOKENS.c.token_hash).where(
            TOKENS.c.user_id == user_id, TOKENS.c.revoked_at.is_(None)
        )
        if token_id is not None:
            query = query.where(TOKENS.c.token_hash.startswith(token_id, autoescape=True))
        hashes = list(conn.scalars(query))
        if token_id is not None and len(hashes) != 1:
            raise NotFound(
                f"{username} has no live token {token_id}"
                if not hashes
                else f"{token_id} names {len(hashes)} tokens; give more of the id"
            )
        for hashed in hashes:
            conn.execute(update(TOKENS).where(TOKENS.c.token_hash == hashed).values(revoked_at=now))
            journal.note(
                conn,
                at=now,
                actor_id=actor.id,
                action="user.token_revoke",
                subject=_subject(user_id),
                data={
                    "token_id": hashed[:TOKEN_ID_LENGTH],
                    "digest": tokens_digests(conn, user_id)[_subject(user_id)],
                },
            )
    return [h[:TOKEN_ID_LENGTH] for h in hashes]


def tokens_of(db: Engine, username: str) -> list[TokenInfo]:
    """The tokens of ``username``, newest first, live and revoked."""
    with reading(db).connect() as conn:
        user_id, _ = _active_user(conn, username)
        rows = conn.execute(
            select(TOKENS)
            .where(TOKENS.c.user_id == user_id)
            .order_by(TOKENS.c.created_at.desc(), TOKENS.c.token_hash)
        ).mappings()
        return [
            TokenInfo(
                r["token_hash"][:TOKEN_ID_LENGTH],
                r["label"],
                r["created_at"],
                r["last_used_at"],
                r["revoked_at"],
            )
            for r in rows
        ]


def token_user(db: Engine, token: str | None, now: datetime) -> Login | None:
    """The active user whose live token ``token`` is, else None (no token, an unknown or
    revoked one, a deactivated user). Notes when the token was last used."""
    if not token or not token.startswith(PREFIX) or len(token) > 100:
        return None
    hashed = token_hash(token)
    query = (
        select(
            User.id,
            User.username,
            User.full_name,
            User.role,
            User.umkm_id,
            User.active,
            TOKENS.c.last_used_at,
            TOKENS.c.revoked_at,
        )
        .join(User, User.id == TOKENS.c.user_id)
        .where(TOKENS.c.token_hash == hashed)
    )
    with reading(db).connect() as conn:
        row = conn.execute(query).first()
    if row is None or row.revoked_at is not None or not row.active:
        return None
    if row.last_used_at is None or now - row.last_used_at >= _TOUCH:
        with db.begin() as conn:
            conn.execute(
                update(TOKENS).where(TOKENS.c.token_hash == hashed).values(last_used_at=now)
            )
    return Login(row.id, row.username, row.full_name, Role(row.role), row.umkm_id)
