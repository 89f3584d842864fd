"""evidence scopes: a dossier document belongs to the business, one application, or one mark

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

``evidence`` gains ``scope`` (``""`` for the business, ``application:ID``, ``mark:NAME``) and
``application_id``; one document of a kind per business *and scope* replaces one per business.

Existing rows are attached by this rule (frozen here, whatever later code says):

- a kind of the business's own (NIB, KTP, NPWP, SJPH manual, quality manual, product, materials
  and process documents) stays the business's;
- a kind of one application's (payment proof, UMK statement and recommendation letter, ikrar,
  SNI declaration of conformity, SNI mark illustration, lab test report) goes to the business's
  application whose process asks for it: the open one if there is one, the most recently
  opened of them if several are open, else the most recently opened closed or certified one;
- a kind of one mark's (label, ownership statement, licence) goes to the mark of the
  application the same rule picks (a trademark's ``mark_name``; for a licence, an SNI
  application's ``brand``);
- a document no application of its business asks for (or whose application names no mark yet)
  is kept, attached to nothing: no guard counts it, ``dossier show`` lists it so, and the
  consultant adds it again for the application it proves.

The office journal recorded each document whole under ``evidence:UMKM:KIND``. The upgrade
appends to its chain, for every subject it recorded that no longer names a row (a document now
under ``...:application:ID``), an ``evidence.rescope`` entry saying where it went, then one
``evidence.baseline`` entry with the whole new image (scope and application included) of every
document: ``audit verify`` stays clean, and editing the new columns is caught. Like 0005's
baseline, it vouches for the dossier as it stood at the upgrade, not for how it got there.

The downgrade keeps, of each business's documents of one kind, the most recently added (its
business-wide one first) and drops the others with the two columns.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from workflow.audit import GENESIS, entry_hash

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Frozen here: which kinds belong to one application or one mark, the processes that ask for
# each, and (for marks) the detail naming the mark.
_APPLICATION_KINDS: Mapping[str, tuple[str, ...]] = {
    "payment_proof": ("halal_regular", "sni"),
    "halal_pledge": ("halal_self_declare",),
    "umk_statement": ("trademark",),
    "umk_recommendation": ("trademark",),
    "conformity_declaration": ("sni",),
    "sni_mark_illustration": ("sni",),
    "test_report": ("sni",),
}
_MARK_KINDS: Mapping[str, tuple[str, str]] = {
    "label_image": ("trademark", "mark_name"),
    "trademark_ownership": ("trademark", "mark_name"),
    "trademark_licence": ("sni", "brand"),
}
_IMAGE = ("reference", "valid_until", "added_at", "added_by", "scope", "application_id")
_OLD_UNIQUE = "uq_evidence_umkm_id"  # SQLite's unnamed constraint, named by the convention


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _mark_key(name: str) -> str:
    return " ".join(name.split()).upper()


def _subject(umkm_id: int, kind: str, scope: str) -> str:
    subject = f"evidence:{umkm_id}:{kind}"
    if scope.startswith("mark:"):
        return f"{subject}:mark:{hashlib.sha256(scope.encode()).hexdigest()[:16]}"
    return f"{subject}:{scope}" if scope else subject


def _details(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        value = json.loads(value or "{}")
    return dict(value or {})


def _pick(apps: list[Mapping[Any, Any]], processes: tuple[str, ...]) -> Mapping[Any, Any] | None:
    """The open application of ``processes`` (the most recent if several), else the most
    recent of them; ``apps`` is ordered most recent first."""
    asking = [a for a in apps if a["process_key"] in processes]
    open_ones = [a for a in asking if a["phase"] == "pipeline"]
    found = open_ones or asking
    return found[0] if found else None


def _unique_name(conn: sa.Connection) -> str:
    for constraint in sa.inspect(conn).get_unique_constraints("evidence"):
        if sorted(constraint["column_names"]) == ["kind", "umkm_id"] and constraint["name"]:
            return str(constraint["name"])
    return _OLD_UNIQUE


def upgrade() -> None:
    conn = op.get_bind()
    old_unique = _unique_name(conn)
    with op.batch_alter_table(
        "evidence",
        recreate="auto",
        naming_convention={"uq": "uq_%(table_name)s_%(column_0_name)s"},
    ) as batch_op:
        batch_op.add_column(
            sa.Column("scope", sa.String(length=220), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("application_id", sa.Integer(), nullable=True))
        batch_op.drop_constraint(old_unique, type_="unique")
        batch_op.create_unique_constraint("uq_evidence_scope", ["umkm_id", "kind", "scope"])
        batch_op.create_foreign_key(
            "fk_evidence_application_id", "application", ["application_id"], ["id"]
        )
    meta = sa.MetaData()
    evidence = sa.Table("evidence", meta, autoload_with=conn)
    application = sa.Table("application", meta, autoload_with=conn)
    journal = sa.Table("journal", meta, autoload_with=conn)
    apps: dict[int, list[Mapping[Any, Any]]] = {}
    for app in conn.execute(
        sa.select(
            application.c.id,
            application.c.umkm_id,
            application.c.process_key,
            application.c.phase,
            application.c.details,
        ).order_by(application.c.opened_at.desc(), application.c.id.desc())
    ).mappings():
        apps.setdefault(app["umkm_id"], []).append(app)
    for doc in list(conn.execute(sa.select(evidence)).mappings()):
        owned = apps.get(doc["umkm_id"], [])
        values: dict[str, Any] | None = None
        if doc["kind"] in _APPLICATION_KINDS:
            chosen = _pick(owned, _APPLICATION_KINDS[doc["kind"]])
            if chosen is not None:
                values = {"scope": f"application:{chosen['id']}", "application_id": chosen["id"]}
        elif doc["kind"] in _MARK_KINDS:
            process, detail = _MARK_KINDS[doc["kind"]]
            chosen = _pick(owned, (process,))
            mark = _details(chosen["details"]).get(detail) if chosen is not None else None
            if mark and str(mark).strip():
                values = {"scope": f"mark:{_mark_key(str(mark))}", "application_id": None}
        if values is not None:
            conn.execute(evidence.update().where(evidence.c.id == doc["id"]).values(**values))
    _journal(conn, evidence, journal)


def _journal(conn: sa.Connection, evidence: sa.Table, journal: sa.Table) -> None:
    """Append where each recorded document went and every document's new image."""
    live: set[str] = set()
    for subject, data in conn.execute(
        sa.select(journal.c.subject, journal.c.data)
        .where(journal.c.subject.like("evidence:%"))
        .order_by(journal.c.seq)
    ):
        if "moved_to" in _details(data):
            live.discard(subject)
        else:
            live.add(subject)
    now = datetime.now(UTC).replace(tzinfo=None)  # naive UTC like every timestamp
    docs = list(
        conn.execute(
            sa.select(evidence).order_by(evidence.c.umkm_id, evidence.c.kind, evidence.c.scope)
        ).mappings()
    )
    subjects = {_subject(d["umkm_id"], d["kind"], d["scope"]): d for d in docs}
    entries = []
    for subject in sorted(live - set(subjects)):
        _, umkm_id, kind = subject.split(":")[:3]
        moved = [
            s for s, d in subjects.items() if d["umkm_id"] == int(umkm_id) and d["kind"] == kind
        ]
        data = {"moved_to": moved[0] if len(moved) == 1 else None}
        entries.append(_entry(now, "evidence.rescope", subject, data))
    for subject, doc in subjects.items():
        image = {c: _plain(doc[c]) for c in _IMAGE}
        entries.append(_entry(now, "evidence.baseline", subject, {"image": image}))
    if not entries:
        return
    last = conn.execute(
        sa.select(journal.c.seq, journal.c.hash).order_by(journal.c.seq.desc()).limit(1)
    ).first()
    seq, prev = (int(last.seq), str(last.hash)) if last else (0, GENESIS)
    for entry in entries:
        seq += 1
        entry.update(seq=seq, prev_hash=prev)
        entry["hash"] = prev = entry_hash(prev, entry)
    conn.execute(journal.insert(), entries)


