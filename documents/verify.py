"""Is this PDF one sertiflow issued, for which application and stage, and is it unaltered?

The file's SHA-256 is looked up among the issued packets, then among the documents packets reuse
(``documents.issued``), and the record's HMAC signature is checked with the office's secret key.
A file whose hash is unknown but which carries a sertiflow verification code was issued and then
changed: it is reported as altered, with what it claims to be. A file with neither is not a
sertiflow document. A code alone (read off paper, or the QR code's address) resolves to its
signed record: what was issued, for whom and when, to compare the paper with.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from documents.catalog import packet_documents, title
from documents.issued import DOCUMENTS
from documents.packets import PACKETS
from documents.signing import DOCUMENT_FIELDS, PACKET_FIELDS, signature_ok
from workflow.persistence.database import reading
from workflow.persistence.schema import Application, Umkm, table
from workflow.processes import ProcessRegistry, UnknownProcess

__all__ = [
    "IssueContents",
    "Verdict",
    "find_code",
    "is_code",
    "issue_contents",
    "verify_code",
    "verify_pdf",
]

_CODE = re.compile(rb"SF-[A-Z2-7]{4}-[A-Z2-7]{4}")


@dataclass(frozen=True)
class Verdict:
    """The outcome of checking one file."""

    status: str  # authentic | issued (a code alone) | altered | record_tampered | unknown
    message: str
    code: str | None = None
    application_id: int | None = None
    state: str | None = None
    issued_on: date | None = None

    @property
    def ok(self) -> bool:
        """True only for an unaltered file, or a code, with an intact record."""
        return self.status in ("authentic", "issued")


def find_code(data: bytes) -> str | None:
    """The verification code a PDF carries (after %%EOF, in its metadata or text), if any."""
    tail = _CODE.search(data[-64:])
    if tail is not None:
        return tail.group().decode()
    pypdf_log = logging.getLogger("pypdf")
    level = pypdf_log.level
    pypdf_log.setLevel(logging.CRITICAL)  # a damaged file is expected here, not news
    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(data))
        keywords = str(reader.metadata.get("/Keywords", "")) if reader.metadata else ""
        match = _CODE.search(keywords.encode())
        if match is None and reader.pages:
            match = _CODE.search(reader.pages[0].extract_text().encode())
        if match is not None:
            return match.group().decode()
    except Exception:
        pass
    finally:
        pypdf_log.setLevel(level)
    raw = _CODE.search(data)
    return None if raw is None else raw.group().decode()


_RECORDS: tuple[tuple[sa.Table, Sequence[str]], ...] = (
    (PACKETS, PACKET_FIELDS),
    (DOCUMENTS, DOCUMENT_FIELDS),
)


def _record(
    conn: sa.Connection, column: str, value: str
) -> tuple[dict[str, Any], Sequence[str]] | None:
    """The packet's or document's record whose ``column`` is ``value``, and its signed fields."""
    for records, fields in _RECORDS:
        row = conn.execute(sa.select(records).where(records.c[column] == value)).mappings().first()
        if row is not None:
            return dict(row), fields
    return None


def _describe(row: dict[str, Any]) -> str:
    if "document" in row:
        return (
            f"document {row['code']} ({title(row['document'])}) of application "
            f"#{row['application_id']}, first issued for stage {row['state']} on "
            f"{row['issued_on'].isoformat()}"
        )
    return (
        f"packet {row['code']} of application #{row['application_id']}, stage "
        f"{row['state']}, issued {row['issued_on'].isoformat()}"
    )


def _judge(
    secret: bytes, row: dict[str, Any], fields: Sequence[str], digest: str | None
) -> Verdict:
    """The verdict on a record found for a file of SHA-256 ``digest`` (None: for a code)."""
    facts = dict(
        code=row["code"],
        application_id=row["application_id"],
        state=row["state"],
        issued_on=row["issued_on"],
    )
    what = _describe(row)
    if not signature_ok(secret, row, fields):
        return Verdict(
            "record_tampered",
            f"the record of {what} does not match its signature: the database entry was changed",
            **facts,
        )
    if digest is None:
        return Verdict(
            "issued",
            f"issued: {what}, {row['pages']} halaman; a copy on paper should read the same",
            **facts,
        )
    if row["content_hash"] != digest:
        return Verdict(
            "altered",
            f"ALTERED: the file claims to be {what}, but its content differs from what was issued",
            **facts,
        )
    return Verdict("authentic", f"authentic: {what}, unaltered", **facts)


def is_code(text: str) -> bool:
    """Whether ``text`` reads like a verification code (any case, spaces around ignored)."""
    return _CODE.fullmatch(text.strip().upper().encode()) is not None


def verify_code(db: sa.Engine, secret: bytes, code: str) -> Verdict:
    """What the verification code ``code`` (any case, spaces around ignored) stands for."""
    wanted = code.strip().upper()
    if not is_code(wanted):
        return Verdict(
            "unknown", f"{code!r} is not a verification code; they read like SF-7K3Q-2XWD"
        )
    with reading(db).connect() as conn:
        found = _record(conn, "code", wanted)
    if found is None:
        return Verdict("unknown", f"code {wanted} was never issued by this office", wanted)
    return _judge(secret, *found, None)


def verify_pdf(db: sa.Engine, secret: bytes, data: bytes) -> Verdict:
    """Check the PDF ``data`` (a packet, or one document of a packet) against what was issued."""
    digest = hashlib.sha256(data).hexdigest()
    code = None
    with reading(db).connect() as conn:
        found = _record(conn, "content_hash", digest)
        if found is None:
            code = find_code(data)
            if code is not None:
                found = _record(conn, "code", code)
    if found is None:
        if code is not None:
            return Verdict(
                "unknown", f"the file names code {code}, which this office never issued", code
            )
        return Verdict("unknown", "not a document issued by sertiflow (no verification code)")
    return _judge(secret, *found, digest)


@dataclass(frozen=True)
class IssueContents:
    """What a paper copy of an issued packet or document holds, to compare it with: whose it
    is, how many pages, and the titles of its documents in order."""

    umkm_name: str
    nib: str
    pages: int
    documents: tuple[str, ...]


_APPLICATIONS = table(Application)
_UMKM = table(Umkm)


def issue_contents(
    db: sa.Engine, verdict: Verdict, registry: ProcessRegistry | None = None
) -> IssueContents | None:
    """The business and the document titles of what ``verdict`` found (None when it found no
    record); a packet's titles come from its stage's documents under the application's process
    version, with the covering letter first and the checklist last, in the packet's language."""
    if verdict.code is None or verdict.application_id is None:
        return None
    with reading(db).connect() as conn:
        found = _record(conn, "code", verdict.code)
        owner = conn.execute(
            sa.select(
                _UMKM.c.name,
                _UMKM.c.nib,
                _APPLICATIONS.c.process_key,
                _APPLICATIONS.c.process_version,
            )
            .join(_UMKM, _UMKM.c.id == _APPLICATIONS.c.umkm_id)
            .where(_APPLICATIONS.c.id == verdict.application_id)
        ).first()
    if found is None or owner is None:
        return None
    row = found[0]
    lang = str(row.get("lang") or "id")
    if "document" in row:
        names: tuple[str, ...] = (str(row["document"]),)
    else:
        try:
            definition = (registry or ProcessRegistry()).get(
                owner.process_key, owner.process_version
            )
            state = definition.states.get(str(row["state"]))
        except UnknownProcess:
            state = None
        names = packet_documents(state.documents) if state is not None else ()
    return IssueContents(
        str(owner.name),
        str(owner.nib),
        int(row["pages"]),
        tuple(title(name, lang) for name in names),
    )
