"""The tamper-evident audit chain: hashing, replay and verification.

Each application's history is a chain: every row stores the hash of the previous row and its own
hash over all of its content, and the application row keeps the chain's length and last hash. An
edited row breaks its own hash; a deleted or inserted row breaks the sequence or the links; a
truncated tail no longer matches the application's head. Replaying the triggers through the
process definition must reproduce the stored state, and replaying the columns each entry records
as set (``IMAGE``) must reproduce every column the history determines: an in-place edit of a
certificate number, an assignee, the details or the version shows as a difference.

What a chain cannot show alone (a whole application deleted, or its last entry removed with the
application row set back) the office journal shows: it chains every application's head.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Any

from workflow.model import ProcessDefinition

__all__ = [
    "BASELINE",
    "DEADLINE",
    "DETAILS",
    "GENESIS",
    "IMAGE",
    "IMAGE_COLUMNS",
    "MIGRATE",
    "OPEN",
    "REASSIGN",
    "ChainProblem",
    "entry_hash",
    "loaded",
    "plain",
    "verify_chain",
]

GENESIS = "0" * 64
OPEN = "@open"
REASSIGN = "@reassign"
MIGRATE = "@migrate"
DETAILS = "@details"
BASELINE = "@baseline"
"""The entry the upgrade to schema 0005 appended to each existing chain: the whole row as it
stood, so that chains begun before entries recorded what they set replay too."""
DEADLINE = "@deadline"
"""An admin's step that gives an application the deadline its stage now has, when it entered
the stage before the stage had one (``Engine.fill_deadlines``)."""
_SYSTEM = {OPEN, REASSIGN, MIGRATE, DETAILS, BASELINE, DEADLINE}
IMAGE = "@set"
"""Key, in an entry's ``data``, of the application columns the entry set, as JSON values."""
IMAGE_COLUMNS = (
    "umkm_id",
    "process_key",
    "process_version",
    "state",
    "phase",
    "version",
    "assignee_id",
    "opened_at",
    "state_entered_at",
    "deadline",
    "flags",
    "title",
    "filed_on",
    "certificate_number",
    "certificate_issued_on",
    "certificate_expires_on",
    "linked_from_id",
    "details",
)
"""The application columns its history determines (all but its id, its chain's head and the
regency, which follows the UMKM's address)."""


def entry_hash(prev_hash: str, entry: Mapping[str, Any]) -> str:
    """SHA-256 over the previous hash and the entry's canonical JSON."""
    body = {key: plain(value) for key, value in entry.items() if key not in ("id", "hash")}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + text).encode()).hexdigest()


def loaded(value: Any) -> Any:
    """A JSON column's value as read: SQLite hands JSON text back when the column is read as
    text (see ``verification``), so that a row edited into invalid JSON is reported, not raised."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def plain(value: Any) -> Any:
    """``value`` as the JSON an entry stores: dates and times in ISO format."""
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


@dataclass(frozen=True, slots=True)
class ChainProblem:
    """Something wrong with one application's audit chain."""

    application_id: int
    seq: int | None
    problem: str


def verify_chain(
    application: Mapping[Any, Any],
    entries: Iterable[Mapping[Any, Any]],
    definition_of: Callable[[str, int], ProcessDefinition],
) -> list[ChainProblem]:
    """Every problem with ``application``'s chain of ``entries`` (ordered by seq)."""
    app_id = int(application["id"])
    problems: list[ChainProblem] = []

    def problem(seq: int | None, text: str) -> None:
        problems.append(ChainProblem(app_id, seq, text))

    prev = GENESIS
    state = ""
    image: dict[str, Any] = {}
    expected_seq = 1
    for entry in entries:
        seq = int(entry["seq"])
        if seq != expected_seq:
            problem(seq, f"expected entry {expected_seq}, found {seq}: rows deleted or inserted")
            expected_seq = seq
        if entry["prev_hash"] != prev:
            problem(seq, "does not link to the previous entry")
        if entry_hash(entry["prev_hash"], entry) != entry["hash"]:
            problem(seq, "content does not match its hash: the row was edited")
        state = _replay_step(entry, state, definition_of, partial(problem, seq))
        data = entry["data"] or {}
        if isinstance(data, dict) and isinstance(data.get(IMAGE, {}), dict):
            image.update(data.get(IMAGE, {}))
        else:
            problem(seq, "its data is not what sertiflow writes: the row was edited")
        prev = entry["hash"]
        expected_seq += 1
    if expected_seq - 1 != application["audit_seq"]:
        problem(
            None,
            f"chain ends at entry {expected_seq - 1} but the application records "
            f"{application['audit_seq']} entries: the tail was removed or altered",
        )
    elif prev != application["audit_head"]:
        problem(
            None,
            "the chain's last entry is not the one the application records: the tail was altered",
        )
    if state != application["state"]:
        problem(
            None,
            f"replaying the log gives {state or 'nothing'}, "
            f"the application says {application['state']}",
        )
    for column in IMAGE_COLUMNS:
        if column == "state":  # replaying the triggers checked it, with a clearer message
            continue
        if column not in image:
            problem(None, f"the log never records {column}: entries are missing")
        elif image[column] != plain(application[column]):
            problem(
                None,
                f"replaying the log gives {column} = {image[column]!r}, the application says "
                f"{plain(application[column])!r}: the row was edited outside sertiflow",
            )
    return problems


def _replay_step(
    entry: Mapping[str, Any],
    state: str,
    definition_of: Callable[[str, int], ProcessDefinition],
    problem: Callable[[str], None],
) -> str:
    trigger = str(entry["trigger"])
    if entry["from_state"] != state:
        problem(f"starts from {entry['from_state']} but the log was at {state or 'nothing'}")
    try:
        definition = definition_of(str(entry["process_key"]), int(entry["process_version"]))
    except LookupError:  # an edited key or version: report it, and keep checking the rest
        problem(
            f"names process {entry['process_key']}@{entry['process_version']}, which does not exist"
        )
        return str(entry["to_state"])
    if trigger == OPEN:
        expected = definition.initial
    elif trigger in _SYSTEM:
        expected = str(entry["from_state"])
    else:
        rule = definition.transition(trigger, str(entry["from_state"]))
        if rule is None:
            problem(
                f"{trigger} is not a transition from {entry['from_state']} in {definition.ident}"
            )
            return str(entry["to_state"])
        expected = rule.dest
    if expected != entry["to_state"]:
        problem(f"{trigger} leads to {expected}, the log says {entry['to_state']}")
    return str(entry["to_state"])
