"""A business's type and KBLI code: stored by the import, checked by the self-declare guard,
journalled with the rest of its row, and carried through migration 0006 and back, on SQLite and
PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, inspect, select, update

from tests.support import HALAL_EVIDENCE, Office, drive, seed_office, umkm_record
from workflow import journal
from workflow.business_type import FOOD_SERVICE_RULE
from workflow.directory import UMKM_IMAGE, digest, umkm_digest, upsert_umkm
from workflow.errors import GuardRefused
from workflow.journal import JOURNAL
from workflow.ledger import UMKM
from workflow.persistence.database import reading
from workflow.persistence.migrate import downgrade, upgrade
from workflow.verification import verify_audit


def _problems(office: Office) -> list[str]:
    with reading(office.db).connect() as conn:
        report = verify_audit(conn, office.workflow.registry)
    found = [f"#{p.application_id}: {p.problem}" for p in report.problems]
    return found + [f"{p.subject}: {p.problem}" for p in report.journal_problems]


def _type(office: Office, nib: str, business_type: str | None, kbli: str | None) -> None:
    with journal.writing(office.db) as conn:
        record = umkm_record(nib, "Padang Sederhana", business_type=business_type, kbli=kbli)
        upsert_umkm(conn, [record], office.clock())


def test_a_restaurant_is_refused_self_declare_and_pointed_to_the_regular_path(
    office: Office,
) -> None:
    _type(office, office.nib, "Rumah makan", "56101")
    app = office.workflow.open_application(office.nib, "halal_self_declare", office.consultant)
    office.give_evidence(office.nib, HALAL_EVIDENCE, app=app)
    drive(office, app, "start_document_preparation")
    with pytest.raises(GuardRefused) as refused:
        office.workflow.advance(app, "submit", office.consultant)
    (reason,) = refused.value.reasons
    assert reason.startswith(
        f"not eligible for self-declare: KBLI 56101 is food service: {FOOD_SERVICE_RULE}. "
    )
    assert reason.endswith("use 'redirect_to_regular' to move to the regular path")
    drive(office, app, "redirect_to_regular")  # the redirect, refused for the eligible, opens


def test_a_business_row_digests_as_before_until_it_has_a_type() -> None:
    row: dict[str, object] = dict.fromkeys(UMKM_IMAGE) | {"nib": "8120000000001", "name": "Sagu"}
    untyped = umkm_digest(row)
    before = ("business_type", "kbli", "postcode")  # postcode: schema 0011, empty here
    assert untyped == digest([row[c] for c in UMKM_IMAGE if c not in before])
    assert umkm_digest(row | {"business_type": "rumah makan"}) != untyped
    assert umkm_digest(row | {"kbli": "56101"}) != untyped
    assert umkm_digest(row | {"business_type": "rumah makan", "kbli": "56101"}) not in (
        untyped,
        umkm_digest(row | {"business_type": "rumah makan"}),
    )


def test_an_office_migrated_back_to_0005_and_up_again_verifies_and_catches_edits(
    db: Engine,
) -> None:
    office = seed_office(db)
    office.workflow.open_application(office.nib, "trademark", office.consultant)
    _type(office, office.nib, "rumah makan", "56101")
    _type(office, office.other_nib, "produsen kopi bubuk", None)
    assert _problems(office) == []
    downgrade(db, "0005")
    assert "business_type" not in {c["name"] for c in inspect(db).get_columns("umkm")}
    with db.connect() as conn:
        last = conn.execute(select(JOURNAL).order_by(JOURNAL.c.seq.desc()).limit(1)).one()
    assert last.action == "umkm.baseline"
    assert sorted(last.data["digests"]) == [office.nib, office.other_nib]
    upgrade(db)
    assert _problems(office) == []  # the rows lost their types, and the journal says so
    _type(office, office.nib, "rumah makan", "56101")
    assert _problems(office) == []
    with db.begin() as conn:  # behind sertiflow's back: the restaurant becomes a producer
        conn.execute(update(UMKM).where(UMKM.c.nib == office.nib).values(business_type="toko"))
    assert _problems(office) == [
        f"umkm:{office.nib}: differs from what the journal recorded: edited outside sertiflow"
    ]
    with db.begin() as conn:  # ... or loses its type and code altogether
        conn.execute(
            update(UMKM).where(UMKM.c.nib == office.nib).values(business_type=None, kbli=None)
        )
    assert _problems(office) == [
        f"umkm:{office.nib}: differs from what the journal recorded: edited outside sertiflow"
    ]


def test_an_office_without_business_types_upgrades_without_a_journal_entry(db: Engine) -> None:
    office = seed_office(db)
    downgrade(db, "0005")
    with db.connect() as conn:
        entries = conn.execute(select(JOURNAL.c.seq)).all()
    upgrade(db)
    with db.connect() as conn:
        assert conn.execute(select(JOURNAL.c.seq)).all() == entries
    assert _problems(office) == []
