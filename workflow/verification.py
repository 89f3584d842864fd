"""``audit verify``: every application's chain, the office journal, and the rows they vouch for.

Read it all in one snapshot (``persistence.database.reading``): a live office then never gets a
false alarm from a step that committed halfway through the read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from sqlalchemy import Connection, Result, Select, Table, Text, select, type_coerce

from workflow.accounts import password_digest, password_subject
from workflow.api_tokens import tokens_digests
from workflow.audit import IMAGE_COLUMNS, ChainProblem, loaded, plain, verify_chain
from workflow.directory import (
    EMPTY_PROFILE,
    EVIDENCE_IMAGE,
    UMKM_IMAGE,
    USER_IMAGE,
    profile_digests,
    umkm_digest,
)
from workflow.errors import NotFound
from workflow.evidence import evidence_subject
from workflow.journal import (
    JOURNAL,
    JournalProblem,
    JournalReplay,
    check_checkpoint,
    replay_journal,
)
from workflow.ledger import APPLICATIONS, AUDIT, EVIDENCE, UMKM, USERS
from workflow.office import OFFICE, OFFICE_IMAGE, office_subject
from workflow.persistence.schema import IssuedDocument, IssuedPacket, table
from workflow.processes import ProcessRegistry

__all__ = ["VerifyReport", "verify_audit"]

PACKETS = table(IssuedPacket)
DOCUMENTS = table(IssuedDocument)


@dataclass
class VerifyReport:
    """What ``verify_audit`` checked and found."""

    applications: int = 0
    entries: int = 0
    journal_entries: int = 0
    problems: list[ChainProblem] = field(default_factory=list)
    journal_problems: list[JournalProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No problem found."""
        return not self.problems and not self.journal_problems


def verify_audit(
    conn: Connection,
    registry: ProcessRegistry,
    app_id: int | None = None,
    *,
    checkpoints: Sequence[Mapping[str, Any]] = (),
    secret: bytes = b"",
) -> VerifyReport:
    """Check every application's audit chain (or one) and that replaying it gives the row; the
    office journal's chain, that it holds every application's head and the users, dossier
    documents and office profile as they are; and that it still holds what each of
    ``checkpoints`` fixed (signed with ``secret``)."""
    report = VerifyReport()
    marks = [int(c["seq"]) for c in checkpoints if isinstance(c.get("seq"), int)]
    journal = replay_journal(
        _parsed(conn.execution_options(yield_per=2000).execute(_as_text(JOURNAL, JOURNAL.c.seq))),
        marks,
    )
    report.journal_entries = journal.entries
    report.journal_problems.extend(journal.problems)
    for checkpoint in checkpoints:
        report.journal_problems.extend(check_checkpoint(checkpoint, secret, journal))
    _verify_applications(conn, registry, app_id, journal, report)
    if app_id is None:
        problems = report.journal_problems
        problems.extend(
            _compare_rows(conn, USERS, USER_IMAGE, journal, "user", [USERS.c.id], _user_subject)
        )
        problems.extend(
            _compare_rows(
                conn,
                EVIDENCE,
                EVIDENCE_IMAGE,
                journal,
                "evidence",
                [EVIDENCE.c.umkm_id, EVIDENCE.c.kind, EVIDENCE.c.scope],
                _evidence_subject,
            )
        )
        problems.extend(  # the office profile the letters print (schema 0009)
            _compare_rows(conn, OFFICE, OFFICE_IMAGE, journal, "office", [OFFICE.c.key], _office)
        )
        umkm = select(*(UMKM.c[c] for c in UMKM_IMAGE))  # into a dict: any order will do
        found = {f"umkm:{r['nib']}": umkm_digest(r) for r in conn.execute(umkm).mappings()}
        problems.extend(_compare_digests("umkm:", found, journal.digests))
        profiles = {f"profile:{k}": v for k, v in profile_digests(conn).items()}
        recorded = {k: v for k, v in journal.digests.items() if v != EMPTY_PROFILE}
        problems.extend(_compare_digests("profile:", profiles, recorded))
        # Web login hashes (schema 0008): the journal holds each one's SHA-256, "" for none.
        hashes = select(USERS.c.id, USERS.c.password_hash).where(USERS.c.password_hash.is_not(None))
        passwords = {password_subject(i): password_digest(h) for i, h in conn.execute(hashes)}
        problems.extend(
            _compare_digests(
                "password:", passwords, {k: v for k, v in journal.digests.items() if v}
            )
        )
        # API tokens (schema 0009): each user's as a digest, journalled at every change.
        problems.extend(_compare_digests("api_token:", tokens_digests(conn), journal.digests))
        for records in (PACKETS, DOCUMENTS):
            query = select(records.c.code, records.c.content_hash)
            files = {f"{records.name}:{code}": sha for code, sha in conn.execute(query)}
            problems.extend(_compare_digests(f"{records.name}:", files, journal.issued))
    return report


def _compare_digests(
    prefix: str, found: Mapping[str, str], recorded: Mapping[str, str]
) -> Iterator[JournalProblem]:
    """The rows (subjects starting with ``prefix``) whose digest differs from the journal's."""
    expected = {k: v for k, v in recorded.items() if k.startswith(prefix)}
    for subject, value in sorted(found.items()):
        wanted = expected.pop(subject, None)
        if wanted is None:
            yield JournalProblem(
                None, subject, "not in the office journal: inserted outside sertiflow"
            )
        elif wanted != value:
            yield JournalProblem(
                None, subject, "differs from what the journal recorded: edited outside sertiflow"
            )
    for subject in sorted(expected):
        yield JournalProblem(
            None, subject, "in the office journal but gone: deleted outside sertiflow"
        )


