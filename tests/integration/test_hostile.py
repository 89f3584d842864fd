"""The CLI as a hostile user or an unlucky operator meets it: one line on stderr, exit 1,
nothing changed, never a traceback (issue 9, section 5)."""

from __future__ import annotations

import contextlib
import io
import os
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sertiflow.cli import run
from sertiflow.output import printable
from tests.integration.test_cli import GOOD, Cli, write
from tests.integration.test_cli import cli as cli  # the fixture
from tests.support import InProcessCli


def office(cli: Cli, tmp_path: Path) -> None:
    """Two businesses, the consultant rina and her trademark application #1 in ``cli``'s
    database, set up in this process (``InProcessCli``, the same database and environment): the
    commands the tests are about run ``cli``'s real process."""
    setup = InProcessCli(cli.db)
    setup.env = dict(cli.env)
    setup("import", "--as", "sertiflow", str(write(tmp_path / "r.csv", *GOOD)))
    consultant = ("rina", "--name", "Rina", "--role", "consultant", "--field", "produksi")
    setup("user", "add", *consultant, "--as", "sertiflow")  # as test_cli's add_consultant
    setup("app", "open", "8100000000001", "trademark", "--as", "rina")


def test_numbers_too_large_for_the_database_are_refused_in_one_line(
    cli: Cli, tmp_path: Path
) -> None:
    office(cli, tmp_path)
    for args in (
        ("app", "advance", "99999999999999999999", "cancel", "--as", "rina"),
        ("app", "show", "0", "--as", "rina"),
        ("outbox", "retry", "99999999999999999999"),
    ):
        result = cli(*args, ok=False)
        assert "Traceback" not in result.stderr and "is not in the range" in result.stderr


def test_an_unwritable_output_path_is_named(cli: Cli, tmp_path: Path) -> None:
    office(cli, tmp_path)
    cli.env["SERTIFLOW_STORAGE_DIR"] = str(tmp_path / "packets")
    cli("app", "advance", "1", "start_document_preparation", "--as", "rina")
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    for args in (
        ("packet", "1", "--as", "rina", "-o", str(blocked / "paket.pdf")),
        ("backlog", "--format", "pdf", "-o", str(blocked / "laporan.pdf")),
    ):
        result = cli(*args, ok=False)
        assert result.stderr.startswith(f"error: cannot use {blocked}")
        assert "Traceback" not in result.stderr


def test_an_unsupported_or_malformed_database_url_is_named(tmp_path: Path) -> None:
    for url, says in (
        ("mysql://root@localhost/sertiflow", "SQLite or PostgreSQL, not mysql"),
        ("not a url at all", "is not a database URL"),
    ):
        result = Cli(tmp_path / "x.db")("--db", url, "app", "list", ok=False)
        assert says in result.stderr


def test_a_mistyped_database_path_is_named_and_nothing_is_created(tmp_path: Path) -> None:
    typo = tmp_path / "vra" / "sertiflow.db"
    for args in (("app", "list"), ("backlog",), ("outbox", "status"), ("audit", "verify")):
        result = Cli(typo)(*args, ok=False)
        assert f"there is no database file {typo}" in result.stderr
    assert not typo.parent.exists()


def test_control_characters_in_imported_text_cannot_drive_the_terminal(
    cli: Cli, tmp_path: Path
) -> None:
    office(cli, tmp_path)  # the importer refuses control characters; other paths may not
    with sqlite3.connect(cli.db) as conn:
        conn.execute("update umkm set name = 'Sagu\x1b]0;owned\x07\x1b[2J Ibu Ana'")
    cli("app", "details", "1", "mark_name=SAGU\x1b[31m IBU", "--as", "rina")
    for args in (("app", "list"), ("app", "details", "1", "--as", "rina")):
        shown = cli(*args).stdout
        assert "\x1b" not in shown and "\x07" not in shown and "\\x1b" in shown, shown
    assert printable("Ana\x1b[31m") == "Ana\\x1b[31m"


