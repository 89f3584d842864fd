"""What ``audit verify`` reports, word for word and entry by entry, what checkpoints refuse, and
who may act: the answers an office relies on when it checks its records.

Found by mutation testing (``make mutation`` over workflow/audit.py, workflow/journal.py and
workflow/permissions.py): each test pins an answer someone reads, on SQLite and PostgreSQL,
except the race for the journal's end, which only PostgreSQL's advisory lock settles.
"""

from __future__ import annotations

import errno
import json
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, select, text, update

from tests.integration.test_journal import SECRET, _registered_mark, _tamper, _verify
from tests.support import SYSTEM, Office, seed_office
from workflow import journal
from workflow.audit import GENESIS, IMAGE_COLUMNS, entry_hash
from workflow.directory import add_evidence, ensure_system_user, replace_profile
from workflow.errors import InvalidInput, NotPermitted
from workflow.facts import ProductFacts
from workflow.journal import (
    CHECKPOINT_FORMAT,
    JOURNAL,
    JournalProblem,
    JournalReplay,
    check_checkpoint,
    cut_checkpoint,
    load_checkpoint,
    replay_journal,
    save_checkpoint,
)
from workflow.ledger import APPLICATIONS, AUDIT, SELECT_APP, USERS
from workflow.permissions import acting_user, require_for_application
from workflow.persistence.database import connect, reading
from workflow.persistence.schema import Base

NOT_OURS = (
    "the checkpoint is not signed with this office's key, or it was edited; use a checkpoint "
    "this office cut"
)
REWRITTEN = (
    "the journal's entry differs from the checkpoint's: the history before the checkpoint was "
    "rewritten"
)
REMOVED = "entries the checkpoint vouches for were removed"

JournalFinding = tuple[int | None, str, str]
ChainFinding = tuple[int, int | None, str]


@pytest.fixture
def mark(office: Office) -> int:
    """A registered trademark (journal entries 12 to 16) and an SNI application (entry 17)."""
    app = _registered_mark(office)
    office.workflow.open_application(office.other_nib, "sni", office.consultant)
    assert _verify(office).ok
    return app


def _journal_findings(office: Office, *checkpoints: dict[str, Any]) -> list[JournalFinding]:
    return [(p.seq, p.subject, p.problem) for p in _verify(office, *checkpoints).journal_problems]


def _chain_findings(office: Office) -> list[ChainFinding]:
    return [(p.application_id, p.seq, p.problem) for p in _verify(office).problems]


def _journal_rows(office: Office) -> list[dict[str, Any]]:
    with office.db.connect() as conn:
        return [dict(r) for r in conn.execute(select(JOURNAL).order_by(JOURNAL.c.seq)).mappings()]


def _user_id(office: Office, username: str) -> int:
    with office.db.connect() as conn:
        user_id = conn.scalar(select(USERS.c.id).where(USERS.c.username == username))
    assert user_id is not None
    return int(user_id)


# ------------------------------------------------------------------------ the office journal


def test_each_step_is_journalled_with_who_took_it(office: Office, mark: int) -> None:
    steps = [
        (row["subject"], row["data"]["seq"], row["actor_id"])
        for row in _journal_rows(office)
        if row["action"] == "step"
    ]
    rina, admin = _user_id(office, office.consultant), _user_id(office, office.admin)
    assert steps == [
        (f"application:{mark}", 1, rina),
        (f"application:{mark}", 2, rina),
        (f"application:{mark}", 3, rina),
        (f"application:{mark}", 4, rina),
        (f"application:{mark}", 5, admin),  # the reassignment
        ("application:2", 1, rina),
    ]


def test_a_write_that_journals_nothing_still_commits(office: Office) -> None:
    """``sertiflow init`` and every sweep make sure the system account exists: when it does,
    their transaction appends nothing to the journal, and must not fail for it."""
    before = _journal_rows(office)
    first = ensure_system_user(office.db, SYSTEM)
    assert ensure_system_user(office.db, SYSTEM) == first
    assert _journal_rows(office) == before
    with journal.writing(office.db):
        pass
    assert _journal_rows(office) == before


def test_the_journal_counts_every_entry_it_checked(office: Office, mark: int) -> None:
    assert _verify(office).journal_entries == len(_journal_rows(office)) == 17


def test_a_removed_journal_entry_is_named_at_the_entry_after_it(office: Office, mark: int) -> None:
    _tamper(office, delete(JOURNAL).where(JOURNAL.c.seq == 5))  # yosef's account was added
    assert _journal_findings(office) == [
        (6, "user:5", "expected entry 5: journal entries were removed"),
        (6, "user:5", "does not link to the previous journal entry"),
        (None, "user:4", "not in the office journal: inserted outside sertiflow"),
    ]


