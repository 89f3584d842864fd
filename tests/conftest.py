"""Database fixtures: every integration test runs on SQLite and on PostgreSQL.

PostgreSQL is found at ``SERTIFLOW_TEST_PG`` (default: the local server, database ``test``). A
scratch database is created for the session (each pytest-xdist worker's own) and dropped
afterwards. When the server is missing the PostgreSQL tests are skipped on a developer's machine
and fail in CI (``CI=true``).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from tests.support import Clock, Office, seed_office
from workflow.persistence.database import connect
from workflow.persistence.migrate import upgrade
from workflow.persistence.schema import Base

PG_ADMIN_URL = os.environ.get(
    "SERTIFLOW_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(scope="session", autouse=True)
def _files_outside_the_checkout(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Emails and journal checkpoints that a test's settings do not place go to a scratch
    folder of the session, never into the checkout's ``var/`` (what ``make run`` uses): the
    ``sertiflow`` processes tests start inherit the environment."""
    scratch = tmp_path_factory.mktemp("var")
    os.environ.setdefault("SERTIFLOW_MAIL_DIR", str(scratch / "mail"))
    os.environ.setdefault("SERTIFLOW_CHECKPOINT_DIR", str(scratch / "checkpoints"))


def _service_missing(what: str, error: Exception) -> None:
    message = f"{what} is not reachable ({error.__class__.__name__}: {error})"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; CI needs it", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test session: under pytest-xdist, each
    worker is a session of its own, so each has its own database (the name says whose)."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")  # gw0, gw1, ... under xdist
    name = f"sertiflow_test_{worker}_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
            # A scratch database need not outlive a crash of the server: commits do not wait for
            # the disk (what each transaction sees, locks and isolation are unchanged).
            conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    except Exception as error:  # any failure means the server is unusable
        admin.dispose()
        _service_missing("PostgreSQL", error)
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    engine = connect(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_all(engine: Engine) -> None:
    names = ", ".join(f'"{t.name}"' for t in reversed(Base.metadata.sorted_tables))
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


def sqlite_db(path: Path) -> Engine:
    """A migrated SQLite database file at ``path``."""
    engine = connect(f"sqlite:///{path}")
    upgrade(engine)
    return engine


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty, migrated database: SQLite file, then PostgreSQL."""
    if request.param == "sqlite":
        engine = sqlite_db(tmp_path / "sertiflow.db")
    else:
        engine = connect(request.getfixturevalue("pg_url"))
        _truncate_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_only(tmp_path: Path) -> Iterator[Engine]:
    """An empty, migrated SQLite database, for tests about SQLite itself."""
    engine = sqlite_db(tmp_path / "sertiflow.db")
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def office(db: Engine, clock: Clock) -> Office:
    """A seeded office on each backend."""
    return seed_office(db, clock)


pytest_plugins = ["tests.services"]
