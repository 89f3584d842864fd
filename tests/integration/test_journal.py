"""Tampering that needs no hash work is caught, and checkpoints catch the rest: the office
journal and the replayed application row, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, delete, select, update

from documents.packets import PacketService
from tests.support import TRADEMARK_EVIDENCE, Office, seed_office
from workflow import journal
from workflow.audit import GENESIS, IMAGE, entry_hash
from workflow.directory import replace_profile
from workflow.errors import InvalidInput, NotFound
from workflow.evidence import evidence_subject
from workflow.facts import MaterialFacts, ProductFacts
from workflow.journal import JOURNAL, load_checkpoint, save_checkpoint
from workflow.ledger import APPLICATIONS, AUDIT, EVIDENCE, OUTBOX, UMKM, USERS
from workflow.permissions import acting_user
from workflow.persistence.database import reading
from workflow.persistence.migrate import downgrade, upgrade
from workflow.persistence.schema import (
    IssuedDocument,
    IssuedPacket,
    Material,
    ProcessStep,
    Product,
    table,
)
from workflow.settings import Settings
from workflow.verification import VerifyReport, verify_audit

SECRET = b"k" * 40
MATERIALS, PRODUCTS, STEPS = table(Material), table(Product), table(ProcessStep)


def _registered_mark(office: Office) -> int:
    """A trademark that went all the way: certificate number, dates, details, reassignment."""
    app = office.workflow.open_application(
        office.nib, "trademark", office.consultant, details={"mark_name": "SAGU IBU ANA"}
    )
    office.give_evidence(office.nib, TRADEMARK_EVIDENCE, app=app)
    for trigger in ("start_document_preparation", "billing_paid_and_submitted"):
        office.clock.advance(days=1)
        office.workflow.advance(app, trigger, office.consultant)
    office.workflow.reassign(app, office.other_consultant, office.admin)
    return app


def _verify(office: Office, *checkpoints: dict[str, Any]) -> VerifyReport:
    with reading(office.db).connect() as conn:
        return verify_audit(conn, office.workflow.registry, checkpoints=checkpoints, secret=SECRET)


def _problems(office: Office, *checkpoints: dict[str, Any]) -> list[str]:
    report = _verify(office, *checkpoints)
    found = [f"#{p.application_id}: {p.problem}" for p in report.problems]
    return found + [f"{p.subject}: {p.problem}" for p in report.journal_problems]


def _tamper(office: Office, *statements: Any) -> None:
    with office.db.begin() as conn:
        for statement in statements:
            conn.execute(statement)


@pytest.fixture
def mark(office: Office) -> int:
    app = _registered_mark(office)
    office.workflow.open_application(office.other_nib, "sni", office.consultant)
    assert _problems(office) == []
    return app


def test_an_untouched_office_verifies_with_its_journal(office: Office, mark: int) -> None:
    report = _verify(office)
    # the system account, 4 users, 7 documents; then each application's steps
    assert report.ok and report.applications == 2 and report.journal_entries > 10


def test_the_last_entry_removed_and_the_row_set_back_is_caught(office: Office, mark: int) -> None:
    with office.db.connect() as conn:
        last, before = (
            conn.execute(
                select(AUDIT).where(AUDIT.c.application_id == mark).order_by(AUDIT.c.seq.desc())
            )
            .mappings()
            .fetchmany(2)
        )
    _tamper(
        office,
        delete(AUDIT).where(AUDIT.c.id == last["id"]),
        update(APPLICATIONS)
        .where(APPLICATIONS.c.id == mark)
        .values(
            audit_seq=before["seq"],
            audit_head=before["hash"],
            state=before["to_state"],
            assignee_id=before["data"][IMAGE].get("assignee_id", 3),
            version=before["seq"],
        ),
    )
    assert any(
        "the office journal records entry 5 as the chain's last, the application 4" in p
        for p in _problems(office)
    ), _problems(office)


def test_a_whole_application_deleted_with_its_rows_is_caught(office: Office, mark: int) -> None:
    _tamper(
        office,
        delete(OUTBOX).where(OUTBOX.c.application_id == mark),
        delete(AUDIT).where(AUDIT.c.application_id == mark),
        delete(EVIDENCE).where(EVIDENCE.c.application_id == mark),  # its UMK letter, statement
        delete(APPLICATIONS).where(APPLICATIONS.c.id == mark),
    )
    assert _problems(office) == [
        f"#{mark}: the journal records this application (entry 5 of its chain), but it is gone "
        "from the database: deleted outside sertiflow",
        *(
            f"evidence:1:{kind}:application:{mark}: in the office journal but gone: deleted "
            "outside sertiflow"
            for kind in ("umk_recommendation", "umk_statement")
        ),
    ]


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("certificate_number", "IDM000000999"),
        ("assignee_id", None),
        ("deadline", date(2030, 1, 1)),
        ("details", {"mark_name": "MEREK LAIN"}),
        ("version", 99),
        ("filed_on", None),
        ("title", "dipalsukan"),
    ],
)
def test_a_column_the_history_determines_edited_in_place_is_caught(
    office: Office, mark: int, column: str, value: object
) -> None:
    _tamper(office, update(APPLICATIONS).where(APPLICATIONS.c.id == mark).values({column: value}))
    found = _problems(office)
    assert len(found) == 1 and found[0].startswith(f"#{mark}: replaying the log gives {column} =")
    assert found[0].endswith("the row was edited outside sertiflow")


def test_the_business_an_application_belongs_to_edited_is_caught(office: Office, mark: int) -> None:
    with office.db.connect() as conn:
        other = conn.scalar(select(APPLICATIONS.c.umkm_id).where(APPLICATIONS.c.id != mark))
    _tamper(office, update(APPLICATIONS).where(APPLICATIONS.c.id == mark).values(umkm_id=other))
    assert [p for p in _problems(office) if "umkm_id" in p]


def test_users_and_dossier_documents_edited_inserted_or_deleted_are_caught(
    office: Office, mark: int
) -> None:
    kinds = sorted(TRADEMARK_EVIDENCE)
    _tamper(office, update(USERS).where(USERS.c.username == office.admin).values(username="x"))
    assert _problems(office) == [
        "user:2: username differs from what the journal recorded: edited outside sertiflow"
    ]
    _tamper(
        office,
        update(USERS).where(USERS.c.username == "x").values(username=office.admin),
        update(USERS).where(USERS.c.username == office.owner).values(role="admin"),
        update(EVIDENCE).where(EVIDENCE.c.kind == kinds[0]).values(reference="palsu.pdf"),
    )
    assert sorted(_problems(office)) == [
        f"evidence:1:{kinds[0]}: reference differs from what the journal recorded: edited "
        "outside sertiflow",
        "user:5: role differs from what the journal recorded: edited outside sertiflow",
    ]
    _tamper(
        office,
        update(USERS).where(USERS.c.username == office.owner).values(role="umkm"),
        update(EVIDENCE).where(EVIDENCE.c.kind == kinds[0]).values(reference=f"{kinds[0]}.pdf"),
        delete(EVIDENCE).where(EVIDENCE.c.kind == kinds[1]),
        USERS.insert().values(username="mallory", full_name="M", role="admin", active=True),
    )
    label = evidence_subject(1, kinds[1], "mark:SAGU IBU ANA")  # the mark's label
    assert sorted(_problems(office)) == [
        f"{label}: in the office journal but gone: deleted outside sertiflow",
        "user:6: not in the office journal: inserted outside sertiflow",
    ]


def test_journal_entries_edited_or_removed_are_caught(office: Office, mark: int) -> None:
    _tamper(office, update(JOURNAL).where(JOURNAL.c.seq == 3).values(actor_id=99))
    assert _problems(office) == ["user:2: content does not match its hash: edited"]
    with office.db.connect() as conn:
        actor = conn.scalar(select(USERS.c.id).where(USERS.c.username == "sertiflow"))
    _tamper(
        office,
        update(JOURNAL).where(JOURNAL.c.seq == 3).values(actor_id=2),
        delete(JOURNAL).where(JOURNAL.c.seq == 4),
    )
    found = _problems(office)
    assert "user:4: expected entry 4: journal entries were removed" in found
    assert actor is not None


def _rewrite_journal(conn: Connection, drop: str) -> None:
    """What someone holding the database but not the key can do: drop entries and recompute
    every later hash so that the journal's own chain holds."""
    rows = [dict(r) for r in conn.execute(select(JOURNAL).order_by(JOURNAL.c.seq)).mappings()]
    conn.execute(delete(JOURNAL))
    prev, seq = GENESIS, 0
    for row in rows:
        if row["subject"] == drop:
            continue
        seq += 1
        row.update(seq=seq, prev_hash=prev)
        row["hash"] = prev = entry_hash(prev, row)
        conn.execute(JOURNAL.insert().values(**row))


