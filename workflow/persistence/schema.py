"""The database schema, as typed SQLAlchemy 2.x models.

The models are the single source of the schema (Alembic migrations are written against them); the
engine's hot path and the backlog queries use their ``__table__`` with SQLAlchemy Core, which is
several times faster than loading ORM objects for a write that touches three tables.

Timestamps are naive UTC; dates (deadlines, certificate dates) are office-local calendar dates.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "ApiToken",
    "Application",
    "AuditEntry",
    "Base",
    "Evidence",
    "IssuedDocument",
    "IssuedPacket",
    "JournalEntry",
    "Material",
    "Notification",
    "OfficeProfile",
    "OutboxMessage",
    "ProcessStep",
    "Product",
    "Regency",
    "Umkm",
    "User",
    "WebAttempt",
    "WebSession",
    "table",
]


class Base(DeclarativeBase):
    """Declarative base of every sertiflow table."""


class Regency(Base):
    """A kabupaten or kota an office serves."""

    __tablename__ = "regency"
    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    seat: Mapped[str] = mapped_column(String(100))


class Umkm(Base):
    """A business the office assists (an UMKM or a cooperative), keyed by its NIB."""

    __tablename__ = "umkm"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    nib: Mapped[str] = mapped_column(String(13), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    owner_name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default="umkm")
    scale: Mapped[str] = mapped_column(String(16))
    regency_code: Mapped[str] = mapped_column(ForeignKey("regency.code"), index=True)
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(Text, default="")
    annual_turnover: Mapped[int | None] = mapped_column(BigInteger)
    production_sites: Mapped[int | None] = mapped_column(Integer)
    simple_process: Mapped[bool | None] = mapped_column(Boolean)
    products: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(8), default="id")  # of its emails: id | en
    # What it does (e.g. "rumah makan", "produsen keripik") and its KBLI 2020 code (5 digits):
    # the self-declare path refuses food service (KBLI 56xxx, restaurants, catering, ...).
    business_type: Mapped[str | None] = mapped_column(String(100))
    kbli: Mapped[str | None] = mapped_column(String(5))
    # Its postcode (kode pos, 5 digits; schema 0011): DJKI's form asks for the owner's full
    # address with province and postcode. None: not recorded (packets then read five digits
    # ending the address, or say how to set it).
    postcode: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class User(Base):
    """Someone who acts in sertiflow: an admin, a consultant, or a UMKM's own account."""

    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    email: Mapped[str | None] = mapped_column(String(254))
    field: Mapped[str | None] = mapped_column(String(32))  # a consultant's bidang
    umkm_id: Mapped[int | None] = mapped_column(ForeignKey("umkm.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # A consultant or admin who prefers one email a day to one email per notification.
    daily_digest: Mapped[bool] = mapped_column(Boolean, default=False)
    # The web login's argon2id hash (schema 0008); None: no web login. Never journalled as is:
    # the journal keeps its SHA-256 (``workflow.accounts``), so an edited hash is caught.
    password_hash: Mapped[str | None] = mapped_column(String(200))


class Evidence(Base):
    """A document in a UMKM's dossier, in the scope its kind belongs to (``workflow.evidence``).

    ``scope`` is ``""`` for the business's own documents (shared by all its applications),
    ``application:ID`` for one application's (``application_id`` is then that application), or
    ``mark:NAME`` for one mark's; one document of a kind per scope.
    """

    __tablename__ = "evidence"
    __table_args__ = (UniqueConstraint("umkm_id", "kind", "scope", name="uq_evidence_scope"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    umkm_id: Mapped[int] = mapped_column(ForeignKey("umkm.id"))
    kind: Mapped[str] = mapped_column(String(40))
    scope: Mapped[str] = mapped_column(String(220), default="", server_default="")
    application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id"))
    reference: Mapped[str] = mapped_column(String(300))
    valid_until: Mapped[date | None] = mapped_column(Date)
    signed_on: Mapped[date | None] = mapped_column(Date)  # schema 0009: a dated letter's date
    added_at: Mapped[datetime] = mapped_column(DateTime)
    added_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class Application(Base):
    """One certification application and where it stands.

    ``version`` is the optimistic lock: every transition updates ``WHERE version = :seen``.
    ``regency_code`` is the UMKM's, copied so the backlog groups without a join.
    ``audit_seq`` and ``audit_head`` are the length and last hash of the application's audit chain.
    """

    __tablename__ = "application"
    __table_args__ = (
        # Covers the backlog's GROUP BY, in its order: an index-only scan, no sort.
        Index(
            "ix_application_backlog",
            "phase",
            "process_key",
            "process_version",
            "state",
            "assignee_id",
            "regency_code",
            "deadline",
            "opened_at",
            "state_entered_at",
        ),
        # By deadline (schema 0012): a consultant's day and queue (``workflow.agenda``,
        # ``workflow.queries``) read their first rows in this order, and count a range of
        # deadlines, from the index alone (it holds what the day's sections test), however many
        # applications the consultant holds.
        # The phase after the deadline: the open undated are one short range, not a walk
        # through every closed application the consultant ever held.
        Index(
            "ix_application_assignee_due",
            "assignee_id",
            "deadline",
            "phase",
            "id",
            "process_key",
            "process_version",
            "state",
        ),
        # The same for the whole office: an admin's queue and every overdue application.
        Index("ix_application_due", "deadline", "phase", "id", "assignee_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    umkm_id: Mapped[int] = mapped_column(ForeignKey("umkm.id"), index=True)
    # Copied from the UMKM (kept in step by the import) so the backlog needs no join.
    regency_code: Mapped[str] = mapped_column(ForeignKey("regency.code"))
    process_key: Mapped[str] = mapped_column(String(40))
    process_version: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(40))
    phase: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    opened_at: Mapped[datetime] = mapped_column(DateTime)
    state_entered_at: Mapped[datetime] = mapped_column(DateTime)
    deadline: Mapped[date | None] = mapped_column(Date)
    flags: Mapped[str] = mapped_column(String(200), default="")
    title: Mapped[str] = mapped_column(String(300), default="")
    filed_on: Mapped[date | None] = mapped_column(Date)
    certificate_number: Mapped[str | None] = mapped_column(String(60))
    certificate_issued_on: Mapped[date | None] = mapped_column(Date)
    certificate_expires_on: Mapped[date | None] = mapped_column(Date)
    linked_from_id: Mapped[int | None] = mapped_column(ForeignKey("application.id"))
    # What the documents need that is particular to this application: the mark and its Nice
    # classes, the LPH or Pendamping PPH, the SNI standard, a refusal's reasons ...
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    audit_seq: Mapped[int] = mapped_column(Integer)
    audit_head: Mapped[str] = mapped_column(String(64))


class Product(Base):
    """A product of a UMKM, as listed in its halal and SNI documents."""

    __tablename__ = "umkm_product"
    __table_args__ = (UniqueConstraint("umkm_id", "position"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    umkm_id: Mapped[int] = mapped_column(ForeignKey("umkm.id"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # What BPJPH reviewers ask of each product (schema 0010); None when not given.
    brand: Mapped[str | None] = mapped_column(String(100))
    category: Mapped[str | None] = mapped_column(String(100))  # e.g. "Roti dan kue"
    kbli: Mapped[str | None] = mapped_column(String(5))  # KBLI 2020, five digits


class Material(Base):
    """A material a UMKM uses, with the evidence of its halal status."""

    __tablename__ = "umkm_material"
    __table_args__ = (UniqueConstraint("umkm_id", "position"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    umkm_id: Mapped[int] = mapped_column(ForeignKey("umkm.id"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(40))  # bahan baku | tambahan | penolong
    supplier: Mapped[str] = mapped_column(String(200), default="")
    halal_evidence: Mapped[str] = mapped_column(String(300), default="")
    # The halal certificate of a certified material and its last valid day (schema 0010).
    halal_certificate_number: Mapped[str | None] = mapped_column(String(60))
    halal_valid_until: Mapped[date | None] = mapped_column(Date)


class ProcessStep(Base):
    """One step of a UMKM's production process, in order."""

    __tablename__ = "umkm_process_step"
    __table_args__ = (UniqueConstraint("umkm_id", "position"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    umkm_id: Mapped[int] = mapped_column(ForeignKey("umkm.id"))
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text)


class _SignedIssue:
    """What a packet's and a document's verification record both hold.

    ``content_hash`` is the PDF's SHA-256, also its file name; ``signature`` is an HMAC over the
    record with the office's secret key; ``code`` is what the PDF prints and its QR code encodes.
    """

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    reference: Mapped[str] = mapped_column(String(60))
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"))
    state: Mapped[str] = mapped_column(String(40))
    lang: Mapped[str] = mapped_column(String(8))
    template_version: Mapped[str] = mapped_column(String(64))
    inputs_hash: Mapped[str] = mapped_column(String(64))
    content_hash: Mapped[str] = mapped_column(String(64))
    pages: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    issued_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    signature: Mapped[str] = mapped_column(String(64))


class IssuedPacket(_SignedIssue, Base):
    """A document packet sertiflow issued: where its PDF is, and its signed verification record.

    ``inputs_hash`` covers everything the packet was made from (context, template version,
    language): the same inputs give back the stored PDF.
    """

    __tablename__ = "issued_packet"
    __table_args__ = (
        Index("ix_issued_packet_inputs", "application_id", "state", "lang", "inputs_hash"),
        Index("ix_issued_packet_content", "content_hash"),  # doc verify looks files up by hash
    )


class IssuedDocument(_SignedIssue, Base):
    """One document of a packet, issued once and reused by later packets while it is unchanged.

    A product list, materials list or SJPH manual does not change between the packet that
    prepares an application and the one that submits it. ``inputs_hash`` is the SHA-256 of the
    document's HTML without its issue date, reference and verification code (``documents.
    render.Renderer.document_key``): the same key gives back the stored PDF under the same
    code, so a document's code resolves to it in every packet that carries it. ``state`` is the
    stage whose packet first carried it.
    """

    __tablename__ = "issued_document"
    __table_args__ = (
        Index("ix_issued_document_inputs", "application_id", "inputs_hash"),
        Index("ix_issued_document_content", "content_hash"),
    )
    document: Mapped[str] = mapped_column(String(60))


class AuditEntry(Base):
    """One step of an application's history; append-only, each row hashing the previous one.

    ``dwell_seconds`` is how long the application sat in ``from_state``: stored at write time so
    that the backlog's dwell statistics are an index scan, not a replay of the whole log.
    """

    __tablename__ = "audit_entry"
    __table_args__ = (
        UniqueConstraint("application_id", "seq"),
        Index("ix_audit_dwell", "process_key", "from_state", "dwell_seconds"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    actor_role: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(40))
    trigger: Mapped[str] = mapped_column(String(60))
    from_state: Mapped[str] = mapped_column(String(40))
    to_state: Mapped[str] = mapped_column(String(40))
    process_key: Mapped[str] = mapped_column(String(40))
    process_version: Mapped[int] = mapped_column(Integer)
    dwell_seconds: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class JournalEntry(Base):
    """One entry of the office journal: a single append-only chain across the whole office.

    It records each application step's new chain head (action ``step``) and every change to the
    office's directory (users, dossiers, imports, profiles, packets), each hashing the previous
    entry. No foreign keys: an entry outlives a row deleted behind sertiflow's back, which is
    how that deletion is found.
    """

    __tablename__ = "journal"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(80))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class OutboxMessage(Base):
    """An effect to deliver after commit (packet, email, notification, reminder): the durable queue.

    ``status`` is ``pending`` (waiting; ``available_at`` is the earliest it may run, later than
    now while it backs off), ``leased`` (a worker holds it until ``lease_until``; the token tells
    that worker's claim from a stale one), ``done`` (``result`` says what it did), ``failed`` (its
    retries ran out; ``last_error`` says why) or ``historical`` (an effect of imported or demo
    history, recorded but never sent). ``dedupe_key`` makes a sweep's reminder unique per deadline.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        # Claims read only the unfinished rows: the index's leading status keeps done history out.
        Index("ix_outbox_claim", "status", "available_at", "id"),
        Index("ix_outbox_application", "application_id", "audit_seq"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    audit_seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    available_at: Mapped[datetime] = mapped_column(DateTime)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime)
    lease_token: Mapped[str | None] = mapped_column(String(32))
    dispatched_at: Mapped[datetime | None] = mapped_column(DateTime)
    done_at: Mapped[datetime | None] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)


class Notification(Base):
    """An in-app notification for one user (the web app shows them; the digest emails them).

    ``outbox_id`` with ``user_id`` is unique: delivering the same outbox row twice notifies once.
    """

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("outbox_id", "user_id"),
        Index("ix_notification_user", "user_id", "read_at", "id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"))
    application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id"))
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    read_at: Mapped[datetime | None] = mapped_column(DateTime)
    emailed_at: Mapped[datetime | None] = mapped_column(DateTime)  # a retry skips who has it
    digested_at: Mapped[datetime | None] = mapped_column(DateTime)


class WebAttempt(Base):
    """A web request that counts against a limit (schema 0008): a failed login (``kind``
    ``login``, per username and per client address) or a verification lookup (``verify``, per
    address). Kept in the database so that every web worker sees the same count."""

    __tablename__ = "web_attempt"
    __table_args__ = (
        Index("ix_web_attempt_user", "kind", "username", "at"),
        Index("ix_web_attempt_client", "kind", "client", "at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    username: Mapped[str | None] = mapped_column(String(64))
    client: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime, index=True)


class WebSession(Base):
    """A signed-in web session (schema 0008). The cookie holds a random token; only its SHA-256
    is stored, so a copy of the database opens no session. Logging out deletes the row."""

    __tablename__ = "web_session"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    seen_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)


class OfficeProfile(Base):
    """One fact the office's letters print about it (schema 0009): the signatory's name,
    position and NIP, the parent agency, phone, email, postcode. Set by an admin; journalled
    whole as ``office:KEY``."""

    __tablename__ = "office_profile"
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="", server_default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class ApiToken(Base):
    """A bearer token of one user for the JSON API (schema 0009). Only its SHA-256 is stored;
    the token is shown once when it is made. A revoked token is kept, with when."""

    __tablename__ = "api_token"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    label: Mapped[str] = mapped_column(String(100), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


def table(model: type[Base]) -> Table:
    """The Core table behind ``model``, typed for insert/update/select statements."""
    return cast(Table, model.__table__)
