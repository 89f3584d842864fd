"""The sertiflow command line, run as a user would: a subprocess on a fresh SQLite file."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

HEADER = (
    "NIB;Nama Usaha;Nama Pemilik;Skala;Kabupaten/Kota;Email;No HP;Omzet;"
    "Jumlah Lokasi Produksi;Proses Sederhana;Produk\n"
)
GOOD = [
    "8100000000001;Sagu Ibu Ana;Ana Pattiasina;Mikro;Kota Ambon;ana@contoh.id;0812-3456-7890;"
    "120.000.000;1;ya;Sagu lempeng\n",
    "8100000000002;Ikan Asap Tual;Ongen Rahanra;Kecil;Tual;ongen@contoh.id;081298765432;"
    "2.500.000.000;1;tidak;Ikan asap\n",
]
BAD = "810000000003;Kopi Banda;Frans Lim;Mikro;Banda Neira;bukan-email;12;xx;1;ya;Kopi\n"


class Cli:
    """Runs ``sertiflow`` against one database file."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self.env = {
            **os.environ,
            "SERTIFLOW_DATABASE_URL": f"sqlite:///{db}",
            "SERTIFLOW_CHECKPOINT_DIR": str(db.parent / "checkpoints"),
        }

    def __call__(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "sertiflow", *args],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=120,
        )
        if ok:
            assert result.returncode == 0, result.stderr
        else:
            assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
            assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self("--json", *args).stdout)


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    runner = Cli(tmp_path / "office.db")
    runner("init")
    return runner


def add_consultant(cli: Cli) -> None:
    """The consultant rina (field: produksi), added by the system account as a new office's
    first user is."""
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


def write(path: Path, *lines: str) -> Path:
    path.write_text(HEADER + "".join(lines), encoding="utf-8")
    return path


def umkm_count(cli: Cli) -> int:
    with sqlite3.connect(cli.db) as conn:
        return int(conn.execute("select count(*) from umkm").fetchone()[0])


def test_commands_refuse_a_database_that_was_never_initialised(tmp_path: Path) -> None:
    result = Cli(tmp_path / "new.db")("app", "list", ok=False)
    assert "run 'sertiflow init'" in result.stderr


def test_a_dry_run_checks_a_registry_before_any_database_exists(tmp_path: Path) -> None:
    fresh = Cli(tmp_path / "not-yet.db")
    report = fresh.json("import", str(write(tmp_path / "r.csv", *GOOD)), "--dry-run")
    assert (report["valid"], report["written"], report["created"]) == (len(GOOD), False, 0)
    assert not fresh.db.exists()
    bad = fresh(
        "import",
        "--as",
        "sertiflow",
        str(write(tmp_path / "bad.csv", *GOOD, BAD)),
        "--dry-run",
        ok=False,
    )
    assert "nothing was imported" in bad.stderr and not fresh.db.exists()
    unready = fresh("import", "--as", "sertiflow", str(write(tmp_path / "r2.csv", *GOOD)), ok=False)
    assert "run 'sertiflow init'" in unready.stderr


def test_import_with_a_bad_row_names_it_and_writes_nothing(cli: Cli, tmp_path: Path) -> None:
    path = write(tmp_path / "registry.csv", *GOOD, BAD)
    result = cli("--json", "import", "--as", "sertiflow", str(path), ok=False)
    report = json.loads(result.stdout)
    assert report["bad_rows"] == 1 and report["written"] is False
    assert report["error"]["code"] == "invalid_input"
    assert {e["column"] for e in report["errors"]} >= {"NIB", "Email", "Kabupaten/Kota"}
    assert {e["row"] for e in report["errors"]} == {4} and report["unlisted_bad_rows"] == 0
    assert report["error_counts"]["regency"] == report["error_counts"]["nib"] == 1
    assert "nothing was imported" in result.stderr
    assert umkm_count(cli) == 0