def test_hostile_registry_files_are_refused_in_one_line_without_a_database(
    tmp_path: Path,
) -> None:
    """Files built to exhaust memory or time, or to crash the reader: each refused by name."""
    header = "NIB;Nama Usaha;Nama Pemilik;Skala;Kabupaten/Kota\n"
    good = "8100000000001;Sagu;Ana;Mikro;Ambon\n"
    files = {
        "endless-row.csv": (header + ";" * 1_100_000).encode(),
        "latin1.csv": (header + good * 3).encode() + b"8100000000002;Caf\xe9;Ana;Mikro;Ambon\n",
        "huge-cell.csv": (header + good.replace("Sagu", "x" * 5_000)).encode(),
        "many-rows.csv": (header + good * 30).encode(),
    }
    says = {
        "endless-row.csv": "line 2: one row runs over more than 1,000,000 characters",
        "latin1.csv": "is not UTF-8 text (line 5 is not)",
        "huge-cell.csv": "row 2, column 'Nama Usaha': the cell holds 5,000 characters",
        "many-rows.csv": "has more than 20 rows (row 22 is one too many)",
    }
    fresh = Cli(tmp_path / "never-created.db")
    fresh.env["SERTIFLOW_IMPORT_MAX_ROWS"] = "20"
    for name, body in files.items():
        path = tmp_path / name
        path.write_bytes(body)
        result = fresh("import", "--as", "sertiflow", str(path), "--dry-run", ok=False)
        assert says[name] in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    assert not fresh.db.exists()


COMMANDS = [
    ["app", "list"],
    ["app", "show"],
    ["app", "advance"],
    ["outbox", "list", "--status"],
    ["outbox", "retry"],
    ["backlog", "--format"],
    ["audit", "verify", "--app"],
    ["mail", "preview"],
    ["notifications", "--as"],
    ["user", "set"],
    ["import"],
    ["packet"],
    ["doc", "verify"],
    ["process", "show"],
]
WORDS = st.one_of(
    st.sampled_from(["1", "-1", "0", "99999999999999999999", "rina", "--json", "--as", "x"]),
    st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=12),
)


def run_quietly(args: list[str]) -> None:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
        run(args)


@pytest.fixture(scope="module")
def initialised(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database as ``sertiflow init`` leaves it, never used itself: each example gets a copy."""
    database = tmp_path_factory.mktemp("fuzz-initialised") / "office.db"
    run_quietly(["--db", f"sqlite:///{database}", "init"])
    return database


def fresh_copy(database: Path, to: Path) -> None:
    """``database`` copied to ``to`` through SQLite's backup API (what its WAL holds too)."""
    with (
        contextlib.closing(sqlite3.connect(database)) as source,
        contextlib.closing(sqlite3.connect(to)) as copy,
    ):
        source.backup(copy)


@pytest.mark.slow
@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(command=st.sampled_from(COMMANDS), words=st.lists(WORDS, max_size=4), body=st.binary())
def test_random_arguments_and_files_never_give_a_traceback(
    tmp_path_factory: pytest.TempPathFactory,
    initialised: Path,
    command: list[str],
    words: list[str],
    body: bytes,
) -> None:
    home = tmp_path_factory.mktemp("fuzz")
    database = home / "office.db"
    fresh_copy(initialised, database)  # a newly initialised office for each example
    upload = home / "upload.xlsx"
    upload.write_bytes(body)
    args = [*command, *words]
    if command[0] in ("import", "doc"):
        args.append(str(upload))
    env = {
        "SERTIFLOW_DATABASE_URL": f"sqlite:///{database}",
        "SERTIFLOW_STORAGE_DIR": str(home / "packets"),
        "SERTIFLOW_MAIL_DIR": str(home / "mail"),
        "SERTIFLOW_CHECKPOINT_DIR": str(home / "checkpoints"),
    }
    out, err = io.StringIO(), io.StringIO()
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                run(args)
                code = 0
            except SystemExit as leaving:
                code = int(leaving.code or 0)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    assert code in (0, 1), (args, out.getvalue(), err.getvalue())
    assert "Traceback" not in err.getvalue() + out.getvalue(), (args, err.getvalue())
    if code == 1:
        assert err.getvalue().startswith("error: ") and err.getvalue().count("\n") == 1
