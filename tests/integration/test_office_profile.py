"""The office profile: set by an admin, checked, journalled, and vouched for by ``audit verify``."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, insert, select, update

from tests.support import InProcessCli, Office
from workflow.errors import InvalidInput, NotFound, NotPermitted
from workflow.journal import JOURNAL
from workflow.office import OFFICE, format_nip, office_values, set_office, stored_profile
from workflow.persistence.database import reading
from workflow.settings import Settings
from workflow.verification import verify_audit

NIP = "19700101 199503 2 001"


def _set(office: Office, acting: str | None = None, **values: str) -> dict[str, str]:
    return set_office(office.db, values, acting=acting or office.admin, now=office.clock())


def _journal_problems(office: Office) -> list[str]:
    with reading(office.db).connect() as conn:
        report = verify_audit(conn, office.workflow.registry)
    return [f"{p.subject}: {p.problem}" for p in report.journal_problems]


def test_an_admin_sets_the_signatory_and_the_values_are_normalised(office: Office) -> None:
    changed = _set(
        office,
        signatory_name="  Dr. Maria   Latuconsina, M.Si. ",
        signatory_nip=NIP,
        email="PLUT@Maluku.go.id",
        postcode="97127",
    )
    assert changed == {
        "signatory_name": "Dr. Maria Latuconsina, M.Si.",
        "signatory_nip": "197001011995032001",
        "email": "plut@maluku.go.id",
        "postcode": "97127",
    }
    assert format_nip(changed["signatory_nip"]) == NIP
    with reading(office.db).connect() as conn:
        values = office_values(conn, Settings(office_head="Kepala UPTD PLUT-KUMKM Maluku"))
        row = conn.execute(select(OFFICE).where(OFFICE.c.key == "signatory_nip")).one()
    assert values["signatory_name"] == "Dr. Maria Latuconsina, M.Si."
    assert values["signatory_position"] == "Kepala UPTD PLUT-KUMKM Maluku"  # the settings'
    assert values["name"] == Settings().office_name and values["phone"] == ""
    assert row.updated_at == office.clock() and row.updated_by is not None
    assert _set(office, signatory_nip=NIP.replace(" ", "")) == {}  # the same value: no change
    assert _journal_problems(office) == []


def test_each_change_is_journalled_whole_under_its_key(office: Office) -> None:
    _set(office, phone="(0911) 352 417")
    _set(office, phone="", postcode="97128")
    with reading(office.db).connect() as conn:
        entries = conn.execute(
            select(JOURNAL.c.action, JOURNAL.c.subject, JOURNAL.c.data)
            .where(JOURNAL.c.subject.like("office:%"))
            .order_by(JOURNAL.c.seq)
        ).all()
        assert stored_profile(conn) == {"postcode": "97128"}  # a cleared key is not "set"
    assert [(e.action, e.subject, e.data["image"]["value"]) for e in entries] == [
        ("office.set", "office:phone", "(0911) 352 417"),
        ("office.set", "office:phone", ""),
        ("office.set", "office:postcode", "97128"),
    ]
    assert set(entries[0].data["image"]) == {"key", "value", "updated_at", "updated_by"}
    assert _journal_problems(office) == []


def test_only_an_admin_may_change_the_profile(office: Office) -> None:
    for who in (office.consultant, office.owner):
        with pytest.raises(NotPermitted, match="only admins may change the office profile"):
            _set(office, who, signatory_name="Yosef")
    with pytest.raises(NotFound, match="no active user 'nobody'"):
        _set(office, "nobody", signatory_name="Yosef")
    with reading(office.db).connect() as conn:
        assert stored_profile(conn) == {}


def test_bad_values_are_refused_together_and_nothing_is_written(office: Office) -> None:
    with pytest.raises(InvalidInput) as refused:
        _set(
            office,
            signatory_name="Maria",
            signatory_nip="1970010119950320",
            email="plut-at-maluku",
            postcode="971",
            phone="kantor",
            fax="0911",
        )
    message = str(refused.value)
    for expected in (
        "signatory_nip '1970010119950320': an NIP has 18 digits",
        "email 'plut-at-maluku': not a valid email address",
        "postcode '971': a postcode (kode pos) has 5 digits",
        "phone 'kantor': write digits",
        "'fax' is not an office profile key (known: parent_agency, name,",
    ):
        assert expected in message
    with reading(office.db).connect() as conn:
        assert stored_profile(conn) == {}  # not even the good signatory_name


@pytest.mark.parametrize(
    ("nip", "problem"),
    [
        ("19701301 199503 2 001", "first 8 digits 19701301 are not a date of birth"),
        ("19700101 199513 2 001", "digits 9-14 199513 are not the month of appointment"),
        ("19700101 197503 2 001", "digits 9-14 197503 are not the month of appointment"),
        ("19700101 199503 3 001", r"digit 15 is 3; it is 1 \(male\) or 2 \(female\)"),
    ],
)
def test_an_nip_must_read_as_one(office: Office, nip: str, problem: str) -> None:
    with pytest.raises(InvalidInput, match=problem):
        _set(office, signatory_nip=nip)


def test_a_value_on_several_lines_or_too_long_is_refused(office: Office) -> None:
    with pytest.raises(InvalidInput, match="at most 200 fit a letter"):
        _set(office, parent_agency="X" * 201)
    with pytest.raises(InvalidInput, match="nothing to set: give KEY=VALUE"):
        set_office(office.db, {}, acting=office.admin, now=office.clock())


def test_audit_verify_catches_a_profile_edited_inserted_or_deleted_outside_sertiflow(
    office: Office,
) -> None:
    _set(office, signatory_name="Dr. Maria Latuconsina", signatory_nip=NIP)
    assert _journal_problems(office) == []
    with office.db.begin() as conn:
        conn.execute(
            update(OFFICE).where(OFFICE.c.key == "signatory_name").values(value="Orang Lain")
        )
    assert _journal_problems(office) == [
        "office:signatory_name: value differs from what the journal recorded: edited outside "
        "sertiflow"
    ]
    _set(office, signatory_name="Dr. Maria Latuconsina")  # set again through sertiflow
    assert _journal_problems(office) == []
    with office.db.begin() as conn:
        conn.execute(
            insert(OFFICE).values(key="email", value="palsu@example.com", updated_at=office.clock())
        )
        conn.execute(delete(OFFICE).where(OFFICE.c.key == "signatory_nip"))
    assert _journal_problems(office) == [
        "office:email: not in the office journal: inserted outside sertiflow",
        "office:signatory_nip: in the office journal but gone: deleted outside sertiflow",
    ]


def test_the_cli_sets_and_shows_the_profile(tmp_path: Path) -> None:
    cli = InProcessCli(tmp_path / "office.db")
    cli("init")
    said = cli("office", "set", f"signatory_nip={NIP}", "postcode=97127", "--as", "sertiflow")
    assert said.stdout.splitlines() == ["signatory_nip = 197001011995032001", "postcode = 97127"]
    shown = {row["key"]: row for row in cli.json("office", "show")["office"]}
    assert shown["signatory_nip"]["value"] == "197001011995032001"
    assert (shown["postcode"]["source"], shown["postcode"]["updated_by"]) == (
        "profile",
        "sertiflow",
    )
    assert (shown["name"]["source"], shown["phone"]["source"]) == ("settings", "unset")
    table = cli("office", "show").stdout
    assert NIP in table and "97127" in table
    refused = cli("office", "set", "postcode=97", "--as", "sertiflow", ok=False)
    assert "postcode '97': a postcode (kode pos) has 5 digits" in refused.stderr
    twice = cli("office", "set", "postcode=97127", "postcode=97128", "--as", "sertiflow", ok=False)
    assert "postcode is given twice" in twice.stderr
    assert (
        "write KEY=VALUE" in cli("office", "set", "postcode", "--as", "sertiflow", ok=False).stderr
    )
    cli(
        "user",
        "add",
        "rina",
        "--name",
        "Rina",
        "--role",
        "consultant",
        "--field",
        "produksi",
        "--as",
        "sertiflow",
    )
    denied = cli("office", "set", "postcode=97128", "--as", "rina", ok=False)
    assert "only admins may change the office profile" in denied.stderr
    assert "nothing changed" in cli("office", "set", "postcode=97127", "--as", "sertiflow").stdout
    assert cli.json("audit", "verify")["ok"] is True


def test_the_demo_office_has_a_named_signatory_and_a_full_letterhead(db: Engine) -> None:
    from sertiflow.demo import DEMO_OFFICE, build_demo
    from workflow.engine import Engine as Workflow

    build_demo(Workflow(db), 6, 1, 4, 7, logins=False)
    with reading(db).connect() as conn:
        stored = stored_profile(conn)
        report = verify_audit(conn, Workflow(db).registry)
    assert stored["signatory_name"] == DEMO_OFFICE["signatory_name"]
    assert stored["signatory_nip"] == DEMO_OFFICE["signatory_nip"].replace(" ", "")
    assert {"parent_agency", "postcode", "phone", "email"} <= set(stored)
    assert report.journal_problems == []
