"""The day's sections as the database sorts and counts them (``workflow.agenda``), held to
the rule they stand for, written out here row by row, over hundreds of applications in every
state, with deadlines on each side of today and the week's end; and the query plans that keep
a consultant's day and queue reading an index instead of sorting every application they hold.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from tests.support import Clock, Office, seed_office
from workflow.agenda import SECTIONS, _statements, agenda
from workflow.ledger import APPLICATIONS, UMKM, Actor
from workflow.model import Court, Phase, Role
from workflow.permissions import acting_user
from workflow.persistence.database import reading
from workflow.processes import ProcessRegistry
from workflow.queries import ApplicationFilter, in_court, list_applications, week_end

_NOW = datetime(2026, 11, 2, 9, 0)


def _scatter(office: Office, rng: random.Random, count: int) -> None:
    """``count`` applications of the office's two businesses in random states, with deadlines
    from a month ago to a month ahead (today, this week's end and the undated among them),
    assigned to either consultant or to nobody."""
    registry = office.workflow.registry
    definitions = registry.all()
    today = office.workflow.today()
    edges = [today, today - timedelta(days=1), week_end(today, office.workflow.calendar)]
    with office.db.begin() as conn:
        businesses = conn.execute(sa.select(UMKM.c.id, UMKM.c.regency_code)).all()
        people = [
            conn.scalar(sa.text("SELECT id FROM app_user WHERE username = :u"), {"u": name})
            for name in (office.consultant, office.other_consultant)
        ]
        start = conn.scalar(sa.select(sa.func.coalesce(sa.func.max(APPLICATIONS.c.id), 0))) or 0
        rows: list[dict[str, Any]] = []
        for i in range(start + 1, start + count + 1):
            definition = rng.choice(definitions)
            state = rng.choice(list(definition.states.values()))
            business = rng.choice(businesses)
            kind = rng.random()
            deadline: date | None
            if kind < 0.2:
                deadline = None
            elif kind < 0.5:
                deadline = rng.choice(edges)
            else:
                deadline = today + timedelta(days=rng.randint(-30, 30))
            rows.append(
                {
                    "id": i,
                    "umkm_id": business.id,
                    "regency_code": business.regency_code,
                    "process_key": definition.key,
                    "process_version": definition.version,
                    "state": state.name,
                    "phase": state.phase.value,
                    "version": 1,
                    "assignee_id": rng.choice([*people, None]),
                    "opened_at": _NOW,
                    "state_entered_at": _NOW,
                    "deadline": deadline,
                    "flags": "",
                    "title": "",
                    "audit_seq": 0,
                    "audit_head": "0" * 64,
                }
            )
        conn.execute(sa.insert(APPLICATIONS), rows)


def _by_hand(
    conn: sa.Connection, registry: ProcessRegistry, actor: Actor, today: date, last: date
) -> dict[str, list[int]]:
    """The day by its rule, one application at a time, nearest deadline first."""
    a = APPLICATIONS
    sections: dict[str, list[int]] = {name: [] for name in SECTIONS}
    rows = conn.execute(sa.select(a).order_by(a.c.id)).mappings().all()
    rows = sorted(rows, key=lambda r: (r["deadline"] is None, r["deadline"] or today, r["id"]))
    for row in rows:
        in_scope = {
            Role.UMKM: row["umkm_id"] == actor.umkm_id,
            Role.CONSULTANT: row["assignee_id"] == actor.id,
            Role.ADMIN: row["assignee_id"] is None
            or (
                row["deadline"] is not None
                and row["deadline"] < today
                and row["phase"] == Phase.PIPELINE.value
            ),
        }[actor.role]
        due = row["phase"] == Phase.PIPELINE.value or (
            row["phase"] == Phase.CERTIFIED.value and row["deadline"] is not None
        )
        if not (in_scope and due):
            continue
        court = registry.get(row["process_key"], row["process_version"]).states[row["state"]].court
        yours = {
            Role.UMKM: court is Court.UMKM,
            Role.CONSULTANT: court is Court.CONSULTANT,
            Role.ADMIN: row["assignee_id"] is None,
        }[actor.role]
        deadline = row["deadline"]
        if deadline is not None and deadline < today:
            section = "overdue"
        elif not yours:
            section = "waiting"
        elif deadline == today:
            section = "due_today"
        elif deadline is not None and deadline <= last:
            section = "this_week"
        else:
            section = "later"
        sections[section].append(row["id"])
    return sections


def test_the_days_sections_are_the_rule_applied_to_every_application(office: Office) -> None:
    _scatter(office, random.Random(20261202), 600)
    workflow = office.workflow
    today = workflow.today()
    with reading(office.db).connect() as conn:
        for username in (office.consultant, office.other_consultant, office.admin, office.owner):
            actor = acting_user(conn, username)
            last = week_end(today, workflow.calendar)
            expected = _by_hand(conn, workflow.registry, actor, today, last)
            # every section holds some (an admin's unassigned are all the admin's to move)
            filled = [n for n in SECTIONS if not (actor.role is Role.ADMIN and n == "waiting")]
            assert all(expected[n] for n in filled), f"{username}: a section is left empty"
            whole = agenda(conn, workflow.registry, actor, today, workflow.calendar)
            assert {n: [e["id"] for e in whole.sections[n]] for n in SECTIONS} == expected
            assert whole.counts() == {n: len(ids) for n, ids in expected.items()}
            for entry in whole.sections["waiting"]:
                assert not entry["yours"]
            short = agenda(conn, workflow.registry, actor, today, workflow.calendar, per_section=3)
            assert {n: [e["id"] for e in short.sections[n]] for n in SECTIONS} == {
                n: ids[:3] for n, ids in expected.items()
            }
            assert short.counts() == whole.counts()


def test_a_queue_page_is_the_slice_of_the_whole_list(office: Office) -> None:
    _scatter(office, random.Random(7), 200)
    workflow = office.workflow
    with reading(office.db).connect() as conn:

        def read(limit: int, offset: int = 0) -> list[dict[str, Any]]:
            criteria = ApplicationFilter(consultant=office.consultant, limit=limit, offset=offset)
            return list_applications(
                conn, workflow.registry, criteria, workflow.today(), workflow.calendar
            )

        def listed(limit: int, offset: int = 0) -> list[int]:
            return [row["id"] for row in read(limit, offset)]

        rows = read(limit=1000)
        whole = [row["id"] for row in rows]
        undated = [row["id"] for row in rows if row["deadline"] is None]
        assert (
            len(whole) > 45 and 7 < len(undated) < len(whole) and whole[-len(undated) :] == undated
        )
        dated = [(row["deadline"], row["id"]) for row in rows if row["deadline"] is not None]
        assert dated == sorted(dated) and undated == sorted(undated)
        assert listed(limit=15, offset=15) == whole[15:30]
        assert listed(limit=15, offset=len(whole)) == []
        for start in range(0, len(whole), 7):  # across the dated and the undated
            assert listed(limit=7, offset=start) == whole[start : start + 7]


@contextmanager
def _plans(engine: sa.Engine) -> Iterator[list[str]]:
    """SQLite's query plan of every SELECT run on ``engine`` meanwhile, one string each."""
    plans: list[str] = []

    def explain(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            rows = cursor.connection.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
            plans.append(" | ".join(row[3] for row in rows))

    sa.event.listen(engine, "before_cursor_execute", explain)
    try:
        yield plans
    finally:
        sa.event.remove(engine, "before_cursor_execute", explain)


def test_a_consultants_day_and_queue_read_the_deadline_index_without_sorting(
    sqlite_only: sa.Engine, clock: Clock
) -> None:
    office = seed_office(sqlite_only, clock)
    _scatter(office, random.Random(20261202), 600)  # every section holds some (as above)
    workflow = office.workflow
    with reading(office.db).connect() as conn:
        actor = acting_user(conn, office.consultant)
        with _plans(office.db) as plans:
            day = agenda(
                conn, workflow.registry, actor, workflow.today(), workflow.calendar, per_section=5
            )
            list_applications(
                conn,
                workflow.registry,
                ApplicationFilter(consultant=office.consultant, limit=51),
                workflow.today(),
                workflow.calendar,
            )
    read = [plan for plan in plans if " application " in plan]  # not the user's lookup
    # the counts, every part of the day in one, the queue (the dated, maybe the undated)
    assert all(day.sections[name] for name in SECTIONS)
    assert len(read) >= 3 and sum(plan.count("ix_application_assignee_due") for plan in read) >= 15
    for plan in read:
        assert "ix_application_assignee_due" in plan, plan
        # in deadline order: at most the rows of one deadline sorted by id, never all of them
        assert "TEMP B-TREE FOR ORDER BY" not in plan, plan


def test_a_day_reads_every_part_in_one_statement_and_no_more_rows_than_it_lists(
    office: Office,
) -> None:
    """The counts come first; then one statement reads each part's rows, no more than the
    page lists (an empty part has LIMIT 0: an admin's day read every range of the office, 10 ms
    for one holding none); a day that lists nothing reads nothing after its counts."""
    _scatter(office, random.Random(11), 120)
    workflow = office.workflow
    today = workflow.today()
    with office.db.begin() as conn:  # the consultant's: all overdue but one, due today
        owner = acting_user(conn, office.consultant)
        mine = APPLICATIONS.c.assignee_id == owner.id
        conn.execute(sa.update(APPLICATIONS).where(mine).values(deadline=today - timedelta(3)))
        first = conn.scalar(sa.select(sa.func.min(APPLICATIONS.c.id)).where(mine))
        conn.execute(
            sa.update(APPLICATIONS)
            .where(APPLICATIONS.c.id == first)
            .values(deadline=today, phase=Phase.PIPELINE.value)
        )
    reads: list[dict[str, Any]] = []

    def seen(conn: Any, cursor: Any, statement: str, _p: Any, context: Any, *_: Any) -> None:
        if " application" in statement and "count(" not in statement:
            reads.append(dict(context.compiled_parameters[0]))  # by name on both databases

    def day_of(actor: Actor) -> Any:
        with reading(office.db).connect() as conn:
            sa.event.listen(office.db, "before_cursor_execute", seen)
            try:
                return agenda(
                    conn, workflow.registry, actor, today, workflow.calendar, per_section=2
                )
            finally:
                sa.event.remove(office.db, "before_cursor_execute", seen)

    day = day_of(owner)
    counts = day.counts()
    assert counts["overdue"] > 2 and len(day.sections["overdue"]) == 2
    assert [name for name in SECTIONS if counts[name]] in (
        ["overdue", "due_today"],
        ["overdue", "waiting"],
    ), counts
    listed = sum(len(entries) for entries in day.sections.values())
    assert len(reads) == 1 and listed == 3
    rooms = {name: room for name, room in reads[0].items() if name.startswith("room_")}
    assert len(rooms) == 7 and sum(rooms.values()) == listed and list(rooms.values()).count(0) == 5
    with office.db.begin() as conn:  # nothing left in the consultant's day
        conn.execute(sa.update(APPLICATIONS).where(mine).values(phase=Phase.CLOSED.value))
    reads.clear()
    assert day_of(owner).counts() == dict.fromkeys(SECTIONS, 0) and reads == []


def test_a_staff_days_statements_are_short_enough_for_psycopg_to_keep_them_parsed() -> None:
    """psycopg parses a statement's text again on every run unless it is at most 4,096
    characters (``MAX_CACHED_STATEMENT_LENGTH``): the day's read, with every column in each of
    its seven parts, was 13,000 and cost about 0.3 ms of server time on every page."""
    psycopg = sa.make_url("postgresql+psycopg://").get_dialect()()
    for role in (Role.CONSULTANT, Role.ADMIN):
        statements = _statements(ProcessRegistry(), role)
        for statement in (statements.counts, statements.reads):
            assert len(str(statement.compile(dialect=psycopg))) <= 4096, role


def test_whose_court_tests_a_state_name_by_version_where_versions_differ(office: Office) -> None:
    """A state name in one court in every definition is tested by name alone; one whose court
    changed between versions of a process is tested with the version, so each application is
    in the court of its own version's state."""
    registry = office.workflow.registry
    old, new = registry.get("sni", 1), registry.get("sni", 2)
    name = next(
        n for n, state in new.states.items() if n in old.states and state.court is Court.AGENCY
    )
    moved = replace(new, states={**new.states, name: replace(new.states[name], court=Court.UMKM)})
    changed = ProcessRegistry([d for d in registry.all() if d is not new] + [moved])
    _scatter(office, random.Random(5), 1)
    with office.db.begin() as conn:
        template = dict(conn.execute(sa.select(APPLICATIONS)).mappings().one())
        conn.execute(sa.delete(APPLICATIONS))
        rows = [
            {**template, "id": i, "process_key": "sni", "process_version": version, "state": state}
            for i, (version, state) in enumerate(
                [(1, name), (2, name), (2, old.initial), (1, old.initial)], start=1
            )
        ]
        conn.execute(sa.insert(APPLICATIONS), rows)
        courts = {
            court: set(conn.scalars(sa.select(APPLICATIONS.c.id).where(in_court(changed, court))))
            for court in Court
        }
    initial = old.states[old.initial].court
    assert initial is new.states[new.initial].court
    expected: dict[Court, set[int]] = {court: set() for court in Court}
    expected[Court.AGENCY] |= {1}
    expected[Court.UMKM] |= {2}
    expected[initial] |= {3, 4}
    assert courts == expected
