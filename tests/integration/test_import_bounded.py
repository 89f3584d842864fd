"""Registry imports that lose no row and stay bounded, on SQLite and PostgreSQL: valid rows are
written in batches inside one savepoint, so a bad row (without --skip-invalid), a broken limit
or an unreadable line anywhere in the file writes nothing; the report lists the first errors
and counts the rest."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, func, select

from tests.integration.test_cli import HEADER, Cli
from tests.support import umkm_record
from tests.unit.test_umkm_import import HEADER as XLSX_HEADER
from tests.unit.test_umkm_import import _rewrite_sheet, row, write_xlsx
from workflow import umkm_import
from workflow.directory import UpsertCounts, ensure_regencies, ensure_system_user, upsert_umkm
from workflow.persistence.schema import Umkm
from workflow.regions import MALUKU_REGENCIES
from workflow.umkm_import import ImportFileError, ImportLimits, UmkmRecord, import_registry

NOW = datetime(2026, 11, 2, 2, 0)


def nib(n: int) -> str:
    return f"{8100000000000 + n:013d}"


def good_line(n: int, name: str = "Usaha") -> str:
    regency = MALUKU_REGENCIES[n % len(MALUKU_REGENCIES)].name
    return (
        f"{nib(n)};{name} {n};Pemilik {n};Mikro;{regency};u{n}@contoh.id;0812{n:08d};"
        "120.000.000;1;ya;Sagu lempeng\n"
    )


BAD_LINE = "81000000003;Kopi Banda;Frans Lim;Mikro;Banda Neira;bukan-email;12;xx;1;ya;Kopi\n"


def registry(path: Path, rows: int, bad: Sequence[int] = (), name: str = "Usaha") -> Path:
    """``rows`` data rows (spreadsheet rows 2 to rows + 1); the rows numbered in ``bad`` bad."""
    with path.open("w", encoding="utf-8") as handle:
        handle.write(HEADER)
        for number in range(2, rows + 2):
            handle.write(BAD_LINE if number in bad else good_line(number, name))
    return path


def umkm_count(db: Engine) -> int:
    with db.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(Umkm)) or 0)


@pytest.fixture
def office_db(db: Engine) -> Engine:
    """An office as ``sertiflow init`` leaves it: regencies, and the system account (an
    admin), whom the command-line imports name with ``--as``."""
    with db.begin() as conn:
        ensure_regencies(conn, MALUKU_REGENCIES)
    ensure_system_user(db, "sertiflow")
    return db


@pytest.fixture
def batches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of every batch the import hands to ``upsert_umkm``."""
    sizes: list[int] = []

    def spy(
        conn: Connection,
        records: Sequence[UmkmRecord],
        now: datetime,
        *,
        keep: frozenset[str] = frozenset(),
    ) -> UpsertCounts:
        sizes.append(len(records))
        return upsert_umkm(conn, records, now, keep=keep)

    monkeypatch.setattr(umkm_import, "upsert_umkm", spy)
    return sizes


def test_a_bad_row_after_the_first_batches_writes_nothing(
    office_db: Engine, tmp_path: Path, batches: list[int]
) -> None:
    path = registry(tmp_path / "r.csv", 2_600, bad=[2_502])
    with office_db.begin() as conn:
        report = import_registry(conn, path, NOW, batch_size=1_000)
    assert batches == [1_000, 1_000]  # written, then rolled back
    assert (report.total_rows, report.valid_rows, report.bad_rows) == (2_600, 2_599, 1)
    assert (report.written, report.created, report.updated) == (False, 0, 0)
    assert {e.row for e in report.errors} == {2_502}
    assert umkm_count(office_db) == 0


def test_skip_invalid_writes_every_good_row_across_batches(
    office_db: Engine, tmp_path: Path, batches: list[int]
) -> None:
    path = registry(tmp_path / "r.csv", 2_600, bad=[2, 1_500, 2_601])
    with office_db.begin() as conn:
        report = import_registry(conn, path, NOW, skip_invalid=True, batch_size=1_000)
    assert batches == [1_000, 1_000, 597]
    assert (report.written, report.created, report.bad_rows) == (True, 2_597, 3)
    assert umkm_count(office_db) == 2_597
    with office_db.connect() as conn:
        names = set(conn.scalars(select(Umkm.name).where(Umkm.nib.in_([nib(3), nib(2_600)]))))
    assert names == {"Usaha 3", "Usaha 2600"}