def test_only_an_admin_imports_and_the_journal_names_them(cli: Cli, tmp_path: Path) -> None:
    path = write(tmp_path / "registry.csv", *GOOD)
    assert "name the admin who imports with --as" in cli("import", str(path), ok=False).stderr
    cli(
        "user",
        "add",
        "rina",
        "--name",
        "R",
        "--role",
        "consultant",
        "--field",
        "it",
        "--as",
        "sertiflow",
    )
    refused = cli("import", str(path), "--as", "rina", ok=False)
    assert "only admins may import registries; rina is consultant" in refused.stderr
    assert umkm_count(cli) == 0
    cli("import", str(path), "--as", "sertiflow")
    with sqlite3.connect(cli.db) as conn:
        (entry,) = conn.execute(
            "select actor_id, data from journal where action = 'umkm.import'"
        ).fetchall()
    assert entry[0] == 1 and json.loads(entry[1]) == {"created": 2, "updated": 0}
    assert cli.json("audit", "verify")["ok"]


def test_import_skip_invalid_keeps_good_rows_and_reimport_updates_by_nib(
    cli: Cli, tmp_path: Path
) -> None:
    path = write(tmp_path / "registry.csv", *GOOD, BAD)
    cli("import", "--as", "sertiflow", str(path), "--skip-invalid")
    assert umkm_count(cli) == 2
    renamed = GOOD[0].replace("Sagu Ibu Ana", "Sagu Lempeng Ibu Ana")
    report = cli.json(
        "import", "--as", "sertiflow", str(write(tmp_path / "again.csv", renamed, GOOD[1]))
    )
    assert (report["created"], report["updated"]) == (0, 2)
    assert umkm_count(cli) == 2
    with sqlite3.connect(cli.db) as conn:
        name = conn.execute("select name from umkm where nib='8100000000001'").fetchone()[0]
    assert name == "Sagu Lempeng Ibu Ana"


def test_a_consultant_moves_an_application_and_the_audit_log_stays_intact(
    cli: Cli, tmp_path: Path
) -> None:
    cli("import", "--as", "sertiflow", str(write(tmp_path / "r.csv", *GOOD)))
    add_consultant(cli)
    app = cli.json("app", "open", "8100000000001", "halal_self_declare", "--as", "rina")
    app_id = str(app["application_id"])
    cli("app", "advance", app_id, "start_document_preparation", "--as", "rina")

    refused = cli("app", "advance", app_id, "submit", "--as", "rina", ok=False)
    assert "missing nib" in refused.stderr and "missing halal_pledge" in refused.stderr
    assert "annual turnover is not recorded" not in refused.stderr

    for kind in (
        "nib",
        "product_list",
        "materials_list",
        "process_flow",
        "halal_pledge",
        "penyelia_halal",
    ):
        scope = ("--app", app_id) if kind == "halal_pledge" else ()  # this submission's ikrar
        cli("dossier", "add", "8100000000001", kind, f"{kind}.pdf", *scope, "--as", "rina")
    moved = cli.json("app", "advance", app_id, "submit", "--as", "rina", "--note", "lengkap")
    assert (moved["from_state"], moved["to_state"], moved["version"]) == (
        "DOC_PREPARATION",
        "SUBMITTED",
        3,
    )

    shown = cli.json("app", "show", app_id, "--as", "rina")
    assert shown["application"]["state"] == "SUBMITTED"
    assert shown["application"]["court"] == "agency"
    assert shown["application"]["deadline_kind"] == "law"  # the P3H's 10 HK, Pasal 33A(3)
    (path,) = shown["application"]["milestones"]
    assert (path["name"], path["status"], path["working_days_left"]) == ("path", "running", 12)
    text = cli("app", "show", app_id).stdout
    assert "legal time limit" in text and "Whole-path target (12 hk from SUBMITTED)" in text
    assert [o["trigger"] for o in shown["options"]] == ["pph_verval_started"]
    assert [h["trigger"] for h in shown["history"]] == [
        "@open",
        "start_document_preparation",
        "submit",
    ]
    assert shown["history"][2]["note"] == "lengkap"

    listed = cli.json("app", "list", "--consultant", "rina")
    assert [a["id"] for a in listed] == [int(app_id)]
    assert cli.json("audit", "verify")["ok"] is True

    with sqlite3.connect(cli.db) as conn:
        conn.execute("update audit_entry set note='diubah' where seq=3")
    broken = cli("--json", "audit", "verify", ok=False)
    assert "edited" in broken.stdout and "NOT intact" in broken.stderr


