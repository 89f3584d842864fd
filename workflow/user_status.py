"""Deactivating and reactivating users: an admin's work, journalled like ``user add``.

A deactivated user can no longer act (``permissions.acting_user`` refuses them) and their web
sessions stop working at once (a session is live only while its user is active). Nothing is
deleted: their audit entries and assignments keep naming them. An admin cannot deactivate
themself, so an office never locks out the admin who is acting.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, select, update

from workflow import journal
from workflow.directory import USER_IMAGE, journal_row
from workflow.errors import InvalidInput, NotFound
from workflow.permissions import acting_user, require_admin
from workflow.persistence.schema import User

__all__ = ["set_user_active"]


def set_user_active(db: Engine, username: str, active: bool, *, acting: str, now: datetime) -> bool:
    """Deactivate (``active`` False) or reactivate the user ``username``, as the admin
    ``acting``; journalled at ``now`` (naive UTC). Returns whether anything changed (False when
    the user already was so)."""
    with journal.writing(db) as conn:
        actor = acting_user(conn, acting)
        require_admin(actor, "deactivate or reactivate users")
        row = conn.execute(select(User.id, User.active).where(User.username == username)).first()
        if row is None:
            raise NotFound(f"no user {username!r}; see 'sertiflow user list'")
        if not active and row.id == actor.id:
            raise InvalidInput(
                "you cannot deactivate yourself; another admin can, if this account must stop"
            )
        if bool(row.active) == active:
            return False
        conn.execute(update(User).where(User.id == row.id).values(active=active))
        journal_row(
            conn,
            User,
            User.id == row.id,
            USER_IMAGE,
            f"user:{row.id}",
            actor=actor,
            action="user.activate" if active else "user.deactivate",
            at=now,
        )
    return True
