"""The office's directory: regencies, UMKM (by NIB), users, and each UMKM's dossier of evidence."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from operator import attrgetter
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import Connection, Engine, Row, bindparam, delete, insert, select, update

from workflow import journal
from workflow.audit import plain
from workflow.errors import ConflictError, InvalidInput, NotFound
from workflow.evidence import (
    EVIDENCE_KINDS,
    MARK_DETAILS,
    EvidenceKind,
    Scope,
    application_mark,
    evidence_kind,
    evidence_subject,
    scope_for,
)
from workflow.facts import MaterialFacts, ProductFacts
from workflow.fields import EARLIEST, LATEST
from workflow.ledger import Actor
from workflow.model import Role
from workflow.permissions import (
    acting_user,
    require_admin,
    require_for_application,
    require_for_umkm,
)
from workflow.persistence.database import dialect_insert, reading
from workflow.persistence.schema import (
    Application,
    Evidence,
    Material,
    ProcessStep,
    Product,
    Regency,
    Umkm,
    User,
    table,
)
from workflow.processes import ProcessRegistry
from workflow.regions import Regency as RegionData
from workflow.umkm_record import UmkmRecord

__all__ = [
    "EMPTY_PROFILE",
    "EVIDENCE_IMAGE",
    "UMKM_FIELD_ALIASES",
    "UMKM_IMAGE",
    "USER_IMAGE",
    "UpsertCounts",
    "add_evidence",
    "add_user",
    "digest",
    "dossier",
    "ensure_regencies",
    "ensure_system_user",
    "fits",
    "has_users",
    "journal_row",
    "profile_digests",
    "record_import",
    "replace_profile",
    "set_user_contact",
    "umkm_by_nib",
    "umkm_digest",
    "umkm_id_by_nib",
    "update_umkm",
    "upsert_umkm",
]

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
CONSULTANT_FIELDS = ("it", "pemasaran", "sdm", "kelembagaan", "produksi", "pembiayaan", "jaringan")


@dataclass(frozen=True, slots=True)
class UpsertCounts:
    """How many UMKM an import created and updated."""

    created: int
    updated: int


def ensure_regencies(conn: Connection, regencies: Iterable[RegionData]) -> None:
    """Insert the office's regencies, leaving existing ones as they are."""
    rows = [{"code": r.code, "name": r.name, "kind": r.kind, "seat": r.seat} for r in regencies]
    if rows:
        conn.execute(dialect_insert(conn)(Regency).values(rows).on_conflict_do_nothing())


def upsert_umkm(
    conn: Connection,
    records: Sequence[UmkmRecord],
    now: datetime,
    *,
    keep: frozenset[str] = frozenset(),
) -> UpsertCounts:
    """Create or update UMKM by NIB: re-importing a file updates instead of duplicating.

    ``keep``: columns (of ``UMKM_IMAGE``) the records do not carry, such as those a registry
    file has no column for: a business already in the directory keeps what it has in them
    (a file without a "Kode Pos" column clears no postcode); a new one gets the records'."""
    if not records:
        return UpsertCounts(0, 0)
    if not keep <= _KEEPABLE:
        raise ValueError(f"upsert_umkm cannot keep {sorted(keep - _KEEPABLE)}")
    existing = _existing_nibs(conn, [r.nib for r in records])
    sql, named, stamp = _upsert_statement(conn, keep)
    moment = stamp(now)  # created_at and updated_at of every row: converted once
    values = [_RECORD_VALUES(r) for r in records]
    params: list[Any] = [(*row, moment, moment) for row in values]
    if named is not None:  # a driver that takes parameters by name (psycopg)
        params = [dict(zip(named, row, strict=True)) for row in params]
    conn.exec_driver_sql(sql, params)  # the driver's executemany: no per-row statement work
    moved = sorted(existing)  # a new UMKM has no applications yet
    for chunk in range(0, len(moved), 500):  # applications carry their UMKM's regency
        owners = select(Umkm.id).where(Umkm.nib.in_(moved[chunk : chunk + 500]))
        regency = select(Umkm.regency_code).where(Umkm.id == Application.umkm_id).scalar_subquery()
        conn.execute(
            update(Application)
            .where(Application.umkm_id.in_(owners), Application.regency_code != regency)
            .values(regency_code=regency)
        )
    journal.note(  # the caller's record_import says who: one entry a batch, not one a row
        conn,
        at=now,
        actor_id=None,
        action="umkm.set",
        subject="umkm",
        data={
            "digests": {
                row[0]: _digest_of(list(row)) for row in _stored(conn, values, keep, existing)
            }
        },
    )
    journal.flush(conn)  # now, not at commit: a large import keeps no digests in memory
    updated = len(existing)
    return UpsertCounts(len(records) - updated, updated)