def test_errors_name_what_is_wrong_and_what_is_allowed(cli: Cli, tmp_path: Path) -> None:
    cli("import", "--as", "sertiflow", str(write(tmp_path / "r.csv", *GOOD)))
    add_consultant(cli)
    assert "no application #999" in cli("app", "show", "999", ok=False).stderr
    app_id = str(
        cli.json("app", "open", "8100000000001", "trademark", "--as", "rina")["application_id"]
    )
    wrong = cli("app", "advance", app_id, "approved", "--as", "rina", ok=False)
    assert "allowed from INTAKE: start_document_preparation, cancel" in wrong.stderr
    ghost = cli("app", "advance", app_id, "cancel", "--as", "nobody", ok=False)
    assert "no active user 'nobody'" in ghost.stderr
    unknown = cli("--json", "process", "show", "paten", ok=False)
    assert json.loads(unknown.stdout)["error"]["code"] == "not_found"
    bad_field = cli("app", "advance", app_id, "cancel", "--as", "rina", "--field", "x", ok=False)
    assert "write name=value" in bad_field.stderr


def test_process_commands_describe_and_draw_every_process(cli: Cli) -> None:
    listed = cli.json("process", "list")
    assert [p["key"] for p in listed] == ["halal_regular", "halal_self_declare", "trademark", "sni"]
    assert (listed[3]["version"], listed[3]["versions"]) == (2, [1, 2])
    shown = cli.json("process", "show", "halal_regular")
    fatwa = next(s for s in shown["states"] if s["state"] == "FATWA_SESSION")
    assert (fatwa["deadline"], fatwa["basis"], fatwa["kind"]) == ("3 hk", "law", "law")
    submitted = next(s for s in shown["states"] if s["state"] == "SUBMITTED")
    assert (submitted["deadline"], submitted["kind"]) == ("1 hk", "target")
    lab = next(s for s in shown["states"] if s["state"] == "LAB_TESTING")
    assert (lab["deadline"], lab["kind"], lab["keeps_clock_of"]) == ("15 hk", "law", ["LPH_AUDIT"])
    takeover = next(t for t in shown["transitions"] if t["trigger"] == "mui_deadline_missed")
    (guard,) = takeover["guards"]
    assert guard["guard"] == "DeadlinePassed" and "MUI fatwa session" in guard["checks"]
    assert shown["after_certificate"]["consistency_check_every_years"] == 4
    self_declare = cli.json("process", "show", "halal_self_declare")
    assert self_declare["path_deadline"]["deadline"] == "12 hk"
    submit = next(t for t in self_declare["transitions"] if t["trigger"] == "submit")
    assert "annual turnover at most Rp500.000.000" in submit["guards"][0]["checks"]
    cli.env["SERTIFLOW_SELF_DECLARE_MAX_TURNOVER"] = "15.000.000.000"
    table = cli("process", "show", "halal_self_declare").stdout
    assert "Rp15.000.000.000" in table and "Guards" in table and "SelfDeclareEligible" in table
    trademark = cli.json("process", "show", "trademark")
    exam = next(s for s in trademark["states"] if s["state"] == "SUBSTANTIVE_EXAM")
    assert [(v["flag"], v["deadline"], v["kind"]) for v in exam["variants"]] == [
        ("opposed", "90 days", "law")
    ]
    diagram = cli("process", "diagram", "trademark").stdout
    assert diagram.startswith("stateDiagram-v2")
    assert "PUBLICATION --> OPPOSITION : opposition_filed\n" in diagram
    assert "PROVISIONAL_REFUSAL --> REFUSED : no_response_deadline [guard]" in diagram
    dot = cli("process", "diagram", "sni", "--format", "dot").stdout
    assert "digraph" in dot
    assert 'PREPARATION -> APPLICATION_SUBMITTED [label="apply [guard]", style=dashed];' in dot


