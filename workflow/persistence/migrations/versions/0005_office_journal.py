"""office journal: one chain across the office; each application's chain gets a baseline entry

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

Entries written before this revision do not record the columns they set, so their chains cannot
replay a certificate number or an assignee. Each existing application gets one ``@baseline``
entry holding its whole row as it stands (the upgrade vouches for that row, not for how it got
there), and the new journal starts with every application's head, every user, dossier document,
business and profile (as digests) and every issued file as they stand.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from workflow.audit import entry_hash

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Frozen here: what this revision's baseline records, whatever later code records.
_IMAGE_COLUMNS = (
    "umkm_id",
    "process_key",
    "process_version",
    "state",
    "phase",
    "version",
    "assignee_id",
    "opened_at",
    "state_entered_at",
    "deadline",
    "flags",
    "title",
    "filed_on",
    "certificate_number",
    "certificate_issued_on",
    "certificate_expires_on",
    "linked_from_id",
    "details",
)
_USER_COLUMNS = ("username", "full_name", "role", "email", "field", "umkm_id", "active")
_EVIDENCE_COLUMNS = ("reference", "valid_until", "added_at", "added_by")
_GENESIS = "0" * 64
_UMKM_COLUMNS = (
    "nib",
    "name",
    "owner_name",
    "kind",
    "scale",
    "regency_code",
    "email",
    "phone",
    "address",
    "annual_turnover",
    "production_sites",
    "simple_process",
    "products",
    "language",
)
_PROFILE = (
    ("umkm_product", ("name", "description")),
    ("umkm_material", ("name", "category", "supplier", "halal_evidence")),
    ("umkm_process_step", ("description",)),
)


def _digest(values: Any) -> str:
    text = json.dumps(values, default=_plain, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _profile_digests(conn: sa.Connection, meta: sa.MetaData) -> dict[int, str]:
    parts: dict[int, list[list[list[Any]]]] = {}
    for position, (name, columns) in enumerate(_PROFILE):
        rows = sa.Table(name, meta, autoload_with=conn)
        query = sa.select(rows.c.umkm_id, *(rows.c[c] for c in columns))
        for row in conn.execute(query.order_by(rows.c.umkm_id, rows.c.position)):
            lists = parts.setdefault(row[0], [[], [], []])
            lists[position].append([_plain(v) for v in row[1:]])
    return {owner: _digest(lists) for owner, lists in parts.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def upgrade() -> None:
    op.create_table(
        "journal",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=80), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    conn = op.get_bind()
    now = datetime.now(UTC).replace(tzinfo=None)  # naive UTC like every timestamp
    meta = sa.MetaData()
    application = sa.Table("application", meta, autoload_with=conn)
    audit = sa.Table("audit_entry", meta, autoload_with=conn)
    users = sa.Table("app_user", meta, autoload_with=conn)
    evidence = sa.Table("evidence", meta, autoload_with=conn)
    journal = sa.Table("journal", meta, autoload_with=conn)
    entries: list[dict[str, Any]] = []
    for app in conn.execute(sa.select(application).order_by(application.c.id)).mappings():
        seq = app["audit_seq"] + 1
        image = {c: _plain(app[c]) for c in _IMAGE_COLUMNS}
        image["version"] = app["version"] + 1
        row: dict[str, Any] = {
            "application_id": app["id"],
            "seq": seq,
            "at": now,
            "actor_id": None,
            "actor_role": "system",
            "source": "sertiflow",
            "trigger": "@baseline",
            "from_state": app["state"],
            "to_state": app["state"],
            "process_key": app["process_key"],
            "process_version": app["process_version"],
            "dwell_seconds": -1,
            "note": "schema 0005: the row as it stood",
            "data": {"@set": image},
            "prev_hash": app["audit_head"],
        }
        row["hash"] = entry_hash(app["audit_head"], row)
        conn.execute(audit.insert().values(**row))
        conn.execute(
            application.update()
            .where(application.c.id == app["id"])
            .values(version=app["version"] + 1, audit_seq=seq, audit_head=row["hash"])
        )
        entries.append(
            _entry(now, "step", f"application:{app['id']}", {"seq": seq, "hash": row["hash"]})
        )
    for user in conn.execute(sa.select(users).order_by(users.c.id)).mappings():
        image = {c: _plain(user[c]) for c in _USER_COLUMNS}
        entries.append(_entry(now, "user.baseline", f"user:{user['id']}", {"image": image}))
    for doc in conn.execute(
        sa.select(evidence).order_by(evidence.c.umkm_id, evidence.c.kind)
    ).mappings():
        image = {c: _plain(doc[c]) for c in _EVIDENCE_COLUMNS}
        subject = f"evidence:{doc['umkm_id']}:{doc['kind']}"
        entries.append(_entry(now, "evidence.baseline", subject, {"image": image}))
    umkm = sa.Table("umkm", meta, autoload_with=conn)
    rows = list(conn.execute(sa.select(umkm).order_by(umkm.c.id)).mappings())
    for start in range(0, len(rows), 1000):
        chunk = rows[start : start + 1000]
        digests = {r["nib"]: _digest([r[c] for c in _UMKM_COLUMNS]) for r in chunk}
        entries.append(_entry(now, "umkm.baseline", "umkm", {"digests": digests}))
    for owner, value in sorted(_profile_digests(conn, meta).items()):
        entries.append(_entry(now, "umkm.profile", f"profile:{owner}", {"digest": value}))
    for name in ("issued_packet", "issued_document"):
        records = sa.Table(name, meta, autoload_with=conn)
        for code, app_id, sha in conn.execute(
            sa.select(records.c.code, records.c.application_id, records.c.content_hash)
        ):
            data = {"application_id": app_id, "sha256": sha}
            entries.append(_entry(now, f"{name}.issue", f"{name}:{code}", data))
    prev = _GENESIS
    for seq, entry in enumerate(entries, start=1):
        entry.update(seq=seq, prev_hash=prev)
        entry["hash"] = prev = entry_hash(prev, entry)
    if entries:
        conn.execute(journal.insert(), entries)


def _entry(at: datetime, action: str, subject: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"at": at, "actor_id": None, "action": action, "subject": subject, "data": data}


def downgrade() -> None:
    op.drop_table("journal")