def test_reimporting_updates_by_nib_across_batches(office_db: Engine, tmp_path: Path) -> None:
    with office_db.begin() as conn:
        first = import_registry(conn, registry(tmp_path / "a.csv", 2_100), NOW, batch_size=1_000)
    assert (first.created, first.updated) == (2_100, 0)
    renamed = registry(tmp_path / "b.csv", 2_100, name="Toko")
    with office_db.begin() as conn:
        again = import_registry(conn, renamed, NOW, batch_size=1_000)
    assert (again.created, again.updated, again.written) == (0, 2_100, True)
    assert umkm_count(office_db) == 2_100
    with office_db.connect() as conn:
        assert conn.scalar(select(Umkm.name).where(Umkm.nib == nib(2_000))) == "Toko 2000"


def test_a_refused_import_leaves_the_callers_other_writes_alone(
    office_db: Engine, tmp_path: Path
) -> None:
    path = registry(tmp_path / "r.csv", 1_500, bad=[1_400])
    with office_db.begin() as conn:
        upsert_umkm(conn, [umkm_record("9100000000001", "Sudah Ada")], NOW)
        report = import_registry(conn, path, NOW, batch_size=500)
    assert not report.written
    with office_db.connect() as conn:
        assert list(conn.scalars(select(Umkm.nib))) == ["9100000000001"]


def long_cell(path: Path) -> Path:
    lines = registry(path, 2_500).read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2_400] = lines[2_400].replace("Sagu lempeng", "x" * 2_000)
    path.write_text("".join(lines), encoding="utf-8")
    return path


def not_utf8(path: Path) -> Path:
    registry(path, 2_500)
    with path.open("ab") as handle:
        handle.write(b"8100000009999;Caf\xe9 Ambon;Ana;Mikro;Ambon\n")
    return path


@pytest.mark.parametrize(
    ("make", "limits", "says"),
    [
        (
            lambda path: registry(path, 2_500),
            ImportLimits(max_rows=2_000),
            "r.csv has more than 2,000 rows (row 2,002 is one too many)",
        ),
        (
            long_cell,
            ImportLimits(),
            "r.csv row 2,401, column 'Produk': the cell holds 2,000 characters",
        ),
        (not_utf8, ImportLimits(), "r.csv is not UTF-8 text (line 2,502 is not)"),
    ],
    ids=["rows", "cell", "not-utf8"],
)
def test_a_file_that_breaks_a_limit_part_way_writes_nothing(
    office_db: Engine,
    tmp_path: Path,
    batches: list[int],
    make: Callable[[Path], Path],
    limits: ImportLimits,
    says: str,
) -> None:
    path = make(tmp_path / "r.csv")
    with pytest.raises(ImportFileError) as refused, office_db.begin() as conn:
        import_registry(conn, path, NOW, limits=limits, batch_size=1_000)
    assert str(refused.value).startswith(says)
    assert batches[:2] == [1_000, 1_000]  # written before the problem was met, then undone
    assert umkm_count(office_db) == 0


def test_a_file_over_the_size_limit_is_refused_before_any_write(
    office_db: Engine, tmp_path: Path, batches: list[int]
) -> None:
    path = registry(tmp_path / "r.csv", 10)
    with pytest.raises(ImportFileError, match="an import accepts"), office_db.begin() as conn:
        import_registry(conn, path, NOW, limits=ImportLimits(max_bytes=1_000))
    assert batches == [] and umkm_count(office_db) == 0


def test_a_dry_run_reads_the_whole_file_and_needs_no_database(
    office_db: Engine, tmp_path: Path
) -> None:
    report = import_registry(None, registry(tmp_path / "r.csv", 2_500, bad=[9]), None)
    assert (report.total_rows, report.valid_rows, report.written) == (2_500, 2_499, False)
    with pytest.raises(ValueError, match="needs the time"), office_db.connect() as conn:
        import_registry(conn, registry(tmp_path / "s.csv", 1), None)


def test_a_workbook_with_a_stale_dimension_imports_every_row(
    office_db: Engine, tmp_path: Path
) -> None:
    nibs = [nib(n) for n in range(1, 8)]
    path = write_xlsx(tmp_path, [XLSX_HEADER, *(row(NIB=n) for n in nibs)])
    _rewrite_sheet(
        path, lambda xml: re.sub(r'<dimension ref="[^"]*"/>', '<dimension ref="A1:E2"/>', xml)
    )
    with office_db.begin() as conn:
        report = import_registry(conn, path, NOW, batch_size=3)
    assert (report.created, report.total_rows) == (7, 7)
    with office_db.connect() as conn:
        assert sorted(conn.scalars(select(Umkm.nib))) == nibs


# --- the command line -------------------------------------------------------------------


