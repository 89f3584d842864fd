"""Migrations upgrade a database that holds data, and downgrade again, on both backends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url

from tests.conftest import PG_ADMIN_URL
from workflow.directory import UMKM_IMAGE, digest, profile_digests, umkm_digest
from workflow.persistence.database import SCHEMA_REVISION, connect, schema_revision
from workflow.persistence.migrate import downgrade, upgrade
from workflow.persistence.schema import Base

ROWS = [
    "INSERT INTO regency (code, name, kind, seat) VALUES ('8171', 'Kota Ambon', 'kota', 'Ambon')",
    "INSERT INTO umkm (id, nib, name, owner_name, kind, scale, regency_code, address, products,"
    " created_at, updated_at) VALUES (1, '8120000000001', 'Sagu', 'Ana', 'umkm', 'mikro', '8171',"
    " '', '', '2026-11-02 02:00:00', '2026-11-02 02:00:00')",
    "INSERT INTO application (id, umkm_id, regency_code, process_key, process_version, state,"
    " phase, version, opened_at, state_entered_at, flags, title, audit_seq, audit_head) VALUES"
    " (1, 1, '8171', 'trademark', 1, 'INTAKE', 'pipeline', 1, '2026-11-02 02:00:00',"
    " '2026-11-02 02:00:00', '', '', 0, 'x')",
]


@pytest.fixture(params=["sqlite", "postgres"])
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Engine:
    if request.param == "sqlite":
        return connect(f"sqlite:///{tmp_path / 'm.db'}")
    request.getfixturevalue("pg_url")  # fails or skips when PostgreSQL is missing
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"sertiflow_migration_{tmp_path.name[-8:].replace('-', '_')}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    request.addfinalizer(lambda: _drop(admin, name))
    return connect(make_url(PG_ADMIN_URL).set(database=name).render_as_string(False))


def _drop(admin: Engine, name: str) -> None:
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_the_packet_migration_upgrades_a_database_with_applications_and_back(
    empty_db: Engine,
) -> None:
    upgrade(empty_db, "0001")
    with empty_db.begin() as conn:
        for row in ROWS:
            conn.execute(text(row))
    upgrade(empty_db)
    assert schema_revision(empty_db) == SCHEMA_REVISION
    with empty_db.connect() as conn:
        details = conn.execute(text("SELECT details FROM application WHERE id = 1")).scalar()
    assert details in ({}, "{}")
    downgrade(empty_db, "0002")
    assert "issued_document" not in inspect(empty_db).get_table_names()
    upgrade(empty_db)
    assert "issued_document" in inspect(empty_db).get_table_names()
    downgrade(empty_db, "0001")
    assert schema_revision(empty_db) == "0001"
    empty_db.dispose()


def test_the_migrations_build_exactly_the_schema_the_models_declare(empty_db: Engine) -> None:
    upgrade(empty_db)
    with empty_db.connect() as conn:
        context = MigrationContext.configure(conn)
        differences = compare_metadata(context, Base.metadata)
    empty_db.dispose()
    assert differences == []


def test_outbox_rows_written_before_delivery_existed_become_history_never_sent(
    empty_db: Engine,
) -> None:
    upgrade(empty_db, "0003")
    with empty_db.begin() as conn:
        for row in ROWS:
            conn.execute(text(row))
        conn.execute(
            text(
                "INSERT INTO outbox (application_id, audit_seq, kind, payload, created_at, "
                "attempts) VALUES (1, 1, 'email_umkm', '{}', '2026-11-02 02:00:00', 0)"
            )
        )
    upgrade(empty_db)
    with empty_db.connect() as conn:
        moved = conn.execute(text("SELECT status, available_at, attempts FROM outbox")).one()
        language = conn.execute(text("SELECT language FROM umkm")).scalar()
    assert moved.status == "historical" and moved.available_at is not None
    assert moved.attempts == 0
    assert language == "id"
    downgrade(empty_db, "0003")
    assert "notification" not in inspect(empty_db).get_table_names()
    with empty_db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM outbox")).scalar() == 1
    empty_db.dispose()


def test_the_reviewer_fields_keep_profile_digests_and_a_downgrade_journals_the_change(
    empty_db: Engine,
) -> None:
    upgrade(empty_db, "0009")
    with empty_db.begin() as conn:
        for row in ROWS[:2]:
            conn.execute(text(row))
        conn.execute(
            text(
                "INSERT INTO umkm_product (umkm_id, position, name, description)"
                " VALUES (1, 1, 'Sagu lempeng', '250 g')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO umkm_material (umkm_id, position, name, category, supplier,"
                " halal_evidence) VALUES (1, 1, 'Gula', 'bahan tambahan', 'CV Aren', 'SH')"
            )
        )
    before = digest(
        [[["Sagu lempeng", "250 g"]], [["Gula", "bahan tambahan", "CV Aren", "SH"]], []]
    )
    upgrade(empty_db)
    with empty_db.begin() as conn:
        assert profile_digests(conn) == {1: before}  # the journal's digests still hold
        conn.execute(text("UPDATE umkm_product SET brand = 'SAGU ANA', kbli = '10792'"))
        conn.execute(
            text(
                "UPDATE umkm_material SET halal_certificate_number = 'ID311',"
                " halal_valid_until = '2029-05-31'"
            )
        )
        assert profile_digests(conn)[1] != before
    downgrade(empty_db, "0009")
    assert "brand" not in {c["name"] for c in inspect(empty_db).get_columns("umkm_product")}
    with empty_db.connect() as conn:
        entry = conn.execute(
            text("SELECT seq, action, subject, data, prev_hash FROM journal ORDER BY seq")
        ).one()
    data = entry.data if isinstance(entry.data, dict) else json.loads(entry.data)
    assert (entry.seq, entry.action, entry.subject) == (1, "umkm.profile", "profile:1")
    assert data["digest"] == before and "0010 downgrade" in data["note"]
    assert entry.prev_hash == "0" * 64
    upgrade(empty_db)
    assert schema_revision(empty_db) == SCHEMA_REVISION
    empty_db.dispose()


def test_the_postcode_keeps_umkm_digests_and_a_downgrade_journals_the_change(
    empty_db: Engine,
) -> None:
    upgrade(empty_db, "0010")
    with empty_db.begin() as conn:
        for row in ROWS[:2]:
            conn.execute(text(row))
        conn.execute(
            text(
                "INSERT INTO umkm (id, nib, name, owner_name, kind, scale, regency_code, address,"
                " products, language, kbli, created_at, updated_at) VALUES (2, '8120000000002',"
                " 'Kopi', 'Ona', 'umkm', 'mikro', '8171', 'Jl. Baru 2', 'Kopi', 'id', '10761',"
                " '2026-11-02 02:00:00', '2026-11-02 02:00:00')"
            )
        )
    base = ["umkm", "mikro", "8171", None, None]  # kind .. phone
    sagu = digest(["8120000000001", "Sagu", "Ana", *base, "", None, None, None, "", "id"])
    kopi_row = ["8120000000002", "Kopi", "Ona", *base, "Jl. Baru 2", None, None, None, "Kopi"]
    kopi = digest([*kopi_row, "id", None, "10761"])  # a KBLI: both columns schema 0006 added
    upgrade(empty_db)
    with empty_db.connect() as conn:  # the journal's digests still hold: no entry needed
        rows = conn.execute(text("SELECT * FROM umkm ORDER BY id")).mappings().all()
        assert conn.execute(text("SELECT count(*) FROM journal")).scalar() == 0
    assert [umkm_digest(r) for r in rows] == [sagu, kopi]
    assert [umkm_digest(dict(r) | {"postcode": "97128"}) for r in rows] == [
        digest([*[r[c] for c in UMKM_IMAGE[:-1]], "97128"]) for r in rows
    ]
    with empty_db.begin() as conn:
        conn.execute(text("UPDATE umkm SET postcode = '97128'"))
    downgrade(empty_db, "0010")
    assert "postcode" not in {c["name"] for c in inspect(empty_db).get_columns("umkm")}
    with empty_db.connect() as conn:
        entries = conn.execute(
            text("SELECT seq, action, subject, data, prev_hash, hash FROM journal ORDER BY seq")
        ).all()
    data = [e.data if isinstance(e.data, dict) else json.loads(e.data) for e in entries]
    assert [(e.seq, e.action, e.subject) for e in entries] == [
        (1, "umkm.update", "umkm:8120000000001"),
        (2, "umkm.update", "umkm:8120000000002"),
    ]
    assert [d["digests"] for d in data] == [{"8120000000001": sagu}, {"8120000000002": kopi}]
    assert all("0011 downgrade" in d["note"] and d["changed"] == ["postcode"] for d in data)
    assert (entries[0].prev_hash, entries[1].prev_hash) == ("0" * 64, entries[0].hash)
    upgrade(empty_db)
    assert schema_revision(empty_db) == SCHEMA_REVISION
    empty_db.dispose()
