"""The engine: opens applications and moves them, one audited, locked transaction per step.

A transition is one database transaction: read the application and the actor, check the trigger,
the role, the actor's relation to the application, the fields and the guards, then update the
state ``WHERE version = :seen`` (optimistic lock), append the audit row that hashes the previous
one, and write the outbox rows for the effects, which the relay delivers after commit. Anything
refused raises a ``SertiflowError`` before a single row is written.

The statements are built once at import and executed with SQLAlchemy Core: the ORM would cost
several times more per transition for no gain on a write that touches three tables.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import Connection, Row, bindparam, insert, select, update

from workflow.audit import GENESIS, OPEN, entry_hash
from workflow.calendar import WorkingCalendar
from workflow.errors import (
    ConflictError,
    GuardRefused,
    InvalidInput,
    NotFound,
    NotPermitted,
    TriggerNotAllowed,
)
from workflow.fields import parse_fields
from workflow.guards import EvidenceItem, GuardContext, RelatedApplication, UmkmProfile
from workflow.machine import Firing, ProcessMachine
from workflow.model import ClockRule, Phase, ProcessDefinition, Role, State, Transition
from workflow.persistence.schema import (
    Application,
    AuditEntry,
    Evidence,
    OutboxMessage,
    Umkm,
    User,
    table,
)
from workflow.policy import Policy
from workflow.processes import ProcessRegistry

__all__ = ["Actor", "Engine", "TransitionResult", "TriggerOption", "utcnow"]

_app = table(Application)
_audit = table(AuditEntry)
_outbox = table(OutboxMessage)
_user = table(User)
_umkm = table(Umkm)
_evidence = table(Evidence)

_SELECT_USER = select(
    _user.c.id,
    _user.c.username,
    _user.c.full_name,
    _user.c.role,
    _user.c.umkm_id,
    _user.c.active,
).where(_user.c.username == bindparam("username"))
_SELECT_APP = select(_app).where(_app.c.id == bindparam("id"))
_SELECT_UMKM = select(
    _umkm.c.id,
    _umkm.c.nib,
    _umkm.c.name,
    _umkm.c.scale,
    _umkm.c.annual_turnover,
    _umkm.c.production_sites,
    _umkm.c.simple_process,
).where(_umkm.c.id == bindparam("id"))
_SELECT_EVIDENCE = select(_evidence.c.kind, _evidence.c.reference, _evidence.c.valid_until).where(
    _evidence.c.umkm_id == bindparam("umkm_id")
)
_SELECT_RELATED = select(
    _app.c.id, _app.c.process_key, _app.c.process_version, _app.c.state, _app.c.filed_on
).where(_app.c.umkm_id == bindparam("umkm_id"), _app.c.id != bindparam("id"))
_UPDATE_APP = (
    update(_app)
    .where(_app.c.id == bindparam("app_id"), _app.c.version == bindparam("seen_version"))
    .values(
        state=bindparam("state"),
        phase=bindparam("phase"),
        version=_app.c.version + 1,
        state_entered_at=bindparam("at"),
        deadline=bindparam("deadline"),
        flags=bindparam("flags"),
        filed_on=bindparam("filed_on"),
        certificate_number=bindparam("certificate_number"),
        certificate_issued_on=bindparam("certificate_issued_on"),
        certificate_expires_on=bindparam("certificate_expires_on"),
        audit_seq=bindparam("audit_seq"),
        audit_head=bindparam("audit_head"),
    )
)
_INSERT_AUDIT = insert(_audit)
_INSERT_OUTBOX = insert(_outbox)


def utcnow() -> datetime:
    """The current time as naive UTC, as sertiflow stores it."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True, slots=True)
class Actor:
    """The user a command acts as."""

    id: int
    username: str
    full_name: str
    role: Role
    umkm_id: int | None


