"""The JSON API's bodies: what each route answers and takes, as pydantic models, so that the
OpenAPI document (``/api/v1/openapi.json``) describes every response exactly.

Built from the workspace's view-models (``web.workspace``) and the engine's results; nothing
here decides a rule.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

__all__ = [
    "ApplicationDetail",
    "ApplicationItem",
    "ApplicationList",
    "BacklogFigures",
    "Conflict",
    "Deadline",
    "DwellFigure",
    "GroupFigure",
    "Packet",
    "Problem",
    "Refusal",
    "StateFigure",
    "TimelineStep",
    "TransitionDone",
    "TransitionRequest",
    "TriggerChoice",
    "Verification",
]


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


Moment = Annotated[datetime, AfterValidator(_utc)]
"""A moment in UTC, sent with its offset (``2026-11-02T02:00:00Z``): sertiflow stores naive
UTC, and RFC 3339's ``date-time`` needs the offset."""
NOTE_LENGTH = 2000
"""The longest note a transition takes (the workspace's form takes the same)."""


class Problem(BaseModel):
    """Why a request was refused (401, 403, 404, 429)."""

    detail: str


class Refusal(BaseModel):
    """422: the request was understood but refused: a guard's reasons in its own words, or
    what is wrong with the values sent."""

    detail: str
    reasons: list[str]


class Conflict(BaseModel):
    """409: the application is not where the caller thought: its current version and state."""

    detail: str
    version: int
    state: str


class ApplicationItem(BaseModel):
    """An application in a list."""

    id: int
    process: str
    process_version: int
    process_title: str
    title: str
    state: str
    state_label: str
    phase: str
    court: str
    version: int
    nib: str
    umkm_name: str
    regency: str
    consultant: str | None
    deadline: date | None
    working_days_left: int | None
    overdue: bool
    opened_at: Moment

    @classmethod
    def of(cls, row: dict[str, Any]) -> ApplicationItem:
        """From a row of ``workflow.queries.list_applications``."""
        return cls(
            id=row["id"],
            process=row["process_key"],
            process_version=row["process_version"],
            process_title=row["process_title"],
            title=row["title"] or "",
            state=row["state"],
            state_label=row["state_label"],
            phase=row["phase"],
            court=row["court"],
            version=row["version"],
            nib=row["nib"],
            umkm_name=row["umkm_name"],
            regency=row["regency"],
            consultant=row["consultant"],
            deadline=row["deadline"],
            working_days_left=row["working_days_left"],
            overdue=row["overdue"],
            opened_at=row["opened_at"],
        )


class ApplicationList(BaseModel):
    """One page of the applications the caller may list, nearest deadline first."""

    items: list[ApplicationItem]
    page: int
    per_page: int
    has_next: bool


class Deadline(BaseModel):
    """The current stage's deadline: its date, working days left (negative when late), and
    whether the law or a service target sets it."""

    due: date | None
    working_days_left: int | None
    overdue: bool
    kind: str | None
    basis: str | None
    rule: str
    source: str


class TimelineStep(BaseModel):
    """One audited step of the application."""

    seq: int
    at: Moment
    trigger: str
    label: str
    from_state: str
    to_state: str
    actor: str | None
    actor_role: str
    source: str
    note: str


class TriggerChoice(BaseModel):
    """A trigger from the current state: may the caller fire it, its fields, and what blocks
    it now (the guards' own words)."""

    trigger: str
    label: str
    dest: str
    permitted: bool
    roles: list[str]
    fields: list[str]
    blocked_by: list[str]


class Packet(BaseModel):
    """A packet issued for the application, downloadable at ``url``."""

    code: str
    state: str
    lang: str
    issued_on: date
    pages: int
    size: int
    url: str


class ApplicationDetail(BaseModel):
    """One application: where it stands, by when, how it got there and what can happen next."""

    id: int
    process: str
    process_version: int
    process_title: str
    title: str
    state: str
    state_label: str
    phase: str
    court: str
    version: int
    nib: str
    umkm_name: str
    regency: str
    consultant: str | None
    hint: str
    opened_at: Moment
    state_entered_at: Moment
    certificate_number: str | None
    certificate_expires_on: date | None
    deadline: Deadline
    timeline: list[TimelineStep]
    triggers: list[TriggerChoice]
    packets: list[Packet]


class TransitionRequest(BaseModel):
    """Fire ``trigger`` at the version the caller read, with its fields and a note."""

    model_config = ConfigDict(extra="forbid")

    trigger: str = Field(min_length=1, max_length=60)
    expected_version: int = Field(ge=0, le=2**31 - 1)
    fields: dict[str, str] = Field(default_factory=dict, max_length=20)
    note: str = Field(default="", max_length=NOTE_LENGTH)


class TransitionDone(BaseModel):
    """What a transition did: the application's new state, version and deadline."""

    application_id: int
    trigger: str
    from_state: str
    state: str
    version: int
    deadline: date | None
    opened_application_id: int | None


class StateFigure(BaseModel):
    """Open applications in one state of one process."""

    process: str
    state: str
    label: str
    court: str
    open: int
    overdue: int
    waiting_days: float
    deadline_kind: str | None
    overdue_law: int
    overdue_target: int


class GroupFigure(BaseModel):
    """Open and overdue applications of one consultant, regency or process."""

    key: str
    name: str
    open: int
    overdue: int
    overdue_law: int
    overdue_target: int


class DwellFigure(BaseModel):
    """How long applications stayed in one stage (finished stays and the wait so far)."""

    process: str
    state: str
    label: str
    court: str
    stays: int
    median_days: float
    p90_days: float
    total_days: float
    waiting_now_days: float
    held_days: float


class BacklogFigures(BaseModel):
    """The backlog, as ``sertiflow backlog`` and the admin dashboard show it."""

    as_of: Moment
    today: date
    open: int
    overdue: int
    overdue_law: int
    overdue_target: int
    age_buckets: dict[str, int]
    by_state: list[StateFigure]
    by_process: list[GroupFigure]
    by_consultant: list[GroupFigure]
    by_regency: list[GroupFigure]
    dwell: list[DwellFigure]
    heaviest_stage: DwellFigure | None
    waiting_days_by_court: dict[str, float]


class Verification(BaseModel):
    """What the signed record of a verification code says (``sertiflow doc verify CODE``)."""

    status: str
    message: str
    code: str | None
    application_id: int | None
    state: str | None
    issued_on: date | None