def test_deadlines_are_configurable_per_office(cli: Cli) -> None:
    cli.env["SERTIFLOW_DEADLINES"] = "halal_regular.FEE_SET_INVOICED=7hk"
    shown = cli.json("process", "show", "halal_regular")
    invoiced = next(s for s in shown["states"] if s["state"] == "FEE_SET_INVOICED")
    assert (invoiced["deadline"], invoiced["basis"]) == ("7 hk", "configured")
    assert invoiced["kind"] == "target"
    cli.env["SERTIFLOW_DEADLINES"] = "halal_regular.FEE_SET_INVOICED=soon"
    assert "SERTIFLOW_DEADLINES" in cli("process", "list", ok=False).stderr
    cli.env["SERTIFLOW_DEADLINES"] = "trademark.SUBSTANTIVE_EXAM=150days"
    shown = cli.json("process", "show", "trademark")
    exam = next(s for s in shown["states"] if s["state"] == "SUBSTANTIVE_EXAM")
    assert (exam["deadline"], exam["variants"][0]["deadline"]) == ("150 days", "150 days")
    cli.env["SERTIFLOW_DEADLINES"] = "halal_regular.LAB_TESTING=5hk"
    refused = cli("process", "list", ok=False).stderr
    assert "cannot apply: LAB_TESTING keeps the running deadline of LPH_AUDIT" in refused


def test_the_demo_office_fills_the_backlog_and_verifies(cli: Cli) -> None:
    summary = cli.json("demo", "--umkm", "80", "--cooperatives", "2", "--applications", "60")
    assert summary["umkm"] == 80 and summary["consultants"] == 6
    assert summary["applications"] >= 50 and summary["transitions"] > 200
    backlog = cli.json("backlog")
    assert backlog["overdue"] == backlog["overdue_law"] + backlog["overdue_target"]
    assert backlog["overdue_law"] > 0 and backlog["overdue_target"] > 0
    silent = {("halal_self_declare", "SUBMITTED"), ("trademark", "FILED"), ("sni", "AUDIT")}
    assert {(s["process"], s["state"]) for s in backlog["by_state"] if s["overdue"]} & silent
    assert "against the law" in cli("backlog").stdout
    assert backlog["open"] == sum(s["open"] for s in backlog["by_state"])
    assert backlog["open"] == sum(g["open"] for g in backlog["by_regency"])
    assert sum(backlog["age_buckets"].values()) == backlog["open"]
    assert backlog["heaviest_stage"]["held_days"] > 0
    csv_text = cli("backlog", "--format", "csv").stdout
    assert csv_text.splitlines()[0] == (
        "process,state,label,court,open,overdue,waiting_days,deadline_kind,overdue_law,"
        "overdue_target"
    )
    assert cli.json("audit", "verify")["ok"] is True
    again = cli("demo", "--if-empty")
    assert "not loaded again" in again.stdout
    assert "already has users" in cli("demo", ok=False).stderr


def test_bad_settings_are_reported_as_json_when_json_is_asked_for(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "office.db")
    cli.env["SERTIFLOW_ENV"] = "staging"
    result = cli("--json", "process", "list", ok=False)
    assert json.loads(result.stdout)["error"]["code"] == "invalid_settings"
    assert "SERTIFLOW_ENV must be development, test or production" in result.stderr


def test_a_broken_audit_log_is_one_json_document_with_its_error(cli: Cli, tmp_path: Path) -> None:
    cli("import", "--as", "sertiflow", str(write(tmp_path / "r.csv", *GOOD)))
    add_consultant(cli)
    cli("app", "open", "8100000000001", "trademark", "--as", "rina")
    assert cli.json("audit", "verify")["ok"] is True
    with sqlite3.connect(cli.db) as conn:
        conn.execute("update audit_entry set note = 'diubah'")
    result = cli("--json", "audit", "verify", ok=False)
    report = json.loads(result.stdout)  # exactly one document
    assert report["ok"] is False and report["problems"]
    assert report["error"]["code"] == "audit_not_intact"
    assert result.stderr.startswith("error: audit log NOT intact")
