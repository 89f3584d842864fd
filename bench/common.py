"""Helpers shared by the benchmarks: fresh databases, fast seeding, result tables, RSS.

Benchmarks are scripts, not tests: they print figures measured side by side in one run. Seeding
goes straight through SQLAlchemy Core bulk inserts (one ``executemany`` per chunk) so that a
benchmark of 100,000 applications spends its time on the thing measured, not on setting up.
Seeded applications look like ``Engine.open_application`` left them: state INTAKE, version 1, one
``@open`` audit row (so the hash chain verifies), assigned to the consultant ``rina``.
"""

from __future__ import annotations

import os
import platform
import secrets
import sqlite3
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from workflow.audit import GENESIS, OPEN, entry_hash
from workflow.calendar import WorkingCalendar
from workflow.model import Role
from workflow.persistence.database import connect
from workflow.persistence.migrate import upgrade
from workflow.persistence.schema import (
    Application,
    AuditEntry,
    Regency,
    Umkm,
    User,
    table,
)
from workflow.policy import Policy
from workflow.processes import HALAL_REGULAR
from workflow.regions import MALUKU_REGENCIES

__all__ = [
    "ADMIN",
    "CONSULTANT",
    "PG_ADMIN_URL",
    "BenchDB",
    "Seeded",
    "SeededApp",
    "fresh_database",
    "fresh_postgres",
    "fresh_sqlite",
    "print_table",
    "rss_mb",
    "seed",
    "versions",
]