@dataclass(frozen=True, slots=True)
class TransitionResult:
    """What a successful transition did."""

    application_id: int
    trigger: str
    from_state: str
    to_state: str
    version: int
    deadline: date | None
    audit_seq: int
    opened_application_id: int | None = None


@dataclass(frozen=True, slots=True)
class TriggerOption:
    """A trigger from the application's current state, as one user may see it."""

    trigger: str
    label: str
    dest: str
    permitted: bool
    blocked_by: tuple[str, ...]
    fields: tuple[str, ...]


class Engine:
    """Opens and advances applications against one database."""

    def __init__(
        self,
        db: sa.Engine,
        registry: ProcessRegistry | None = None,
        policy: Policy | None = None,
        calendar: WorkingCalendar | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.registry = registry or ProcessRegistry()
        self.policy = policy or Policy()
        self.calendar = calendar or WorkingCalendar(self.policy.extra_closed_days)
        self.clock = clock
        self._zone = ZoneInfo(self.policy.timezone)
        self._machines = {d.ident: ProcessMachine(d) for d in self.registry.all()}

    # ----------------------------------------------------------------------------- lookups
    def today(self, now: datetime | None = None) -> date:
        """The office's calendar date at ``now`` (naive UTC)."""
        moment = (now or self.clock()).replace(tzinfo=UTC)
        return moment.astimezone(self._zone).date()

    def actor(self, conn: Connection, username: str) -> Actor:
        """The active user ``username``."""
        row = conn.execute(_SELECT_USER, {"username": username}).first()
        if row is None or not row.active:
            raise NotFound(f"no active user {username!r}; see 'sertiflow user list'")
        return Actor(row.id, row.username, row.full_name, Role(row.role), row.umkm_id)

    def _application(self, conn: Connection, app_id: int) -> Row[Any]:
        row = conn.execute(_SELECT_APP, {"id": app_id}).first()
        if row is None:
            raise NotFound(f"no application #{app_id}; see 'sertiflow app list'")
        return row

    def definition_of(self, app: Row[Any]) -> ProcessDefinition:
        """The process definition version the application was opened under."""
        return self.registry.get(app.process_key, app.process_version)

    # ----------------------------------------------------------------------------- opening
    def open_application(
        self,
        nib: str,
        process_key: str,
        username: str,
        *,
        assignee: str | None = None,
        title: str = "",
        note: str = "",
    ) -> int:
        """Open a new application of ``process_key`` for the UMKM with ``nib``; its id."""
        definition = self.registry.get(process_key)
        with self.db.begin() as conn:
            actor = self.actor(conn, username)
            umkm = conn.execute(select(_umkm.c.id).where(_umkm.c.nib == nib)).first()
            if umkm is None:
                raise NotFound(f"no UMKM with NIB {nib}; import it first ('sertiflow import')")
            if actor.role is Role.UMKM and actor.umkm_id != umkm.id:
                raise NotPermitted("a UMKM user may open applications only for its own business")
            assignee_id = self._assignee_id(conn, actor, assignee)
            return self._open(conn, definition, umkm.id, actor, assignee_id, title, note, None)

    def _assignee_id(self, conn: Connection, actor: Actor, assignee: str | None) -> int | None:
        if assignee is None:
            return actor.id if actor.role is Role.CONSULTANT else None
        user = self.actor(conn, assignee)
        if user.role is not Role.CONSULTANT:
            raise InvalidInput(f"{assignee} is a {user.role.value}; assign a consultant")
        return user.id

    def _open(
        self,
        conn: Connection,
        definition: ProcessDefinition,
        umkm_id: int,
        actor: Actor,
        assignee_id: int | None,
        title: str,
        note: str,
        linked_from: int | None,
    ) -> int:
        pipeline_states = [n for n, s in definition.states.items() if s.phase is Phase.PIPELINE]
        existing = conn.execute(
            select(_app.c.id).where(
                _app.c.umkm_id == umkm_id,
                _app.c.process_key == definition.key,
                _app.c.state.in_(pipeline_states),
            )
        ).first()
        if existing is not None:
            raise ConflictError(
                f"this UMKM already has open {definition.key} application #{existing.id}; "
                "advance or cancel it instead of opening another"
            )
        now = self.clock()
        initial = definition.states[definition.initial]
        app_id: int = conn.execute(
            insert(_app).values(
                umkm_id=umkm_id,
                process_key=definition.key,
                process_version=definition.version,
                state=initial.name,
                phase=initial.phase.value,
                version=1,
                assignee_id=assignee_id,
                opened_at=now,
                state_entered_at=now,
                deadline=self._due(definition, initial, now, ""),
                flags="",
                title=title,
                linked_from_id=linked_from,
                audit_seq=0,
                audit_head=GENESIS,
            )
        ).inserted_primary_key[0]  # type: ignore[index]
        data: dict[str, Any] = {"assignee_id": assignee_id}
        if linked_from is not None:
            data["linked_from"] = linked_from
        entry = self._audit_entry(
            app_id,
            1,
            now,
            actor,
            "PLUT" if actor.role is not Role.UMKM else "UMKM",
            OPEN,
            "",
            initial.name,
            definition,
            0,
            note,
            data,
        )
        conn.execute(_INSERT_AUDIT, entry)
        conn.execute(
            update(_app).where(_app.c.id == app_id).values(audit_seq=1, audit_head=entry["hash"])
        )
        notify = frozenset({Role.UMKM, Role.CONSULTANT})
        self._write_outbox(conn, app_id, 1, OPEN, "", initial, assignee_id, notify, now)
        return app_id

    # ----------------------------------------------------------------------------- advancing
    def advance(
        self,
        app_id: int,
        trigger: str,
        username: str,
        *,
        note: str = "",
        fields: Mapping[str, str] | None = None,
        expected_version: int | None = None,
    ) -> TransitionResult:
        """Fire ``trigger`` on application ``app_id`` as ``username``; one transaction."""
        with self.db.begin() as conn:
            actor = self.actor(conn, username)
            app = self._application(conn, app_id)
            if expected_version is not None and app.version != expected_version:
                raise ConflictError(
                    f"application #{app_id} changed since you read it: it is at version "
                    f"{app.version} (you had {expected_version}) in state {app.state}; reload "
                    "it and try again"
                )
            definition = self.definition_of(app)
            rule = self._permitted_rule(definition, app, trigger, actor)
            now = self.clock()
            today = self.today(now)
            values = parse_fields(rule, fields or {}, today)
            firing = Firing(app.state, self._guard_context(conn, app, definition, rule, today))
            if not self._machines[definition.ident].fire(firing, trigger):
                raise GuardRefused(
                    f"cannot {trigger} application #{app_id}: " + "; ".join(firing.refusals),
                    firing.refusals,
                )
            return self._commit_move(conn, app, definition, rule, actor, values, note, now)

    def _permitted_rule(
        self, definition: ProcessDefinition, app: Row[Any], trigger: str, actor: Actor
    ) -> Transition:
        rule = definition.transition(trigger, app.state)
        if rule is None:
            allowed = [t.trigger for t in definition.transitions_from(app.state)]
            known = trigger in definition.triggers
            why = "is not possible from" if known else "is not a trigger of"
            where = f"state {app.state}" if known else f"process {definition.ident}"
            raise TriggerNotAllowed(
                f"{trigger} {why} {where}; allowed from {app.state}: "
                + (", ".join(allowed) if allowed else "nothing (the application is closed)")
            )
        if actor.role not in rule.roles:
            roles = ", ".join(sorted(r.value for r in rule.roles))
            raise NotPermitted(
                f"{trigger} may be done by: {roles}; {actor.username} is {actor.role.value}"
            )
        if actor.role is Role.UMKM and app.umkm_id != actor.umkm_id:
            raise NotPermitted(
                f"{actor.username} may act only on its own business's "
                f"applications; #{app.id} belongs to another UMKM"
            )
        if actor.role is Role.CONSULTANT and app.assignee_id != actor.id:
            raise NotPermitted(
                f"application #{app.id} is not assigned to {actor.username}; "
                "an admin can reassign it ('sertiflow app reassign')"
            )
        return rule

    def _guard_context(
        self,
        conn: Connection,
        app: Row[Any],
        definition: ProcessDefinition,
        rule: Transition,
        today: date,
    ) -> GuardContext:
        needs: set[str] = set()
        for guard in rule.guards:
            needs |= guard.needs
        if rule.requires:
            needs.add("evidence")
        umkm = evidence = related = None
        if "umkm" in needs:
            row = conn.execute(_SELECT_UMKM, {"id": app.umkm_id}).one()
            umkm = UmkmProfile(
                row.id,
                row.nib,
                row.name,
                row.scale,
                row.annual_turnover,
                row.production_sites,
                row.simple_process,
            )
        if "evidence" in needs:
            evidence = {
                r.kind: EvidenceItem(r.kind, r.reference, r.valid_until)
                for r in conn.execute(_SELECT_EVIDENCE, {"umkm_id": app.umkm_id})
            }
        if "related" in needs:
            related = tuple(
                RelatedApplication(
                    r.id,
                    r.process_key,
                    r.state,
                    self.registry.get(r.process_key, r.process_version).states[r.state].tags,
                    r.filed_on,
                )
                for r in conn.execute(_SELECT_RELATED, {"umkm_id": app.umkm_id, "id": app.id})
            )
        return GuardContext(
            today=today,
            process_key=definition.key,
            state=app.state,
            deadline=app.deadline,
            policy=self.policy,
            flags=_flags(app.flags),
            umkm=umkm,
            evidence=evidence or {},
            related=related or (),
            certificate_expires_on=app.certificate_expires_on,
        )

    def _commit_move(
        self,
        conn: Connection,
        app: Row[Any],
        definition: ProcessDefinition,
        rule: Transition,
        actor: Actor,
        values: Mapping[str, Any],
        note: str,
        now: datetime,
    ) -> TransitionResult:
        dest = definition.states[rule.dest]
        flags = _flags(app.flags) | frozenset(rule.sets_flags)
        flag_text = ",".join(sorted(flags))
        deadline = self._next_deadline(definition, rule, dest, app, now, flag_text)
        certificate = self._certificate(definition, app, values)
        seq = app.audit_seq + 1
        source = rule.agency or ("UMKM" if actor.role is Role.UMKM else "PLUT")
        dwell = int((now - app.state_entered_at).total_seconds())
        data = {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}
        entry = self._audit_entry(
            app.id,
            seq,
            now,
            actor,
            source,
            rule.trigger,
            app.state,
            dest.name,
            definition,
            dwell,
            note,
            data,
        )
        updated = conn.execute(
            _UPDATE_APP,
            {
                "app_id": app.id,
                "seen_version": app.version,
                "state": dest.name,
                "phase": dest.phase.value,
                "at": now,
                "deadline": deadline,
                "flags": flag_text,
                **certificate,
                "audit_seq": seq,
                "audit_head": entry["hash"],
            },
        )
        if updated.rowcount != 1:
            raise ConflictError(
                f"application #{app.id} was changed by someone else at the same moment; "
                "reload it and try again"
            )
        conn.execute(_INSERT_AUDIT, entry)
        self._write_outbox(
            conn, app.id, seq, rule.trigger, app.state, dest, app.assignee_id, rule.notify, now
        )
        opened = None
        if rule.opens is not None:
            opened = self._open(
                conn,
                self.registry.get(rule.opens),
                app.umkm_id,
                actor,
                app.assignee_id,
                app.title,
                f"opened by #{app.id} {rule.trigger}",
                app.id,
            )
        return TransitionResult(
            app.id, rule.trigger, app.state, dest.name, app.version + 1, deadline, seq, opened
        )

    def _due(
        self, definition: ProcessDefinition, state: State, now: datetime, flags: str
    ) -> date | None:
        spec, name = state.deadline, state.name
        for flag, variant in state.deadline_if:
            if flag in flags.split(","):
                spec, name = variant, f"{state.name}.{flag}"
                break
        spec = self.policy.deadline(definition.key, name, spec)
        return None if spec is None else self.calendar.due(self.today(now), spec)

    def _next_deadline(
        self,
        definition: ProcessDefinition,
        rule: Transition,
        dest: State,
        app: Row[Any],
        now: datetime,
        flags: str,
    ) -> date | None:
        if rule.clock is ClockRule.KEEP:
            return app.deadline  # type: ignore[no-any-return]
        if rule.clock is ClockRule.EXTEND:
            extension = self.policy.deadline(definition.key, rule.trigger, rule.extend_by)
            base = app.deadline or self.today(now)
            return base if extension is None else self.calendar.due(base, extension)
        return self._due(definition, dest, now, flags)

    def _certificate(
        self, definition: ProcessDefinition, app: Row[Any], values: Mapping[str, Any]
    ) -> dict[str, Any]:
        result = {
            "filed_on": values.get("filed_on", app.filed_on),
            "certificate_number": values.get("certificate_number", app.certificate_number),
            "certificate_issued_on": values.get("issued_on", app.certificate_issued_on),
            "certificate_expires_on": values.get("expires_on", app.certificate_expires_on),
        }
        if "certificate_number" in values and definition.certificate_expiry is not None:
            result["certificate_expires_on"] = definition.certificate_expiry(
                values["issued_on"], result["filed_on"], self.policy
            )
        return result

    @staticmethod
    def _audit_entry(
        app_id: int,
        seq: int,
        now: datetime,
        actor: Actor,
        source: str,
        trigger: str,
        from_state: str,
        to_state: str,
        definition: ProcessDefinition,
        dwell: int,
        note: str,
        data: Mapping[str, Any],
        prev_hash: str | None = None,
    ) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "application_id": app_id,
            "seq": seq,
            "at": now,
            "actor_id": actor.id,
            "actor_role": actor.role.value,
            "source": source,
            "trigger": trigger,
            "from_state": from_state,
            "to_state": to_state,
            "process_key": definition.key,
            "process_version": definition.version,
            "dwell_seconds": dwell,
            "note": note,
            "data": dict(data),
            "prev_hash": GENESIS if prev_hash is None else prev_hash,
        }
        entry["hash"] = entry_hash(entry["prev_hash"], entry)
        return entry

    @staticmethod
    def _write_outbox(
        conn: Connection,
        app_id: int,
        seq: int,
        trigger: str,
        source: str,
        dest: State,
        assignee_id: int | None,
        notify: frozenset[Role],
        now: datetime,
    ) -> None:
        base = {
            "application_id": app_id,
            "seq": seq,
            "trigger": trigger,
            "from": source,
            "to": dest.name,
        }
        kinds = []
        if dest.phase is not Phase.CLOSED:
            kinds.append("render_packet")
        if Role.UMKM in notify:
            kinds.append("email_umkm")
        if Role.CONSULTANT in notify and assignee_id is not None:
            kinds.append("notify_consultant")
        if Role.ADMIN in notify:
            kinds.append("notify_admins")
        conn.execute(
            _INSERT_OUTBOX,
            [
                {
                    "application_id": app_id,
                    "audit_seq": seq,
                    "kind": kind,
                    "payload": base,
                    "created_at": now,
                    "dispatched_at": None,
                    "attempts": 0,
                    "last_error": None,
                }
                for kind in kinds
            ],
        )


def _flags(text: str) -> frozenset[str]:
    return frozenset(flag for flag in text.split(",") if flag)
