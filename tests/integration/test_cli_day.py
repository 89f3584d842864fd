"""``today``, ``app list`` seen as a user, ``umkm list|show|update``, ``--json`` after the
command, and a ``--help`` that loads no engine: the command line as people type it, on SQLite and
on PostgreSQL. The commands run in this process (``InProcessCli``: the same arguments,
environment, output and exit status, without a new interpreter for each of the dozens of
commands); what is about the process itself (the modules it imports, the real entry point's
exit status and error document) runs ``python -m sertiflow`` in a subprocess."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from sqlalchemy import text

from sertiflow.cli import LAZY_COMMANDS, main
from tests.integration.test_cli import GOOD, Cli, write
from tests.support import InProcessCli
from workflow.persistence.database import connect
from workflow.persistence.schema import Base

ANA_NIB, OTHER_NIB = "8100000000001", "8100000000002"  # Kota Ambon, Kota Tual
ADMIN = ("--as", "admin")


@pytest.fixture(params=["sqlite", "postgres"])
def office_cli(request: pytest.FixtureRequest, tmp_path: Path) -> InProcessCli:
    """An office through the command line: two businesses, an admin, the consultants rina and
    yosef, ana (the first business's UMKM user); rina's trademark application for ana's
    business and yosef's halal application for the other."""
    runner = InProcessCli(tmp_path / "office.db")
    if request.param == "postgres":
        url = request.getfixturevalue("pg_url")
        engine = connect(url)
        names = ", ".join(f'"{t.name}"' for t in reversed(Base.metadata.sorted_tables))
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        engine.dispose()
        runner.env["SERTIFLOW_DATABASE_URL"] = url
    runner("init")
    runner("import", "--as", "sertiflow", str(write(tmp_path / "r.csv", *GOOD)))
    runner("user", "add", "admin", "--name", "Admin", "--role", "admin", "--as", "sertiflow")
    for name, field in (("rina", "produksi"), ("yosef", "pemasaran")):
        runner(
            "user", "add", name, "--name", name, "--role", "consultant", "--field", field, *ADMIN
        )
    runner("user", "add", "ana", "--name", "Ana", "--role", "umkm", "--nib", ANA_NIB, *ADMIN)
    runner("app", "open", ANA_NIB, "trademark", "--as", "rina")
    runner("app", "open", OTHER_NIB, "halal_regular", "--as", "yosef")
    return runner


def test_today_shows_a_umkm_user_its_own_business_only(office_cli: InProcessCli) -> None:
    day = office_cli.json("today", "--as", "ana")
    assert day["role"] == "umkm" and day["scope"] == "its own business's applications"
    everything = [entry for name in day["counts"] for entry in day[name]]
    assert {e["nib"] for e in everything} == {ANA_NIB} and len(everything) == 1
    assert day["waiting"][0]["court"] == "consultant"  # INTAKE: rina's move
    assert day["waiting"][0]["next_triggers"] == ["cancel"]
    table = office_cli("today", "--as", "ana").stdout
    assert "Waiting on others (1)" in table and "Sagu Ibu Ana" in table
    assert "Ikan Asap Tual" not in table


def test_today_shows_a_consultant_their_own_and_an_admin_the_unassigned(
    office_cli: InProcessCli,
) -> None:
    day = office_cli.json("today", "--as", "rina")
    assert [e["nib"] for e in day["this_week"]] == [ANA_NIB]
    assert day["this_week"][0]["next_triggers"] == ["start_document_preparation", "cancel"]
    assert sum(day["counts"].values()) == 1
    office_cli("app", "open", OTHER_NIB, "trademark", "--as", "admin")  # unassigned
    admin = office_cli.json("today", "--as", "admin")
    assert [e["consultant"] for e in admin["this_week"]] == [None]
    assert sum(admin["counts"].values()) == 1


def test_app_list_as_a_user_and_its_new_filters(office_cli: InProcessCli) -> None:
    assert [r["nib"] for r in office_cli.json("app", "list", "--as", "ana")] == [ANA_NIB]
    refused = office_cli("app", "list", "--as", "ana", "--umkm", OTHER_NIB, ok=False)
    assert "ana may see only its own business's applications" in refused.stderr
    assert [r["nib"] for r in office_cli.json("app", "list", "--as", "yosef")] == [OTHER_NIB]
    assert len(office_cli.json("app", "list", "--as", "admin")) == 2
    assert [r["nib"] for r in office_cli.json("app", "list", "--regency", "Tual")] == [OTHER_NIB]
    assert [r["nib"] for r in office_cli.json("app", "list", "--umkm", ANA_NIB)] == [ANA_NIB]
    assert len(office_cli.json("app", "list", "--court", "office", "--due", "week")) == 2
    assert office_cli.json("app", "list", "--court", "agency") == []


REFUSALS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("app", "list", "--due", "month"), "'month' is not one of 'today', 'week'"),
    (("app", "list", "--court", "judge"), "'judge' is not one of"),
    (("app", "list", "--regency", "Atlantis"), "unknown regency 'Atlantis'"),
    (("app", "list", "--umkm", "8199999999999"), "no UMKM with NIB '8199999999999'"),
    (("app", "list", "--consultant", "nobody"), "no user 'nobody'"),
    (("app", "list", "--as", "nobody"), "no active user 'nobody'"),
    (("app", "list", "--overdue", "--due", "today"), "--overdue or --due, not both"),
    (("app", "list", "--limit", "0"), "'--limit': 0 is not in the range"),
    (("today",), "Missing option '--as'"),
    (("today", "--as", "nobody"), "no active user 'nobody'"),
    (("umkm", "list", "--scale", "huge"), "'huge' is not one of 'mikro'"),
    (("umkm", "list", "--regency", "Atlantis"), "unknown regency 'Atlantis'"),
    (("umkm", "show", "8199999999999"), "no UMKM with NIB '8199999999999'"),
    (("umkm", "update", ANA_NIB, "--as", "admin"), "nothing to change"),
    (("umkm", "update", ANA_NIB, "omzet", "--as", "admin"), "'omzet': write name=value"),
    (("umkm", "update", ANA_NIB, "a=1", "a=2", "--as", "admin"), "a is given twice"),
    (("umkm", "update", ANA_NIB, "colour=red", "--as", "admin"), "unknown field 'colour'"),
    (("umkm", "update", ANA_NIB, "scale=huge", "--as", "admin"), "Scale must be mikro"),
    (("umkm", "update", ANA_NIB, "address=x", "--as", "yosef"), "yosef is not assigned"),
    (("umkm", "update", OTHER_NIB, "address=x", "--as", "ana"), "for its own business only"),
)
"""Mistakes and refusals, each with the message its one line on stderr holds."""


