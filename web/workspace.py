"""What the consultant workspace shows, as plain values: an application's summary, its timeline
from the audit log, its stage's deadline, the triggers a user may fire with what blocks the
others, its packets and its dossier documents; the queue a user may list. (A user's
notifications are in ``web.notifications``.) Pages and the JSON API render the same values.

Everything is read through the engine's own queries (``workflow.queries``, ``Engine.options``,
``workflow.evidence.in_scope``, ``workflow.dates``); nothing here decides a rule. Who may see an
application is ``workflow.permissions.require_for_application``'s answer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Row, select

from documents.packets import PACKETS
from workflow.audit import DETAILS, MIGRATE, OPEN, REASSIGN
from workflow.calendar import WorkingCalendar
from workflow.dates import flags_of, state_deadline
from workflow.engine import Engine as Workflow
from workflow.errors import NotFound
from workflow.evidence import EVIDENCE_KINDS, EvidenceItem, application_mark, expired, in_scope
from workflow.ledger import REGENCIES, SELECT_APP, SELECT_EVIDENCE, USERS, Actor
from workflow.model import Phase, ProcessDefinition, Role
from workflow.permissions import require_for_application
from workflow.policy import Policy
from workflow.processes import ProcessRegistry
from workflow.queries import (
    ApplicationFilter,
    application_detail,
    history,
    list_applications,
)

__all__ = [
    "PER_PAGE",
    "ApplicationPage",
    "ApplicationSummary",
    "DeadlineView",
    "EvidenceView",
    "FieldView",
    "PacketLink",
    "QueuePage",
    "TimelineEntry",
    "TriggerView",
    "application_page",
    "application_summary",
    "consultants",
    "deadline_of",
    "evidence_of",
    "evidence_reference",
    "localised",
    "packets_of",
    "queue_page",
    "regencies",
    "stored_hash",
    "timeline",
    "trigger_views",
    "visible_application",
]

PER_PAGE = 50
"""Applications per page of the queue."""
_STEP_NAMES = {
    OPEN: ("Permohonan dibuka", "Application opened"),
    REASSIGN: ("Konsultan diganti", "Consultant reassigned"),
    DETAILS: ("Rincian diubah", "Details changed"),
    MIGRATE: ("Versi proses dipindah", "Process version migrated"),
}
_HASH_IN_REFERENCE = re.compile(r"sha256:([0-9a-f]{64})\b")


# --------------------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class ApplicationSummary:
    """An application at a glance, in one language."""

    id: int
    process_key: str
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
    consultant_name: str | None
    hint: str
    opened_at: datetime
    state_entered_at: datetime
    certificate_number: str | None
    certificate_expires_on: date | None


@dataclass(frozen=True, slots=True)
class DeadlineView:
    """The current stage's deadline: its date, working days left (negative when late), and
    whether the law or a service target sets it, with the rule and its source."""

    due: date | None
    working_days_left: int | None
    overdue: bool
    kind: str | None  # law | target
    basis: str | None  # law, practice, agreed, unconfirmed, configured
    rule: str  # "10 hk"
    source: str


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One audited step: who did what, when, from which state to which, with the note and the
    agency whose act it records."""

    seq: int
    at: datetime
    trigger: str
    label: str
    from_state: str
    from_label: str
    to_state: str
    to_label: str
    actor: str | None
    actor_role: str
    source: str
    note: str


@dataclass(frozen=True, slots=True)
class FieldView:
    """A value a trigger carries, as a form asks for it."""

    name: str
    label: str
    kind: str  # text | date
    required: bool
    pattern: str | None
    example: str
    default_today: bool


@dataclass(frozen=True, slots=True)
class TriggerView:
    """A trigger from the current state as one user sees it: whether their role and relation
    to the application allow it, and what blocks it now (the guards' own words)."""

    trigger: str
    label: str
    dest: str
    dest_label: str
    permitted: bool
    roles: tuple[str, ...]
    blocked_by: tuple[str, ...]
    fields: tuple[FieldView, ...]

    @property
    def ready(self) -> bool:
        """The user may fire it and nothing blocks it."""
        return self.permitted and not self.blocked_by