def _verify_applications(
    conn: Connection,
    registry: ProcessRegistry,
    app_id: int | None,
    journal: JournalReplay,
    report: VerifyReport,
) -> None:
    apps = select(
        APPLICATIONS.c.id,
        APPLICATIONS.c.audit_seq,
        APPLICATIONS.c.audit_head,
        *(APPLICATIONS.c[c] for c in IMAGE_COLUMNS),
    ).order_by(APPLICATIONS.c.id)
    entries = _as_text(AUDIT, AUDIT.c.application_id, AUDIT.c.seq)
    if app_id is not None:
        apps = apps.where(APPLICATIONS.c.id == app_id)
        entries = entries.where(AUDIT.c.application_id == app_id)
    unseen = dict(journal.applications)
    chains = _chains(_parsed(conn.execution_options(yield_per=2000).execute(entries)))
    pending = next(chains, None)
    for app in conn.execute(apps).mappings():
        report.applications += 1
        own: list[Mapping[str, Any]] = []
        while pending is not None and pending[0] <= app["id"]:
            if pending[0] == app["id"]:
                own = pending[1]
            else:
                report.problems.append(_orphan_rows(pending[0]))
            pending = next(chains, None)
        report.entries += len(own)
        report.problems.extend(verify_chain(app, own, registry.get))
        head = unseen.pop(app["id"], None)
        if head != (app["audit_seq"], app["audit_head"]):
            report.problems.append(_unjournalled(app, head))
    if app_id is not None and not report.applications:
        if app_id not in unseen:
            raise NotFound(f"no application #{app_id}; see 'sertiflow app list'")
        report.problems.append(_deleted(app_id, unseen[app_id][0]))
    if app_id is None:
        if pending is not None:
            report.problems.append(_orphan_rows(pending[0]))
        report.problems.extend(_deleted(gone, seq) for gone, (seq, _) in sorted(unseen.items()))


def _deleted(app_id: int, seq: int) -> ChainProblem:
    return ChainProblem(
        app_id,
        None,
        f"the journal records this application (entry {seq} of its chain), but it is gone "
        "from the database: deleted outside sertiflow",
    )


def _as_text(rows: Table, *order: Any) -> Select[Any]:
    """All of ``rows`` in ``order``, its JSON ``data`` read as text: a row edited into invalid
    JSON is then a reported problem, not a crash."""
    columns = [c for c in rows.c if c.name != "data"]
    return select(*columns, type_coerce(rows.c.data, Text).label("data")).order_by(*order)


def _parsed(result: Result[Any]) -> Iterator[dict[str, Any]]:
    for row in result.mappings():
        yield {**row, "data": loaded(row["data"])}


def _orphan_rows(app_id: int) -> ChainProblem:
    return ChainProblem(app_id, None, "audit rows of an application that does not exist")


def _unjournalled(app: Mapping[Any, Any], head: tuple[int, str] | None) -> ChainProblem:
    if head is None:
        text = "the office journal never recorded this application: inserted outside sertiflow"
    else:
        text = (
            f"the office journal records entry {head[0]} as the chain's last, the application "
            f"{app['audit_seq']}: entries were removed or the row was set back"
        )
    return ChainProblem(int(app["id"]), None, text)


def _user_subject(row: Mapping[Any, Any]) -> str:
    return f"user:{row['id']}"


def _office(row: Mapping[Any, Any]) -> str:
    return office_subject(str(row["key"]))


def _evidence_subject(row: Mapping[Any, Any]) -> str:
    return evidence_subject(row["umkm_id"], row["kind"], row["scope"])


def _compare_rows(
    conn: Connection,
    rows: Table,
    columns: Sequence[str],
    journal: JournalReplay,
    kind: str,
    key: Sequence[Any],
    subject_of: Callable[[Mapping[Any, Any]], str],
) -> Iterator[JournalProblem]:
    """The rows of ``rows`` (keyed by ``key``, journalled under ``subject_of(row)``) that
    differ from the journal's last image of them."""
    expected = {s: image for s, image in journal.images.items() if s.startswith(f"{kind}:")}
    picked = [c for c in columns if c not in {k.name for k in key}]
    query = select(*key, *(rows.c[c] for c in picked)).order_by(*key)
    for row in conn.execute(query).mappings():
        subject = subject_of(row)
        image = expected.pop(subject, None)
        if image is None:
            yield JournalProblem(
                None, subject, "not in the office journal: inserted outside sertiflow"
            )
            continue
        changed = [c for c in columns if image.get(c) != plain(row[c])]
        if changed:
            yield JournalProblem(
                None,
                subject,
                f"{', '.join(changed)} {'differs' if len(changed) == 1 else 'differ'} from "
                "what the journal recorded: edited outside sertiflow",
            )
    for subject in sorted(expected):
        yield JournalProblem(
            None, subject, "in the office journal but gone: deleted outside sertiflow"
        )


def _chains(rows: Iterator[Any]) -> Iterator[tuple[int, list[Mapping[str, Any]]]]:
    for app_id, group in groupby(rows, key=lambda r: int(r["application_id"])):
        yield app_id, list(group)
