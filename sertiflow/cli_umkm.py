"""``sertiflow umkm list|show|update``: the businesses the office assists, its outreach list, and
changes to a business's record between registry imports."""

from __future__ import annotations

from typing import Any

import click

from sertiflow.cli_common import State, acting_option, pass_state, reports_errors
from sertiflow.output import print_json, print_table, printable, say
from workflow.directory import update_umkm
from workflow.errors import InvalidInput
from workflow.persistence.database import reading
from workflow.umkm_queries import KINDS, SCALES, UmkmFilter, list_umkm, umkm_detail

__all__ = ["umkm"]


@click.group()
def umkm() -> None:
    """The businesses the office assists: list, show, update."""


@umkm.command(name="list")
@click.option("--regency", default=None, help="A regency's code or name, e.g. 8171 or Ambon.")
@click.option(
    "--scale", "scales", type=click.Choice(SCALES), multiple=True, help="Repeatable: any of these."
)
@click.option("--kind", type=click.Choice(KINDS), default=None)
@click.option(
    "--no-halal",
    "without_halal",
    is_flag=True,
    help="Only businesses without an active halal certificate (the outreach list).",
)
@click.option("--limit", type=click.IntRange(1, 1_000_000), default=200, show_default=True)
@pass_state
@reports_errors
def umkm_list(
    state: State,
    regency: str | None,
    scales: tuple[str, ...],
    kind: str | None,
    without_halal: bool,
    limit: int,
) -> None:
    """Businesses by name, with contacts, open applications and halal certificate."""
    criteria = UmkmFilter(
        regency=regency, scales=scales, kind=kind, without_halal=without_halal, limit=limit
    )
    with reading(state.runtime().db).connect() as conn:
        total, rows = list_umkm(conn, criteria)
    if state.as_json:
        print_json({"total": total, "umkm": rows})
        return
    shown = f"{total:,} businesses" if total == len(rows) else f"{len(rows):,} of {total:,}"
    print_table(
        shown + ("" if total == len(rows) else " businesses (--limit to see more)"),
        ["NIB", "name", "owner", "scale", "regency", "phone", "email", "open", "halal"],
        [
            (
                r["nib"],
                r["name"],
                r["owner_name"],
                r["scale"],
                r["regency"],
                r["phone"],
                r["email"],
                r["open_applications"],
                r["halal_certificate"] or "",
            )
            for r in rows
        ],
        right=(7,),
    )


@umkm.command(name="show")
@click.argument("nib")
@pass_state
@reports_errors
def umkm_show(state: State, nib: str) -> None:
    """The record of the business with NIB and its applications."""
    runtime = state.runtime()
    with reading(runtime.db).connect() as conn:
        detail = umkm_detail(
            conn, runtime.workflow.registry, nib, runtime.today(), runtime.workflow.calendar
        )
    if state.as_json:
        print_json(detail)
        return
    applications = detail.pop("applications")
    print_table(
        f"{detail['name']} (NIB {detail['nib']})",
        ["field", "value"],
        [(name, value) for name, value in detail.items() if name not in ("name", "nib")],
    )
    print_table(
        f"{len(applications)} applications",
        ["#", "process", "state", "court", "consultant", "deadline", "certificate"],
        [
            (
                a["id"],
                a["process_key"],
                a["state"],
                a["court"],
                a["consultant"],
                a["deadline"],
                a["certificate_number"],
            )
            for a in applications
        ],
        right=(0,),
    )


def _changes(pairs: tuple[str, ...]) -> dict[str, str]:
    """``name=value`` arguments as a mapping; a field named twice is refused."""
    changes: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise InvalidInput(f"{pair!r}: write name=value, e.g. annual_turnover=250000000")
        if name in changes:
            raise InvalidInput(f"{name} is given twice; give each field once")
        changes[name] = value.strip()
    return changes


@umkm.command(name="update")
@click.argument("nib")
@click.argument("pairs", nargs=-1, metavar="NAME=VALUE...")
@acting_option(
    "an admin, a consultant assigned to an open application of the business, or its UMKM user"
)
@pass_state
@reports_errors
def umkm_update(state: State, nib: str, pairs: tuple[str, ...], acting: str) -> None:
    """Change fields of the business with NIB, checked as an import checks them, e.g.
    annual_turnover="Rp 250.000.000" address="Jl. Pattimura 1" regency=Ambon postcode=97128
    (an empty value clears an optional field). Journalled with who changed it."""
    from workflow.umkm_import import ImportLimits

    runtime = state.runtime()
    changed: dict[str, Any] = update_umkm(
        runtime.db,
        nib,
        _changes(pairs),
        acting=acting,
        now=runtime.workflow.clock(),
        max_length=ImportLimits.from_env().max_cell,
    )
    if state.as_json:
        print_json({"nib": nib, "changed": changed})
    elif not changed:
        say(f"{nib}: nothing changed (the values are the ones stored)")
    else:
        for name, value in sorted(changed.items()):
            say(f"{nib}: {name} = {printable('' if value is None else str(value))}")