def record_import(
    conn: Connection, actor: Actor, source: str, counts: UpsertCounts, at: datetime
) -> None:
    """Journal that ``actor`` imported the registry ``source`` (an admin's work; checked)."""
    require_admin(actor, "import registries")
    journal.note(
        conn,
        at=at,
        actor_id=actor.id,
        action="umkm.import",
        subject=f"registry:{source[:60]}",
        data={"created": counts.created, "updated": counts.updated},
    )


def umkm_by_nib(conn: Connection, nib: str) -> Row[int, str]:
    """The id and regency of the UMKM with ``nib``."""
    umkm = conn.execute(select(Umkm.id, Umkm.regency_code).where(Umkm.nib == nib)).first()
    if umkm is None:
        raise NotFound(f"no UMKM with NIB {nib}; import it first ('sertiflow import')")
    return umkm


def umkm_id_by_nib(conn: Connection, nib: str) -> int:
    """The id of the UMKM with ``nib``."""
    umkm_id: int = umkm_by_nib(conn, nib).id
    return umkm_id


UMKM_FIELD_ALIASES = {"regency": "regency_code", "turnover": "annual_turnover"}
"""Shorter names ``update_umkm`` also accepts for a field."""


def update_umkm(
    db: Engine,
    nib: str,
    changes: Mapping[str, str],
    *,
    acting: str,
    now: datetime,
    max_length: int = 1_000,
) -> dict[str, Any]:
    """Change fields of the business with ``nib`` (``field -> value`` as typed; every
    ``UMKM_IMAGE`` field but the NIB, which is its key), as ``acting``: an admin, a consultant
    assigned to one of its open applications, or its own UMKM user. Each value is checked and
    normalised as a registry import reads its cell (``max_length`` is the import's cell limit);
    an empty value clears an optional field. A new regency moves its applications with it, as an
    import does. Journalled with who did it and the row's new digest, so ``audit verify`` still
    vouches for it. Returns the fields that changed, with their new values: nothing is written
    when none did."""
    from workflow.umkm_import import parse_registry_field  # it imports this module

    editable = [c for c in UMKM_IMAGE if c != "nib"]
    fields: dict[str, str] = {}
    for name, value in changes.items():
        column = UMKM_FIELD_ALIASES.get(name, name)
        if column == "nib":
            raise InvalidInput(
                "the NIB is the business's key and cannot be changed; import the business "
                "under its new NIB instead"
            )
        if column not in editable:
            raise InvalidInput(f"unknown field {name!r}; fields: {', '.join(editable)}")
        if column in fields:
            raise InvalidInput(f"{column} is given twice; give each field once")
        if len(value) > max_length:
            raise InvalidInput(
                f"{column} is {len(value):,} characters long; at most {max_length:,} are "
                "accepted (as in an import): shorten it"
            )
        fields[column] = value
    if not fields:
        raise InvalidInput("nothing to change: give NAME=VALUE, e.g. annual_turnover=250000000")
    umkm = table(Umkm)
    with journal.writing(db) as conn:
        actor = acting_user(conn, acting)
        row = conn.execute(select(umkm).where(umkm.c.nib == nib)).mappings().first()
        if row is None:
            raise NotFound(f"no UMKM with NIB {nib!r}; see 'sertiflow umkm list'")
        require_for_umkm(conn, actor, row["id"], "change the business's record")
        regencies = [
            RegionData(r.code, r.name, r.kind, r.seat) for r in conn.execute(select(Regency))
        ]
        changed: dict[str, Any] = {}
        for column, text in fields.items():
            value = parse_registry_field(column, text, regencies)
            if isinstance(value, str):
                fits(umkm.c[column], value, column)
            if value != row[column]:
                changed[column] = value
        if not changed:
            return {}
        conn.execute(update(umkm).where(umkm.c.id == row["id"]).values(**changed, updated_at=now))
        if "regency_code" in changed:  # applications carry their UMKM's regency
            conn.execute(
                update(Application)
                .where(Application.umkm_id == row["id"])
                .values(regency_code=changed["regency_code"])
            )
        stored = conn.execute(select(umkm).where(umkm.c.id == row["id"])).mappings().one()
        journal.note(
            conn,
            at=now,
            actor_id=actor.id,
            action="umkm.update",
            subject=f"umkm:{nib}",
            data={"digests": {nib: umkm_digest(stored)}, "changed": sorted(changed)},
        )
    return changed


