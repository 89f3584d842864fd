"""Building the running system from settings: database, engine, calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from workflow.engine import Dispatch, Engine
from workflow.errors import SertiflowError
from workflow.persistence.database import (
    SCHEMA_REVISION,
    connect,
    schema_revision,
    sqlite_file,
)
from workflow.settings import Settings

__all__ = ["NotInitialised", "Runtime"]


class NotInitialised(SertiflowError):
    """The database has no sertiflow schema yet, or an older one."""

    code = "not_initialised"


@dataclass
class Runtime:
    """Settings, the database and the workflow engine, wired once per command."""

    settings: Settings
    db: sa.Engine
    workflow: Engine

    @classmethod
    def build(cls, settings: Settings, *, check_schema: bool = True) -> Runtime:
        """Connect and wire; refuses a database that ``sertiflow init`` has not prepared (and
        never creates one: a mistyped SQLite path is named, not made)."""
        path = sqlite_file(settings.database_url)
        if check_schema and path is not None and not path.is_file():
            raise NotInitialised(
                f"there is no database file {path}; run 'sertiflow init' to create it, or "
                "check --db / SERTIFLOW_DATABASE_URL"
            )
        db = connect(settings.database_url)
        if check_schema and schema_revision(db) != SCHEMA_REVISION:
            raise NotInitialised(
                f"the database {db.url.render_as_string(hide_password=True)} is not "
                "initialised or not up to date; run 'sertiflow init'"
            )
        engine = Engine(db, policy=settings.policy)
        if settings.delivery.broker_url:  # effects go to Celery right after each commit
            engine.dispatch = _celery_dispatch(settings)
        return cls(settings, db, engine)

    def today(self) -> date:
        """The office's date now."""
        return self.workflow.today()


def _celery_dispatch(settings: Settings) -> Dispatch:
    """Sends to Celery from a background thread; Celery is imported on the first send, so a
    command that changes nothing does not pay for it."""
    from workers.dispatch import BackgroundDispatch

    def sender() -> Dispatch:
        from workers.app import Dispatcher, make_celery

        return Dispatcher(make_celery(settings)).batch

    return BackgroundDispatch(sender)
