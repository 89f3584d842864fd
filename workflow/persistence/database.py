"""Connecting to the database: SQLite (WAL, BEGIN IMMEDIATE) or PostgreSQL (psycopg 3).

SQLite: with a deferred BEGIN, a transaction that reads then writes fails "database is locked"
when another writer got there first (measured: 2,855 of 6,000 under two writer processes). The
SQLAlchemy-documented recipe takes the pysqlite driver's own transaction handling away and emits
``BEGIN IMMEDIATE``, so writers queue on the busy timeout instead of failing. Read-only work passes
``execution_options(readonly=True)`` and gets a plain deferred BEGIN, which never blocks a writer.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Connection, Engine, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, ProgrammingError

from workflow.errors import InvalidInput

__all__ = [
    "SCHEMA_REVISION",
    "connect",
    "database_url",
    "dialect_insert",
    "plan_once",
    "reading",
    "schema_revision",
    "single_read",
    "sqlite_file",
]

SCHEMA_REVISION = "0012"
"""The newest migration; a test checks it against Alembic's head."""


def connect(url: str, *, echo: bool = False, pool_size: int | None = None) -> Engine:
    """An engine for ``url`` (``sqlite:///path`` or ``postgresql+psycopg://...``); any other
    database, or a URL that is not one, is refused by name.

    ``pool_size``: the connections kept open, as many as the caller uses at once (SQLAlchemy's
    default is 5). Up to 10 more are opened when needed and closed when given back: under a
    steady load above the pool's size that is a new connection per request (on PostgreSQL a
    server process started each time)."""
    parsed = database_url(url)
    sized: dict[str, Any] = {} if pool_size is None else {"pool_size": pool_size}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"timeout": 60}, **sized)
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    engine = create_engine(url, echo=echo, pool_pre_ping=True, **sized)
    engine.dialect.do_rollback = _end_reading(engine.dialect.do_rollback)  # type: ignore[method-assign,assignment]
    return engine


def _end_reading(rollback: Callable[[Any], None]) -> Callable[[Any], None]:
    """PostgreSQL: end a read-only transaction (``reading``) with COMMIT, not ROLLBACK.

    psycopg forgets every statement it prepared on the connection at each ROLLBACK, and
    SQLAlchemy ends every read by rolling back: so nothing was ever prepared and PostgreSQL
    planned every statement of every page afresh (1 to 3 ms each for the day's counts and
    parts). A read-only transaction writes nothing, so its COMMIT is its ROLLBACK; one that
    failed is rolled back as before."""

    from psycopg.pq import TransactionStatus

    def end(connection: Any) -> None:  # the pool's proxy, or psycopg's own connection
        psycopg = getattr(connection, "dbapi_connection", connection)
        if psycopg.read_only and psycopg.info.transaction_status == TransactionStatus.INTRANS:
            psycopg.commit()
        else:
            rollback(connection)

    return end


def database_url(url: str) -> URL:
    """``url`` parsed, if it names SQLite or PostgreSQL; refused with what to write otherwise."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise InvalidInput(
            f"{url!r} is not a database URL; write sqlite:///var/sertiflow.db or "
            "postgresql+psycopg://user@host/dbname"
        ) from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise InvalidInput(
            f"sertiflow runs on SQLite or PostgreSQL, not {parsed.get_backend_name()}; write "
            "sqlite:///var/sertiflow.db or postgresql+psycopg://user@host/dbname"
        )
    return parsed


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names (None for PostgreSQL or an in-memory database)."""
    parsed = database_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def dialect_insert(conn: Connection | Engine) -> Any:
    """The ``insert`` of the connection's dialect, which has ``on_conflict_do_nothing`` and
    ``on_conflict_do_update`` (the same on SQLite and PostgreSQL)."""
    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


def reading(db: Engine) -> Engine:
    """The same database for work that only reads, in one consistent snapshot.

    SQLite: a deferred ``BEGIN``; in WAL mode a reader sees the database as of its first read
    and neither waits for writers nor holds them up (``BEGIN IMMEDIATE`` would take the write
    lock for the whole read). PostgreSQL: a ``REPEATABLE READ``, read-only transaction, so a
    long read such as ``audit verify`` sees every table as of one moment while the office works
    (under the default READ COMMITTED it saw an application's new state with an old chain).
    """
    if db.dialect.name == "sqlite":
        return db.execution_options(readonly=True)
    return db.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)


def single_read(db: Engine) -> Engine:
    """The same database for a read of one statement (a session's lookup on every page):
    PostgreSQL runs it on its own, in autocommit, without the BEGIN and COMMIT round trips
    (one statement sees one snapshot anyway); SQLite as ``reading``."""
    if db.dialect.name == "sqlite":
        return reading(db)
    return db.execution_options(isolation_level="AUTOCOMMIT")


def plan_once(conn: Connection) -> None:
    """PostgreSQL: plan the statements of ``conn``'s current transaction once, whatever values
    they are given (``plan_cache_mode = force_generic_plan`` until the transaction ends).

    For statements that read a range of an index in its order, such as a day's parts, whose
    plan is the same for any date or user: PostgreSQL otherwise replans them on every run
    (their plan for unknown values is estimated dearer than for the values at hand), which
    cost 0.8 to 1 ms per statement, more than running most of them. SQLite: nothing."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_generic_plan")


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")  # the busy timeout is connect()'s timeout=60
    cursor.close()


def _sqlite_on_begin(conn: Connection) -> None:
    if conn.get_execution_options().get("readonly"):
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def schema_revision(engine: Engine) -> str | None:
    """The migration the database is at, or None for a database sertiflow never set up."""
    try:
        with engine.connect() as conn:
            revision = conn.scalar(text("SELECT version_num FROM alembic_version"))
    except (OperationalError, ProgrammingError):
        return None
    return None if revision is None else str(revision)
