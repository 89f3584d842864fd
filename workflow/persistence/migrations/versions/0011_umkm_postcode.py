"""umkm postcode: the owner's kode pos, which DJKI's filing form asks for with the address

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02

A nullable ``postcode`` column joins the UMKM row (and the digest the office journal records of
it). A row without a postcode digests exactly as it did before this revision (see
``directory.umkm_digest``: the digest takes the postcode only when there is one), so the
upgrade, which leaves it empty, needs no journal entry: every digest the journal holds still
matches. Packets read five digits ending the address for a row without one, as before. The
downgrade drops the values, so it appends one ``umkm.update`` entry with the new digest of every
business that had a postcode, the way 0010 journalled the profiles it changed: ``audit verify``
stays clean, and each entry says why the digest changed.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from workflow.audit import entry_hash

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# Frozen here: the UMKM columns the journal's digests covered before this revision; the last two
# (schema 0006) only when either is set.
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
    "business_type",
    "kbli",
)
_UNTYPED = len(_UMKM_COLUMNS) - 2
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


def _row_digest(values: list[Any]) -> str:
    """A row's digest without its postcode: without business type and KBLI when it has neither."""
    if values[-1] is None and values[-2] is None:
        values = values[:_UNTYPED]
    return _digest(values)


def upgrade() -> None:
    op.add_column("umkm", sa.Column("postcode", sa.String(length=5), nullable=True))


def downgrade() -> None:
    conn = op.get_bind()
    meta = sa.MetaData()
    umkm = sa.Table("umkm", meta, autoload_with=conn)
    journal = sa.Table("journal", meta, autoload_with=conn)
    query = (
        sa.select(*(umkm.c[c] for c in _UMKM_COLUMNS))
        .where(umkm.c.postcode.is_not(None))
        .order_by(umkm.c.id)
    )
    digests = [(r[0], _row_digest([_plain(v) for v in r])) for r in conn.execute(query)]
    last = conn.execute(
        sa.select(journal.c.seq, journal.c.hash).order_by(journal.c.seq.desc()).limit(1)
    ).first()
    seq, prev = (int(last.seq), str(last.hash)) if last else (0, _GENESIS)
    for nib, value in digests:
        seq += 1
        entry: dict[str, Any] = {
            "seq": seq,
            "at": datetime.now(UTC).replace(tzinfo=None),  # naive UTC like every timestamp
            "actor_id": None,
            "action": "umkm.update",
            "subject": f"umkm:{nib}",
            "data": {
                "digests": {nib: value},
                "changed": ["postcode"],
                "note": "schema 0011 downgrade: postcodes dropped",
            },
            "prev_hash": prev,
        }
        entry["hash"] = prev = entry_hash(prev, entry)
        conn.execute(journal.insert().values(**entry))
    # A plain column drops in place on both databases (SQLite 3.35+): no table copy against
    # foreign keys.
    op.execute("ALTER TABLE umkm DROP COLUMN postcode")