@pytest.fixture
def cli(office_db: Engine, tmp_path: Path) -> Iterator[Cli]:
    """``sertiflow`` against this test's database (SQLite file, then PostgreSQL)."""
    runner = Cli(tmp_path / "unused.db")
    runner.env["SERTIFLOW_DATABASE_URL"] = office_db.url.render_as_string(hide_password=False)
    yield runner


def test_the_cli_lists_the_first_bad_rows_and_counts_the_rest(
    cli: Cli, office_db: Engine, tmp_path: Path
) -> None:
    path = registry(tmp_path / "r.csv", 1_200, bad=range(2, 172))  # 5 problems a bad row
    shown = cli("import", "--as", "sertiflow", str(path), ok=False)
    assert "the first 20 of 170 bad rows in r.csv" in shown.stdout
    assert (
        "... and 150 more bad rows (problems in the whole file: annual_turnover: 170, "
        "email: 170, nib: 170, phone: 170, regency: 170)\n"
    ) in shown.stdout
    assert "1,200 rows, 1,030 valid; 0 created, 0 updated (nothing written)" in shown.stdout
    assert shown.stderr == (
        "error: 170 rows are invalid, so nothing was imported; fix them, or use "
        "--skip-invalid to import the valid rows\n"
    )
    report = json.loads(cli("--json", "import", "--as", "sertiflow", str(path), ok=False).stdout)
    assert (report["rows"], report["valid"], report["bad_rows"]) == (1_200, 1_030, 170)
    assert len(report["errors"]) == 100 and report["unlisted_bad_rows"] == 150
    assert [e["row"] for e in report["errors"][::5]] == list(range(2, 22))
    assert report["error_counts"] == dict.fromkeys(
        ("annual_turnover", "email", "nib", "phone", "regency"), 170
    )
    assert report["written"] is False and report["error"]["code"] == "invalid_input"
    assert umkm_count(office_db) == 0


def test_the_cli_skip_invalid_imports_the_good_rows_of_a_large_file(
    cli: Cli, office_db: Engine, tmp_path: Path
) -> None:
    path = registry(tmp_path / "r.csv", 2_500, bad=[3, 2_000])
    shown = cli("import", "--as", "sertiflow", str(path), "--skip-invalid")
    assert "2,500 rows, 2,498 valid; 2,498 created, 0 updated" in shown.stdout
    assert umkm_count(office_db) == 2_498


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("SERTIFLOW_IMPORT_MAX_ROWS", "1000", "r.csv has more than 1,000 rows"),
        ("SERTIFLOW_IMPORT_MAX_BYTES", "10000", "more than the 10,000 bytes an import accepts"),
        ("SERTIFLOW_IMPORT_MAX_CELL", "1500", "r.csv row 2,401, column 'Produk': the cell holds"),
    ],
)
def test_the_cli_refuses_a_file_beyond_its_limits_in_one_line(
    cli: Cli, office_db: Engine, tmp_path: Path, variable: str, value: str, says: str
) -> None:
    cli.env[variable] = value
    path = long_cell(tmp_path / "r.csv")  # 2,500 rows, a 2,000-character cell in row 2,401
    result = cli("import", "--as", "sertiflow", str(path), ok=False)
    assert says in result.stderr and "Traceback" not in result.stderr
    refused = json.loads(
        cli("--json", "import", "--as", "sertiflow", str(path), "--dry-run", ok=False).stdout
    )
    assert refused["error"]["code"] == "invalid_input" and says in refused["error"]["message"]
    assert umkm_count(office_db) == 0


@pytest.mark.parametrize(
    ("variable", "value"),
    [("SERTIFLOW_IMPORT_MAX_CELL", "10"), ("SERTIFLOW_IMPORT_MAX_ROWS", "banyak")],
)
def test_the_cli_names_an_unusable_limit(tmp_path: Path, variable: str, value: str) -> None:
    cli = Cli(tmp_path / "not-needed.db")
    cli.env[variable] = value
    result = cli(
        "import", "--as", "sertiflow", str(registry(tmp_path / "r.csv", 3)), "--dry-run", ok=False
    )
    assert result.stderr.startswith(f"error: {variable} must be a whole number of at least ")
    assert repr(value) in result.stderr


def test_an_upsert_cannot_keep_the_nib_it_matches_on(office_db: Engine) -> None:
    with office_db.begin() as conn, pytest.raises(ValueError, match=r"cannot keep \['nib'\]"):
        upsert_umkm(conn, [umkm_record(nib(1), "Usaha")], NOW, keep=frozenset({"nib", "email"}))
    assert umkm_count(office_db) == 0