def test_an_edited_journal_entry_is_named_by_its_number(office: Office, mark: int) -> None:
    _tamper(office, update(JOURNAL).where(JOURNAL.c.seq == 8).values(actor_id=4))  # its mark
    assert _journal_findings(office) == [
        (8, f"application:{mark}", "content does not match its hash: edited"),
    ]


def test_a_step_entry_edited_into_nonsense_is_named_by_its_number(
    office: Office, mark: int
) -> None:
    _tamper(office, update(JOURNAL).where(JOURNAL.c.seq == 17).values(data={}))
    assert _journal_findings(office) == [
        (17, "application:2", "content does not match its hash: edited"),
        (17, "application:2", "not an entry sertiflow writes: edited"),
    ]


def test_a_step_entry_naming_no_single_application_is_not_one_sertiflow_writes(
    office: Office, mark: int
) -> None:
    _tamper(office, update(JOURNAL).where(JOURNAL.c.seq == 17).values(subject="application:x:2"))
    assert _journal_findings(office) == [
        (17, "application:x:2", "content does not match its hash: edited"),
        (17, "application:x:2", "not an entry sertiflow writes: edited"),
    ]
    assert _chain_findings(office) == [
        (2, None, "the office journal never recorded this application: inserted outside sertiflow")
    ]


def test_a_journal_entry_keeps_the_hash_it_was_written_with() -> None:
    """Journals and chains written by earlier versions must keep verifying: the hash of a fixed
    entry never changes, and it covers every field but the row id and the hash itself."""
    entry = {
        "id": 9,
        "seq": 1,
        "at": datetime(2026, 11, 2, 2, 0),
        "actor_id": 3,
        "action": "step",
        "subject": "application:1",
        "data": {"seq": 1, "hash": "cd" * 32, "note": "Sagu Ibu Ana – ok"},
        "prev_hash": GENESIS,
        "hash": "x",
    }
    pinned = "1c8abc363c58b8271b51526c7a6ae51a9181ac7e4a168060cb3d88fd88977b67"
    assert entry_hash(GENESIS, entry) == pinned
    assert entry_hash(GENESIS, {**entry, "id": 10, "hash": "y"}) == pinned
    for key, value in [("seq", 2), ("actor_id", None), ("subject", "application:2")]:
        assert entry_hash(GENESIS, {**entry, key: value}) != pinned
    assert entry_hash("1" * 64, entry) != pinned


def test_two_writers_racing_for_the_journals_end_both_append(pg_url: str) -> None:
    """On PostgreSQL a writer that reaches the journal's end while another has appended but not
    committed waits for it, then appends after it: both succeed, one chain, no fork."""
    db = connect(pg_url)
    names = ", ".join(f'"{t.name}"' for t in reversed(Base.metadata.sorted_tables))
    with db.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    try:
        office = seed_office(db)
        errors: list[BaseException] = []

        def second() -> None:
            try:
                add_evidence(
                    db,
                    office.other_nib,
                    "nib",
                    "nib.pdf",
                    valid_until=None,
                    acting=office.admin,
                    now=office.clock(),
                )
            except BaseException as error:  # reported to the test below
                errors.append(error)

        writer = threading.Thread(target=second)
        with db.begin() as conn:  # what journal.writing does, held open between flush and commit
            replace_profile(
                conn, acting_user(conn, office.admin), 1, [ProductFacts("Sagu", "1 kg")], [], []
            )
            journal.flush(conn)
            writer.start()
            deadline = time.monotonic() + 20
            waiting = text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            with db.connect().execution_options(isolation_level="AUTOCOMMIT") as watch:
                while time.monotonic() < deadline and not watch.scalar(waiting):
                    time.sleep(0.05)  # until the second writer waits for this transaction
        writer.join(30)
        assert errors == []
        actions = [(r["seq"], r["action"]) for r in _journal_rows(office)][-2:]
        assert actions == [(7, "umkm.profile"), (8, "evidence.set")]
        assert _verify(office).ok
    finally:
        db.dispose()


# ------------------------------------------------------------------------------- checkpoints