USER_IMAGE = ("username", "full_name", "role", "email", "field", "umkm_id", "active")
"""The user columns the journal records whole with every change, and ``audit verify`` compares."""
EVIDENCE_IMAGE = (
    "reference",
    "valid_until",
    "added_at",
    "added_by",
    "scope",
    "application_id",
    "signed_on",
)
"""The dossier document columns the journal records and ``audit verify`` compares (``scope``
and ``application_id`` since schema 0007, whose upgrade journals every document again;
``signed_on`` since 0009: an image recorded before it has none, which is what the column holds
for those documents)."""


UMKM_IMAGE = (
    "nib",
    "name",
    "owner_name",
    "kind",
    "scale",
    "regency_code",
    "email",
    "phone",
    "address",
    "annual_turnover",
    "production_sites",
    "simple_process",
    "products",
    "language",
    "business_type",
    "kbli",
    "postcode",
)
"""The UMKM columns whose digest the journal records with every import and ``audit verify``
compares: what a packet prints about the business, and what the self-declare guard reads."""
_UNTYPED = len(UMKM_IMAGE) - 3
"""The columns the digest covered before schema 0006 added ``business_type`` and ``kbli``."""
_PROFILE = (
    (table(Product), ("name", "description"), ("brand", "category", "kbli")),
    (
        table(Material),
        ("name", "category", "supplier", "halal_evidence"),
        ("halal_certificate_number", "halal_valid_until"),
    ),
    (table(ProcessStep), ("description",), ()),
)
"""Each profile table, the columns its digest covers, and those schema 0010 added: a row's
digest takes them only when it has any, so a profile without them digests as it did before."""


def digest(values: Any) -> str:
    """SHA-256 of ``values`` (nested lists of column values) as canonical JSON."""
    return hashlib.sha256(_ENCODE(values).encode()).hexdigest()


_CANONICAL = json.JSONEncoder(default=plain, ensure_ascii=False, separators=(",", ":"))
"""One encoder for every digest: ``json.dumps`` with these options builds one per call."""