@dataclass(frozen=True, slots=True)
class PacketLink:
    """A packet issued for the application."""

    code: str
    state: str
    state_label: str
    lang: str
    issued_on: date
    pages: int
    size: int


@dataclass(frozen=True, slots=True)
class EvidenceView:
    """A dossier document that counts for the application."""

    kind: str
    name: str
    reference: str
    valid_until: date | None
    expired: bool
    content_hash: str | None  # set when the file was uploaded here


@dataclass(frozen=True)
class ApplicationPage:
    """Everything the application page shows."""

    summary: ApplicationSummary
    deadline: DeadlineView
    timeline: tuple[TimelineEntry, ...]
    triggers: tuple[TriggerView, ...]
    packets: tuple[PacketLink, ...]
    evidence: tuple[EvidenceView, ...]
    stage_has_packet: bool
    details: Mapping[str, str]


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue."""

    rows: tuple[dict[str, Any], ...]
    page: int
    has_next: bool
    criteria: ApplicationFilter


# --------------------------------------------------------------------------- one application


def visible_application(conn: Connection, actor: Actor, app_id: int, what: str) -> Row[Any]:
    """Application ``app_id`` if ``actor`` may ``what`` it (an admin, its assigned consultant,
    its business's UMKM user); ``NotFound`` or ``NotPermitted`` otherwise."""
    app = conn.execute(SELECT_APP, {"id": app_id}).first()
    if app is None:
        raise NotFound(f"no application #{app_id}")
    require_for_application(actor, app, what)
    return app


def _label(definition: ProcessDefinition, state: str, english: bool) -> str:
    found = definition.states.get(state)
    if found is None:
        return state
    return found.label_en if english else found.label


def application_summary(
    conn: Connection,
    registry: ProcessRegistry,
    app_id: int,
    today: date,
    calendar: WorkingCalendar,
    lang: str,
) -> ApplicationSummary:
    """Application ``app_id`` at a glance on ``today``, in ``lang``."""
    d = application_detail(conn, registry, app_id, today, calendar)
    definition = registry.get(d["process_key"], d["process_version"])
    state = definition.states[d["state"]]
    english = lang == "en"
    return ApplicationSummary(
        id=d["id"],
        process_key=d["process_key"],
        process_version=d["process_version"],
        process_title=definition.title_en if english else definition.title,
        title=d["title"] or "",
        state=d["state"],
        state_label=state.label_en if english else state.label,
        phase=d["phase"],
        court=d["court"],
        version=d["version"],
        nib=d["nib"],
        umkm_name=d["umkm_name"],
        regency=d["regency"],
        consultant=d["consultant"],
        consultant_name=d["consultant_name"],
        hint=(state.hint_en if english else state.hint),
        opened_at=d["opened_at"],
        state_entered_at=d["state_entered_at"],
        certificate_number=d["certificate_number"],
        certificate_expires_on=d["certificate_expires_on"],
    )


def deadline_of(
    definition: ProcessDefinition,
    app: Row[Any],
    policy: Policy,
    today: date,
    calendar: WorkingCalendar,
) -> DeadlineView:
    """The deadline of ``app``'s current stage, with its basis (law or service target): the
    rule of the state whose clock it runs on (lab testing keeps the LPH audit's)."""
    kept = definition.keeps_clock_of(app.state)
    state = definition.states[kept[0] if kept else app.state]
    spec = state_deadline(policy, definition.key, state, flags_of(app.flags))
    due: date | None = app.deadline
    pipeline = app.phase == Phase.PIPELINE.value
    return DeadlineView(
        due=due,
        working_days_left=calendar.working_days_between(today, due) if due else None,
        overdue=bool(due and due < today and pipeline),
        kind=None if spec is None or due is None else spec.kind,
        basis=None if spec is None or due is None else spec.basis,
        rule="" if spec is None or due is None else str(spec),
        source="" if spec is None or due is None else spec.source,
    )


def timeline(
    conn: Connection, definition: ProcessDefinition, app_id: int, lang: str
) -> tuple[TimelineEntry, ...]:
    """Every audited step of the application, oldest first."""
    english = lang == "en"
    entries = []
    for step in history(conn, app_id):
        trigger = step["trigger"]
        rule = definition.transition(trigger, step["from_state"] or "")
        if trigger in _STEP_NAMES:
            label = _STEP_NAMES[trigger][1 if english else 0]
        else:
            label = rule.label if rule is not None else trigger
        entries.append(
            TimelineEntry(
                seq=step["seq"],
                at=step["at"],
                trigger=trigger,
                label=label,
                from_state=step["from_state"] or "",
                from_label=_label(definition, step["from_state"] or "", english),
                to_state=step["to_state"],
                to_label=_label(definition, step["to_state"], english),
                actor=step["actor"],
                actor_role=step["actor_role"] or "",
                source=step["source"] or "",
                note=step["note"] or "",
            )
        )
    return tuple(entries)


def trigger_views(
    workflow: Workflow,
    definition: ProcessDefinition,
    state: str,
    app_id: int,
    username: str,
    lang: str = "id",
    conn: Connection | None = None,
) -> tuple[TriggerView, ...]:
    """The triggers from ``state``: who may fire each, its fields, and what blocks it, as the
    engine's ``options`` judges them for ``username`` (stage names in ``lang``; read on
    ``conn`` when given)."""
    views = []
    for option in workflow.options(app_id, username, conn):
        rule = definition.transition(option.trigger, state)
        if rule is None:  # the application moved between the two reads
            continue
        views.append(
            TriggerView(
                trigger=option.trigger,
                label=option.label,
                dest=option.dest,
                dest_label=_label(definition, option.dest, lang == "en"),
                permitted=option.permitted,
                roles=tuple(sorted(r.value for r in rule.roles)),
                blocked_by=option.blocked_by,
                fields=tuple(
                    FieldView(
                        f.name, f.label, f.kind, f.required, f.pattern, f.example, f.default_today
                    )
                    for f in rule.fields
                ),
            )
        )
    return tuple(views)


def packets_of(
    conn: Connection, definition: ProcessDefinition, app_id: int, lang: str
) -> tuple[PacketLink, ...]:
    """The application's packets, the latest of each stage and language, newest first."""
    query = (
        select(PACKETS)
        .where(PACKETS.c.application_id == app_id)
        .order_by(PACKETS.c.issued_on.desc(), PACKETS.c.id.desc())
    )
    found: list[PacketLink] = []
    for p in conn.execute(query).mappings():
        if any(x.state == p["state"] and x.lang == p["lang"] for x in found):
            continue
        found.append(
            PacketLink(
                p["code"],
                p["state"],
                _label(definition, p["state"], lang == "en"),
                p["lang"],
                p["issued_on"],
                p["pages"],
                p["size"],
            )
        )
    return tuple(found)


def stored_hash(reference: str) -> str | None:
    """The SHA-256 of the uploaded file a dossier reference names, if it names one."""
    found = _HASH_IN_REFERENCE.search(reference)
    return found.group(1) if found else None


def evidence_reference(filename: str, content_hash: str) -> str:
    """The dossier reference of a file uploaded as ``filename``: its name and its SHA-256."""
    return f"{filename[:200]} sha256:{content_hash}"


def evidence_of(
    conn: Connection, definition: ProcessDefinition, app: Row[Any], today: date, lang: str
) -> tuple[EvidenceView, ...]:
    """The dossier documents that count for ``app``, in the scopes the engine's guards read."""
    items = (
        EvidenceItem(r.kind, r.reference, r.valid_until, r.scope, r.application_id, r.process_key)
        for r in conn.execute(SELECT_EVIDENCE, {"umkm_id": app.umkm_id})
    )
    counting, _ = in_scope(items, app.id, application_mark(definition.key, app.details))
    english = lang == "en"
    return tuple(
        EvidenceView(
            item.kind,
            EVIDENCE_KINDS[item.kind].name_en if english else EVIDENCE_KINDS[item.kind].name,
            item.reference,
            item.valid_until,
            expired(item.valid_until, today),
            stored_hash(item.reference),
        )
        for item in sorted(counting.values(), key=lambda i: i.kind)
    )


def application_page(
    workflow: Workflow, conn: Connection, actor: Actor, app_id: int, lang: str
) -> ApplicationPage:
    """The application page of ``app_id`` for ``actor`` (refused as ``visible_application``
    refuses)."""
    app = visible_application(conn, actor, app_id, "open")
    definition = workflow.definition_of(app)
    today = workflow.today()
    return ApplicationPage(
        summary=application_summary(
            conn, workflow.registry, app_id, today, workflow.calendar, lang
        ),
        deadline=deadline_of(definition, app, workflow.policy, today, workflow.calendar),
        timeline=timeline(conn, definition, app_id, lang),
        triggers=trigger_views(workflow, definition, app.state, app_id, actor.username, lang, conn),
        packets=packets_of(conn, definition, app_id, lang),
        evidence=evidence_of(conn, definition, app, today, lang),
        stage_has_packet=bool(definition.states[app.state].documents),
        details=dict(app.details or {}),
    )


# --------------------------------------------------------------------------- lists


def localised(
    rows: list[dict[str, Any]], registry: ProcessRegistry, lang: str
) -> list[dict[str, Any]]:
    """Rows of ``workflow.queries``/``workflow.agenda`` with their process title and state
    label in ``lang`` (the queries give them in Indonesian)."""
    if lang != "en":
        return rows
    for row in rows:
        definition = registry.get(row["process_key"], row["process_version"])
        row["process_title"] = definition.title_en
        row["state_label"] = _label(definition, row["state"], True)
    return rows


def queue_page(
    conn: Connection,
    registry: ProcessRegistry,
    calendar: WorkingCalendar,
    actor: Actor,
    criteria: ApplicationFilter,
    page: int,
    today: date,
    per_page: int = PER_PAGE,
) -> QueuePage:
    """Page ``page`` (from 1) of the applications ``actor`` may list matching ``criteria``,
    nearest deadline first: a consultant's own only, whatever consultant they ask for; a UMKM
    user's own business's; an admin's any."""
    if actor.role is Role.CONSULTANT:
        criteria = replace(criteria, consultant=actor.username, nib=None)
    elif actor.role is Role.UMKM:
        from workflow.queries import seen_by

        criteria = seen_by(conn, actor, replace(criteria, nib=None))
    window = replace(criteria, limit=per_page + 1, offset=(page - 1) * per_page)
    rows = list_applications(conn, registry, window, today, calendar)
    return QueuePage(tuple(rows[:per_page]), page, len(rows) > per_page, criteria)


_REGENCIES = select(REGENCIES.c.code, REGENCIES.c.name).order_by(REGENCIES.c.name)
_CONSULTANTS = (
    select(USERS.c.username, USERS.c.full_name)
    .where(USERS.c.role == Role.CONSULTANT.value, USERS.c.active.is_(True))
    .order_by(USERS.c.full_name)
)


def regencies(conn: Connection) -> list[tuple[str, str]]:
    """The office's regencies: (code, name), by name."""
    return [(r.code, r.name) for r in conn.execute(_REGENCIES)]


def consultants(conn: Connection) -> list[tuple[str, str]]:
    """Active consultants: (username, full name), by name."""
    return [(r.username, r.full_name) for r in conn.execute(_CONSULTANTS)]