def test_a_checkpoint_is_signed_the_same_way_by_every_version() -> None:
    """A checkpoint kept in a drawer for years must still verify after upgrades."""
    checkpoint = {
        "format": CHECKPOINT_FORMAT,
        "cut_at": "2026-11-02T02:00:00.000000",
        "seq": 17,
        "hash": "ab" * 32,
        "signature": "11ba3220aed98cf830fc69fde96d92ada3df12da8a38331613eab9f1048512ce",
    }
    replay = JournalReplay(entries=17, head=(17, "ab" * 32), marked={17: "ab" * 32})
    assert check_checkpoint(checkpoint, SECRET, replay) == []
    assert check_checkpoint({**checkpoint, "seq": 16}, SECRET, replay) == [
        JournalProblem(None, "checkpoint of 2026-11-02T02:00:00.000000", NOT_OURS)
    ]


def test_a_checkpoint_of_an_empty_journal_verifies_before_and_after_the_office_starts(
    db: Engine, tmp_path: Path
) -> None:
    now = datetime(2026, 11, 2, 2, 0)
    with db.connect() as conn:
        checkpoint = cut_checkpoint(conn, SECRET, now)
    assert {k: v for k, v in checkpoint.items() if k != "signature"} == {
        "format": CHECKPOINT_FORMAT,
        "cut_at": "2026-11-02T02:00:00.000000",
        "seq": 0,
        "hash": GENESIS,
    }
    empty = replay_journal([], marks=[0])
    assert check_checkpoint(checkpoint, SECRET, empty) == []
    office = seed_office(db)
    assert _journal_findings(office, checkpoint) == []


def test_a_checkpoint_names_when_it_was_cut(office: Office, mark: int, tmp_path: Path) -> None:
    path = tmp_path / "checkpoints" / "2026" / "november.json"  # folders made as needed
    checkpoint = save_checkpoint(office.db, SECRET, office.clock(), path)
    assert load_checkpoint(path) == checkpoint
    assert (checkpoint["cut_at"], checkpoint["seq"]) == ("2026-11-04T02:00:00.000000", 17)


def test_a_checkpoint_not_ours_is_refused_with_why(
    office: Office, mark: int, tmp_path: Path
) -> None:
    checkpoint = save_checkpoint(office.db, SECRET, office.clock(), tmp_path / "c.json")
    subject = f"checkpoint of {checkpoint['cut_at']}"
    for forged in (
        {**checkpoint, "seq": 1},
        {**checkpoint, "format": "sertiflow-journal-checkpoint/2"},
        {k: v for k, v in checkpoint.items() if k != "signature"},
    ):
        assert _journal_findings(office, forged) == [(None, subject, NOT_OURS)]


def test_a_checkpoint_beyond_a_truncated_journal_says_where_the_journal_ends(
    office: Office, mark: int, tmp_path: Path
) -> None:
    checkpoint = save_checkpoint(office.db, SECRET, office.clock(), tmp_path / "c.json")
    _tamper(office, delete(JOURNAL).where(JOURNAL.c.seq >= 16))
    findings = _journal_findings(office, checkpoint)
    assert findings[0] == (
        17,
        f"checkpoint of {checkpoint['cut_at']}",
        f"the journal ends at entry 15, before the checkpoint's 17: {REMOVED}",
    )


def test_the_entry_a_checkpoint_fixed_removed_mid_journal_is_caught(
    office: Office, mark: int, tmp_path: Path
) -> None:
    checkpoint = save_checkpoint(office.db, SECRET, office.clock(), tmp_path / "c.json")
    office.workflow.advance(mark, "formality_exam_started", office.other_consultant)
    _tamper(office, delete(JOURNAL).where(JOURNAL.c.seq == 17))
    found = [f for f in _journal_findings(office, checkpoint) if f[1].startswith("checkpoint")]
    assert [(seq, subject) for seq, subject, _ in found] == [
        (17, f"checkpoint of {checkpoint['cut_at']}")
    ]
    assert found[0][2].endswith(REMOVED)


def test_a_checkpoint_over_a_rewritten_journal_names_its_entry(
    office: Office, mark: int, tmp_path: Path
) -> None:
    checkpoint = save_checkpoint(office.db, SECRET, office.clock(), tmp_path / "c.json")
    last = {**_journal_rows(office)[-1], "actor_id": _user_id(office, office.admin)}
    with office.db.begin() as conn:  # entry 17 rewritten, its hash recomputed
        last["hash"] = entry_hash(last["prev_hash"], last)
        conn.execute(update(JOURNAL).where(JOURNAL.c.seq == 17).values(**last))
    assert _journal_findings(office, checkpoint) == [
        (17, f"checkpoint of {checkpoint['cut_at']}", REWRITTEN)
    ]


