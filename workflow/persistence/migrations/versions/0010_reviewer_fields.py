"""reviewer fields: a product's brand, category and KBLI; a material's halal certificate

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02

BPJPH reviewers ask for each product's brand, product category and KBLI, and for each material's
halal certificate number and its validity date; they join ``umkm_product`` and ``umkm_material``
as nullable columns. A profile whose new columns are all empty digests exactly as it did before
(``directory.profile_digests`` adds a row's new values only when it has any), so the upgrade,
which leaves them empty, needs no journal entry. The downgrade drops the values, so it appends
one ``umkm.profile`` entry with the new digest of every business that had any, the way 0006
wrote its baseline: ``audit verify`` stays clean, and the entry says why the digest changed.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from workflow.audit import entry_hash

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# Frozen here: the profile columns the journal's digests covered before this revision.
_BEFORE = (
    ("umkm_product", ("name", "description")),
    ("umkm_material", ("name", "category", "supplier", "halal_evidence")),
    ("umkm_process_step", ("description",)),
)
_ADDED: dict[str, tuple[tuple[str, Any], ...]] = {
    "umkm_product": (
        ("brand", sa.String(length=100)),
        ("category", sa.String(length=100)),
        ("kbli", sa.String(length=5)),
    ),
    "umkm_material": (
        ("halal_certificate_number", sa.String(length=60)),
        ("halal_valid_until", sa.Date()),
    ),
}
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
    for table, columns in _ADDED.items():
        for name, kind in columns:
            op.add_column(table, sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    conn = op.get_bind()
    meta = sa.MetaData()
    tables = {name: sa.Table(name, meta, autoload_with=conn) for name, _ in _BEFORE}
    journal = sa.Table("journal", meta, autoload_with=conn)
    filled: set[int] = set()
    for name, columns in _ADDED.items():
        rows = tables[name]
        any_set = sa.or_(*(rows.c[c].is_not(None) for c, _ in columns))
        filled.update(conn.scalars(sa.select(rows.c.umkm_id).where(any_set).distinct()))
    last = conn.execute(
        sa.select(journal.c.seq, journal.c.hash).order_by(journal.c.seq.desc()).limit(1)
    ).first()
    seq, prev = (int(last.seq), str(last.hash)) if last else (0, _GENESIS)
    for umkm_id in sorted(filled):
        lists = [
            [
                [_plain(v) for v in row]
                for row in conn.execute(
                    sa.select(*(tables[name].c[c] for c in columns))
                    .where(tables[name].c.umkm_id == umkm_id)
                    .order_by(tables[name].c.position)
                )
            ]
            for name, columns in _BEFORE
        ]
        seq += 1
        entry: dict[str, Any] = {
            "seq": seq,
            "at": datetime.now(UTC).replace(tzinfo=None),  # naive UTC like every timestamp
            "actor_id": None,
            "action": "umkm.profile",
            "subject": f"profile:{umkm_id}",
            "data": {
                "digest": _digest(lists),
                "note": "schema 0010 downgrade: brands, KBLI and halal certificates dropped",
            },
            "prev_hash": prev,
        }
        entry["hash"] = prev = entry_hash(prev, entry)
        conn.execute(journal.insert().values(**entry))
    for name, columns in _ADDED.items():  # a plain column drops in place on both databases
        for column, _ in reversed(columns):
            op.execute(f"ALTER TABLE {name} DROP COLUMN {column}")
