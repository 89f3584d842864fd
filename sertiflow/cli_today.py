"""``sertiflow today --as USER``: a consultant's, a UMKM's or an admin's day at a glance."""

from __future__ import annotations

from typing import Any

import click

from sertiflow.cli_common import State, pass_state, reports_errors
from sertiflow.output import print_json, print_table, say
from workflow.agenda import SECTIONS, agenda
from workflow.permissions import acting_user
from workflow.persistence.database import reading

__all__ = ["today"]

_TITLES = {
    "overdue": "Overdue",
    "due_today": "Due today",
    "this_week": "Due this week",
    "later": "Later",
    "waiting": "Waiting on others",
}


@click.command()
@click.option("--as", "username", required=True, metavar="USER", help="Whose day.")
@pass_state
@reports_errors
def today(state: State, username: str) -> None:
    """What USER must do now: overdue first, then due today, this week, later, and what waits
    on others, with the triggers USER may fire. A UMKM user sees its own business's
    applications, a consultant the ones assigned to them, an admin the unassigned ones and
    every overdue one. "This week" runs to the fifth working day ahead (office calendar)."""
    runtime = state.runtime()
    with reading(runtime.db).connect() as conn:
        day = agenda(
            conn,
            runtime.workflow.registry,
            acting_user(conn, username),
            runtime.today(),
            runtime.workflow.calendar,
        )
    counts = day.counts()
    if state.as_json:
        print_json(
            {
                "user": day.username,
                "role": day.role,
                "today": day.today,
                "week_ends": day.week_ends,
                "scope": day.scope,
                "counts": counts,
                **day.sections,
            }
        )
        return
    say(
        f"{day.today.isoformat()}, {day.username} ({day.role}: {day.scope}): "
        + ", ".join(f"{counts[name]} {_TITLES[name].lower()}" for name in SECTIONS)
    )
    umkm_view = day.role == "umkm"
    for name in SECTIONS:
        entries = day.sections[name]
        if entries:
            _print_section(_TITLES[name], entries, umkm_view)
    if not any(counts.values()):
        say("nothing waits on you or anyone else today")


def _print_section(title: str, entries: list[dict[str, Any]], umkm_view: bool) -> None:
    headers = ["#", "UMKM", "process", "state", "court", "consultant", "deadline", "days left"]
    headers.append("what to do" if umkm_view else "you may")
    print_table(
        f"{title} ({len(entries)})",
        headers,
        [
            (
                e["id"],
                e["umkm_name"],
                e["process_key"],
                e["state"],
                e["court"],
                e["consultant"],
                e["deadline"],
                e["working_days_left"],
                e["hint"] if umkm_view else ", ".join(e["next_triggers"]),
            )
            for e in entries
        ],
        right=(0, 7),
    )