def test_a_checkpoint_needs_a_file_name_says_which(office: Office, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as refused:
        save_checkpoint(office.db, SECRET, office.clock(), tmp_path)
    assert str(refused.value) == (f"{str(tmp_path)!r} is a folder; give the checkpoint a file name")


def test_a_checkpoint_is_written_beside_its_name_not_in_the_temp_folder(
    office: Office, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file is written whole and then linked to its name, which works only on one disk:
    the partial file goes in the checkpoint's own folder, whatever the system's temp folder."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "no-such-temp"))
    folder = tmp_path / "checkpoints"
    checkpoint = save_checkpoint(office.db, SECRET, office.clock(), folder / "c.json")
    assert load_checkpoint(folder / "c.json") == checkpoint
    assert [p.name for p in folder.iterdir()] == ["c.json"]


def test_a_full_disk_while_writing_a_checkpoint_leaves_no_partial_file(
    office: Office, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk's own error is raised, and the half-written file is removed."""
    folder = tmp_path / "checkpoints"
    opened = tempfile.NamedTemporaryFile

    def on_a_full_disk(*args: Any, **kwargs: Any) -> Any:
        handle = opened(*args, **kwargs)

        def write(_text: str) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(handle, "write", write)
        return handle

    monkeypatch.setattr(tempfile, "NamedTemporaryFile", on_a_full_disk)
    with pytest.raises(OSError) as failed:
        save_checkpoint(office.db, SECRET, office.clock(), folder / "c.json")
    assert failed.value.errno == errno.ENOSPC
    assert list(folder.iterdir()) == []


def test_a_checkpoint_name_taken_meanwhile_is_not_overwritten(
    office: Office, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "checkpoints"
    folder.mkdir()
    path = folder / "c.json"
    cut = journal.cut_checkpoint

    def cut_while_another_clerk_saves(*args: Any) -> dict[str, Any]:
        path.write_text("the other clerk's checkpoint\n")
        return cut(*args)

    monkeypatch.setattr(journal, "cut_checkpoint", cut_while_another_clerk_saves)
    with pytest.raises(InvalidInput) as refused:
        save_checkpoint(office.db, SECRET, office.clock(), path)
    assert str(refused.value) == (
        f"{path} exists; a checkpoint is never overwritten: choose a new name"
    )
    assert [p.name for p in folder.iterdir()] == ["c.json"]
    assert path.read_text() == "the other clerk's checkpoint\n"


def test_a_file_that_is_no_checkpoint_is_refused_with_what_to_give(tmp_path: Path) -> None:
    path = tmp_path / "notes.json"
    path.write_text(json.dumps({"format": CHECKPOINT_FORMAT, "seq": "17"}))
    with pytest.raises(InvalidInput) as refused:
        load_checkpoint(path)
    assert str(refused.value) == (
        f"{path} is not a sertiflow journal checkpoint; give a file 'sertiflow audit checkpoint' "
        "wrote"
    )


# ------------------------------------------------------------------ each application's chain


def test_a_deleted_audit_row_is_named_at_the_row_after_it(office: Office, mark: int) -> None:
    _tamper(office, delete(AUDIT).where(AUDIT.c.application_id == mark, AUDIT.c.seq == 3))
    assert _chain_findings(office) == [
        (mark, 4, "expected entry 3, found 4: rows deleted or inserted"),
        (mark, 4, "does not link to the previous entry"),
        (mark, 4, "starts from DOC_PREPARATION but the log was at INTAKE"),
    ]


def test_a_deleted_first_audit_row_leaves_the_log_at_nothing(office: Office, mark: int) -> None:
    _tamper(office, delete(AUDIT).where(AUDIT.c.application_id == mark, AUDIT.c.seq == 1))
    assert _chain_findings(office)[:3] == [
        (mark, 2, "expected entry 1, found 2: rows deleted or inserted"),
        (mark, 2, "does not link to the previous entry"),
        (mark, 2, "starts from INTAKE but the log was at nothing"),
    ]


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        (
            "process_version",
            9,
            [(3, "names process trademark@9, which does not exist")],
        ),
        (
            "trigger",
            "sign_off",
            [(3, "sign_off is not a transition from INTAKE in trademark@1")],
        ),
        (
            "to_state",
            "FILED",
            [
                (3, "start_document_preparation leads to DOC_PREPARATION, the log says FILED"),
                (4, "starts from DOC_PREPARATION but the log was at FILED"),
            ],
        ),
    ],
)
def test_an_audit_row_edited_to_a_step_the_process_cannot_take_says_which(
    office: Office, mark: int, column: str, value: object, expected: list[tuple[int, str]]
) -> None:
    """The replay names the edited row and goes on from the state the row claims."""
    _tamper(
        office,
        update(AUDIT)
        .where(AUDIT.c.application_id == mark, AUDIT.c.seq == 3)
        .values({column: value}),
    )
    assert _chain_findings(office) == [
        (mark, 3, "content does not match its hash: the row was edited"),
        *((mark, seq, problem) for seq, problem in expected),
    ]


def test_an_audit_row_whose_data_is_not_sertiflows_is_named_by_its_number(
    office: Office, mark: int
) -> None:
    _tamper(
        office,
        update(AUDIT).where(AUDIT.c.application_id == mark, AUDIT.c.seq == 3).values(data=[1]),
    )
    assert _chain_findings(office) == [
        (mark, 3, "content does not match its hash: the row was edited"),
        (mark, 3, "its data is not what sertiflow writes: the row was edited"),
    ]


def test_a_removed_tail_says_where_the_chain_ends(office: Office, mark: int) -> None:
    _tamper(office, delete(AUDIT).where(AUDIT.c.application_id == mark, AUDIT.c.seq == 5))
    findings = _chain_findings(office)
    assert findings[0] == (
        mark,
        None,
        "chain ends at entry 4 but the application records 5 entries: the tail was removed or "
        "altered",
    )


def test_an_edited_state_is_reported_once_with_the_replayed_one(office: Office, mark: int) -> None:
    _tamper(office, update(APPLICATIONS).where(APPLICATIONS.c.id == mark).values(state="X"))
    assert _chain_findings(office) == [
        (mark, None, "replaying the log gives FILED, the application says X")
    ]


def test_an_edited_column_names_both_values(office: Office, mark: int) -> None:
    _tamper(office, update(APPLICATIONS).where(APPLICATIONS.c.id == mark).values(title="palsu"))
    [(app, seq, problem)] = _chain_findings(office)
    assert (app, seq) == (mark, None)
    assert problem.endswith(", the application says 'palsu': the row was edited outside sertiflow")


def test_an_application_whose_whole_log_was_deleted_says_nothing_replays(
    office: Office, mark: int
) -> None:
    _tamper(office, delete(AUDIT).where(AUDIT.c.application_id == mark))
    findings = _chain_findings(office)
    assert (
        mark,
        None,
        "replaying the log gives nothing, the application says FILED",
    ) in findings
    never = [f"the log never records {c}: entries are missing" for c in IMAGE_COLUMNS]
    assert [p for a, s, p in findings if "never records" in p] == [
        p for p in never if "never records state:" not in p
    ]
    assert all(a == mark and s is None for a, s, p in findings)


# ------------------------------------------------------------------------------- permissions


def test_a_consultant_assigned_to_another_business_may_not_change_this_dossier(
    office: Office,
) -> None:
    office.workflow.open_application(office.other_nib, "trademark", office.consultant)
    with pytest.raises(NotPermitted) as refused:
        add_evidence(
            office.db,
            office.nib,
            "ktp_owner",
            "ktp.pdf",
            valid_until=None,
            acting=office.consultant,
            now=office.clock(),
        )
    assert str(refused.value) == (
        "rina is not assigned to any open application of this business, so may not change the "
        "dossier; an admin can, or can assign them"
    )


def test_the_business_and_its_consultant_may_act_on_an_application_others_not(
    office: Office,
) -> None:
    own = office.workflow.open_application(office.nib, "trademark", office.consultant)
    other = office.workflow.open_application(office.other_nib, "trademark", office.consultant)
    with reading(office.db).connect() as conn:
        apps = {i: conn.execute(SELECT_APP, {"id": i}).one() for i in (own, other)}
        owner, rina, yosef = (
            acting_user(conn, name)
            for name in (office.owner, office.consultant, office.other_consultant)
        )
    require_for_application(owner, apps[own], "issue a packet of")  # its own business
    require_for_application(rina, apps[own], "issue a packet of")  # assigned to her
    require_for_application(rina, apps[other], "issue a packet of")
    for actor, app in ((owner, other), (yosef, own)):
        with pytest.raises(NotPermitted) as refused:
            require_for_application(actor, apps[app], "issue a packet of")
        assert str(refused.value) == (
            f"{actor.username} may not issue a packet of application #{app}: only an admin, its "
            "assigned consultant or its business's UMKM user may"
        )
