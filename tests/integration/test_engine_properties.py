"""Property-based tests of the engine (SQLite): random trigger sequences never break invariants.

Each example gets a fresh UMKM, opens one application with every kind of document that counts for
it in the dossier (the business's, its own, its mark's) and fires a random sequence of (trigger,
actor, clock advance). One trigger in five is drawn from every trigger of the process, one in five
from those leaving the current state, and the rest from those leaving it for a state that is not
closed, so that sequences get deep into the process as well as hammering on the refusals.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, update

from tests.support import Office, app_row, audit_rows, snapshot, umkm_record
from workflow.audit import entry_hash, verify_chain
from workflow.directory import upsert_umkm
from workflow.errors import SertiflowError
from workflow.evidence import EVIDENCE_KINDS, MARK_DETAILS, Scope, wanted_scope
from workflow.model import Field, Phase, ProcessDefinition
from workflow.persistence.database import dialect_insert
from workflow.persistence.schema import (
    Application,
    AuditEntry,
    Evidence,
    OutboxMessage,
    Umkm,
    User,
    table,
)
from workflow.processes import ProcessRegistry

APPLICATIONS = table(Application)
AUDIT = table(AuditEntry)
OUTBOX = table(OutboxMessage)
EVIDENCE = table(Evidence)
UMKM = table(Umkm)
USERS = table(User)

REGISTRY = ProcessRegistry()
START = datetime(2026, 11, 2, 2, 0)
ACTORS = ("admin", "rina", "yosef", "ana")
ADVANCE_DAYS = (0, 0, 0, 1, 2, 5, 20, 70, 200)
_NIBS = itertools.count(1)
MARK = "MEREK UJI"
"""The mark every trademark and SNI application of these examples is about."""

PROPERTY_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


# --------------------------------------------------------------------------- helpers


def fresh_umkm(office: Office) -> str:
    """A new UMKM owned by 'ana'."""
    nib = f"813{next(_NIBS):010d}"
    with office.db.begin() as conn:
        upsert_umkm(conn, [umkm_record(nib, f"Usaha {nib}")], office.clock())
        umkm_id = conn.scalar(select(UMKM.c.id).where(UMKM.c.nib == nib))
        conn.execute(update(USERS).where(USERS.c.username == "ana").values(umkm_id=umkm_id))
    return nib


def open_with_dossier(office: Office, nib: str, process_key: str, assignee: str) -> int:
    """An application of ``process_key`` about the mark ``MARK`` where its process has one."""
    detail = MARK_DETAILS.get(process_key)
    app_id = office.workflow.open_application(
        nib, process_key, "admin", assignee=assignee, details={detail: MARK} if detail else None
    )
    fill_dossier(office, app_id)
    return app_id


def fill_dossier(office: Office, app_id: int) -> None:
    """Every kind of document (none expiring) that counts for application ``app_id``."""
    umkm_id = app_row(office, app_id)["umkm_id"]
    with office.db.begin() as conn:
        conn.execute(
            dialect_insert(conn)(EVIDENCE)
            .values(
                [
                    {
                        "umkm_id": umkm_id,
                        "kind": kind,
                        "scope": wanted_scope(kind, app_id, MARK),
                        "application_id": app_id if spec.scope is Scope.APPLICATION else None,
                        "reference": f"{kind}.pdf",
                        "valid_until": None,
                        # a letter signed in its filing's year: signed today
                        "signed_on": office.workflow.today() if spec.signed_in_year_of else None,
                        "added_at": office.clock(),
                        "added_by": None,
                    }
                    for kind, spec in EVIDENCE_KINDS.items()
                ]
            )
            .on_conflict_do_nothing()  # the business's own are there from its first application
        )


def valid_fields(
    definition: ProcessDefinition, state: str, trigger: str, today: date
) -> dict[str, str]:
    """Values the trigger accepts: the fields of its transition from ``state`` (or any)."""
    rule = definition.transition(trigger, state)
    specs: tuple[Field, ...] = ()
    if rule is not None:
        specs = rule.fields
    else:
        specs = next((t.fields for t in definition.transitions if t.trigger == trigger), ())
    values = {}
    for spec in specs:
        if spec.kind == "date":
            moment = today + timedelta(days=3650) if spec.allow_future else today
            values[spec.name] = moment.isoformat()
        else:
            values[spec.name] = spec.example
    return values


def replay(definition_of: Any, rows: list[dict[str, Any]]) -> str:
    """The state the audit log leads to, by firing its triggers through the definitions."""
    state = ""
    for row in rows:
        definition = definition_of(row["process_key"], row["process_version"])
        if row["trigger"] == "@open":
            state = definition.initial
        elif row["trigger"].startswith("@"):
            continue
        else:
            rule = definition.transition(row["trigger"], state)
            assert rule is not None, (row["trigger"], state)
            state = rule.dest
    return state


def assert_invariants(office: Office, app_id: int) -> None:
    app = app_row(office, app_id)
    definition = REGISTRY.get(app["process_key"], app["process_version"])
    assert app["state"] in definition.states
    state = definition.states[app["state"]]
    assert app["phase"] == state.phase.value
    if state.phase is Phase.CLOSED:
        assert app["deadline"] is None
    rows = audit_rows(office, app_id)
    assert verify_chain(app, rows, REGISTRY.get) == []
    assert replay(REGISTRY.get, rows) == app["state"]
    assert app["version"] == len(rows) == app["audit_seq"]


# --------------------------------------------------------------------------- properties


@pytest.mark.parametrize("process_key", REGISTRY.keys())
@PROPERTY_SETTINGS
@given(data=st.data())
def test_random_trigger_sequences_keep_every_invariant(
    office: Office, process_key: str, data: st.DataObject
) -> None:
    wf = office.workflow
    office.clock.now = START
    nib = fresh_umkm(office)
    assignee = data.draw(st.sampled_from(("rina", "yosef")), label="assignee")
    app_id = open_with_dossier(office, nib, process_key, assignee)
    touched = [app_id]
    steps = data.draw(st.integers(min_value=1, max_value=40), label="steps")
    for _ in range(steps):
        app = app_row(office, app_id)
        definition = REGISTRY.get(app["process_key"], app["process_version"])
        leaving = definition.transitions_from(app["state"])
        onward = [t for t in leaving if not definition.states[t.dest].final]
        pool = {
            "any": definition.triggers,
            "leaving": [t.trigger for t in leaving],
            "onward": [t.trigger for t in onward],
        }
        mode = data.draw(
            st.sampled_from(("any", "leaving", "onward", "onward", "onward")), label="mode"
        )
        trigger = data.draw(st.sampled_from(pool[mode] or definition.triggers), label="trigger")
        actor = data.draw(st.sampled_from(ACTORS), label="actor")
        office.clock.advance(days=data.draw(st.sampled_from(ADVANCE_DAYS), label="days"))
        fields = {}
        if data.draw(st.integers(0, 4), label="fields") > 0:  # mostly well-formed values
            fields = valid_fields(definition, app["state"], trigger, wf.today())

        before = snapshot(office)
        try:
            result = wf.advance(app_id, trigger, actor, fields=fields)
        except SertiflowError as error:
            assert error.code != "error"
            assert str(error)
            assert snapshot(office) == before
            continue
        after = app_row(office, app_id)
        assert (result.from_state, result.to_state) == (app["state"], after["state"])
        assert after["version"] == app["version"] + 1 == result.version
        assert after["deadline"] == result.deadline
        # The step's row, and the opened application's: its opening, and the details it took
        # over from this one when there were any (a certified SNI's recertification).
        opened_rows = 0
        if result.opened_application_id is not None:
            carried = bool(app_row(office, result.opened_application_id)["details"])
            opened_rows = 1 + carried
            assert len(audit_rows(office, result.opened_application_id)) == opened_rows
        assert snapshot(office)[1] == before[1] + 1 + opened_rows
        if result.opened_application_id is not None:
            assert app_row(office, result.opened_application_id)["linked_from_id"] == app_id
            app_id = result.opened_application_id  # follow the new application
            fill_dossier(office, app_id)
            touched.append(app_id)

    for touched_id in touched:
        assert_invariants(office, touched_id)
    event(f"ended in {app_row(office, app_id)['state']}")


# --------------------------------------------------------------------------- tampering


@pytest.fixture
def history(office: Office) -> Iterator[tuple[Office, int]]:
    """A trademark application with six audit rows (opened, its mark recorded, four steps)."""
    nib = fresh_umkm(office)
    app_id = office.workflow.open_application(nib, "trademark", "rina", details={"mark_name": MARK})
    fill_dossier(office, app_id)
    for trigger in ("start_document_preparation", "billing_paid_and_submitted"):
        office.workflow.advance(app_id, trigger, "rina")
    office.workflow.reassign(app_id, "yosef", "admin")
    office.clock.advance(days=1)  # FILED's and the exam's 15 days then end on different days
    office.workflow.advance(app_id, "formality_exam_started", "yosef")
    assert len(audit_rows(office, app_id)) == 6
    assert verify_chain(app_row(office, app_id), audit_rows(office, app_id), REGISTRY.get) == []
    yield office, app_id


def problems(office: Office, app_id: int) -> list[tuple[int | None, str]]:
    found = verify_chain(app_row(office, app_id), audit_rows(office, app_id), REGISTRY.get)
    assert all(p.application_id == app_id for p in found)
    return [(p.seq, p.problem) for p in found]


def test_editing_the_note_of_an_audit_row_is_detected(history: tuple[Office, int]) -> None:
    office, app_id = history
    with office.db.begin() as conn:
        conn.execute(
            update(AUDIT)
            .where(AUDIT.c.application_id == app_id, AUDIT.c.seq == 3)
            .values(note="dokumen lengkap")
        )
    assert problems(office, app_id) == [(3, "content does not match its hash: the row was edited")]


def test_deleting_a_middle_audit_row_is_detected(history: tuple[Office, int]) -> None:
    office, app_id = history
    with office.db.begin() as conn:
        conn.execute(delete(AUDIT).where(AUDIT.c.application_id == app_id, AUDIT.c.seq == 4))
    found = problems(office, app_id)
    assert (5, "expected entry 4, found 5: rows deleted or inserted") in found
    assert (5, "does not link to the previous entry") in found


def test_truncating_the_last_audit_row_is_detected(history: tuple[Office, int]) -> None:
    office, app_id = history
    with office.db.begin() as conn:
        conn.execute(delete(AUDIT).where(AUDIT.c.application_id == app_id, AUDIT.c.seq == 6))
    assert problems(office, app_id) == [
        (
            None,
            "chain ends at entry 5 but the application records 6 entries: the tail was removed "
            "or altered",
        ),
        (None, "replaying the log gives FILED, the application says FORMALITY_EXAM"),
        (
            None,
            "replaying the log gives version = 5, the application says 6: the row was edited "
            "outside sertiflow",
        ),
        (
            None,
            "replaying the log gives state_entered_at = '2026-11-02T02:00:00.000000', the "
            "application says '2026-11-03T02:00:00.000000': the row was edited outside sertiflow",
        ),
        (
            None,
            "replaying the log gives deadline = '2026-11-17', the application says "
            "'2026-11-18': the row was edited outside sertiflow",
        ),
    ]


def test_a_rewritten_and_rehashed_history_is_caught_by_the_replay(
    history: tuple[Office, int],
) -> None:
    office, app_id = history
    rows = audit_rows(office, app_id)
    rows[3]["to_state"] = "FORMALITY_EXAM"  # pretend the filing skipped a step
    rows[4]["from_state"] = rows[4]["to_state"] = "FORMALITY_EXAM"
    rows[5]["from_state"] = "FORMALITY_EXAM"
    prev = rows[0]["hash"]
    with office.db.begin() as conn:
        for row in rows[1:]:
            row["prev_hash"] = prev
            row["hash"] = prev = entry_hash(prev, row)
            conn.execute(update(AUDIT).where(AUDIT.c.id == row["id"]).values(**row))
        conn.execute(
            update(APPLICATIONS).where(APPLICATIONS.c.id == app_id).values(audit_head=prev)
        )
    found = problems(office, app_id)
    assert found
    assert all(seq is not None for seq, _ in found)  # links, hashes and head all agree
    assert (
        4,
        "billing_paid_and_submitted leads to FILED, the log says FORMALITY_EXAM",
    ) in found
