"""The office's directory: regencies, UMKM (by NIB), users, and each UMKM's dossier of evidence."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import Connection, Engine, Row, delete, insert, select, update

from workflow.errors import ConflictError, InvalidInput, NotFound
from workflow.evidence import evidence_kind
from workflow.facts import MaterialFacts, ProductFacts
from workflow.model import Role
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
from workflow.regions import Regency as RegionData

if TYPE_CHECKING:
    from workflow.umkm_import import UmkmRecord

__all__ = [
    "UpsertCounts",
    "add_evidence",
    "add_user",
    "dossier",
    "ensure_regencies",
    "ensure_system_user",
    "has_users",
    "replace_profile",
    "set_user_contact",
    "umkm_by_nib",
    "umkm_id_by_nib",
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


def upsert_umkm(conn: Connection, records: Sequence[UmkmRecord], now: datetime) -> UpsertCounts:
    """Create or update UMKM by NIB: re-importing a file updates instead of duplicating."""
    if not records:
        return UpsertCounts(0, 0)
    nibs = [r.nib for r in records]
    existing = set()
    for chunk in range(0, len(nibs), 500):
        existing |= set(
            conn.scalars(select(Umkm.nib).where(Umkm.nib.in_(nibs[chunk : chunk + 500])))
        )
    rows = [
        {
            "nib": r.nib,
            "name": r.name,
            "owner_name": r.owner_name,
            "kind": r.kind,
            "scale": r.scale,
            "regency_code": r.regency_code,
            "email": r.email,
            "phone": r.phone,
            "address": r.address,
            "annual_turnover": r.annual_turnover,
            "production_sites": r.production_sites,
            "simple_process": r.simple_process,
            "products": r.products,
            "language": r.language,
            "created_at": now,
            "updated_at": now,
        }
        for r in records
    ]
    stmt = dialect_insert(conn)(Umkm)
    changing = {c: stmt.excluded[c] for c in rows[0] if c not in ("nib", "created_at")}
    conn.execute(stmt.on_conflict_do_update(index_elements=["nib"], set_=changing), rows)
    for chunk in range(0, len(nibs), 500):  # applications carry their UMKM's regency
        owners = select(Umkm.id).where(Umkm.nib.in_(nibs[chunk : chunk + 500]))
        regency = select(Umkm.regency_code).where(Umkm.id == Application.umkm_id).scalar_subquery()
        conn.execute(
            update(Application)
            .where(Application.umkm_id.in_(owners), Application.regency_code != regency)
            .values(regency_code=regency)
        )
    updated = len(existing)
    return UpsertCounts(len(records) - updated, updated)


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


def add_user(
    db: Engine,
    username: str,
    full_name: str,
    role: Role,
    *,
    email: str | None = None,
    field: str | None = None,
    umkm_nib: str | None = None,
) -> int:
    """Create a user; a UMKM user is tied to its business, a consultant has a field (bidang)."""
    if not _USERNAME.match(username):
        raise InvalidInput(f"username {username!r}: use 2-64 lowercase letters, digits, . _ -")
    if role is Role.CONSULTANT and field not in CONSULTANT_FIELDS:
        raise InvalidInput(f"a consultant needs a field, one of: {', '.join(CONSULTANT_FIELDS)}")
    if role is Role.UMKM and umkm_nib is None:
        raise InvalidInput("a UMKM user needs the NIB of its business (--nib)")
    email = _email(email)
    with db.begin() as conn:
        if conn.scalar(select(User.id).where(User.username == username)) is not None:
            raise ConflictError(f"user {username!r} exists already")
        umkm_id = umkm_id_by_nib(conn, umkm_nib) if umkm_nib else None
        user_id: int = conn.execute(
            table(User)
            .insert()
            .values(
                username=username,
                full_name=full_name,
                role=role.value,
                email=email,
                field=field,
                umkm_id=umkm_id,
                active=True,
            )
        ).inserted_primary_key[0]  # type: ignore[index]
    return user_id


def _email(address: str | None) -> str | None:
    """A deliverable-looking address, normalised; refused with the reason otherwise."""
    if address is None or not address.strip():
        return None
    try:
        return validate_email(address.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise InvalidInput(f"email {address!r} is not a valid address: {error}") from None


def set_user_contact(
    db: Engine, username: str, *, email: str | None = None, daily_digest: bool | None = None
) -> None:
    """Change a user's email address (an empty one removes it) or digest preference."""
    values: dict[str, Any] = {}
    if email is not None:
        values["email"] = _email(email)
    if daily_digest is not None:
        values["daily_digest"] = daily_digest
    if not values:
        raise InvalidInput("nothing to change: give --email or --daily-digest/--each-email")
    with db.begin() as conn:
        if not conn.execute(
            update(User).where(User.username == username).values(**values)
        ).rowcount:
            raise NotFound(f"no user {username!r}; see 'sertiflow user list'")


def ensure_system_user(db: Engine, username: str) -> int:
    """The id of the account periodic sweeps act as (an admin without email or login), created
    if missing. A user of that name with another role, or deactivated, is refused: the sweeps
    would act under someone else's name, or an admin stopped them on purpose."""
    if not _USERNAME.match(username):
        raise InvalidInput(f"system user {username!r}: use 2-64 lowercase letters, digits, . _ -")
    query = select(User.id, User.role, User.active).where(User.username == username)
    with db.begin() as conn:
        row = conn.execute(query).first()
        if row is None:  # looked up first: a PostgreSQL insert that conflicts burns an id
            # Two sweeps starting at once both try to create it: the second insert does nothing.
            conn.execute(
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
    added_by: str | None,
    now: datetime,
) -> None:
    """Put a document into a UMKM's dossier, replacing an older one of the same kind."""
    evidence_kind(kind)  # an unknown kind is refused, naming the known ones
    if not reference.strip():
        raise InvalidInput("give a reference for the document (file name or number)")
    with db.begin() as conn:
        umkm_id = umkm_id_by_nib(conn, nib)
        user_id = None
        if added_by is not None:
            user_id = conn.scalar(select(User.id).where(User.username == added_by))
            if user_id is None:
                raise NotFound(f"no user {added_by!r}; see 'sertiflow user list'")
        values = {
            "reference": reference.strip(),
            "valid_until": valid_until,
            "added_at": now,
            "added_by": user_id,
        }
        # One statement: two people adding the same kind at once both land, the later wins.
        conn.execute(
            dialect_insert(conn)(Evidence)
            .values(umkm_id=umkm_id, kind=kind, **values)
            .on_conflict_do_update(index_elements=["umkm_id", "kind"], set_=values)
        )


def dossier(db: Engine, nib: str) -> list[dict[str, Any]]:
    """The documents in a UMKM's dossier, by kind."""
    with reading(db).connect() as conn:
        umkm_id = umkm_id_by_nib(conn, nib)
        rows = conn.execute(
            select(Evidence.kind, Evidence.reference, Evidence.valid_until, Evidence.added_at)
            .where(Evidence.umkm_id == umkm_id)
            .order_by(Evidence.kind)
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
    umkm_id: int,
    products: Sequence[ProductFacts],
    materials: Sequence[MaterialFacts],
    steps: Sequence[str],
) -> None:
    """Make the UMKM's products, materials and process steps exactly these, in this order."""
    for model in (Product, Material, ProcessStep):
        conn.execute(delete(model).where(model.umkm_id == umkm_id))
    if products:
        conn.execute(
            insert(Product),
            [
                {"umkm_id": umkm_id, "position": i, "name": p.name, "description": p.description}
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