def test_a_bad_value_or_a_refusal_is_one_line_on_stderr_and_exit_1(
    office_cli: InProcessCli,
) -> None:
    for args, message in REFUSALS:
        assert message in office_cli(*args, ok=False).stderr, args
    real = Cli(office_cli.db)  # and the real entry point, in a process of its own, says the same
    real.env = dict(office_cli.env)
    # a usage error, which click alone would print with the usage and exit status 2
    assert "Missing option '--as'" in real("today", ok=False).stderr


def test_umkm_update_is_journalled_and_audit_verify_catches_an_edit_behind_its_back(
    office_cli: InProcessCli,
) -> None:
    changed = office_cli.json(
        "umkm", "update", ANA_NIB, "annual_turnover=Rp 250.000.000", "regency=Tual", "--as", "ana"
    )
    assert changed == {
        "nib": ANA_NIB,
        "changed": {"annual_turnover": 250_000_000, "regency_code": "8172"},
    }
    said = office_cli("umkm", "update", ANA_NIB, "address=Jl. Baru 7", "--as", "rina").stdout
    assert f"{ANA_NIB}: address = Jl. Baru 7" in said
    unchanged = office_cli("umkm", "update", ANA_NIB, "address=Jl. Baru 7", "--as", "admin")
    assert "nothing changed" in unchanged.stdout
    shown = office_cli.json("umkm", "show", ANA_NIB)
    assert (shown["annual_turnover"], shown["regency"]) == (250_000_000, "Kota Tual")
    assert [a["process_key"] for a in shown["applications"]] == ["trademark"]
    assert office_cli.json("audit", "verify")["ok"]
    url = office_cli.env["SERTIFLOW_DATABASE_URL"]
    engine = connect(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE umkm SET annual_turnover = 1 WHERE nib = :nib"), {"nib": ANA_NIB})
    engine.dispose()
    broken = office_cli("--json", "audit", "verify", ok=False)
    subjects = {p["subject"] for p in json.loads(broken.stdout)["journal_problems"]}
    assert subjects == {f"umkm:{ANA_NIB}"}


def test_umkm_list_filters_the_outreach_list(office_cli: InProcessCli) -> None:
    listed = office_cli.json("umkm", "list", "--no-halal")
    assert listed["total"] == 2 and {r["halal_certificate"] for r in listed["umkm"]} == {None}
    small = office_cli.json("umkm", "list", "--scale", "kecil", "--regency", "Kota Tual")
    assert [r["nib"] for r in small["umkm"]] == [OTHER_NIB]
    assert office_cli.json("umkm", "list", "--kind", "koperasi") == {"total": 0, "umkm": []}
    table = office_cli("umkm", "list", "--limit", "1").stdout
    assert "1 of 2 businesses (--limit to see more)" in table


def test_json_is_accepted_after_the_command_too(office_cli: InProcessCli) -> None:
    for args in (
        ("process", "list"),
        ("app", "list"),
        ("user", "list"),
        ("outbox", "status"),
        ("umkm", "list"),
        ("today", "--as", "rina"),
    ):
        after = office_cli(*args, "--json").stdout
        assert json.loads(after) == office_cli.json(*args), args
    refused = office_cli("app", "show", "999", "--json", ok=False)
    assert json.loads(refused.stdout)["error"]["code"] == "not_found"


def test_bad_settings_are_json_when_json_comes_after_the_command(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "office.db")
    cli.env["SERTIFLOW_ENV"] = "staging"
    result = cli("process", "list", "--json", ok=False)
    assert json.loads(result.stdout)["error"]["code"] == "invalid_settings"


def _imported(*args: str) -> set[str]:
    """The modules ``sertiflow ARGS`` imports, from ``python -X importtime``."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "sertiflow", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return set(re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s+(\S+)$", result.stderr, re.M))


HEAVY = ("sqlalchemy", "weasyprint", "celery", "transitions", "holidays", "documents", "workers")


@pytest.mark.parametrize("args", [("--help",), ("--version",), ("-h",)])
def test_help_and_version_load_no_database_engine_or_renderer(args: tuple[str, ...]) -> None:
    modules = _imported(*args)
    assert "click" in modules and "sertiflow.cli" in modules  # the measurement works
    loaded = {m for m in modules if m.partition(".")[0] in HEAVY or m.startswith("workflow")}
    assert loaded == set()


def test_a_command_loads_what_it_needs() -> None:
    modules = _imported("process", "list")
    assert "workflow.processes" in modules and "weasyprint" not in modules


def test_help_lists_every_lazy_command_with_its_own_short_help() -> None:
    ctx = click.Context(main)
    for name, (_, short_help) in LAZY_COMMANDS.items():
        command = main.get_command(ctx, name)
        assert command is not None and command.get_short_help_str(1_000) == short_help, name
        assert any(p.name == "json" for p in command.params), name
    assert set(main.list_commands(ctx)) >= {"app", "today", "umkm", "process", "init"}
