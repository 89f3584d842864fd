"""Who an effect speaks to and about: an application with its UMKM and consultant, and users.

Plain frozen values read in one short transaction; the slow part of a delivery (rendering,
SMTP) runs after it, holding no database connection.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, select

from workflow.errors import NotFound
from workflow.ledger import APPLICATIONS, UMKM, USERS
from workflow.model import ProcessDefinition, Role
from workflow.processes import ProcessRegistry

__all__ = ["Case", "Person", "active_admins", "load_case", "load_person"]

_PERSON_COLUMNS = (
    USERS.c.id,
    USERS.c.username,
    USERS.c.full_name,
    USERS.c.email,
    USERS.c.role,
    USERS.c.daily_digest,
)


@dataclass(frozen=True, slots=True)
class Person:
    """A user to notify."""

    id: int
    username: str
    full_name: str
    email: str | None
    role: str
    daily_digest: bool


@dataclass(frozen=True, slots=True)
class Case:
    """An application as its messages speak of it."""

    application_id: int
    umkm_id: int
    umkm_name: str
    owner_name: str
    umkm_email: str | None
    language: str
    definition: ProcessDefinition
    state: str
    deadline: date | None
    certificate_number: str | None
    assignee: Person | None


def _person(row: object) -> Person:
    return Person(
        row.id,  # type: ignore[attr-defined]
        row.username,  # type: ignore[attr-defined]
        row.full_name,  # type: ignore[attr-defined]
        row.email or None,  # type: ignore[attr-defined]
        row.role,  # type: ignore[attr-defined]
        bool(row.daily_digest),  # type: ignore[attr-defined]
    )


def load_person(conn: Connection, user_id: int) -> Person:
    """User ``user_id``."""
    row = conn.execute(select(*_PERSON_COLUMNS).where(USERS.c.id == user_id)).first()
    if row is None:
        raise NotFound(f"no user #{user_id}")
    return _person(row)


def active_admins(conn: Connection, system_user: str) -> list[Person]:
    """Every active admin but the account the sweeps act as."""
    rows = conn.execute(
        select(*_PERSON_COLUMNS)
        .where(
            USERS.c.role == Role.ADMIN.value,
            USERS.c.active.is_(True),
            USERS.c.username != system_user,
        )
        .order_by(USERS.c.id)
    )
    return [_person(row) for row in rows]


def load_case(conn: Connection, registry: ProcessRegistry, app_id: int) -> Case:
    """Application ``app_id`` with its UMKM and assigned consultant."""
    row = conn.execute(
        select(
            APPLICATIONS.c.id,
            APPLICATIONS.c.umkm_id,
            APPLICATIONS.c.process_key,
            APPLICATIONS.c.process_version,
            APPLICATIONS.c.state,
            APPLICATIONS.c.deadline,
            APPLICATIONS.c.certificate_number,
            APPLICATIONS.c.assignee_id,
            UMKM.c.name,
            UMKM.c.owner_name,
            UMKM.c.email,
            UMKM.c.language,
        )
        .join(UMKM, UMKM.c.id == APPLICATIONS.c.umkm_id)
        .where(APPLICATIONS.c.id == app_id)
    ).first()
    if row is None:
        raise NotFound(f"no application #{app_id}")
    assignee = None if row.assignee_id is None else load_person(conn, row.assignee_id)
    return Case(
        row.id,
        row.umkm_id,
        row.name,
        row.owner_name,
        row.email or None,
        row.language if row.language in ("id", "en") else "id",
        registry.get(row.process_key, row.process_version),
        row.state,
        row.deadline,
        row.certificate_number,
        assignee,
    )
