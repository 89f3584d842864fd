"""The office journal: one append-only hash chain across the whole office, and its checkpoints.

Each application's audit chain proves its own history, but not that the application still
exists, nor that its last entry is still there when the application row was set back with it.
The journal does: every step appends the application's new chain head to it, and every change
to the directory (a user added or changed, a document put into a dossier, a registry imported, a
profile replaced, a packet issued) appends who did it and, for users and documents, the whole
new row. Each entry hashes the one before, so removing, editing or inserting anything means
recomputing every later hash; a checkpoint, signed with the office's key and kept outside the
database, fixes the journal up to a point so that not even that goes unseen.

Writers take the journal's end in order: SQLite writers are serialised already; on PostgreSQL a
transaction takes an advisory lock just before it commits, for the time of one insert.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, text

from workflow.audit import GENESIS, entry_hash, plain
from workflow.errors import InvalidInput
from workflow.persistence.database import reading
from workflow.persistence.schema import JournalEntry, table

__all__ = [
    "CHECKPOINT_FORMAT",
    "JOURNAL",
    "JournalProblem",
    "JournalReplay",
    "check_checkpoint",
    "cut_checkpoint",
    "flush",
    "load_checkpoint",
    "note",
    "note_step",
    "replay_journal",
    "save_checkpoint",
    "writing",
]

JOURNAL = table(JournalEntry)
PENDING = "sertiflow.journal_pending"
"""Key in ``Connection.info`` of the entries the transaction will append when it commits."""
STEP = "step"
CHECKPOINT_FORMAT = "sertiflow-journal-checkpoint/1"
_LOCK = 0x5E27F1  # the PostgreSQL advisory lock that orders appends
_SIGNED = ("format", "cut_at", "seq", "hash")


def note(
    conn: Connection,
    *,
    at: datetime,
    actor_id: int | None,
    action: str,
    subject: str,
    data: Mapping[str, Any],
) -> None:
    """Queue a journal entry on ``conn``'s transaction; ``flush`` appends it at the end."""
    entry = {
        "at": at,
        "actor_id": actor_id,
        "action": action,
        "subject": subject,
        "data": {k: plain(v) for k, v in data.items()},
    }
    conn.info.setdefault(PENDING, []).append(entry)


def note_step(
    conn: Connection, app_id: int, seq: int, head: str, at: datetime, actor_id: int
) -> None:
    """Queue application ``app_id``'s new chain head (entry ``seq``, hash ``head``)."""
    note(
        conn,
        at=at,
        actor_id=actor_id,
        action=STEP,
        subject=f"application:{app_id}",
        data={"seq": seq, "hash": head},
    )


def flush(conn: Connection) -> None:
    """Append the entries queued on ``conn`` to the journal's end, chained."""
    pending: list[dict[str, Any]] = conn.info.pop(PENDING, [])
    if not pending:
        return
    if conn.dialect.name == "postgresql":  # held until commit: the next writer sees our end
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK})
    last = conn.execute(
        select(JOURNAL.c.seq, JOURNAL.c.hash).order_by(JOURNAL.c.seq.desc()).limit(1)
    ).first()
    seq, prev = (int(last.seq), str(last.hash)) if last else (0, GENESIS)
    rows = []
    for entry in pending:
        seq += 1
        row = {**entry, "seq": seq, "prev_hash": prev}
        row["hash"] = prev = entry_hash(prev, row)
        rows.append(row)
    conn.execute(insert(JOURNAL), rows)


@contextmanager
def writing(db: Engine) -> Iterator[Connection]:
    """One write transaction whose journal entries are appended just before it commits."""
    with db.begin() as conn:
        conn.info.pop(PENDING, None)  # left by a transaction that rolled back
        try:
            yield conn
        except BaseException:
            conn.info.pop(PENDING, None)
            raise
        flush(conn)


@dataclass(frozen=True, slots=True)
class JournalProblem:
    """Something wrong with the journal, or with a row it vouches for."""

    seq: int | None
    subject: str
    problem: str


@dataclass
class JournalReplay:
    """What the journal says the office holds, folded from its entries in order."""

    entries: int = 0
    head: tuple[int, str] = (0, GENESIS)
    applications: dict[int, tuple[int, str]] = field(default_factory=dict)
    """Each application's last chain head: (audit entries, hash)."""
    images: dict[str, dict[str, Any]] = field(default_factory=dict)
    """The last whole row recorded for each user and dossier document, by subject."""
    digests: dict[str, str] = field(default_factory=dict)
    """The digest of the last recorded content of each UMKM row and profile, by subject."""
    issued: dict[str, str] = field(default_factory=dict)
    """The file hash of each issued packet and document, by subject (``issued_packet:CODE``)."""
    marked: dict[int, str] = field(default_factory=dict)
    """The hashes of the entries asked for (the ones checkpoints fixed)."""
    problems: list[JournalProblem] = field(default_factory=list)


def replay_journal(rows: Iterable[Mapping[Any, Any]], marks: Iterable[int] = ()) -> JournalReplay:
    """Check the chain of ``rows`` (ordered by seq) and fold what it records, keeping the
    hashes of the entries numbered in ``marks``."""
    replay = JournalReplay()
    wanted = set(marks)
    seq, prev = replay.head
    for row in rows:
        found = int(row["seq"])
        subject = str(row["subject"])
        if found != seq + 1:
            replay.problems.append(
                JournalProblem(
                    found, subject, f"expected entry {seq + 1}: journal entries were removed"
                )
            )
        if row["prev_hash"] != prev:
            replay.problems.append(
                JournalProblem(found, subject, "does not link to the previous journal entry")
            )
        if entry_hash(str(row["prev_hash"]), row) != row["hash"]:
            replay.problems.append(
                JournalProblem(found, subject, "content does not match its hash: edited")
            )
        try:
            _fold(replay, str(row["action"]), subject, row["data"])
        except (KeyError, ValueError, TypeError, AttributeError):
            replay.problems.append(
                JournalProblem(found, subject, "not an entry sertiflow writes: edited")
            )
        seq, prev = found, str(row["hash"])
        if seq in wanted:
            replay.marked[seq] = prev
        replay.entries += 1
    replay.head = (seq, prev)
    return replay