PG_ADMIN_URL = os.environ.get(
    "SERTIFLOW_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
"""Where to CREATE and DROP the throw-away PostgreSQL databases (needs CREATEDB)."""

ADMIN = "admin"
CONSULTANT = "rina"
_CHUNK = 5_000
_OPENED_EFFECTS = ("render_packet", "email_umkm", "notify_consultant")


@dataclass(frozen=True, slots=True)
class BenchDB:
    """A fresh, migrated database: the SQLAlchemy engine and what a raw driver needs."""

    backend: str  # "sqlite" or "postgresql"
    engine: sa.Engine
    url: str
    sqlite_path: Path | None = None
    pg_conninfo: str | None = None


class SeededApp(NamedTuple):
    """What a floor benchmark needs to write a transition without reading the row first."""

    id: int
    umkm_id: int
    version: int
    audit_seq: int
    audit_head: str
    state_entered_at: datetime


@dataclass(frozen=True, slots=True)
class Seeded:
    """The seeded office: user ids and the applications (all in INTAKE, assigned to rina)."""

    admin_id: int
    consultant_id: int
    apps: list[SeededApp]


# ------------------------------------------------------------------------------- databases
@contextmanager
def fresh_sqlite() -> Iterator[BenchDB]:
    """A migrated SQLite file database in a temporary directory (WAL, BEGIN IMMEDIATE)."""
    with tempfile.TemporaryDirectory(prefix="sertiflow-bench-") as tmp:
        path = Path(tmp) / "bench.db"
        url = f"sqlite:///{path}"
        engine = connect(url)
        try:
            upgrade(engine)
            yield BenchDB("sqlite", engine, url, sqlite_path=path)
        finally:
            engine.dispose()


@contextmanager
def fresh_postgres(admin_url: str = PG_ADMIN_URL) -> Iterator[BenchDB]:
    """A migrated PostgreSQL database ``sertiflow_bench_<random>``, dropped (FORCE) at the end."""
    name = f"sertiflow_bench_{secrets.token_hex(4)}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        parsed = make_url(admin_url).set(database=name)
        url = parsed.render_as_string(hide_password=False)
        engine = connect(url)
        try:
            upgrade(engine)
            yield BenchDB("postgresql", engine, url, pg_conninfo=_conninfo(parsed))
        finally:
            engine.dispose()
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


@contextmanager
def fresh_database(backend: str) -> Iterator[BenchDB]:
    """A fresh database of ``backend`` ("sqlite" or "postgres")."""
    if backend == "sqlite":
        with fresh_sqlite() as db:
            yield db
    elif backend in ("postgres", "postgresql"):
        with fresh_postgres() as db:
            yield db
    else:
        raise ValueError(f"unknown backend {backend!r}; use sqlite or postgres")


def _conninfo(url: sa.URL) -> str:
    parts = {
        "host": url.host,
        "port": url.port,
        "user": url.username,
        "password": url.password,
        "dbname": url.database,
    }
    return " ".join(f"{k}={v}" for k, v in parts.items() if v is not None)


# ------------------------------------------------------------------------------- seeding
def seed(db: sa.Engine, n_apps: int, *, now: datetime | None = None) -> Seeded:
    """Regencies, ``n_apps`` UMKM with one halal_regular application each, admin and rina.

    The applications are what ``open_application`` would have written a day before ``now``:
    state INTAKE, version 1, one ``@open`` audit row chained from the genesis hash.
    """
    now = now or datetime.now(UTC).replace(tzinfo=None)
    opened = now - timedelta(days=1)
    definition = HALAL_REGULAR
    initial = definition.states[definition.initial]
    policy = Policy()
    spec = policy.deadline(definition.key, initial.name, initial.deadline)
    deadline: date | None = None if spec is None else WorkingCalendar().due(opened.date(), spec)
    umkm, users, apps, audit = table(Umkm), table(User), table(Application), table(AuditEntry)
    with db.begin() as conn:
        conn.execute(
            sa.insert(table(Regency)),
            [
                {"code": r.code, "name": r.name, "kind": r.kind, "seat": r.seat}
                for r in MALUKU_REGENCIES
            ],
        )
        admin_id = _insert_user(conn, users, ADMIN, "Admin PLUT", Role.ADMIN, None)
        consultant_id = _insert_user(
            conn, users, CONSULTANT, "Rina Latuconsina", Role.CONSULTANT, "produksi"
        )
        seeded: list[SeededApp] = []
        for start in range(1, n_apps + 1, _CHUNK):
            ids = range(start, min(start + _CHUNK, n_apps + 1))
            conn.execute(sa.insert(umkm), [_umkm_row(i, opened) for i in ids])
            audit_rows = [_open_audit_row(i, opened, consultant_id) for i in ids]
            conn.execute(
                sa.insert(apps),
                [
                    {
                        "id": i,
                        "umkm_id": i,
                        "regency_code": MALUKU_REGENCIES[i % len(MALUKU_REGENCIES)].code,
                        "process_key": definition.key,
                        "process_version": definition.version,
                        "state": initial.name,
                        "phase": initial.phase.value,
                        "version": 1,
                        "assignee_id": consultant_id,
                        "opened_at": opened,
                        "state_entered_at": opened,
                        "deadline": deadline,
                        "flags": "",
                        "title": "",
                        "filed_on": None,
                        "certificate_number": None,
                        "certificate_issued_on": None,
                        "certificate_expires_on": None,
                        "linked_from_id": None,
                        "audit_seq": 1,
                        "audit_head": row["hash"],
                    }
                    for i, row in zip(ids, audit_rows, strict=True)
                ],
            )
            conn.execute(sa.insert(audit), audit_rows)
            seeded.extend(
                SeededApp(i, i, 1, 1, row["hash"], opened)
                for i, row in zip(ids, audit_rows, strict=True)
            )
        if conn.dialect.name == "postgresql":  # explicit ids leave the sequences behind
            for name in ("umkm", "application"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                    f"(SELECT coalesce(max(id), 1) FROM {name}))"
                )
    return Seeded(admin_id, consultant_id, seeded)


def _insert_user(
    conn: sa.Connection, users: sa.Table, username: str, name: str, role: Role, field: str | None
) -> int:
    values = {
        "username": username,
        "full_name": name,
        "role": role.value,
        "email": f"{username}@plut.example.id",
        "field": field,
        "umkm_id": None,
        "active": True,
    }
    user_id: int = conn.execute(sa.insert(users).values(values)).inserted_primary_key[0]  # type: ignore[index]
    return user_id


def _umkm_row(i: int, at: datetime) -> dict[str, Any]:
    return {
        "id": i,
        "nib": f"{8120000000000 + i:013d}",
        "name": f"Usaha {i}",
        "owner_name": f"Pemilik {i}",
        "kind": "umkm",
        "scale": "mikro",
        "regency_code": MALUKU_REGENCIES[i % len(MALUKU_REGENCIES)].code,
        "email": f"umkm{i}@example.id",
        "phone": "+6281234567890",
        "address": "Jl. Pattimura 1, Ambon",
        "annual_turnover": 120_000_000,
        "production_sites": 1,
        "simple_process": True,
        "products": "Sagu lempeng",
        "created_at": at,
        "updated_at": at,
    }


def _open_audit_row(app_id: int, at: datetime, consultant_id: int) -> dict[str, Any]:
    row: dict[str, Any] = {
        "application_id": app_id,
        "seq": 1,
        "at": at,
        "actor_id": consultant_id,
        "actor_role": Role.CONSULTANT.value,
        "source": "PLUT",
        "trigger": OPEN,
        "from_state": "",
        "to_state": HALAL_REGULAR.initial,
        "process_key": HALAL_REGULAR.key,
        "process_version": HALAL_REGULAR.version,
        "dwell_seconds": 0,
        "note": "",
        "data": {"assignee_id": consultant_id, "linked_from": None},
        "prev_hash": GENESIS,
    }
    row["hash"] = entry_hash(GENESIS, row)
    return row


# ------------------------------------------------------------------------------- reporting
def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Print ``rows`` under ``headers``: text left-aligned, numbers right-aligned.

    A column is numeric when every cell is a number or blank (``""``); floats get two decimals
    below 100 and one above, ints get thousands separators.
    """
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [
        max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)
    ]
    numeric = [
        bool(rows) and all(_is_number(r[i]) or r[i] == "" for r in rows)
        for i in range(len(headers))
    ]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric, strict=True)
        ).rstrip()

    print(line(headers))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print(line(row))


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.1f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def rss_mb() -> float:
    """This process's resident set size in MB, from /proc/self/status (VmRSS)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status (not Linux?)")


def versions() -> dict[str, str]:
    """Python, platform and the library versions the figures depend on."""
    found = {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "sqlite": sqlite3.sqlite_version,
    }
    for dist in ("SQLAlchemy", "psycopg", "psycopg-binary", "transitions", "holidays"):
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return found
