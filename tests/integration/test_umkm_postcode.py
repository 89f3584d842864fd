"""A business's postcode (kode pos, schema 0011): set by ``umkm update`` and the registry import,
checked by the one postcode check, journalled with the rest of its row so that ``audit verify``
catches it edited behind sertiflow's back, and carried through migration 0011 and back. On
SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, inspect, select, update

from tests.support import InProcessCli, Office, seed_office
from workflow import journal
from workflow.directory import update_umkm
from workflow.errors import InvalidInput
from workflow.journal import JOURNAL
from workflow.ledger import UMKM
from workflow.persistence.database import SCHEMA_REVISION, reading, schema_revision
from workflow.persistence.migrate import downgrade, upgrade
from workflow.umkm_import import import_registry
from workflow.verification import verify_audit

EDITED = "differs from what the journal recorded: edited outside sertiflow"


def _update(office: Office, nib: str | None = None, **changes: str) -> dict[str, Any]:
    return update_umkm(
        office.db, nib or office.nib, changes, acting=office.admin, now=office.clock()
    )


def _postcode(office: Office, nib: str | None = None) -> str | None:
    with office.db.connect() as conn:
        value = conn.scalar(select(UMKM.c.postcode).where(UMKM.c.nib == (nib or office.nib)))
    return None if value is None else str(value)


def _last_seq(db: Engine) -> int:
    with db.connect() as conn:
        return int(conn.scalar(select(func.coalesce(func.max(JOURNAL.c.seq), 0))) or 0)


def _problems(office: Office) -> list[str]:
    with reading(office.db).connect() as conn:
        report = verify_audit(conn, office.workflow.registry)
    found = [f"#{p.application_id}: {p.problem}" for p in report.problems]
    return found + [f"{p.subject}: {p.problem}" for p in report.journal_problems]


# --------------------------------------------------------------------------- umkm update


def test_an_update_sets_the_postcode_journalled_and_vouched_for(office: Office) -> None:
    assert _update(office, postcode=" 97128 ") == {"postcode": "97128"}
    assert _postcode(office) == "97128"
    with office.db.connect() as conn:
        entry = conn.execute(select(JOURNAL).order_by(JOURNAL.c.seq.desc()).limit(1)).one()
    assert (entry.action, entry.subject) == ("umkm.update", f"umkm:{office.nib}")
    assert entry.data["changed"] == ["postcode"]
    assert _problems(office) == []
    assert _update(office, postcode="97128") == {}  # the same value: nothing written
    assert _update(office, postcode="") == {"postcode": None}  # an empty value clears it
    assert _postcode(office) is None
    assert _problems(office) == []


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("971", "a postcode (kode pos) has 5 digits, e.g. 97128, not 3"),
        ("971280", "a postcode (kode pos) has 5 digits, e.g. 97128, not 6"),
        ("97l28", "write the digits only, without letters, spaces or dots"),
        ("97 128", "write the digits only"),
        ("09712", "a postcode (kode pos) never starts with 0"),
        ("٩٧١٢٨", "write the digits only"),  # Arabic-Indic digits: str.isdigit, not ASCII
    ],
)
def test_a_bad_postcode_is_refused_saying_why_and_nothing_is_stored(
    office: Office, value: str, says: str
) -> None:
    _update(office, postcode="97128")
    before = _last_seq(office.db)
    with pytest.raises(InvalidInput) as refused:
        _update(office, postcode=value, address="Jl. Baru 9")  # the good address neither
    message = str(refused.value)
    assert message.startswith(f"postcode={value!r}: ") and says.casefold() in message.casefold()
    assert _postcode(office) == "97128"
    with office.db.connect() as conn:
        address = conn.scalar(select(UMKM.c.address).where(UMKM.c.nib == office.nib))
    assert address != "Jl. Baru 9"
    assert _last_seq(office.db) == before  # no journal entry
    assert _problems(office) == []


def test_a_postcode_edited_in_sql_is_caught_by_audit_verify(office: Office) -> None:
    _update(office, postcode="97128")
    assert _problems(office) == []
    with office.db.begin() as conn:  # behind sertiflow's back: another village's code
        conn.execute(update(UMKM).where(UMKM.c.nib == office.nib).values(postcode="97127"))
    assert _problems(office) == [f"umkm:{office.nib}: {EDITED}"]
    with office.db.begin() as conn:  # ... or wiped
        conn.execute(update(UMKM).where(UMKM.c.nib == office.nib).values(postcode=None))
    assert _problems(office) == [f"umkm:{office.nib}: {EDITED}"]
    with office.db.begin() as conn:  # ... or given to a business that never had one
        conn.execute(update(UMKM).where(UMKM.c.nib == office.other_nib).values(postcode="97611"))
    assert _problems(office) == [
        f"umkm:{office.nib}: {EDITED}",
        f"umkm:{office.other_nib}: {EDITED}",
    ]


# --------------------------------------------------------------------------- registry import

HEADER = "NIB;Nama Usaha;Nama Pemilik;Skala;Kabupaten/Kota;Alamat;Kode Pos\n"


def _registry(path: Path, *rows: str) -> Path:
    path.write_text(HEADER + "".join(f"{row}\n" for row in rows), encoding="utf-8")
    return path


def test_the_import_stores_the_postcode_and_a_bad_one_is_a_row_error(
    office: Office, tmp_path: Path
) -> None:
    path = _registry(
        tmp_path / "registry.csv",
        f"{office.nib};Sagu Ibu Ana;Ana;Mikro;Kota Ambon;Jl. Pattimura 1;97128",
        "8120000000003;Kopi Banda;Frans;Mikro;Tual;Jl. Dullah 2;9761",
        "8120000000004;Abon Tuna;Nona;Mikro;Maluku Tengah;Jl. Masohi 3;",
        "8120000000005;Pala Banda;Ongen;Mikro;Buru;Jl. Namlea 4;97571",
    )
    with journal.writing(office.db) as conn:  # all or nothing: the bad row stops the file
        refused = import_registry(conn, path, office.clock())
    assert not refused.written and _postcode(office) is None
    with journal.writing(office.db) as conn:
        report = import_registry(conn, path, office.clock(), skip_invalid=True)
    assert (report.total_rows, report.valid_rows, report.bad_rows) == (4, 3, 1)
    ((row, column, value, reason),) = [(e.row, e.column, e.value, e.reason) for e in report.errors]
    assert (row, column, value) == (3, "Kode Pos", "9761")
    assert reason == (
        "A postcode (kode pos) has 5 digits, e.g. 97128, not 4: look it up for the village "
        "(kelurahan/desa)"
    )
    assert report.error_counts == {"postcode": 1}
    assert _postcode(office) == "97128"  # the other rows as they were written
    assert _postcode(office, "8120000000004") is None
    assert _postcode(office, "8120000000005") == "97571"
    with office.db.connect() as conn:
        assert conn.scalar(select(UMKM.c.id).where(UMKM.c.nib == "8120000000003")) is None
    assert _problems(office) == []


def test_a_file_without_a_column_clears_nothing_it_does_not_carry(
    office: Office, tmp_path: Path
) -> None:
    """A registry export without the "Kode Pos" and "Alamat" columns updates what it has and
    keeps a known business's postcode and address; an empty cell in a column it has is a
    value (cleared); a new business gets none; the journal vouches for the rows as stored."""
    first = _registry(
        tmp_path / "full.csv",
        f"{office.nib};Sagu Ibu Ana;Ana;Mikro;Kota Ambon;Jl. Pattimura 1;97128",
        f"{office.other_nib};Kopi Banda;Frans;Mikro;Tual;Jl. Dullah 2;97611",
    )
    with journal.writing(office.db) as conn:
        assert import_registry(conn, first, office.clock()).written
    narrow = tmp_path / "narrow.csv"
    narrow.write_text(
        "NIB;Nama Usaha;Nama Pemilik;Skala;Kabupaten/Kota;Email\n"
        f"{office.nib};Sagu Ibu Ana Jaya;Ana;Kecil;Kota Ambon;ana@example.id\n"
        f"{office.other_nib};Kopi Banda;Frans;Mikro;Tual;\n"
        "8120000000007;Ikan Asap Saumlaki;Yos;Mikro;Kepulauan Tanimbar;\n",
        encoding="utf-8",
    )
    with journal.writing(office.db) as conn:
        report = import_registry(conn, narrow, office.clock())
    assert (report.written, report.created, report.updated) == (True, 1, 2)
    with office.db.connect() as conn:
        rows = {
            r.nib: r
            for r in conn.execute(
                select(UMKM.c.nib, UMKM.c.name, UMKM.c.scale, UMKM.c.address, UMKM.c.email)
            )
        }
    assert _postcode(office) == "97128" and _postcode(office, office.other_nib) == "97611"
    assert rows[office.nib].address == "Jl. Pattimura 1" and rows[office.nib].scale == "kecil"
    assert (rows[office.nib].name, rows[office.nib].email) == (
        "Sagu Ibu Ana Jaya",
        "ana@example.id",
    )
    assert rows[office.other_nib].email is None  # its cell was empty: cleared
    assert _postcode(office, "8120000000007") is None and rows["8120000000007"].address == ""
    assert _problems(office) == []


# --------------------------------------------------------------------------- migration 0011


def test_an_office_migrated_back_to_0010_and_up_again_verifies_and_catches_edits(
    db: Engine,
) -> None:
    office = seed_office(db)
    office.workflow.open_application(office.nib, "trademark", office.consultant)
    _update(office, postcode="97128")
    _update(office, office.other_nib, postcode="97611", kbli="10794")
    assert _problems(office) == []
    before = _last_seq(db)
    downgrade(db, "0010")
    assert "postcode" not in {c["name"] for c in inspect(db).get_columns("umkm")}
    with db.connect() as conn:
        entries = conn.execute(select(JOURNAL).where(JOURNAL.c.seq > before)).all()
    assert [(e.action, e.subject) for e in entries] == [
        ("umkm.update", f"umkm:{office.nib}"),
        ("umkm.update", f"umkm:{office.other_nib}"),
    ]
    assert all("0011 downgrade" in e.data["note"] for e in entries)
    upgrade(db)
    assert schema_revision(db) == SCHEMA_REVISION
    assert _problems(office) == []  # the rows lost their postcodes, and the journal says so
    _update(office, postcode="97128")
    assert _problems(office) == []
    with db.begin() as conn:
        conn.execute(update(UMKM).where(UMKM.c.nib == office.nib).values(postcode="97124"))
    assert _problems(office) == [f"umkm:{office.nib}: {EDITED}"]


def test_an_office_without_postcodes_migrates_without_a_journal_entry(db: Engine) -> None:
    office = seed_office(db)
    before = _last_seq(db)
    downgrade(db, "0010")
    assert _last_seq(db) == before
    upgrade(db)
    assert _last_seq(db) == before
    assert _problems(office) == []


# --------------------------------------------------------------------------- command line


def test_the_cli_sets_shows_and_refuses_a_postcode(tmp_path: Path) -> None:
    cli = InProcessCli(tmp_path / "office.db")
    cli("init")
    path = _registry(
        tmp_path / "registry.csv",
        "8120000000001;Sagu Ibu Ana;Ana;Mikro;Kota Ambon;Jl. Pattimura 1;",
        "8120000000002;Kopi Banda;Frans;Mikro;Tual;Jl. Dullah 2;97 611",
    )
    run = cli.run("--json", "import", str(path), "--as", "sertiflow")
    refused = json.loads(run.stdout)
    assert run.returncode == 1 and not refused["written"]
    assert refused["errors"] == [
        {
            "row": 3,
            "column": "Kode Pos",
            "value": "97 611",
            "reason": "A postcode (kode pos) has 5 digits, e.g. 97128: write the digits only, "
            "without letters, spaces or dots",
        }
    ]
    assert cli.json("import", str(path), "--as", "sertiflow", "--skip-invalid")["created"] == 1
    said = cli("umkm", "update", "8120000000001", "postcode=97128", "--as", "sertiflow")
    assert said.stdout.splitlines() == ["8120000000001: postcode = 97128"]
    assert cli.json("umkm", "show", "8120000000001")["postcode"] == "97128"
    bad = cli("umkm", "update", "8120000000001", "postcode=971", "--as", "sertiflow", ok=False)
    assert "postcode='971': A postcode (kode pos) has 5 digits, e.g. 97128, not 3" in bad.stderr
    assert cli.json("umkm", "show", "8120000000001")["postcode"] == "97128"
    assert cli.json("audit", "verify")["ok"] is True


def test_the_cli_help_shows_how_to_set_a_postcode(tmp_path: Path) -> None:
    cli = InProcessCli(tmp_path / "office.db")
    assert "postcode=97128" in cli("umkm", "update", "--help").stdout
