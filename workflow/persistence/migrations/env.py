"""Alembic environment: runs on the connection sertiflow hands over (see ``migrate.upgrade``)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from workflow.persistence.schema import Base

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through workflow.persistence.migrate.upgrade()")
_run(connection)
