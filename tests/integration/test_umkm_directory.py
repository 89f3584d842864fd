"""A business's record changed between imports, and the lists of businesses: who may change it,
that each value is checked as an import checks it, and that the journal still vouches for it. On
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select, update

from tests.support import Office
from workflow.directory import update_umkm
from workflow.errors import InvalidInput, NotFound, NotPermitted
from workflow.journal import JOURNAL
from workflow.ledger import APPLICATIONS, UMKM, USERS
from workflow.persistence.database import reading
from workflow.umkm_queries import UmkmFilter, list_umkm, umkm_detail
from workflow.verification import verify_audit


def _update(office: Office, acting: str, nib: str | None = None, **changes: str) -> Any:
    return _change(office, acting, changes, nib)


def _change(office: Office, acting: str, changes: dict[str, str], nib: str | None = None) -> Any:
    return update_umkm(
        office.db, nib or office.nib, changes, acting=acting, now=office.clock(), max_length=300
    )


def _row(office: Office, nib: str | None = None) -> dict[str, Any]:
    with office.db.connect() as conn:
        row = conn.execute(select(UMKM).where(UMKM.c.nib == (nib or office.nib))).mappings()
        return dict(row.one())


def _journal_problems(office: Office) -> list[str]:
    with reading(office.db).connect() as conn:
        report = verify_audit(conn, office.workflow.registry)
    return [f"{p.subject}: {p.problem}" for p in report.journal_problems] + [
        p.problem for p in report.problems
    ]


def test_an_admin_changes_turnover_address_and_regency_checked_as_an_import_would(
    office: Office,
) -> None:
    app = office.workflow.open_application(office.nib, "trademark", office.consultant)
    changed = _update(
        office,
        office.admin,
        annual_turnover="Rp 250.000.000",
        address="  Jl.   Sultan Hasanuddin 5 ",
        regency="Tual",
        phone="0812-1111-2222",
    )
    assert changed == {
        "annual_turnover": 250_000_000,
        "address": "Jl. Sultan Hasanuddin 5",
        "regency_code": "8172",
        "phone": "+6281211112222",
    }
    row = _row(office)
    assert (row["annual_turnover"], row["regency_code"]) == (250_000_000, "8172")
    with office.db.connect() as conn:  # its applications move with it, as an import moves them
        moved = conn.scalar(select(APPLICATIONS.c.regency_code).where(APPLICATIONS.c.id == app))
        entry = conn.execute(select(JOURNAL).order_by(JOURNAL.c.seq.desc()).limit(1)).one()
        admin = conn.scalar(select(USERS.c.id).where(USERS.c.username == office.admin))
    assert moved == "8172"
    assert (entry.action, entry.subject, entry.actor_id) == (
        "umkm.update",
        f"umkm:{office.nib}",
        admin,
    )
    assert entry.data["changed"] == sorted(changed)
    assert _journal_problems(office) == []


def test_a_direct_sql_edit_after_an_update_is_still_caught(office: Office) -> None:
    _update(office, office.admin, address="Jl. Baru 7")
    assert _journal_problems(office) == []
    with office.db.begin() as conn:
        conn.execute(update(UMKM).where(UMKM.c.nib == office.nib).values(address="Jl. Palsu 1"))
    problems = _journal_problems(office)
    assert problems and all(p.startswith(f"umkm:{office.nib}") for p in problems)


def test_an_unchanged_value_writes_nothing(office: Office) -> None:
    with office.db.connect() as conn:
        before = conn.scalar(select(JOURNAL.c.seq).order_by(JOURNAL.c.seq.desc()).limit(1))
    assert _update(office, office.admin, scale="Mikro", annual_turnover="120 juta") == {}
    with office.db.connect() as conn:
        after = conn.scalar(select(JOURNAL.c.seq).order_by(JOURNAL.c.seq.desc()).limit(1))
    assert after == before


def test_the_business_own_umkm_user_may_change_it_and_no_other(office: Office) -> None:
    assert _update(office, office.owner, email="ana@contoh.id") == {"email": "ana@contoh.id"}
    with pytest.raises(NotPermitted, match="for its own business only"):
        _update(office, office.owner, office.other_nib, email="x@contoh.id")
    assert _row(office, office.other_nib)["email"] != "x@contoh.id"


def test_a_consultant_changes_a_business_only_while_assigned_to_an_open_application(
    office: Office,
) -> None:
    with pytest.raises(NotPermitted, match="not assigned to any open application"):
        _update(office, office.consultant, production_sites="2")
    app = office.workflow.open_application(office.nib, "trademark", office.consultant)
    assert _update(office, office.consultant, production_sites="2") == {"production_sites": 2}
    with pytest.raises(NotPermitted, match="not assigned"):  # yosef assists someone else
        _update(office, office.other_consultant, production_sites="3")
    office.workflow.advance(app, "cancel", office.consultant)
    with pytest.raises(NotPermitted, match="not assigned to any open application"):
        _update(office, office.consultant, production_sites="3")
    assert _row(office)["production_sites"] == 2


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"nib": "8120000000009"}, InvalidInput, "NIB is the business's key"),
        ({"colour": "red"}, InvalidInput, "unknown field 'colour'; fields: name, owner_name"),
        ({"scale": "raksasa"}, InvalidInput, "scale='raksasa': Scale must be mikro, kecil"),
        ({"email": "bukan-email"}, InvalidInput, "email='bukan-email': Email is not a valid"),
        ({"name": ""}, InvalidInput, "Business name is required"),
        ({"regency": "Atlantis"}, InvalidInput, "Unknown regency"),
        ({"annual_turnover": "banyak"}, InvalidInput, "Annual turnover must be"),
        ({"address": "x" * 301}, InvalidInput, "address is 301 characters long; at most 300"),
        ({"regency_code": "8172", "regency": "Tual"}, InvalidInput, "given twice"),
        ({}, InvalidInput, "nothing to change"),
    ],
)
def test_a_bad_change_is_refused_and_nothing_is_written(
    office: Office, changes: dict[str, str], error: type[Exception], message: str
) -> None:
    before = _row(office)
    with pytest.raises(error, match=message):
        _change(office, office.admin, changes)
    assert _row(office) == before


def test_an_unknown_business_or_user_is_named(office: Office) -> None:
    with pytest.raises(NotFound, match="no UMKM with NIB '8199999999999'"):
        _update(office, office.admin, "8199999999999", address="x")
    with pytest.raises(NotFound, match="no active user 'nobody'"):
        _update(office, "nobody", address="x")


def test_the_outreach_list_holds_the_businesses_without_an_active_halal_certificate(
    office: Office,
) -> None:
    _update(office, office.admin, nib=office.other_nib, scale="menengah", regency="Tual")
    app = office.workflow.open_application(office.nib, "halal_self_declare", office.admin)
    with office.db.begin() as conn:  # certified, as the engine leaves it (path shortened)
        conn.execute(
            update(APPLICATIONS)
            .where(APPLICATIONS.c.id == app)
            .values(phase="certified", certificate_number="ID31110000123450624")
        )
    with reading(office.db).connect() as conn:
        everyone = list_umkm(conn, UmkmFilter())
        outreach = list_umkm(conn, UmkmFilter(without_halal=True))
        small = list_umkm(conn, UmkmFilter(scales=("mikro", "kecil"), without_halal=True))
        tual = list_umkm(conn, UmkmFilter(regency="Kota Tual", kind="umkm"))
        one = list_umkm(conn, UmkmFilter(limit=1))
        with pytest.raises(InvalidInput, match="unknown regency"):
            list_umkm(conn, UmkmFilter(regency="Atlantis"))
        with pytest.raises(InvalidInput, match="scale 'huge'"):
            list_umkm(conn, UmkmFilter(scales=("huge",)))
        calendar = office.workflow.calendar
        detail = umkm_detail(
            conn, office.workflow.registry, office.nib, office.workflow.today(), calendar
        )
        with pytest.raises(NotFound, match="no UMKM with NIB"):
            umkm_detail(conn, office.workflow.registry, "1", date(2026, 11, 2), calendar)
    assert everyone[0] == 2
    assert {r["nib"]: r["halal_certificate"] for r in everyone[1]} == {
        office.nib: "ID31110000123450624",
        office.other_nib: None,
    }
    assert [r["nib"] for r in outreach[1]] == [office.other_nib]
    assert small == (0, [])
    assert [r["nib"] for r in tual[1]] == [office.other_nib]
    assert one[0] == 2 and len(one[1]) == 1
    assert detail["halal_certificate"] == "ID31110000123450624"
    assert [a["id"] for a in detail["applications"]] == [app]
