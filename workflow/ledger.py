"""Writing an application's history: the prebuilt statements, audit rows and outbox rows.

Everything that changes an application goes through ``record``: one optimistic-locked update of
the application row, one audit row chained to the previous one, and the outbox rows for the
effects, all on the caller's connection and so in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, insert, select, update

from workflow import journal
from workflow.audit import IMAGE, IMAGE_COLUMNS, entry_hash, plain
from workflow.errors import ConflictError
from workflow.model import Role, State
from workflow.persistence.schema import (
    Application,
    AuditEntry,
    Evidence,
    OutboxMessage,
    Regency,
    Umkm,
    User,
    table,
)

__all__ = [
    "APPLICATIONS",
    "AUDIT",
    "EVIDENCE",
    "MOVABLE_COLUMNS",
    "OUTBOX",
    "QUEUED",
    "REGENCIES",
    "SELECT_APP",
    "SELECT_APP_AND_ACTOR",
    "SELECT_EVIDENCE",
    "SELECT_RELATED",
    "SELECT_UMKM",
    "SELECT_USER",
    "UMKM",
    "USERS",
    "Actor",
    "Step",
    "effect_kinds",
    "record",
]

APPLICATIONS = table(Application)
AUDIT = table(AuditEntry)
OUTBOX = table(OutboxMessage)
USERS = table(User)
UMKM = table(Umkm)
EVIDENCE = table(Evidence)
REGENCIES = table(Regency)

SELECT_USER = select(
    USERS.c.id,
    USERS.c.username,
    USERS.c.role,
    USERS.c.umkm_id,
    USERS.c.active,
).where(USERS.c.username == bindparam("username"))
SELECT_APP = select(APPLICATIONS).where(APPLICATIONS.c.id == bindparam("id"))
SELECT_APP_AND_ACTOR = (
    select(
        APPLICATIONS,
        USERS.c.id.label("actor_id"),
        USERS.c.username.label("actor_username"),
        USERS.c.role.label("actor_role"),
        USERS.c.umkm_id.label("actor_umkm_id"),
        USERS.c.active.label("actor_active"),
    )
    .select_from(APPLICATIONS.outerjoin(USERS, USERS.c.username == bindparam("username")))
    .where(APPLICATIONS.c.id == bindparam("id"))
)
"""The application and the acting user in one round trip: the transition's hot path."""
SELECT_UMKM = select(
    UMKM.c.id,
    UMKM.c.nib,
    UMKM.c.name,
    UMKM.c.scale,
    UMKM.c.annual_turnover,
    UMKM.c.production_sites,
    UMKM.c.simple_process,
    UMKM.c.business_type,
    UMKM.c.kbli,
).where(UMKM.c.id == bindparam("id"))
SELECT_EVIDENCE = (
    select(
        EVIDENCE.c.kind,
        EVIDENCE.c.reference,
        EVIDENCE.c.valid_until,
        EVIDENCE.c.signed_on,
        EVIDENCE.c.scope,
        EVIDENCE.c.application_id,
        APPLICATIONS.c.process_key,
    )
    .outerjoin(APPLICATIONS, APPLICATIONS.c.id == EVIDENCE.c.application_id)
    .where(EVIDENCE.c.umkm_id == bindparam("umkm_id"))
)
"""Every document in a business's dossier, whatever its scope (``evidence.in_scope`` picks)."""
SELECT_RELATED = select(
    APPLICATIONS.c.id,
    APPLICATIONS.c.process_key,
    APPLICATIONS.c.process_version,
    APPLICATIONS.c.state,
    APPLICATIONS.c.filed_on,
).where(APPLICATIONS.c.umkm_id == bindparam("umkm_id"), APPLICATIONS.c.id != bindparam("id"))

MOVABLE_COLUMNS = (
    "state",
    "phase",
    "state_entered_at",
    "deadline",
    "flags",
    "filed_on",
    "certificate_number",
    "certificate_issued_on",
    "certificate_expires_on",
    "assignee_id",
    "process_version",
    "details",
    "audit_seq",
    "audit_head",
)
"""The application columns a step may change, besides the version it bumps."""
_UPDATE_APP = (
    update(APPLICATIONS)
    .where(
        APPLICATIONS.c.id == bindparam("app_id"),
        APPLICATIONS.c.version == bindparam("seen_version"),
    )
    .values(version=APPLICATIONS.c.version + 1, **{c: bindparam(c) for c in MOVABLE_COLUMNS})
)
_INSERT_AUDIT = insert(AUDIT)
_INSERT_OUTBOX = insert(OUTBOX).returning(OUTBOX.c.id)
QUEUED = "sertiflow.queued_outbox_ids"
"""Key in ``Connection.info`` under which ``record`` collects the outbox ids its transaction
wrote, for the engine to dispatch once that transaction has committed."""


