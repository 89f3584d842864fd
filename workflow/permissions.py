"""Who may change what: the rules every write checks, whether the CLI or the web app asks.

- Admins may do everything.
- A consultant acts for a business while assigned to one of its open applications, and on
  the applications assigned to them.
- A UMKM user acts for its own business and its applications only.
- Creating users and importing registries are admins' work.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, exists, select

from workflow.errors import NotFound, NotPermitted
from workflow.ledger import APPLICATIONS, SELECT_USER, Actor
from workflow.model import Phase, Role

__all__ = [
    "acting_user",
    "require_admin",
    "require_for_application",
    "require_for_umkm",
]


def acting_user(conn: Connection, username: str) -> Actor:
    """The active user ``username``, who is about to act."""
    row = conn.execute(SELECT_USER, {"username": username}).first()
    if row is None or not row.active:
        raise NotFound(f"no active user {username!r}; see 'sertiflow user list'")
    return Actor(row.id, row.username, Role(row.role), row.umkm_id)


def require_admin(actor: Actor, what: str) -> None:
    """Refuse ``what`` unless ``actor`` is an admin."""
    if actor.role is not Role.ADMIN:
        raise NotPermitted(f"only admins may {what}; {actor.username} is {actor.role.value}")


def require_for_umkm(conn: Connection, actor: Actor, umkm_id: int, what: str) -> None:
    """Refuse ``what`` for the business ``umkm_id`` unless ``actor`` is an admin, a consultant
    assigned to one of its open applications, or its own UMKM user."""
    if actor.role is Role.ADMIN:
        return
    if actor.role is Role.UMKM:
        if actor.umkm_id != umkm_id:
            raise NotPermitted(f"a UMKM user may {what} for its own business only")
        return
    assigned = conn.scalar(
        select(
            exists().where(
                APPLICATIONS.c.umkm_id == umkm_id,
                APPLICATIONS.c.assignee_id == actor.id,
                APPLICATIONS.c.phase == Phase.PIPELINE.value,
            )
        )
    )
    if not assigned:
        raise NotPermitted(
            f"{actor.username} is not assigned to any open application of this business, so "
            f"may not {what}; an admin can, or can assign them"
        )


def require_for_application(actor: Actor, app: Row[Any], what: str) -> None:
    """Refuse ``what`` on application ``app`` unless ``actor`` is an admin, its assigned
    consultant, or its business's UMKM user."""
    if actor.role is Role.ADMIN:
        return
    if actor.role is Role.UMKM and actor.umkm_id == app.umkm_id:
        return
    if actor.role is Role.CONSULTANT and app.assignee_id == actor.id:
        return
    raise NotPermitted(
        f"{actor.username} may not {what} application #{app.id}: only an admin, its assigned "
        "consultant or its business's UMKM user may"
    )