def _canonical_encoder() -> Callable[[Any], str]:
    """``_CANONICAL.encode`` with the encoder it builds on every call built once: CPython's C
    encoder (``json.encoder.c_make_encoder``, undocumented; ``_CANONICAL.encode`` where it is
    missing) with ``_CANONICAL``'s options. It keeps no record of the lists it is inside of, to
    refuse a circular one (a digest is of nested lists of column values), so a value ``plain``
    leaves as it is, which that record caught, is refused by name (``TypeError``)."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # pragma: no cover - every CPython has it
        return _CANONICAL.encode
    canonical, strings = _CANONICAL, json.encoder
    encode = make(
        None,  # no markers: no check for circular lists
        _json_value,
        strings.encode_basestring_ascii if canonical.ensure_ascii else strings.encode_basestring,
        None,  # no indent
        canonical.key_separator,
        canonical.item_separator,
        canonical.sort_keys,
        canonical.skipkeys,
        canonical.allow_nan,
    )
    return lambda values: "".join(encode(values, 0))


def _json_value(value: Any) -> Any:
    """``plain(value)``, for the encoder to write; TypeError if JSON cannot hold it."""
    converted = plain(value)
    if converted is value:
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
    return converted


_ENCODE = _canonical_encoder()
"""``_CANONICAL.encode``, 2-3 times faster: an import digests every row it writes."""


def umkm_digest(row: Mapping[Any, Any]) -> str:
    """The digest of a UMKM row's ``UMKM_IMAGE`` columns. A row without a postcode digests as it
    did before schema 0011 added it, and one with neither business type nor KBLI either as it
    did before schema 0006 added them, so the journal's earlier digests hold; a row with any of
    them digests every column up to it, so setting, changing or clearing one shows."""
    return _digest_of([row[c] for c in UMKM_IMAGE])


def _digest_of(values: list[Any]) -> str:
    """``umkm_digest`` of the ``UMKM_IMAGE`` values in order (JSON's own types: no plain())."""
    if values[-1] is None:  # no postcode: the columns before schema 0011
        del values[-1]
        if values[-1] is None and values[-2] is None:  # nor type: those before schema 0006
            del values[_UNTYPED:]
    return digest(values)


_RECORD_VALUES = attrgetter(*UMKM_IMAGE)
"""A record's ``UMKM_IMAGE`` values in order: its fields carry the columns' names."""
_UPSERTS: dict[
    tuple[str, frozenset[str]], tuple[str, tuple[str, ...] | None, Callable[[datetime], Any]]
] = {}
_UPSERT_COLUMNS = (*UMKM_IMAGE, "created_at", "updated_at")


_KEEPABLE = frozenset(UMKM_IMAGE) - {"nib"}


def _stored(
    conn: Connection, values: list[tuple[Any, ...]], keep: frozenset[str], existing: set[str]
) -> list[tuple[Any, ...]]:
    """The ``UMKM_IMAGE`` values of the businesses just written, as stored: the records' own,
    but for the columns an update kept (read back, for the journal's digests)."""
    if not keep or not existing:
        return values
    image = [getattr(Umkm, column) for column in UMKM_IMAGE]
    kept = sorted(existing)
    stored: dict[str, tuple[Any, ...]] = {}
    for chunk in range(0, len(kept), _LOOKUP_SIZE):
        query = select(*image).where(Umkm.nib.in_(kept[chunk : chunk + _LOOKUP_SIZE]))
        stored.update((row[0], tuple(row)) for row in conn.execute(query))
    return [stored.get(row[0], row) for row in values]


def _upsert_statement(
    conn: Connection, keep: frozenset[str]
) -> tuple[str, tuple[str, ...] | None, Callable[[datetime], Any]]:
    """The dialect's upsert of a business by NIB as driver SQL, compiled once for each set of
    columns an update keeps: the SQL, the column names when the driver takes parameters by
    name (None: in ``_UPSERT_COLUMNS``' order), and what makes a timestamp a value the driver
    stores as SQLAlchemy would (SQLite keeps text). The other values go as they are: text,
    integers, booleans and None."""
    dialect = conn.dialect
    key = (dialect.name, keep)
    if key not in _UPSERTS:
        stmt = dialect_insert(conn)(Umkm).values({c: bindparam(c) for c in _UPSERT_COLUMNS})
        unchanged = {"nib", "created_at", *keep}
        changing = {c: stmt.excluded[c] for c in _UPSERT_COLUMNS if c not in unchanged}
        compiled = stmt.on_conflict_do_update(index_elements=["nib"], set_=changing).compile(
            dialect=dialect
        )
        if compiled.positional and tuple(compiled.positiontup or ()) != _UPSERT_COLUMNS:
            raise RuntimeError(f"the {dialect.name} upsert takes its parameters out of order")
        stamp_type = table(Umkm).c.created_at.type.dialect_impl(dialect)
        stamp = stamp_type.bind_processor(dialect) or (lambda moment: moment)
        named = None if compiled.positional else _UPSERT_COLUMNS
        _UPSERTS[key] = (str(compiled), named, stamp)
    return _UPSERTS[key]


_LOOKUP_SIZE = 500
"""NIBs a lookup of existing businesses takes: one driver statement of as many parameters."""
_LOOKUPS: dict[str, tuple[str, tuple[str, ...] | None]] = {}


def _existing_nibs(conn: Connection, nibs: Sequence[str]) -> set[str]:
    """Which of ``nibs`` the directory holds already, looked up ``_LOOKUP_SIZE`` at a time by
    driver SQL compiled once (``in_`` with a fresh list of values costs more than the query)."""
    dialect = conn.dialect
    if dialect.name not in _LOOKUPS:
        names = tuple(f"nib_{i}" for i in range(_LOOKUP_SIZE))
        query = select(Umkm.nib).where(Umkm.nib.in_([bindparam(name) for name in names]))
        compiled = query.compile(dialect=dialect)
        if compiled.positional and tuple(compiled.positiontup or ()) != names:
            raise RuntimeError(f"the {dialect.name} lookup takes its parameters out of order")
        _LOOKUPS[dialect.name] = (str(compiled), None if compiled.positional else names)
    sql, named = _LOOKUPS[dialect.name]
    found: set[str] = set()
    for start in range(0, len(nibs), _LOOKUP_SIZE):
        chunk = list(nibs[start : start + _LOOKUP_SIZE])
        chunk += chunk[:1] * (_LOOKUP_SIZE - len(chunk))  # a short chunk repeats a NIB: same IN
        params = tuple(chunk) if named is None else dict(zip(named, chunk, strict=True))
        found.update(conn.exec_driver_sql(sql, params).scalars())
    return found


EMPTY_PROFILE = digest([[], [], []])


def profile_digests(conn: Connection, umkm_id: int | None = None) -> dict[int, str]:
    """The digest of each business's products, materials and process steps, in order (of one
    business, or of every business that has any)."""
    parts: dict[int, list[list[list[Any]]]] = {}
    for position, (rows, columns, added) in enumerate(_PROFILE):
        query = select(rows.c.umkm_id, *(rows.c[c] for c in (*columns, *added))).order_by(
            rows.c.umkm_id, rows.c.position
        )
        if umkm_id is not None:
            query = query.where(rows.c.umkm_id == umkm_id)
        for row in conn.execute(query):
            lists = parts.setdefault(row[0], [[], [], []])
            values = row[1:]
            if all(v is None for v in values[len(columns) :]):
                values = values[: len(columns)]
            lists[position].append([plain(v) for v in values])
    return {owner: digest(lists) for owner, lists in parts.items()}


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def fits(column: Any, value: str | None, label: str) -> None:
    """Refuse ``value`` if it is longer than ``column`` holds (PostgreSQL refuses it, SQLite
    would silently store it)."""
    length = getattr(column.type, "length", None)
    if value is not None and length is not None and len(value) > length:
        raise InvalidInput(
            f"{label} is {len(value):,} characters long; at most {length:,} fit: shorten it"
        )


def journal_row(
    conn: Connection,
    model: Any,
    where: Any,
    columns: Sequence[str],
    subject: str,
    *,
    actor: Actor | None,
    action: str,
    at: datetime,
) -> None:
    """Record in the office journal the row of ``model`` matching ``where``, whole, as it now
    stands; ``actor`` None is sertiflow acting on its own."""
    row = conn.execute(select(*(getattr(model, c) for c in columns)).where(where)).mappings().one()
    journal.note(
        conn,
        at=at,
        actor_id=None if actor is None else actor.id,
        action=action,
        subject=subject,
        data={"image": {c: plain(row[c]) for c in columns}},
    )


def _journal_user(conn: Connection, user_id: int, actor: Actor | None, action: str) -> None:
    journal_row(
        conn,
        User,
        User.id == user_id,
        USER_IMAGE,
        f"user:{user_id}",
        actor=actor,
        action=action,
        at=_utcnow(),
    )


def add_user(
    db: Engine,
    username: str,
    full_name: str,
    role: Role,
    *,
    acting: str,
    email: str | None = None,
    field: str | None = None,
    umkm_nib: str | None = None,
) -> int:
    """Create a user, as the admin ``acting``; a UMKM user is tied to its business, a
    consultant has a field (bidang). Journalled."""
    if not _USERNAME.match(username):
        raise InvalidInput(f"username {username!r}: use 2-64 lowercase letters, digits, . _ -")
    if not full_name.strip():
        raise InvalidInput("give the user's full name (--name)")
    fits(User.full_name, full_name, "the name")
    if role is Role.CONSULTANT and field not in CONSULTANT_FIELDS:
        raise InvalidInput(f"a consultant needs a field, one of: {', '.join(CONSULTANT_FIELDS)}")
    if role is Role.UMKM and umkm_nib is None:
        raise InvalidInput("a UMKM user needs the NIB of its business (--nib)")
    email = _email(email)
    with journal.writing(db) as conn:
        actor = acting_user(conn, acting)
        require_admin(actor, "create users")
        if conn.scalar(select(User.id).where(User.username == username)) is not None:
            raise ConflictError(f"user {username!r} exists already")
        umkm_id = umkm_id_by_nib(conn, umkm_nib) if umkm_nib else None
        user_id: int = conn.execute(
            table(User)
            .insert()
            .values(
                username=username,
                full_name=full_name.strip(),
                role=role.value,
                email=email,
                field=field,
                umkm_id=umkm_id,
                active=True,
            )
        ).inserted_primary_key[0]  # type: ignore[index]
        _journal_user(conn, user_id, actor, "user.add")
    return user_id


def _email(address: str | None) -> str | None:
    """A deliverable-looking address, normalised; refused with the reason otherwise."""
    if address is None or not address.strip():
        return None
    fits(User.email, address.strip(), "the email address")
    try:
        return validate_email(address.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise InvalidInput(f"email {address!r} is not a valid address: {error}") from None


def set_user_contact(
    db: Engine,
    username: str,
    *,
    acting: str,
    email: str | None = None,
    daily_digest: bool | None = None,
) -> None:
    """Change a user's email address (an empty one removes it) or digest preference, as that
    user or an admin (``acting``). Journalled."""
    values: dict[str, Any] = {}
    if email is not None:
        values["email"] = _email(email)
    if daily_digest is not None:
        values["daily_digest"] = daily_digest
    if not values:
        raise InvalidInput("nothing to change: give --email or --daily-digest/--each-email")
    with journal.writing(db) as conn:
        actor = acting_user(conn, acting)
        if actor.username != username:
            require_admin(actor, "change another user's contact")
        user_id = conn.scalar(select(User.id).where(User.username == username))
        if user_id is None:
            raise NotFound(f"no user {username!r}; see 'sertiflow user list'")
        conn.execute(update(User).where(User.id == user_id).values(**values))
        _journal_user(conn, user_id, actor, "user.set")


def ensure_system_user(db: Engine, username: str) -> int:
    """The id of the account periodic sweeps act as (an admin without email or login), created
    if missing. A user of that name with another role, or deactivated, is refused: the sweeps
    would act under someone else's name, or an admin stopped them on purpose."""
    if not _USERNAME.match(username):
        raise InvalidInput(f"system user {username!r}: use 2-64 lowercase letters, digits, . _ -")
    query = select(User.id, User.role, User.active).where(User.username == username)
    with journal.writing(db) as conn:
        row = conn.execute(query).first()
        if row is None:  # looked up first: a PostgreSQL insert that conflicts burns an id
            # Two sweeps starting at once both try to create it: the second insert does nothing.
            created = conn.execute(
                dialect_insert(conn)(User)
                .values(
                    username=username,
                    full_name="sertiflow (otomatis)",
                    role=Role.ADMIN.value,
                    email=None,
                    field=None,
                    umkm_id=None,
                    active=True,
                    daily_digest=False,
                )
                .on_conflict_do_nothing(index_elements=["username"])
            )
            row = conn.execute(query).one()
            if created.rowcount:
                _journal_user(conn, row.id, None, "user.add")
    if row.role != Role.ADMIN.value:
        raise InvalidInput(
            f"user {username!r} is {row.role}; the sweeps act as an admin of that name: "
            "choose another SERTIFLOW_SYSTEM_USER"
        )
    if not row.active:
        raise InvalidInput(
            f"the system user {username!r} is deactivated, so the sweeps cannot act; "
            "reactivate it or choose another SERTIFLOW_SYSTEM_USER"
        )
    user_id: int = row.id
    return user_id


def add_evidence(
    db: Engine,
    nib: str,
    kind: str,
    reference: str,
    *,
    valid_until: date | None,
    acting: str,
    now: datetime,
    application_id: int | None = None,
    mark: str | None = None,
    signed_on: date | None = None,
    today: date | None = None,
) -> None:
    """Put a document into a UMKM's dossier, in its kind's scope (``workflow.evidence``),
    replacing an older one of the same kind and scope, as ``acting``. Journalled.

    A business's own document needs neither ``application_id`` nor ``mark``; one application's
    needs ``application_id``, and may be added by who may act for that application (an admin,
    its assigned consultant, the business's UMKM user); one mark's needs ``mark``, or the
    ``application_id`` of an application about the mark. The others may be added by an admin, a
    consultant assigned to one of the business's open applications, or its UMKM user.

    A letter that must be signed in the year of what it is for (``EvidenceKind
    .signed_in_year_of``) needs ``signed_on``, the date it was signed: not after ``today`` (the
    office's date; ``now``'s when not given).
    """
    evidence = evidence_kind(kind)  # an unknown kind is refused, naming the known ones
    reference = reference.strip()
    if not reference:
        raise InvalidInput("give a reference for the document (file name or number)")
    fits(Evidence.reference, reference, "the document's reference")
    if mark is not None:
        fits(Umkm.name, mark.strip(), "the mark's name")
    if valid_until is not None and not EARLIEST <= valid_until <= LATEST:
        raise InvalidInput(
            f"valid until {valid_until.isoformat()} is not a plausible date; "
            f"write one between {EARLIEST.year} and {LATEST.year}"
        )
    if evidence.scope is not Scope.MARK or application_id is None:
        scope_for(kind, application_id, mark)  # a missing or misplaced --app or --mark, first
    elif mark is not None:
        raise InvalidInput(f"give either --app or --mark for {kind}, not both")
    _check_signed_on(evidence, signed_on, today or now.date())
    with journal.writing(db) as conn:
        actor = acting_user(conn, acting)
        umkm_id = umkm_id_by_nib(conn, nib)
        linked = None
        if application_id is not None and evidence.scope is not Scope.UMKM:
            app = _application_for(conn, application_id, umkm_id, nib, kind)
            require_for_application(actor, app, "add documents to")
            if evidence.scope is Scope.APPLICATION:
                linked = application_id
            else:
                mark = application_mark(app.process_key, app.details)
                if mark is None:
                    detail = MARK_DETAILS.get(app.process_key, "mark_name")
                    raise InvalidInput(
                        f"{kind} ({evidence.name}) is for one mark, and application "
                        f"#{application_id} names none yet: set its {detail} ('sertiflow app "
                        f"details {application_id} {detail}=...') or give --mark NAME"
                    )
        else:
            require_for_umkm(conn, actor, umkm_id, "change the dossier")
        scope = scope_for(kind, application_id, mark)
        values = {
            "reference": reference,
            "valid_until": valid_until,
            "added_at": now,
            "added_by": actor.id,
            "application_id": linked,
            "signed_on": signed_on,
        }
        # One statement: two people adding the same kind at once both land, the later wins.
        conn.execute(
            dialect_insert(conn)(Evidence)
            .values(umkm_id=umkm_id, kind=kind, scope=scope, **values)
            .on_conflict_do_update(index_elements=["umkm_id", "kind", "scope"], set_=values)
        )
        journal_row(
            conn,
            Evidence,
            (Evidence.umkm_id == umkm_id) & (Evidence.kind == kind) & (Evidence.scope == scope),
            EVIDENCE_IMAGE,
            evidence_subject(umkm_id, kind, scope),
            actor=actor,
            action="evidence.set",
            at=now,
        )


def _check_signed_on(evidence: EvidenceKind, signed_on: date | None, today: date) -> None:
    """A dated letter comes with the date it was signed, a plausible one not after today."""
    if signed_on is None:
        if evidence.signed_in_year_of is not None:
            raise InvalidInput(
                f"{evidence.key} ({evidence.name}) must be signed in the year of the "
                f"{evidence.signed_in_year_of} it is for: give the date it was signed "
                "(--signed-on YYYY-MM-DD)"
            )
        return
    if signed_on > today:
        raise InvalidInput(
            f"signed on {signed_on.isoformat()} is after today ({today.isoformat()}); "
            "give the date written on the signed document"
        )
    if signed_on < EARLIEST:
        raise InvalidInput(
            f"signed on {signed_on.isoformat()} is not a plausible date; "
            f"write one between {EARLIEST.year} and today"
        )


def _application_for(
    conn: Connection, application_id: int, umkm_id: int, nib: str, kind: str
) -> Row[Any]:
    """Application ``application_id``, if it is the business's and its process asks for (or,
    for a mark's document, is about a mark that can use) documents of ``kind``."""
    app = conn.execute(
        select(
            Application.id,
            Application.umkm_id,
            Application.assignee_id,
            Application.process_key,
            Application.details,
        ).where(Application.id == application_id)
    ).first()
    if app is None:
        raise NotFound(f"no application #{application_id}; see 'sertiflow app list'")
    if app.umkm_id != umkm_id:
        raise InvalidInput(
            f"application #{application_id} is not of the business with NIB {nib}; "
            "give one of its own applications"
        )
    if EVIDENCE_KINDS[kind].scope is Scope.MARK:
        if app.process_key not in MARK_DETAILS:
            raise InvalidInput(
                f"{kind} is for a mark, and a {app.process_key} application is about none; "
                f"give --mark NAME or a {' or '.join(sorted(MARK_DETAILS))} application"
            )
    elif kind not in _asked_for(app.process_key):
        raise InvalidInput(
            f"a {app.process_key} application never asks for {kind} "
            f"({EVIDENCE_KINDS[kind].name}); give the application it proves"
        )
    return app


def _asked_for(process_key: str) -> frozenset[str]:
    """Every evidence kind a step of any version of ``process_key`` requires."""
    return frozenset(
        kind
        for definition in ProcessRegistry().all()
        if definition.key == process_key
        for transition in definition.transitions
        for kind in transition.requires
    )


def dossier(db: Engine, nib: str) -> list[dict[str, Any]]:
    """The documents in a UMKM's dossier, by kind and scope: ``scope`` is ``""`` for the
    business's own, ``application:ID`` (with ``application_id``) or ``mark:NAME``."""
    with reading(db).connect() as conn:
        umkm_id = umkm_id_by_nib(conn, nib)
        rows = conn.execute(
            select(
                Evidence.kind,
                Evidence.scope,
                Evidence.application_id,
                Application.process_key,
                Evidence.reference,
                Evidence.valid_until,
                Evidence.signed_on,
                Evidence.added_at,
            )
            .outerjoin(Application, Application.id == Evidence.application_id)
            .where(Evidence.umkm_id == umkm_id)
            .order_by(Evidence.kind, Evidence.scope)
        )
        return [dict(r._mapping) for r in rows]


def has_users(db: Engine, *, besides: str | None = None) -> bool:
    """True once anyone has been added (an office in use, or a loaded demo); ``besides`` names
    an account that does not count (the one the sweeps act as, which ``init`` creates)."""
    query = select(User.id).limit(1)
    if besides is not None:
        query = query.where(User.username != besides)
    with reading(db).connect() as conn:
        return conn.scalar(query) is not None


def replace_profile(
    conn: Connection,
    actor: Actor,
    umkm_id: int,
    products: Sequence[ProductFacts],
    materials: Sequence[MaterialFacts],
    steps: Sequence[str],
) -> None:
    """Make the UMKM's products, materials and process steps exactly these, in this order, as
    ``actor`` (who may change the business's dossier). Journalled on ``conn``, which must be a
    ``journal.writing`` transaction."""
    require_for_umkm(conn, actor, umkm_id, "change the profile")
    for product in products:
        fits(Product.name, product.name, f"product {product.name[:40]!r}'s name")
    for material in materials:
        fits(Material.name, material.name, f"material {material.name[:40]!r}'s name")
        fits(Material.category, material.category, f"material {material.name[:40]!r}'s category")
        fits(Material.supplier, material.supplier, f"material {material.name[:40]!r}'s supplier")
        fits(
            Material.halal_evidence,
            material.halal_evidence,
            f"material {material.name[:40]!r}'s halal evidence",
        )
        fits(
            Material.halal_certificate_number,
            material.certificate_number,
            f"material {material.name[:40]!r}'s halal certificate number",
        )
    for product in products:
        fits(Product.brand, product.brand, f"product {product.name[:40]!r}'s brand")
        fits(Product.category, product.category, f"product {product.name[:40]!r}'s category")
        if product.kbli and not (len(product.kbli) == 5 and product.kbli.isdigit()):
            raise InvalidInput(
                f"product {product.name[:40]!r}'s KBLI {product.kbli!r} is not a KBLI 2020 "
                "code: write its five digits, e.g. 10792"
            )
    for model in (Product, Material, ProcessStep):
        conn.execute(delete(model).where(model.umkm_id == umkm_id))
    if products:
        conn.execute(
            insert(Product),
            [
                {
                    "umkm_id": umkm_id,
                    "position": i,
                    "name": p.name,
                    "description": p.description,
                    "brand": p.brand or None,  # None: digests as before schema 0010
                    "category": p.category or None,
                    "kbli": p.kbli or None,
                }
                for i, p in enumerate(products, start=1)
            ],
        )
    if materials:
        conn.execute(
            insert(Material),
            [
                {
                    "umkm_id": umkm_id,
                    "position": i,
                    "name": m.name,
                    "category": m.category,
                    "supplier": m.supplier,
                    "halal_evidence": m.halal_evidence,
                    "halal_certificate_number": m.certificate_number or None,
                    "halal_valid_until": m.certificate_valid_until,
                }
                for i, m in enumerate(materials, start=1)
            ],
        )
    if steps:
        conn.execute(
            insert(ProcessStep),
            [
                {"umkm_id": umkm_id, "position": i, "description": step}
                for i, step in enumerate(steps, start=1)
            ],
        )
    journal.note(
        conn,
        at=_utcnow(),
        actor_id=actor.id,
        action="umkm.profile",
        subject=f"profile:{umkm_id}",
        data={
            "products": len(products),
            "materials": len(materials),
            "steps": len(steps),
            "digest": profile_digests(conn, umkm_id).get(umkm_id, EMPTY_PROFILE),
        },
    )
