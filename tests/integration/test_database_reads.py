"""How reads end on PostgreSQL: a read-only transaction (``reading``) ends with COMMIT, so that
psycopg keeps the statements it prepared (its ROLLBACK forgets them all, and every page was
planned afresh); a transaction that may have written still ends with ROLLBACK."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import Connection, Engine, func, insert, select, text
from sqlalchemy.exc import DBAPIError

from workflow.persistence.database import connect, plan_once, reading, single_read
from workflow.persistence.schema import Regency, table

REGENCIES = table(Regency)


@pytest.fixture
def pg(pg_url: str) -> Iterator[Engine]:
    """The session's PostgreSQL database, on a pool of one connection."""
    engine = connect(pg_url, pool_size=1)
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE regency CASCADE"))
    yield engine
    engine.dispose()


def _prepared(engine: Engine) -> int:
    with reading(engine).begin() as conn:
        return int(conn.scalar(text("SELECT count(*) FROM pg_prepared_statements")) or 0)


def test_a_statement_read_again_and_again_is_prepared_once_and_kept(pg: Engine) -> None:
    counted = select(func.count()).select_from(REGENCIES).where(REGENCIES.c.code != "x")
    for _ in range(8):  # psycopg prepares a statement at its sixth run on a connection
        with reading(pg).connect() as conn:
            assert conn.scalar(counted) == 0
    assert _prepared(pg) >= 1
    # a failed read is rolled back, and the connection reused
    with pytest.raises(DBAPIError), reading(pg).connect() as conn:
        conn.execute(text("SELECT 1 / 0"))
    with reading(pg).connect() as conn:
        assert conn.scalar(counted) == 0


def test_a_transaction_that_may_write_is_still_rolled_back(pg: Engine) -> None:
    row = {
        "code": "81.01",
        "name": "Maluku Tenggara Barat",
        "kind": "kabupaten",
        "seat": "Saumlaki",
    }
    with pg.connect() as conn:  # closed without commit: nothing it wrote is kept
        conn.execute(insert(REGENCIES).values(**row))
    with pytest.raises(RuntimeError), pg.begin() as conn:
        conn.execute(insert(REGENCIES).values(**row))
        raise RuntimeError("the rest of the step failed")
    with reading(pg).connect() as conn:
        assert conn.scalar(select(func.count()).select_from(REGENCIES)) == 0
    with reading(pg).connect() as conn, pytest.raises(DBAPIError, match="read-only"):
        conn.execute(insert(REGENCIES).values(**row))


def test_a_single_read_sends_no_begin_and_leaves_the_connection_as_it_was(pg: Engine) -> None:
    """A session's lookup is one statement: run in autocommit, it costs one round trip
    instead of three; the pooled connection goes back to transactions for the next user."""
    row = {"code": "81.71", "name": "Kota Ambon", "kind": "kota", "seat": "Ambon"}
    with single_read(pg).connect() as conn:
        assert conn.scalar(select(func.count()).select_from(REGENCIES)) == 0
        assert _status(conn) is TransactionStatus.IDLE  # no transaction was opened
    with pg.connect() as conn:  # the pool's one connection again
        conn.execute(insert(REGENCIES).values(**row))
        assert _status(conn) is TransactionStatus.INTRANS
    with single_read(pg).connect() as conn:
        assert conn.scalar(select(func.count()).select_from(REGENCIES)) == 0  # rolled back


def _status(conn: Connection) -> TransactionStatus:
    return TransactionStatus(conn.connection.dbapi_connection.info.transaction_status)  # type: ignore[union-attr]


def test_plan_once_lasts_as_long_as_its_transaction(pg: Engine) -> None:
    """The day's reads are planned once (generic plans) within their transaction only: the
    pooled connection's next user plans as PostgreSQL chooses."""
    mode = text("SHOW plan_cache_mode")
    with reading(pg).connect() as conn:
        plan_once(conn)
        assert conn.scalar(mode) == "force_generic_plan"
    with reading(pg).connect() as conn:
        assert conn.scalar(mode) == "auto"
    with pg.begin() as conn:
        plan_once(conn)
    with pg.connect() as conn:
        assert conn.scalar(mode) == "auto"