def test_a_checkpoint_proves_the_journal_before_it_was_not_rewritten(
    office: Office, mark: int, tmp_path: Path
) -> None:
    path = tmp_path / "journal-2026-12-01.json"
    save_checkpoint(office.db, SECRET, office.clock(), path)
    checkpoint = load_checkpoint(path)
    office.workflow.advance(mark, "formality_exam_started", office.other_consultant)
    assert _problems(office, checkpoint) == []  # the office works on after the checkpoint
    # a user deleted, and the journal rewritten so that its chain holds without it
    with office.db.begin() as conn:
        conn.execute(delete(USERS).where(USERS.c.username == "sertiflow"))
        _rewrite_journal(conn, drop="user:1")
    assert _problems(office) == []  # without the checkpoint, nothing shows
    assert _problems(office, checkpoint) == [
        f"checkpoint of {checkpoint['cut_at']}: the journal's entry differs from the "
        "checkpoint's: the history before the checkpoint was rewritten"
    ]


def test_a_checkpoint_beyond_a_truncated_journal_or_not_ours_is_refused(
    office: Office, mark: int, tmp_path: Path
) -> None:
    checkpoint = save_checkpoint(office.db, SECRET, office.clock(), tmp_path / "c.json")
    forged = {**checkpoint, "seq": 1}
    with office.db.begin() as conn:
        last = conn.scalar(select(JOURNAL.c.seq).order_by(JOURNAL.c.seq.desc()).limit(1))
        conn.execute(delete(JOURNAL).where(JOURNAL.c.seq == last))
    found = _problems(office, checkpoint, forged)
    assert any("before the checkpoint's" in p for p in found), found
    assert any("not signed with this office's key" in p for p in found), found
    with reading(office.db).connect() as conn:
        other_key = verify_audit(
            conn, office.workflow.registry, checkpoints=[checkpoint], secret=b"z" * 40
        )
    assert any("not signed" in p.problem for p in other_key.journal_problems)