def _entry(at: datetime, action: str, subject: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"at": at, "actor_id": None, "action": action, "subject": subject, "data": data}


def downgrade() -> None:
    conn = op.get_bind()
    meta = sa.MetaData()
    evidence = sa.Table("evidence", meta, autoload_with=conn)
    kept: set[tuple[int, str]] = set()
    for doc in list(
        conn.execute(
            sa.select(evidence.c.id, evidence.c.umkm_id, evidence.c.kind).order_by(
                evidence.c.scope != "", evidence.c.added_at.desc(), evidence.c.id.desc()
            )
        ).mappings()
    ):
        key = (doc["umkm_id"], doc["kind"])
        if key in kept:
            conn.execute(evidence.delete().where(evidence.c.id == doc["id"]))
        kept.add(key)
    postgres = conn.dialect.name == "postgresql"
    with op.batch_alter_table("evidence", recreate="auto") as batch_op:
        batch_op.drop_constraint("fk_evidence_application_id", type_="foreignkey")
        batch_op.drop_constraint("uq_evidence_scope", type_="unique")
        batch_op.drop_column("application_id")
        batch_op.drop_column("scope")
        batch_op.create_unique_constraint(
            "evidence_umkm_id_kind_key" if postgres else _OLD_UNIQUE, ["umkm_id", "kind"]
        )
