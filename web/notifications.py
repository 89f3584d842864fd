"""A user's in-app notifications (the ``notification`` rows the workers write at each step):
listing them and marking them read (``web.sessions`` counts the unread with the session). A user
only ever reads or marks their own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, select, update

from workflow.persistence.schema import Notification, table

__all__ = ["NOTIFICATIONS", "NotificationView", "mark_read", "notifications_of"]

NOTIFICATIONS = table(Notification)


@dataclass(frozen=True, slots=True)
class NotificationView:
    """One of a user's notifications."""

    id: int
    application_id: int | None
    kind: str
    title: str
    body: str
    created_at: datetime
    read: bool


def notifications_of(conn: Connection, user_id: int, limit: int = 100) -> list[NotificationView]:
    """The user's latest notifications, newest first."""
    n = NOTIFICATIONS
    query = (
        select(
            n.c.id, n.c.application_id, n.c.kind, n.c.title, n.c.body, n.c.created_at, n.c.read_at
        )
        .where(n.c.user_id == user_id)
        .order_by(n.c.id.desc())
        .limit(limit)
    )
    return [
        NotificationView(
            r.id,
            r.application_id,
            r.kind,
            r.title,
            r.body or "",
            r.created_at,
            r.read_at is not None,
        )
        for r in conn.execute(query)
    ]


def mark_read(db: Engine, user_id: int, now: datetime, notification_id: int | None = None) -> int:
    """Mark the user's notification ``notification_id`` (None: all of them) read; how many
    changed. Another user's notification is never touched."""
    n = NOTIFICATIONS
    query = update(n).where(n.c.user_id == user_id, n.c.read_at.is_(None)).values(read_at=now)
    if notification_id is not None:
        query = query.where(n.c.id == notification_id)
    with db.begin() as conn:
        return int(conn.execute(query).rowcount or 0)