def test_checkpoint_files_are_never_overwritten_and_bad_ones_are_named(
    office: Office, tmp_path: Path
) -> None:
    path = tmp_path / "c.json"
    save_checkpoint(office.db, SECRET, office.clock(), path)
    before = path.read_text()
    with pytest.raises(InvalidInput, match="never overwritten"):
        save_checkpoint(office.db, SECRET, office.clock(), path)
    assert path.read_text() == before
    for content in ("{", json.dumps({"format": "x"}), "[]", "\xff"):
        bad = tmp_path / "bad.json"
        bad.write_text(content, encoding="latin-1")
        with pytest.raises(InvalidInput, match=r"bad.json is not a"):
            load_checkpoint(bad)


def test_an_office_upgraded_to_the_journal_verifies_and_then_catches_edits(
    db: Engine,
) -> None:
    office = seed_office(db)
    app = _registered_mark(office)
    with journal.writing(db) as conn:  # the upgrade's profile digest must be the journal's
        product = [ProductFacts("Sagu lempeng", "250 g")]
        replace_profile(conn, acting_user(conn, office.admin), 1, product, [], ["Panggang"])
    downgrade(db, "0004")
    with db.begin() as conn:  # the chains as schema 0004 wrote them: no columns recorded
        for app_id in (app,):
            prev = GENESIS
            rows = conn.execute(
                select(AUDIT).where(AUDIT.c.application_id == app_id).order_by(AUDIT.c.seq)
            ).mappings()
            for row in [dict(r) for r in rows]:
                row["data"] = {k: v for k, v in row["data"].items() if k != IMAGE}
                row["prev_hash"] = prev
                row["hash"] = prev = entry_hash(prev, row)
                conn.execute(update(AUDIT).where(AUDIT.c.id == row["id"]).values(**row))
            conn.execute(
                update(APPLICATIONS).where(APPLICATIONS.c.id == app_id).values(audit_head=prev)
            )
    upgrade(db)
    assert _problems(office) == []
    office.workflow.advance(app, "formality_exam_started", office.other_consultant)
    assert _problems(office) == []
    _tamper(office, update(APPLICATIONS).where(APPLICATIONS.c.id == app).values(title="dipalsukan"))
    assert [p for p in _problems(office) if "title" in p]


