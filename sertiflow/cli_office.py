"""``sertiflow office show|set``: the office profile the letters print (letterhead and the
named signatory), set by an admin and journalled."""

from __future__ import annotations

import click

from sertiflow.cli_common import State, acting_option, pass_state, reports_errors
from sertiflow.output import print_json, print_table, printable, say
from workflow.errors import InvalidInput
from workflow.office import format_nip, profile_entries, set_office
from workflow.persistence.database import reading

__all__ = ["office"]


@click.group()
def office() -> None:
    """The office profile the letters print: letterhead and signatory."""


@office.command(name="show")
@pass_state
@reports_errors
def office_show(state: State) -> None:
    """Every profile key with its value, where it comes from (the profile, the settings, or
    unset) and who set it last."""
    with reading(state.runtime().db).connect() as conn:
        entries = profile_entries(conn, state.settings)
    if state.as_json:
        print_json(
            {
                "office": [
                    {
                        "key": e.key,
                        "label": e.label,
                        "value": e.value,
                        "source": e.source,
                        "updated_at": e.updated_at,
                        "updated_by": e.updated_by,
                    }
                    for e in entries
                ]
            }
        )
        return
    print_table(
        "office profile (sertiflow office set KEY=VALUE ... --as ADMIN)",
        ["key", "value", "from", "set by"],
        [
            (
                e.key,
                format_nip(e.value) if e.key == "signatory_nip" else e.value or "-",
                e.source,
                "" if e.updated_by is None else f"{e.updated_by} {e.updated_at:%Y-%m-%d}",
            )
            for e in entries
        ],
    )


def _pairs(pairs: tuple[str, ...]) -> dict[str, str]:
    """``KEY=VALUE`` arguments as a mapping; a key given twice is refused."""
    changes: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise InvalidInput(
                f"{pair!r}: write KEY=VALUE, e.g. signatory_name='Dr. Maria Latuconsina'"
            )
        if key in changes:
            raise InvalidInput(f"{key} is given twice; give each key once")
        changes[key] = value
    return changes


@office.command(name="set")
@click.argument("pairs", nargs=-1, metavar="KEY=VALUE...")
@acting_option("an admin")
@pass_state
@reports_errors
def office_set(state: State, pairs: tuple[str, ...], acting: str) -> None:
    """Set profile keys, e.g. signatory_name='Dr. Maria Latuconsina, M.Si.'
    signatory_nip='19700101 199503 2 001' postcode=97127 (an empty value clears a key: the
    settings' value is printed again). Keys: see 'sertiflow office show'. Journalled."""
    runtime = state.runtime()
    changed = set_office(runtime.db, _pairs(pairs), acting=acting, now=runtime.workflow.clock())
    if state.as_json:
        print_json({"changed": changed})
    elif not changed:
        say("nothing changed (the values are the ones stored)")
    else:
        for key, value in changed.items():
            say(f"{key} = {printable(value) if value else '(cleared)'}")
