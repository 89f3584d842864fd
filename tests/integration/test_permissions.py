"""Every write checks who asks, in the engine and directory the web app calls, and is
journalled with who did it; field values fit the columns on both databases."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.support import TRADEMARK_EVIDENCE, Office, umkm_record
from workflow import journal
from workflow.directory import (
    add_evidence,
    add_user,
    dossier,
    record_import,
    replace_profile,
    set_user_contact,
    upsert_umkm,
)
from workflow.errors import InvalidInput, NotFound, NotPermitted
from workflow.facts import MaterialFacts, ProductFacts
from workflow.journal import JOURNAL
from workflow.ledger import USERS
from workflow.model import Role
from workflow.permissions import acting_user
from workflow.settings import Settings

MARKS = "mark_name, mark_type, nice_classes, goods, mark_description, label_file"


def _journal(office: Office) -> list[tuple[str, str, int | None]]:
    with office.db.connect() as conn:
        rows = conn.execute(
            select(JOURNAL.c.action, JOURNAL.c.subject, JOURNAL.c.actor_id).order_by(JOURNAL.c.seq)
        )
        return [tuple(r) for r in rows]


def _id(office: Office, username: str) -> int:
    with office.db.connect() as conn:
        user_id = conn.scalar(select(USERS.c.id).where(USERS.c.username == username))
    assert user_id is not None
    return int(user_id)


def _add(office: Office, acting: str, nib: str | None = None, kind: str = "ktp_owner") -> None:
    add_evidence(
        office.db,
        nib or office.nib,
        kind,
        f"{kind}-{acting}.pdf",
        valid_until=None,
        acting=acting,
        now=office.clock(),
    )


def test_only_the_business_its_consultant_or_an_admin_changes_a_dossier(office: Office) -> None:
    before = dossier(office.db, office.nib)
    with pytest.raises(NotPermitted, match="rina is not assigned to any open application"):
        _add(office, office.consultant)
    office.workflow.open_application(office.other_nib, "trademark", office.other_consultant)
    with pytest.raises(NotPermitted, match="a UMKM user may change the dossier for its own"):
        _add(office, office.owner, office.other_nib)
    with pytest.raises(NotPermitted, match="rina is not assigned"):
        _add(office, office.consultant, office.other_nib)
    with pytest.raises(NotFound, match="no active user 'nobody'"):
        _add(office, "nobody")
    assert dossier(office.db, office.nib) == before
    _add(office, office.owner)  # its own business
    _add(office, office.admin, office.other_nib)
    _add(office, office.other_consultant, office.other_nib, "nib")  # assigned to its mark
    app = office.workflow.open_application(office.nib, "trademark", office.consultant)
    _add(office, office.consultant, kind="npwp")  # assigned now
    office.workflow.advance(app, "cancel", office.consultant)
    with pytest.raises(NotPermitted, match="rina is not assigned to any open application"):
        _add(office, office.consultant, kind="nib")  # a closed application gives no right
    changes = [(s, a) for action, s, a in _journal(office) if action == "evidence.set"]
    assert changes == [
        ("evidence:1:ktp_owner", _id(office, office.owner)),
        ("evidence:2:ktp_owner", _id(office, office.admin)),
        ("evidence:2:nib", _id(office, office.other_consultant)),
        ("evidence:1:npwp", _id(office, office.consultant)),
    ]


def test_only_admins_create_users_and_a_user_changes_only_their_own_contact(
    office: Office,
) -> None:
    for acting in (office.consultant, office.owner):
        with pytest.raises(NotPermitted, match="only admins may create users"):
            add_user(office.db, "mallory", "Mallory", Role.ADMIN, acting=acting)
    with pytest.raises(NotPermitted, match="only admins may change another user's contact"):
        set_user_contact(office.db, office.owner, acting=office.consultant, email="x@plut.id")
    set_user_contact(office.db, office.consultant, acting=office.consultant, email="r@plut.id")
    set_user_contact(office.db, office.owner, acting=office.admin, daily_digest=True)
    added = add_user(office.db, "maria", "Maria", Role.CONSULTANT, acting=office.admin, field="sdm")
    entries = [e for e in _journal(office) if e[0] in ("user.add", "user.set")]
    assert entries[-3:] == [
        ("user.set", f"user:{_id(office, office.consultant)}", _id(office, office.consultant)),
        ("user.set", f"user:{_id(office, office.owner)}", _id(office, office.admin)),
        ("user.add", f"user:{added}", _id(office, office.admin)),
    ]


def test_profiles_and_imports_name_who_may(office: Office) -> None:
    product = [ProductFacts("Sagu lempeng", "250 g")]
    with journal.writing(office.db) as conn:
        with pytest.raises(NotPermitted, match="yosef is not assigned"):
            replace_profile(conn, acting_user(conn, office.other_consultant), 1, product, [], [])
        with pytest.raises(NotPermitted, match="only admins may import registries"):
            counts = upsert_umkm(conn, [umkm_record("8120000000009", "Baru")], office.clock())
            record_import(
                conn, acting_user(conn, office.consultant), "r.csv", counts, office.clock()
            )
    assert [e for e in _journal(office) if e[0] in ("umkm.profile", "umkm.import")] == []
    with journal.writing(office.db) as conn:
        replace_profile(conn, acting_user(conn, office.owner), 1, product, [], ["Pemanggangan"])
    assert ("umkm.profile", "profile:1", _id(office, office.owner)) in _journal(office)


def test_values_must_fit_their_columns_on_both_databases(office: Office) -> None:
    huge = "x" * 120_000
    with pytest.raises(InvalidInput, match="the document's reference is 120,000 characters"):
        add_evidence(
            office.db,
            office.nib,
            "ktp_owner",
            huge,
            valid_until=None,
            acting=office.admin,
            now=office.clock(),
        )
    with pytest.raises(InvalidInput, match="valid until 0001-01-01 is not a plausible date"):
        add_evidence(
            office.db,
            office.nib,
            "ktp_owner",
            "ktp.pdf",
            valid_until=date(1, 1, 1),
            acting=office.admin,
            now=office.clock(),
        )
    with pytest.raises(InvalidInput, match="the name is 201 characters long; at most 200"):
        add_user(office.db, "longname", "n" * 201, Role.ADMIN, acting=office.admin)
    with pytest.raises(InvalidInput, match="the title is 301 characters"):
        office.workflow.open_application(
            office.nib, "trademark", office.consultant, title="t" * 301
        )
    with (
        journal.writing(office.db) as conn,
        pytest.raises(InvalidInput, match=r"material 'Gula'.s supplier is 201 characters"),
    ):
        replace_profile(
            conn,
            acting_user(conn, office.admin),
            1,
            [],
            [MaterialFacts("Gula", "bahan baku", "s" * 201, "")],
            [],
        )
    assert dossier(office.db, office.nib) == []


def test_details_are_the_processs_own_and_certificate_dates_are_plausible(
    office: Office,
) -> None:
    app = office.workflow.open_application(office.nib, "trademark", office.consultant)
    with pytest.raises(
        InvalidInput, match=f"trademark applications have no detail lph; the details are: {MARKS}"
    ):
        office.workflow.set_details(app, {"lph": "LPH X"}, office.consultant)
    with pytest.raises(InvalidInput, match="detail goods is longer than 4,000 characters"):
        office.workflow.set_details(app, {"goods": "g" * 4001}, office.consultant)
    office.workflow.set_details(app, {"mark_name": "SAGU IBU ANA"}, office.consultant)
    office.give_evidence(office.nib, TRADEMARK_EVIDENCE, app=app)
    for trigger in ("start_document_preparation",):
        office.workflow.advance(app, trigger, office.consultant)
    with pytest.raises(InvalidInput, match="filed_on 0001-01-01 is not a plausible date"):
        office.workflow.advance(
            app, "billing_paid_and_submitted", office.consultant, fields={"filed_on": "0001-01-01"}
        )
    with pytest.raises(InvalidInput, match="application_number is longer than 60 characters"):
        office.workflow.advance(
            app,
            "billing_paid_and_submitted",
            office.consultant,
            fields={"application_number": "JID" + "1" * 70},
        )


def test_packets_are_issued_only_to_who_may_see_the_application(
    office: Office, tmp_path: Path
) -> None:
    from documents.packets import PacketService

    settings = Settings(storage_dir=str(tmp_path / "packets"), secret_key="s" * 40)
    service = PacketService(office.db, settings, today=office.workflow.today)
    app = office.workflow.open_application(office.other_nib, "trademark", office.consultant)
    for acting in (office.other_consultant, office.owner):  # not assigned; another business
        with pytest.raises(NotPermitted, match=f"{acting} may not issue a packet of application"):
            service.issue(app, acting=acting)
    assert not any(p.exists() for p in (tmp_path / "packets").glob("**/*.pdf"))