def _fold(replay: JournalReplay, action: str, subject: str, data: Any) -> None:
    """What one entry says: an application's head, a row's image or digest, an issued file."""
    if not isinstance(data, dict):
        raise TypeError("an entry's data is an object")
    if action == STEP:
        app_id = int(subject.partition(":")[2])
        replay.applications[app_id] = (int(data["seq"]), str(data["hash"]))
    elif "image" in data:
        replay.images[subject] = dict(data["image"])
    elif "moved_to" in data:  # schema 0007 gave a dossier document a scope, so a new subject
        replay.images.pop(subject, None)
    elif "digests" in data:  # rows too many to journal whole: a registry import's UMKM
        replay.digests.update((f"umkm:{k}", str(v)) for k, v in data["digests"].items())
    elif "digest" in data:  # a business's profile
        replay.digests[subject] = str(data["digest"])
    elif action.endswith(".issue"):
        replay.issued[subject] = str(data["sha256"])


def _signature(secret: bytes, checkpoint: Mapping[str, Any]) -> str:
    body = json.dumps({k: checkpoint.get(k) for k in _SIGNED}, sort_keys=True)
    return hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()


def cut_checkpoint(conn: Connection, secret: bytes, now: datetime) -> dict[str, Any]:
    """A checkpoint of the journal as ``conn`` sees it, signed with the office's key."""
    last = conn.execute(
        select(JOURNAL.c.seq, JOURNAL.c.hash).order_by(JOURNAL.c.seq.desc()).limit(1)
    ).first()
    checkpoint: dict[str, Any] = {
        "format": CHECKPOINT_FORMAT,
        "cut_at": plain(now),
        "seq": int(last.seq) if last else 0,
        "hash": str(last.hash) if last else GENESIS,
    }
    checkpoint["signature"] = _signature(secret, checkpoint)
    return checkpoint


def check_checkpoint(
    checkpoint: Mapping[str, Any], secret: bytes, replay: JournalReplay
) -> list[JournalProblem]:
    """Whether the journal ``replay`` folded (marking the checkpoint's seq) still holds what
    ``checkpoint`` fixed."""
    subject = f"checkpoint of {checkpoint.get('cut_at')}"
    if checkpoint.get("format") != CHECKPOINT_FORMAT or not hmac.compare_digest(
        _signature(secret, checkpoint), str(checkpoint.get("signature", ""))
    ):
        return [
            JournalProblem(
                None,
                subject,
                "the checkpoint is not signed with this office's key, or it was edited; "
                "use a checkpoint this office cut",
            )
        ]
    seq = int(checkpoint["seq"])
    at = replay.marked.get(seq, "")
    if seq > replay.head[0]:
        return [
            JournalProblem(
                seq,
                subject,
                f"the journal ends at entry {replay.head[0]}, before the checkpoint's {seq}: "
                "entries the checkpoint vouches for were removed",
            )
        ]
    if seq and not at:
        return [
            JournalProblem(
                seq,
                subject,
                f"the journal has no entry {seq}, the checkpoint's last: entries the "
                "checkpoint vouches for were removed",
            )
        ]
    if seq and at != checkpoint["hash"]:
        return [
            JournalProblem(
                seq,
                subject,
                "the journal's entry differs from the checkpoint's: the history before the "
                "checkpoint was rewritten",
            )
        ]
    return []


def save_checkpoint(db: Engine, secret: bytes, now: datetime, path: Path) -> dict[str, Any]:
    """Cut a checkpoint and write it to ``path`` (a new file, written whole or not at all)."""
    if not path.name or path.is_dir():
        raise InvalidInput(f"{str(path)!r} is a folder; give the checkpoint a file name")
    if path.exists():
        raise InvalidInput(f"{path} exists; a checkpoint is never overwritten: choose a new name")
    with reading(db).connect() as conn:
        checkpoint = cut_checkpoint(conn, secret, now)
    if path.parent.exists() and not path.parent.is_dir():
        raise InvalidInput(f"{path.parent} is a file, not a folder; choose where to write")
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", delete=False
    ) as partial:
        try:
            partial.write(json.dumps(checkpoint, indent=2) + "\n")
        except BaseException:  # a full disk leaves no partial file behind
            os.unlink(partial.name)
            raise
    try:
        os.link(partial.name, path)  # fails if the name was taken meanwhile: never overwrites
    except FileExistsError:
        raise InvalidInput(
            f"{path} exists; a checkpoint is never overwritten: choose a new name"
        ) from None
    finally:
        os.unlink(partial.name)
    return checkpoint


def load_checkpoint(path: Path) -> dict[str, Any]:
    """The checkpoint in ``path``; refused, saying why, if the file is not one."""
    try:
        checkpoint = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise InvalidInput(f"{path} is not a readable checkpoint: {error}") from None
    if not (
        isinstance(checkpoint, dict)
        and checkpoint.get("format") == CHECKPOINT_FORMAT
        and isinstance(checkpoint.get("seq"), int)
        and isinstance(checkpoint.get("hash"), str)
        and isinstance(checkpoint.get("signature"), str)
    ):
        raise InvalidInput(
            f"{path} is not a sertiflow journal checkpoint; give a file 'sertiflow audit "
            "checkpoint' wrote"
        )
    return checkpoint