@dataclass(frozen=True, slots=True)
class Actor:
    """The user a command acts as."""

    id: int
    username: str
    role: Role
    umkm_id: int | None

    @property
    def organisation(self) -> str:
        """Where the act comes from when no agency is named: the office or the UMKM."""
        return "UMKM" if self.role is Role.UMKM else "PLUT"


@dataclass(frozen=True, slots=True)
class Step:
    """One entry of an application's history, before it is chained and written."""

    application_id: int
    at: datetime
    actor: Actor
    source: str
    trigger: str
    from_state: str
    to_state: str
    process_key: str
    process_version: int
    dwell_seconds: int = -1  # -1: not a stay in a state (opening, reassignment, migration)
    note: str = ""
    data: Mapping[str, Any] | None = None

    def chained(self, seq: int, prev_hash: str, moved: Mapping[str, Any]) -> dict[str, Any]:
        """The audit row for position ``seq`` after ``prev_hash``, with its own hash; ``moved``
        holds the application columns the step sets (every one, on the first entry), so the log
        alone replays the whole row."""
        data = {
            k: v.isoformat() if isinstance(v, date) else v for k, v in (self.data or {}).items()
        }
        data[IMAGE] = dict(moved)
        row: dict[str, Any] = {
            "application_id": self.application_id,
            "seq": seq,
            "at": self.at,
            "actor_id": self.actor.id,
            "actor_role": self.actor.role.value,
            "source": self.source,
            "trigger": self.trigger,
            "from_state": self.from_state,
            "to_state": self.to_state,
            "process_key": self.process_key,
            "process_version": self.process_version,
            "dwell_seconds": self.dwell_seconds,
            "note": self.note,
            "data": data,
            "prev_hash": prev_hash,
        }
        row["hash"] = entry_hash(prev_hash, row)
        return row


def effect_kinds(dest: State, notify: frozenset[Role], has_assignee: bool) -> list[str]:
    """The outbox messages a move into ``dest`` emits."""
    kinds = []
    if dest.documents:
        kinds.append("render_packet")
    if Role.UMKM in notify:
        kinds.append("email_umkm")
    if Role.CONSULTANT in notify and has_assignee:
        kinds.append("notify_consultant")
    if Role.ADMIN in notify:
        kinds.append("notify_admins")
    return kinds


def record(
    conn: Connection,
    app: Row[Any],
    step: Step,
    changes: Mapping[str, Any],
    effects: list[str],
) -> int:
    """Apply ``changes`` to ``app`` if nobody changed it since it was read, chain ``step`` to its
    history and queue ``effects``; returns the new audit sequence number."""
    seq: int = app.audit_seq + 1
    params = {c: changes.get(c, getattr(app, c)) for c in MOVABLE_COLUMNS}
    after = {c: params.get(c, getattr(app, c)) for c in IMAGE_COLUMNS}
    after["version"] = app.version + 1
    # the hot path: compare the values as read, and make JSON only of what moved
    moved = {c: plain(v) for c, v in after.items() if seq == 1 or v != getattr(app, c)}
    row = step.chained(seq, app.audit_head, moved)
    params.update(app_id=app.id, seen_version=app.version, audit_seq=seq, audit_head=row["hash"])
    if conn.execute(_UPDATE_APP, params).rowcount != 1:
        raise ConflictError(
            f"application #{app.id} was changed by someone else at the same moment; "
            "reload it and try again"
        )
    conn.execute(_INSERT_AUDIT, row)
    journal.note_step(conn, app.id, seq, row["hash"], step.at, step.actor.id)
    if effects:
        payload = {
            "application_id": app.id,
            "seq": seq,
            "trigger": step.trigger,
            "from": step.from_state,
            "to": step.to_state,
            "deadline": _iso(params["deadline"]),
            "actor": step.actor.username,
            "note": step.note,
        }
        ids = conn.execute(
            _INSERT_OUTBOX,
            [
                {  # the table's defaults: no user (the application's), pending, no attempts
                    "application_id": app.id,
                    "audit_seq": seq,
                    "kind": kind,
                    "payload": payload,
                    "created_at": step.at,
                    "available_at": step.at,
                }
                for kind in effects
            ],
        ).scalars()
        conn.info.setdefault(QUEUED, []).extend(ids)
    return seq


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()
