"""The engine: opens applications and moves them, one audited, locked transaction per step.

A transition is one database transaction: read the application and the actor, check the trigger,
the role, the actor's relation to the application, the fields and the guards, then write through
``ledger.record`` (optimistic-locked update, chained audit row, outbox rows). Anything refused
raises a ``SertiflowError`` before a single row is written.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import Connection, Row, insert, select

from workflow import journal
from workflow.audit import DEADLINE, DETAILS, GENESIS, MIGRATE, OPEN, REASSIGN
from workflow.calendar import WorkingCalendar
from workflow.dates import DateRules, flags_of
from workflow.directory import fits, umkm_by_nib
from workflow.duplicates import IDENTITY_DETAILS, describe, duplicate_of, identity
from workflow.errors import (
    ConflictError,
    GuardRefused,
    InvalidInput,
    NotFound,
    NotPermitted,
    TriggerNotAllowed,
)
from workflow.evidence import EvidenceItem, application_mark, in_scope
from workflow.fields import parse_fields
from workflow.guards import GuardContext, RelatedApplication, UmkmProfile
from workflow.ledger import (
    APPLICATIONS,
    QUEUED,
    SELECT_APP,
    SELECT_APP_AND_ACTOR,
    SELECT_EVIDENCE,
    SELECT_RELATED,
    SELECT_UMKM,
    UMKM,
    Actor,
    Step,
    effect_kinds,
    record,
)
from workflow.machine import Firing, ProcessMachine
from workflow.model import Phase, ProcessDefinition, Role, Transition
from workflow.permissions import acting_user, require_admin
from workflow.persistence.database import reading
from workflow.policy import Policy
from workflow.processes import ProcessRegistry

__all__ = [
    "Actor",
    "DeadlineFilled",
    "Dispatch",
    "Engine",
    "TransitionResult",
    "TriggerOption",
    "utcnow",
]

_OPENED = frozenset({Role.UMKM, Role.CONSULTANT})
DETAIL_LENGTH = 4000
"""The longest detail value (refusal grounds and arguments are the long ones)."""
_log = logging.getLogger(__name__)

Dispatch = Callable[[Sequence[int]], None]
"""Hands committed outbox row ids to the workers (a Celery send); must not block for long."""


def utcnow() -> datetime:
    """The current time as naive UTC, as sertiflow stores it."""
    return datetime.now(UTC).replace(tzinfo=None)


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
class DeadlineFilled:
    """An application that had no deadline in a stage that now has one, and the one it gets."""

    application_id: int
    process_key: str
    state: str
    entered_on: date
    deadline: date


@dataclass(frozen=True, slots=True)
class TriggerOption:
    """A trigger from the application's current state, as one user sees it."""

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
        dispatch: Dispatch | None = None,
    ) -> None:
        self.db = db
        self.dispatch = dispatch
        self.registry = registry or ProcessRegistry()
        self.policy = policy or Policy()
        self.calendar = calendar or WorkingCalendar(self.policy.extra_closed_days)
        self.clock = clock
        self.dates = DateRules(self.policy, self.calendar)
        self._zone = ZoneInfo(self.policy.timezone)
        self._machines = {d.ident: ProcessMachine(d) for d in self.registry.all()}

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        """One write transaction; once it has committed, its outbox rows go to the workers.

        A dispatch that fails (broker down) loses nothing: the rows are committed as pending and
        the relay sends them later. So it is logged, never raised to the person who acted.
        """
        with journal.writing(self.db) as conn:
            conn.info.pop(QUEUED, None)  # left by a transaction that rolled back
            yield conn
            queued: list[int] = conn.info.pop(QUEUED, [])
        if queued and self.dispatch is not None:
            try:
                self.dispatch(queued)
            except Exception as error:  # the relay will send them; the step itself succeeded
                _log.warning("outbox rows %s left for the relay: %s", queued, error)

    # --------------------------------------------------------------------------- lookups
    def today(self, now: datetime | None = None) -> date:
        """The office's calendar date at ``now`` (naive UTC)."""
        moment = (now or self.clock()).replace(tzinfo=UTC)
        return moment.astimezone(self._zone).date()

    def actor(self, conn: Connection, username: str) -> Actor:
        """The active user ``username``."""
        return acting_user(conn, username)

    def application(self, conn: Connection, app_id: int) -> Row[Any]:
        """The application row ``app_id``."""
        row = conn.execute(SELECT_APP, {"id": app_id}).first()
        if row is None:
            raise NotFound(f"no application #{app_id}; see 'sertiflow app list'")
        return row

    def _actor_and_application(
        self, conn: Connection, username: str, app_id: int
    ) -> tuple[Actor, Row[Any]]:
        row = conn.execute(SELECT_APP_AND_ACTOR, {"id": app_id, "username": username}).first()
        if row is None or row.actor_id is None or not row.actor_active:
            actor = self.actor(conn, username)  # names the unknown user first
            return actor, self.application(conn, app_id)
        actor = Actor(row.actor_id, row.actor_username, Role(row.actor_role), row.actor_umkm_id)
        return actor, row

    def definition_of(self, app: Row[Any]) -> ProcessDefinition:
        """The process definition version the application was opened under."""
        return self.registry.get(app.process_key, app.process_version)

    # --------------------------------------------------------------------------- opening
    def open_application(
        self,
        nib: str,
        process_key: str,
        username: str,
        *,
        assignee: str | None = None,
        title: str = "",
        note: str = "",
        details: Mapping[str, str] | None = None,
    ) -> int:
        """Open a new application of ``process_key`` for the UMKM with ``nib``; its id."""
        definition = self.registry.get(process_key)
        fits(APPLICATIONS.c.title, title, "the title")
        with self._writing() as conn:
            actor = self.actor(conn, username)
            umkm = umkm_by_nib(conn, nib)
            if actor.role is Role.UMKM and actor.umkm_id != umkm.id:
                raise NotPermitted("a UMKM user may open applications only for its own business")
            assignee_id = self._assignee_id(conn, actor, assignee)
            owner = (umkm.id, umkm.regency_code)
            app_id = self._open(
                conn, definition, owner, actor, assignee_id, title, note, None, details
            )
            if details:
                self._write_details(conn, self.application(conn, app_id), actor, details, "")
            return app_id

    def _assignee_id(self, conn: Connection, actor: Actor, assignee: str | None) -> int | None:
        if assignee is None:
            return actor.id if actor.role is Role.CONSULTANT else None
        user = self.actor(conn, assignee)
        if user.role is not Role.CONSULTANT:
            raise InvalidInput(f"{assignee} is {user.role.value}; assign a consultant")
        return user.id

    def _open(
        self,
        conn: Connection,
        definition: ProcessDefinition,
        owner: tuple[int, str],
        actor: Actor,
        assignee_id: int | None,
        title: str,
        note: str,
        linked_from: int | None,
        details: Mapping[str, str] | None = None,
    ) -> int:
        umkm_id, regency_code = owner
        self._refuse_duplicate(conn, umkm_id, definition.key, details)
        now = self.clock()
        initial = definition.states[definition.initial]
        app_id: int = conn.execute(
            insert(APPLICATIONS).values(
                umkm_id=umkm_id,
                regency_code=regency_code,
                process_key=definition.key,
                process_version=definition.version,
                state="",
                phase=initial.phase.value,
                version=0,
                assignee_id=assignee_id,
                opened_at=now,
                state_entered_at=now,
                deadline=None,
                flags="",
                title=title,
                linked_from_id=linked_from,
                audit_seq=0,
                audit_head=GENESIS,
            )
        ).inserted_primary_key[0]  # type: ignore[index]
        data: dict[str, Any] = {"assignee_id": assignee_id, "linked_from": linked_from}
        step = Step(
            app_id,
            now,
            actor,
            actor.organisation,
            OPEN,
            "",
            initial.name,
            definition.key,
            definition.version,
            note=note,
            data=data,
        )
        deadline = self.dates.due(definition, initial, self.today(now), frozenset())
        changes = {"state": initial.name, "deadline": deadline}
        effects = effect_kinds(initial, _OPENED, assignee_id is not None)
        record(conn, self.application(conn, app_id), step, changes, effects)
        return app_id

    @staticmethod
    def _refuse_duplicate(
        conn: Connection,
        umkm_id: int,
        process_key: str,
        details: Mapping[str, Any] | None,
        besides: int | None = None,
    ) -> None:
        """Refuse an application that an open one of the business (open under any version of
        the process; ``besides`` excepted) already is: same mark and classes, same product and
        standard, same halal product scope (``workflow.duplicates``). On PostgreSQL the
        business's row is locked first, so two people opening the same mark at once get one
        application and one refusal (SQLite's writers are serialised already)."""
        conn.execute(select(UMKM.c.id).where(UMKM.c.id == umkm_id).with_for_update())
        query = select(APPLICATIONS.c.id, APPLICATIONS.c.details).where(
            APPLICATIONS.c.umkm_id == umkm_id,
            APPLICATIONS.c.process_key == process_key,
            APPLICATIONS.c.phase == Phase.PIPELINE.value,
        )
        if besides is not None:
            query = query.where(APPLICATIONS.c.id != besides)
        others = {row.id: row.details for row in conn.execute(query.order_by(APPLICATIONS.c.id))}
        existing = duplicate_of(process_key, details, others.items())
        if existing is not None:
            names = IDENTITY_DETAILS.get(process_key)
            other = (
                f"; to open another, give it a different {' or '.join(names)} ('--detail')"
                if names
                else ""
            )
            raise ConflictError(
                f"this UMKM already has open {process_key} application #{existing}"
                f"{describe(process_key, others[existing])}; advance or cancel it instead of "
                f"opening another{other}"
            )

    # --------------------------------------------------------------------------- advancing
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
        with self._writing() as conn:
            actor, app = self._actor_and_application(conn, username, app_id)
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
            context = self._guard_context(conn, app, definition, [rule], today)
            firing = Firing(app.state, replace(context, fields=values))
            if not self._machines[definition.ident].fire(firing, trigger):
                raise GuardRefused(
                    f"cannot {trigger} application #{app_id}: " + "; ".join(firing.refusals),
                    firing.refusals,
                )
            return self._move(conn, app, definition, rule, actor, values, note, now)

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
        self._check_actor(app, actor, rule)
        return rule

    @staticmethod
    def _check_actor(app: Row[Any], actor: Actor, rule: Transition) -> None:
        if actor.role not in rule.roles:
            roles = ", ".join(sorted(r.value for r in rule.roles))
            raise NotPermitted(
                f"{rule.trigger} may be done by: {roles}; {actor.username} is {actor.role.value}"
            )
        if actor.role is Role.UMKM and app.umkm_id != actor.umkm_id:
            raise NotPermitted(
                f"{actor.username} may act only on its own business's applications; "
                f"#{app.id} belongs to another UMKM"
            )
        if actor.role is Role.CONSULTANT and app.assignee_id != actor.id:
            raise NotPermitted(
                f"application #{app.id} is not assigned to {actor.username}; an admin can "
                "reassign it ('sertiflow app reassign')"
            )

    def _guard_context(
        self,
        conn: Connection,
        app: Row[Any],
        definition: ProcessDefinition,
        rules: list[Transition],
        today: date,
    ) -> GuardContext:
        """What the guards of ``rules`` read, each thing loaded once."""
        needs: set[str] = {"evidence"} if any(rule.requires for rule in rules) else set()
        for rule in rules:
            for guard in rule.guards:
                needs |= guard.needs
        umkm = None
        evidence: dict[str, EvidenceItem] = {}
        related: tuple[RelatedApplication, ...] = ()
        if "umkm" in needs:
            row = conn.execute(SELECT_UMKM, {"id": app.umkm_id}).one()
            umkm = UmkmProfile(
                row.id,
                row.nib,
                row.name,
                row.scale,
                row.annual_turnover,
                row.production_sites,
                row.simple_process,
                row.business_type,
                row.kbli,
            )
        mark = application_mark(definition.key, app.details)
        elsewhere: dict[str, tuple[EvidenceItem, ...]] = {}
        if "evidence" in needs:
            evidence, elsewhere = in_scope(
                (
                    EvidenceItem(
                        r.kind,
                        r.reference,
                        r.valid_until,
                        r.scope,
                        r.application_id,
                        r.process_key or "",
                        r.signed_on,
                    )
                    for r in conn.execute(SELECT_EVIDENCE, {"umkm_id": app.umkm_id})
                ),
                app.id,
                mark,
            )
        if "related" in needs:
            related = tuple(
                RelatedApplication(
                    r.id,
                    r.process_key,
                    r.state,
                    self.registry.get(r.process_key, r.process_version).states[r.state].tags,
                    r.filed_on,
                )
                for r in conn.execute(SELECT_RELATED, {"umkm_id": app.umkm_id, "id": app.id})
            )
        return GuardContext(
            today=today,
            process_key=definition.key,
            state=app.state,
            deadline=app.deadline,
            policy=self.policy,
            flags=flags_of(app.flags),
            umkm=umkm,
            evidence=evidence,
            related=related,
            certificate_expires_on=app.certificate_expires_on,
            application_id=app.id,
            mark=mark,
            elsewhere=elsewhere,
        )

    def _move(
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
        flags = flags_of(app.flags) | frozenset(rule.sets_flags)
        deadline = self.dates.next_deadline(
            definition,
            rule,
            app.deadline,
            self.today(now),
            flags,
            source=app.state,
            entered_on=self.today(app.state_entered_at),
        )
        changes = {
            "state": dest.name,
            "phase": dest.phase.value,
            "state_entered_at": now,
            "deadline": deadline,
            "flags": ",".join(sorted(flags)),
            **self.dates.certificate(definition, app, values),
        }
        step = Step(
            app.id,
            now,
            actor,
            rule.agency or actor.organisation,
            rule.trigger,
            app.state,
            dest.name,
            definition.key,
            definition.version,
            int((now - app.state_entered_at).total_seconds()),
            note,
            values,
        )
        effects = effect_kinds(dest, rule.notify, app.assignee_id is not None)
        seq = record(conn, app, step, changes, effects)
        opened = None
        if rule.opens is not None:
            opened = self._open(
                conn,
                self.registry.get(rule.opens),
                (app.umkm_id, app.regency_code),
                actor,
                app.assignee_id,
                app.title,
                f"opened by #{app.id} {rule.trigger}",
                app.id,
            )
            # What the UMKM already gave (Penyelia Halal, product scope ...) goes with it.
            carried = {
                key: value
                for key, value in (app.details or {}).items()
                if key in self.registry.get(rule.opens).details and value
            }
            if carried:
                self._write_details(
                    conn, self.application(conn, opened), actor, carried, f"from #{app.id}"
                )
        return TransitionResult(
            app.id, rule.trigger, app.state, dest.name, app.version + 1, deadline, seq, opened
        )

    # --------------------------------------------------------------------------- reading
    def options(
        self, app_id: int, username: str, conn: Connection | None = None
    ) -> list[TriggerOption]:
        """Every trigger from the application's state: may this user fire it, and what blocks
        it now (missing evidence, guards). Read on ``conn`` when the caller holds one: a
        request holding a connection while it waits for a second can exhaust the pool."""
        with nullcontext(conn) if conn is not None else reading(self.db).connect() as conn:
            actor, app = self._actor_and_application(conn, username, app_id)
            if actor.role is Role.UMKM and app.umkm_id != actor.umkm_id:
                raise NotPermitted(f"{username} may see only its own business's applications")
            definition = self.definition_of(app)
            today = self.today()
            rules = definition.transitions_from(app.state)
            context = self._guard_context(conn, app, definition, rules, today)
            machine = self._machines[definition.ident]
            options = []
            for rule in rules:
                try:
                    self._check_actor(app, actor, rule)
                    permitted = True
                except NotPermitted:
                    permitted = False
                firing = Firing(app.state, context)
                blocked = () if machine.would_fire(firing, rule.trigger) else firing.refusals
                options.append(
                    TriggerOption(
                        rule.trigger,
                        rule.label,
                        rule.dest,
                        permitted,
                        tuple(blocked),
                        tuple(f.name for f in rule.fields),
                    )
                )
            return options

    # --------------------------------------------------------------------------- administration
    def reassign(self, app_id: int, consultant: str, username: str, *, note: str = "") -> None:
        """Give application ``app_id`` to ``consultant`` (admins only); audited."""
        with journal.writing(self.db) as conn:
            actor = self._admin(conn, username, "reassign applications")
            app = self.application(conn, app_id)
            assignee_id = self._assignee_id(conn, actor, consultant)
            self._record_in_place(
                conn,
                app,
                actor,
                REASSIGN,
                {"assignee_id": assignee_id},
                note,
                {"from": app.assignee_id, "to": assignee_id},
            )

    def fill_deadlines(
        self, username: str, *, dry_run: bool = False, note: str = ""
    ) -> list[DeadlineFilled]:
        """Give every open application that waits in a stage without a deadline, where that
        stage has one now (a newer sertiflow, or a target the office set in
        ``SERTIFLOW_DEADLINES``), the deadline counted from the day it entered the stage; admins
        only, one audited ``@deadline`` step each. With ``dry_run`` nothing is written.

        A stage whose clock is kept from an earlier one (the Pendamping PPH's days run from the
        submission) is counted from the day the application entered it: never earlier than the
        law's date, so no application is made late by the upgrade alone."""
        with journal.writing(self.db) as conn:
            actor = self._admin(conn, username, "fill in deadlines")
            waiting = conn.execute(
                select(APPLICATIONS.c.id)
                .where(
                    APPLICATIONS.c.deadline.is_(None),
                    APPLICATIONS.c.phase == Phase.PIPELINE.value,
                )
                .order_by(APPLICATIONS.c.id)
            ).scalars()
            filled = []
            for app_id in list(waiting):
                app = self.application(conn, app_id)
                definition = self.definition_of(app)
                entered_on = self.today(app.state_entered_at)
                deadline = self.dates.due(
                    definition, definition.states[app.state], entered_on, flags_of(app.flags)
                )
                if deadline is None:
                    continue
                filled.append(
                    DeadlineFilled(app.id, app.process_key, app.state, entered_on, deadline)
                )
                if not dry_run:
                    self._record_in_place(
                        conn,
                        app,
                        actor,
                        DEADLINE,
                        {"deadline": deadline},
                        note,
                        {"entered_on": entered_on.isoformat(), "deadline": deadline.isoformat()},
                    )
            return filled

    def set_details(
        self, app_id: int, details: Mapping[str, str], username: str, *, note: str = ""
    ) -> dict[str, str]:
        """Record details the documents need (mark, Nice classes, LPH ...); an empty value
        removes one. The assigned consultant or an admin; audited. Returns all details."""
        with journal.writing(self.db) as conn:
            actor, app = self._actor_and_application(conn, username, app_id)
            if actor.role is Role.UMKM or (
                actor.role is Role.CONSULTANT and app.assignee_id != actor.id
            ):
                raise NotPermitted(
                    f"only the assigned consultant or an admin may change the "
                    f"details of application #{app_id}"
                )
            return self._write_details(conn, app, actor, details, note)

    def _write_details(
        self, conn: Connection, app: Row[Any], actor: Actor, details: Mapping[str, str], note: str
    ) -> dict[str, str]:
        bad = [key for key in details if not key.replace("_", "").isalnum() or len(key) > 40]
        if bad:
            raise InvalidInput(f"detail names are words of letters, digits and _: {bad}")
        definition = self.definition_of(app)
        unknown = sorted(set(details) - set(definition.details))
        if unknown:
            raise InvalidInput(
                f"{definition.key} applications have no detail {', '.join(unknown)}; "
                f"the details are: {', '.join(definition.details)}"
            )
        long = sorted(key for key, value in details.items() if len(value) > DETAIL_LENGTH)
        if long:
            raise InvalidInput(
                f"detail {', '.join(long)} is longer than {DETAIL_LENGTH:,} characters; "
                "shorten it, or keep the full text in the dossier"
            )
        merged = {**(app.details or {}), **{k: v.strip() for k, v in details.items()}}
        merged = {k: v for k, v in merged.items() if v}
        if app.phase == Phase.PIPELINE.value and identity(app.process_key, merged) != identity(
            app.process_key, app.details
        ):  # a changed mark, product or standard must not make it another's duplicate
            self._refuse_duplicate(conn, app.umkm_id, app.process_key, merged, besides=app.id)
        self._record_in_place(conn, app, actor, DETAILS, {"details": merged}, note, dict(details))
        return merged

    def migrate(self, app_id: int, to_version: int, username: str, *, note: str = "") -> None:
        """Move an in-flight application to another version of its process (admins only).

        Allowed only when its current state exists in the target version; audited.
        """
        with journal.writing(self.db) as conn:
            actor = self._admin(conn, username, "migrate applications")
            app = self.application(conn, app_id)
            target = self.registry.get(app.process_key, to_version)
            if to_version == app.process_version:
                raise InvalidInput(f"application #{app_id} is already on {target.ident}")
            if app.state not in target.states:
                raise InvalidInput(
                    f"{target.ident} has no state {app.state}; move the application to a state "
                    "both versions share first"
                )
            self._record_in_place(
                conn,
                app,
                actor,
                MIGRATE,
                {"process_version": to_version},
                note,
                {"from_version": app.process_version, "to_version": to_version},
            )

    def _record_in_place(
        self,
        conn: Connection,
        app: Row[Any],
        actor: Actor,
        trigger: str,
        changes: dict[str, Any],
        note: str,
        data: dict[str, Any],
    ) -> None:
        """Audit an administrative step that leaves the application in its state, and apply
        ``changes``; the step is recorded under the version the application ends up on."""
        version = changes.get("process_version", app.process_version)
        step = Step(
            app.id,
            self.clock(),
            actor,
            actor.organisation,
            trigger,
            app.state,
            app.state,
            app.process_key,
            version,
            note=note,
            data=data,
        )
        record(conn, app, step, changes, [])

    def _admin(self, conn: Connection, username: str, what: str) -> Actor:
        actor = self.actor(conn, username)
        require_admin(actor, what)
        return actor
