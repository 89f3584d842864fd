"""Persistence: the schema, the database connection recipe, and Alembic migrations.

Alembic itself is imported only by ``workflow.persistence.migrate`` (setup commands), so that
everyday commands start fast.
"""

from workflow.persistence.database import SCHEMA_REVISION, connect, schema_revision

__all__ = ["SCHEMA_REVISION", "connect", "schema_revision"]
