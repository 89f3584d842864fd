"""umkm business type and KBLI code: what the self-declare guard checks for food service

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

Two nullable columns join the UMKM row (and the digest the office journal records of it). A
row whose business type and KBLI are both empty digests exactly as it did before this revision
(see ``directory.umkm_digest``), so the upgrade, which leaves both empty, needs no journal
entry: every digest the journal holds still matches. The downgrade drops the values, so it
appends one ``umkm.baseline`` entry to the journal's chain with the new digest of every row that
had either, the way 0005 wrote its baseline: ``audit verify`` stays clean, and says why the
digests changed.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from workflow.audit import entry_hash

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Frozen here: the UMKM columns the journal's digests covered before this revision.
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
_GENESIS = "0" * 64


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _digest(values: Any) -> str:
    text = json.dumps(values, default=_plain, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def upgrade() -> None:
    op.add_column("umkm", sa.Column("business_type", sa.String(length=100), nullable=True))
    op.add_column("umkm", sa.Column("kbli", sa.String(length=5), nullable=True))


def downgrade() -> None:
    conn = op.get_bind()
    meta = sa.MetaData()
    umkm = sa.Table("umkm", meta, autoload_with=conn)
    journal = sa.Table("journal", meta, autoload_with=conn)
    typed = sa.or_(umkm.c.business_type.is_not(None), umkm.c.kbli.is_not(None))
    query = sa.select(*(umkm.c[c] for c in _UMKM_COLUMNS)).where(typed).order_by(umkm.c.id)
    digests = {
        r["nib"]: _digest([r[c] for c in _UMKM_COLUMNS]) for r in conn.execute(query).mappings()
    }
    if digests:
        last = conn.execute(
            sa.select(journal.c.seq, journal.c.hash).order_by(journal.c.seq.desc()).limit(1)
        ).first()
        seq, prev = (int(last.seq), str(last.hash)) if last else (0, _GENESIS)
        entry: dict[str, Any] = {
            "seq": seq + 1,
            "at": datetime.now(UTC).replace(tzinfo=None),  # naive UTC like every timestamp
            "actor_id": None,
            "action": "umkm.baseline",
            "subject": "umkm",
            "data": {"digests": digests, "note": "schema 0006 downgrade: business type dropped"},
            "prev_hash": prev,
        }
        entry["hash"] = entry_hash(prev, entry)
        conn.execute(journal.insert().values(**entry))
    for column in ("kbli", "business_type"):  # SQLite 3.35+ drops a plain column in place: no
        op.execute(f"ALTER TABLE umkm DROP COLUMN {column}")  # table copy against foreign keys
