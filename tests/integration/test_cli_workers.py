"""The delivery commands as an operator runs them: a subprocess on a fresh SQLite file."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.integration.test_cli import GOOD, Cli, add_consultant, write
from tests.integration.test_cli import cli as cli  # the fixture


def open_office(cli: Cli, tmp_path: Path) -> str:
    """An office with one UMKM, a consultant and an opened trademark application; its id."""
    cli.env.update(
        SERTIFLOW_MAIL_DIR=str(tmp_path / "mail"),
        SERTIFLOW_STORAGE_DIR=str(tmp_path / "pk"),
        SERTIFLOW_CHECKPOINT_DIR=str(tmp_path / "cp"),
    )
    cli("import", "--as", "sertiflow", str(write(tmp_path / "r.csv", *GOOD)))
    add_consultant(cli)
    cli("user", "add", "admin", "--name", "Admin", "--role", "admin", "--as", "sertiflow")
    return str(
        cli.json("app", "open", "8100000000001", "trademark", "--as", "rina")["application_id"]
    )


def test_the_worker_delivers_once_and_the_outbox_shows_it(cli: Cli, tmp_path: Path) -> None:
    app = open_office(cli, tmp_path)
    before = cli.json("outbox", "status")
    assert before["pending"] == {"email_umkm": 1, "notify_consultant": 1}
    report = cli.json("worker", "--once")
    assert report["delivered"]["done"] >= 2
    after = cli.json("outbox", "status")
    assert after["pending"] == {} and after["done"]["email_umkm"] == 1
    assert cli.json("worker", "--once")["delivered"] == {}  # nothing twice
    emails = list((tmp_path / "mail").rglob("*.eml"))
    assert any("ana@contoh.id" in p.read_text() for p in emails)
    notes = cli.json("notifications", "--as", "rina", "--unread", "--mark-read")
    assert notes and {n["application_id"] for n in notes} == {int(app)}
    assert cli.json("notifications", "--as", "rina", "--unread") == []
    listed = cli.json("outbox", "list", "--status", "done")
    assert {r["kind"] for r in listed} >= {"email_umkm", "notify_consultant"}


def test_the_worker_cuts_one_checkpoint_a_day_and_verify_checks_it(
    cli: Cli, tmp_path: Path
) -> None:
    app = open_office(cli, tmp_path)
    cli("worker", "--once")
    cli("worker", "--once")
    (daily,) = (tmp_path / "cp").glob("journal-*.json")  # one a day, never overwritten
    cli("app", "advance", app, "start_document_preparation", "--as", "rina")
    verified = cli.json("audit", "verify", "--checkpoint", str(daily))
    assert verified["ok"] and verified["checkpoints"] == 1
    assert verified["entries_after_newest_checkpoint"] == 1  # the advance
    by_default = cli("audit", "verify").stdout  # the worker's folder
    assert "1 checkpoints hold, 1 entries are newer than the newest" in by_default
    own = tmp_path / "own.json"
    cli("audit", "checkpoint", "-o", str(own))
    assert "never overwritten" in cli("audit", "checkpoint", "-o", str(own), ok=False).stderr
    edited = json.loads(own.read_text()) | {"seq": 1}
    own.write_text(json.dumps(edited))
    refused = cli("audit", "verify", "--checkpoint", str(own), ok=False)
    assert "not signed with this office's key, or it was edited" in refused.stdout
    assert "error: audit log NOT intact: 1 problems" in refused.stderr
    missing = cli("audit", "verify", "--checkpoint", str(tmp_path / "none.json"), ok=False)
    assert "none.json is not a readable checkpoint" in missing.stderr


def test_a_checkpoint_folder_that_cannot_be_written_does_not_stop_deliveries(
    cli: Cli, tmp_path: Path
) -> None:
    open_office(cli, tmp_path)
    (tmp_path / "file").write_text("")
    cli.env["SERTIFLOW_CHECKPOINT_DIR"] = str(tmp_path / "file" / "sub")
    report = cli.json("worker", "--once")
    assert report["delivered"]["done"] >= 2
    assert cli.json("outbox", "status")["pending"] == {}


def test_mail_preview_prints_the_last_steps_email_in_either_language(
    cli: Cli, tmp_path: Path
) -> None:
    app = open_office(cli, tmp_path)
    cli("app", "advance", app, "start_document_preparation", "--as", "rina")
    indonesian = cli("mail", "preview", app).stdout
    assert "Subject: [PLUT] Permohonan #" in indonesian and "Penyiapan dokumen" in indonesian
    english = cli.json("mail", "preview", app, "--lang", "en")
    assert "Document preparation" in english["text"] and english["to"] == "ana@contoh.id"
    assert not (tmp_path / "mail").exists()  # a preview sends nothing


def test_retrying_names_what_cannot_be_retried(cli: Cli, tmp_path: Path) -> None:
    open_office(cli, tmp_path)
    neither = cli("outbox", "retry", ok=False)
    assert "give outbox row ids or --failed" in neither.stderr
    both = cli("outbox", "retry", "1", "--failed", ok=False)
    assert "give outbox row ids or --failed" in both.stderr
    pending = cli("outbox", "retry", "1", ok=False)
    assert "only failed rows can be retried; #1 is pending" in pending.stderr
    missing = cli("outbox", "retry", "999", ok=False)
    assert "no outbox row 999" in missing.stderr
    with sqlite3.connect(cli.db) as conn:
        conn.execute("update outbox set status='failed', last_error='SMTP down' where id=1")
    assert cli.json("outbox", "retry", "--failed") == {"retried": [1]}
    assert cli.json("outbox", "status")["pending"]["email_umkm"] == 1


def test_delivery_commands_refuse_bad_input_in_one_line(cli: Cli, tmp_path: Path) -> None:
    open_office(cli, tmp_path)
    bad_status = cli("outbox", "list", "--status", "sent", ok=False)
    assert "status 'sent': use one of pending" in bad_status.stderr
    assert "beat needs SERTIFLOW_BROKER_URL" in cli("beat", ok=False).stderr
    assert "no active user 'nobody'" in cli("notifications", "--as", "nobody", ok=False).stderr
    assert "no application #404" in cli("mail", "preview", "404", ok=False).stderr
    cli.env["SERTIFLOW_BROKER_URL"] = "amqp://guest@localhost//"
    wrong = cli("--json", "outbox", "status", ok=False)
    assert json.loads(wrong.stdout)["error"]["code"] == "invalid_settings"
    assert "give a Redis URL" in wrong.stderr


def test_a_user_chooses_a_daily_digest_and_a_bad_address_is_refused(
    cli: Cli, tmp_path: Path
) -> None:
    open_office(cli, tmp_path)
    refused = cli(
        "user", "set", "rina", "--as", "rina", "--email", "rina@x.id\r\nBcc: evil@x.id", ok=False
    )
    assert "is not a valid address" in refused.stderr
    assert "nothing to change" in cli("user", "set", "rina", "--as", "rina", ok=False).stderr
    assert (
        "no user 'nobody'"
        in cli("user", "set", "nobody", "--as", "sertiflow", "--each-email", ok=False).stderr
    )
    cli("user", "set", "rina", "--as", "rina", "--email", "Rina@PLUT.example.id", "--daily-digest")
    rina = next(u for u in cli.json("user", "list") if u["username"] == "rina")
    assert (rina["email"], rina["daily_digest"]) == ("rina@plut.example.id", True)
    added = cli(
        "user",
        "add",
        "xy",
        "--name",
        "X",
        "--role",
        "admin",
        "--email",
        "x@",
        "--as",
        "admin",
        ok=False,
    )
    assert "is not a valid address" in added.stderr