def test_business_data_and_profiles_edited_behind_sertiflows_back_are_caught(
    office: Office, mark: int
) -> None:
    with journal.writing(office.db) as conn:
        replace_profile(
            conn,
            acting_user(conn, office.admin),
            1,
            [ProductFacts("Sagu lempeng", "250 g")],
            [MaterialFacts("Tepung sagu", "bahan baku", "Saparua", "KMA 1360/2021")],
            ["Pemanggangan"],
        )
    assert _problems(office) == []
    _tamper(office, update(UMKM).where(UMKM.c.id == 1).values(name="PT PALSU", nib="9199999999998"))
    assert _problems(office) == [
        "umkm:9199999999998: not in the office journal: inserted outside sertiflow",
        f"umkm:{office.nib}: in the office journal but gone: deleted outside sertiflow",
    ]
    _tamper(office, update(UMKM).where(UMKM.c.id == 1).values(nib=office.nib))
    assert _problems(office) == [
        f"umkm:{office.nib}: differs from what the journal recorded: edited outside sertiflow"
    ]
    _tamper(
        office,
        update(UMKM).where(UMKM.c.id == 1).values(name="Sagu Ibu Ana", nib=office.nib),
        update(MATERIALS).values(halal_evidence="SH PALSU"),
    )
    assert _problems(office) == [
        "profile:1: differs from what the journal recorded: edited outside sertiflow"
    ]
    _tamper(office, delete(MATERIALS), delete(PRODUCTS), delete(STEPS))
    assert _problems(office) == [
        "profile:1: in the office journal but gone: deleted outside sertiflow"
    ]


def test_an_issued_packet_deleted_or_its_file_hash_edited_is_caught(
    office: Office, mark: int, tmp_path: Path
) -> None:
    settings = Settings(storage_dir=str(tmp_path / "packets"), secret_key="s" * 40)
    service = PacketService(office.db, settings, today=office.workflow.today)
    stored = service.issue(mark, acting=office.other_consultant)
    assert _problems(office) == []
    packets = table(IssuedPacket)
    _tamper(office, update(packets).values(content_hash="0" * 64))
    assert (
        f"issued_packet:{stored.code}: differs from what the journal recorded: edited "
        "outside sertiflow" in _problems(office)
    )
    _tamper(office, delete(table(IssuedDocument)), delete(packets))
    found = _problems(office)
    assert (
        f"issued_packet:{stored.code}: in the office journal but gone: deleted outside "
        "sertiflow" in found
    )
    assert any(p.startswith("issued_document:") for p in found)


def test_entries_edited_into_nonsense_are_reported_not_raised(office: Office, mark: int) -> None:
    with office.db.connect() as conn:
        step = conn.scalar(select(JOURNAL.c.seq).where(JOURNAL.c.action == "step").limit(1))
    _tamper(
        office,
        update(JOURNAL).where(JOURNAL.c.seq == step).values(data={}),
        update(AUDIT).where(AUDIT.c.application_id == mark, AUDIT.c.seq == 2).values(data=[1]),
    )
    found = _problems(office)
    assert f"application:{mark}: not an entry sertiflow writes: edited" in found
    assert f"#{mark}: its data is not what sertiflow writes: the row was edited" in found


def test_entries_that_are_not_json_are_reported_on_sqlite(sqlite_only: Engine) -> None:
    office = seed_office(sqlite_only)
    _registered_mark(office)
    with sqlite_only.begin() as conn:
        conn.exec_driver_sql("update journal set data = 'not json' where seq = 2")
        conn.exec_driver_sql("update audit_entry set data = 'x' where seq = 2")
    found = _problems(office)
    assert "user:1: not an entry sertiflow writes: edited" in found
    assert "#1: its data is not what sertiflow writes: the row was edited" in found


def test_verifying_one_application_names_a_deleted_or_unknown_one(
    office: Office, mark: int
) -> None:
    _tamper(
        office,
        delete(OUTBOX).where(OUTBOX.c.application_id == mark),
        delete(AUDIT).where(AUDIT.c.application_id == mark),
        delete(EVIDENCE).where(EVIDENCE.c.application_id == mark),
        delete(APPLICATIONS).where(APPLICATIONS.c.id == mark),
    )
    with reading(office.db).connect() as conn:
        report = verify_audit(conn, office.workflow.registry, mark)
        assert [p.problem for p in report.problems] == [
            "the journal records this application (entry 5 of its chain), but it is gone "
            "from the database: deleted outside sertiflow"
        ]
        with pytest.raises(NotFound, match="no application #999"):
            verify_audit(conn, office.workflow.registry, 999)


def test_a_checkpoint_needs_a_file_name_in_a_folder(office: Office, tmp_path: Path) -> None:
    tmp_path = tmp_path / "checkpoints"
    tmp_path.mkdir()
    with pytest.raises(InvalidInput, match="is a folder; give the checkpoint a file name"):
        save_checkpoint(office.db, SECRET, office.clock(), tmp_path)
    (tmp_path / "file").write_text("")
    with pytest.raises(InvalidInput, match="file is a file, not a folder"):
        save_checkpoint(office.db, SECRET, office.clock(), tmp_path / "file" / "c.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]
