"""What a worker process holds while it delivers effects: settings, database, engine, mailer.

Built once per process, after any fork (a Celery prefork child builds its own on its first task,
so no database connection is ever shared between processes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from workers.mail import Mailer, mailer_from_settings
from workflow.engine import Engine, utcnow
from workflow.persistence.database import connect
from workflow.settings import Settings
from workflow.status_link import make_status_token

__all__ = ["WorkerContext"]


@dataclass
class WorkerContext:
    """One process's view of the office, for the tasks it runs."""

    settings: Settings
    db: sa.Engine
    workflow: Engine
    mailer: Mailer
    clock: Callable[[], datetime] = field(default=utcnow)

    @classmethod
    def build(cls, settings: Settings, *, db: sa.Engine | None = None) -> WorkerContext:
        """Connect and wire from ``settings`` (or on an engine the caller already has)."""
        engine = db or connect(settings.database_url)
        workflow = Engine(engine, policy=settings.policy)
        return cls(settings, engine, workflow, mailer_from_settings(settings))

    def now(self) -> datetime:
        """The current time, naive UTC."""
        return self.clock()

    def local(self, moment: datetime) -> datetime:
        """A stored (naive UTC) time as the office's wall-clock time."""
        zone = ZoneInfo(self.settings.policy.timezone)
        return moment.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None)

    def today(self) -> date:
        """The office's date now."""
        return self.workflow.today(self.clock())

    def status_url(self, umkm_id: int) -> tuple[str, date]:
        """The signed link to the UMKM's status page, and the last day it opens it."""
        expires_on = self.today() + timedelta(days=self.settings.delivery.status_link_days)
        token = make_status_token(self.settings.secret_key.encode(), umkm_id, expires_on)
        return f"{self.settings.public_url}/status/{token}", expires_on

    def app_url(self, app_id: int) -> str:
        """The application's page in the consultants' workspace."""
        return f"{self.settings.public_url}/aplikasi/{app_id}"

    @property
    def mail_domain(self) -> str:
        """The domain of Message-IDs: the office's public host."""
        return urlsplit(self.settings.public_url).hostname or "sertiflow.local"

    def working_days_until(self, deadline: date | None) -> int | None:
        """Working days from today to ``deadline`` (negative when past), or None."""
        if deadline is None:
            return None
        return self.workflow.calendar.working_days_between(self.today(), deadline)
