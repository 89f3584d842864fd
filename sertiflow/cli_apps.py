"""``sertiflow app``, ``user`` and ``dossier``: the consultant's daily commands."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

import click

from sertiflow.cli_common import ROW_ID, State, acting_option, pass_state, reports_errors
from sertiflow.output import print_json, print_table, printable, say
from workflow import journal
from workflow.directory import (
    CONSULTANT_FIELDS,
    add_evidence,
    add_user,
    replace_profile,
    set_user_contact,
    umkm_id_by_nib,
)
from workflow.directory import dossier as read_dossier
from workflow.errors import InvalidInput
from workflow.evidence import EVIDENCE_KINDS, EvidenceItem, expired, mark_key
from workflow.ledger import USERS
from workflow.milestones import application_measures
from workflow.model import Role
from workflow.permissions import acting_user
from workflow.persistence.database import reading
from workflow.queries import (
    COURT_NAMES,
    DUE_WINDOWS,
    ApplicationFilter,
    application_detail,
    history,
    list_applications,
    seen_by,
)

__all__ = ["app", "dossier", "user"]


def _fields(pairs: tuple[str, ...]) -> dict[str, str]:
    fields = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise InvalidInput(f"--field {pair!r}: write name=value, e.g. issued_on=2026-11-30")
        fields[name.strip()] = value.strip()
    return fields


@click.group()
def app() -> None:
    """Open, advance and look at applications."""


@app.command(name="open")
@click.argument("nib")
@click.argument("process_key", metavar="PROCESS")
@click.option("--as", "username", required=True, help="Who opens it.")
@click.option("--assignee", default=None, help="Consultant to assign (default: yourself).")
@click.option("--title", default="", help="Short description, e.g. the product or mark.")
@click.option(
    "--detail",
    "detail_pairs",
    multiple=True,
    metavar="NAME=VALUE",
    help='A detail recorded at opening, e.g. mark_name="SAGU IBU ANA" nice_classes=30 (a '
    "mark), product_type=... sni_number=... (SNI), product_scope=... (halal): what tells this "
    "application from the business's other open ones of the same process.",
)
@pass_state
@reports_errors
def app_open(
    state: State,
    nib: str,
    process_key: str,
    username: str,
    assignee: str | None,
    title: str,
    detail_pairs: tuple[str, ...],
) -> None:
    """Open an application of PROCESS for the UMKM with NIB. A business may have several open
    trademark applications (one per mark and classes) and SNI ones (one per product and
    standard); a duplicate of an open one is refused, naming it."""
    details = {}
    for pair in detail_pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise InvalidInput(f"--detail {pair!r}: write name=value, e.g. mark_name=SAGU")
        details[name.strip()] = value.strip()
    runtime = state.runtime()
    app_id = runtime.workflow.open_application(
        nib, process_key, username, assignee=assignee, title=title, details=details or None
    )
    if state.as_json:
        print_json({"application_id": app_id})
    else:
        say(f"opened application #{app_id}")


@app.command(name="advance")
@click.argument("app_id", type=ROW_ID, metavar="APP")
@click.argument("trigger")
@click.option("--as", "username", required=True, help="Who does it.")
@click.option("--note", default="", help="Recorded in the audit log.")
@click.option(
    "--field",
    "field_pairs",
    multiple=True,
    metavar="NAME=VALUE",
    help="A value the trigger needs, e.g. certificate_number=IDM001234567.",
)
@click.option(
    "--expect-version",
    type=ROW_ID,
    default=None,
    help="Refuse if the application changed since you saw this version.",
)
@pass_state
@reports_errors
def app_advance(
    state: State,
    app_id: int,
    trigger: str,
    username: str,
    note: str,
    field_pairs: tuple[str, ...],
    expect_version: int | None,
) -> None:
    """Fire TRIGGER on application APP."""
    runtime = state.runtime()
    result = runtime.workflow.advance(
        app_id,
        trigger,
        username,
        note=note,
        fields=_fields(field_pairs),
        expected_version=expect_version,
    )
    if state.as_json:
        print_json(asdict(result))
        return
    deadline = f", deadline {result.deadline.isoformat()}" if result.deadline else ""
    say(f"#{app_id}: {result.from_state} -> {result.to_state} (version {result.version}{deadline})")
    if result.opened_application_id is not None:
        say(f"opened linked application #{result.opened_application_id}")


@app.command(name="show")
@click.argument("app_id", type=ROW_ID, metavar="APP")
@click.option("--as", "username", default=None, help="Show which triggers this user may fire.")
@pass_state
@reports_errors
def app_show(state: State, app_id: int, username: str | None) -> None:
    """State, deadline, whose court, allowed triggers and history of APP."""
    runtime = state.runtime()
    with reading(runtime.db).connect() as conn:
        detail = application_detail(
            conn, runtime.workflow.registry, app_id, runtime.today(), runtime.workflow.calendar
        )
        steps = history(conn, app_id)
    detail.update(  # the deadline's kind, the whole path's target, surveillance, checks
        application_measures(
            runtime.workflow.registry.get(detail["process_key"], detail["process_version"]),
            detail,
            steps,
            runtime.today(),
            runtime.workflow.calendar,
            state.settings.policy,
            state.settings.delivery.sni_surveillance_months,
        )
    )
    options = [asdict(o) for o in runtime.workflow.options(app_id, username)] if username else []
    if state.as_json:
        print_json({"application": detail, "options": options, "history": steps})
        return
    _print_detail(detail)
    if options:
        print_table(
            f"What {username} can do",
            ["trigger", "to", "allowed", "blocked by"],
            [
                (
                    o["trigger"],
                    o["dest"],
                    "yes" if o["permitted"] else "no (role)",
                    "; ".join(o["blocked_by"]),
                )
                for o in options
            ],
        )
    print_table(
        "History",
        ["#", "when (UTC)", "trigger", "from", "to", "by", "source", "note"],
        [
            (
                s["seq"],
                s["at"],
                s["trigger"],
                s["from_state"],
                s["to_state"],
                s["actor"],
                s["source"],
                s["note"],
            )
            for s in steps
        ],
        right=(0,),
    )


def _print_detail(d: dict[str, Any]) -> None:
    lines = [
        f"Application #{d['id']}  {d['process_title']} ({d['process_key']}@"
        f"{d['process_version']}), version {d['version']}",
        f"UMKM: {d['umkm_name']} (NIB {d['nib']}), {d['regency']}",
        f"Consultant: {d['consultant_name'] or '(unassigned)'}",
        f"State: {d['state']} - {d['state_label']} (ball in {d['court']}'s court)",
    ]
    if d["deadline"] is not None:
        late = "  OVERDUE" if d["overdue"] else ""
        kind = {"law": ", legal time limit", "target": ", service target"}.get(
            d.get("deadline_kind") or "", ""
        )
        lines.append(
            f"Deadline: {d['deadline'].isoformat()} ({d['working_days_left']} working days"
            f"{kind}){late}"
        )
    for m in d.get("milestones", ()):
        left = "" if m["working_days_left"] is None else f", {m['working_days_left']} working days"
        lines.append(
            f"{m['label_en']}: {m['due']} ({m['status'].replace('_', ' ')}{left}; "
            f"{m['basis']}: {m['source']})"
        )
    if d["certificate_number"]:
        expiry = d["certificate_expires_on"]
        lines.append(
            f"Certificate: {d['certificate_number']} issued "
            f"{d['certificate_issued_on']}, "
            + (f"expires {expiry}" if expiry else "no expiry while unchanged")
        )
    if d["hint"]:
        lines.append(f"Next for the UMKM: {d['hint']}")
    say("\n".join(lines))


@app.command(name="list")
@click.option("--process", "process_key", default=None)
@click.option("--state", "state_name", default=None)
@click.option("--consultant", default=None, help="Username.")
@click.option("--regency", default=None, help="A regency's code or name, e.g. 8171 or Ambon.")
@click.option("--umkm", "--nib", "nib", default=None, metavar="NIB", help="One business's.")
@click.option("--overdue", is_flag=True, help="Only applications past their deadline.")
@click.option(
    "--due",
    type=click.Choice(DUE_WINDOWS),
    default=None,
    help="Deadline today, or this week (today to the fifth working day ahead).",
)
@click.option(
    "--court",
    type=click.Choice(COURT_NAMES),
    default=None,
    help="Whose court the ball is in (office: the PLUT office's consultants).",
)
@click.option("--all", "include_closed", is_flag=True, help="Include closed applications.")
@click.option("--limit", type=click.IntRange(1, 100_000), default=200, show_default=True)
@click.option(
    "--as",
    "username",
    default=None,
    metavar="USER",
    help="As USER sees them: a UMKM user its own only, a consultant theirs by default.",
)
@pass_state
@reports_errors
def app_list(
    state: State,
    process_key: str | None,
    state_name: str | None,
    consultant: str | None,
    regency: str | None,
    nib: str | None,
    overdue: bool,
    due: str | None,
    court: str | None,
    include_closed: bool,
    limit: int,
    username: str | None,
) -> None:
    """Applications, nearest deadline first."""
    runtime = state.runtime()
    criteria = ApplicationFilter(
        process=process_key,
        state=state_name,
        consultant=consultant,
        regency=regency,
        nib=nib,
        overdue_only=overdue,
        include_closed=include_closed,
        limit=limit,
        due=due,
        court=court,
    )
    with reading(runtime.db).connect() as conn:
        if username is not None:
            criteria = seen_by(conn, acting_user(conn, username), criteria)
        rows = list_applications(
            conn, runtime.workflow.registry, criteria, runtime.today(), runtime.workflow.calendar
        )
    if state.as_json:
        print_json(rows)
        return
    print_table(
        f"{len(rows)} applications",
        ["#", "UMKM", "process", "state", "court", "consultant", "deadline", "late"],
        [
            (
                r["id"],
                r["umkm_name"],
                r["process_key"],
                r["state"],
                r["court"],
                r["consultant"],
                r["deadline"],
                "yes" if r["overdue"] else "",
            )
            for r in rows
        ],
        right=(0,),
    )


@app.command(name="reassign")
@click.argument("app_id", type=ROW_ID, metavar="APP")
@click.argument("consultant")
@click.option("--as", "username", required=True, help="An admin.")
@click.option("--note", default="")
@pass_state
@reports_errors
def app_reassign(state: State, app_id: int, consultant: str, username: str, note: str) -> None:
    """Give APP to CONSULTANT (admins only)."""
    state.runtime().workflow.reassign(app_id, consultant, username, note=note)
    if state.as_json:
        print_json({"application_id": app_id, "assignee": consultant})
    else:
        say(f"#{app_id} is now {consultant}'s")


@app.command(name="fill-deadlines")
@click.option("--dry-run", is_flag=True, help="List what would get a deadline; write nothing.")
@click.option("--as", "username", required=True, help="An admin.")
@click.option("--note", default="")
@pass_state
@reports_errors
def app_fill_deadlines(state: State, dry_run: bool, username: str, note: str) -> None:
    """Give open applications that wait in a stage without a deadline the one the stage has
    now (after an upgrade or a new SERTIFLOW_DEADLINES target), counted from the day they
    entered it; admins only, audited."""
    filled = state.runtime().workflow.fill_deadlines(username, dry_run=dry_run, note=note)
    if state.as_json:
        print_json({"dry_run": dry_run, "applications": [asdict(f) for f in filled]})
        return
    print_table(
        "Deadlines to fill (nothing written)" if dry_run else "Deadlines filled",
        ["app", "process", "state", "entered", "deadline"],
        [(f.application_id, f.process_key, f.state, f.entered_on, f.deadline) for f in filled],
    )


@app.command(name="details")
@click.argument("app_id", type=ROW_ID, metavar="APP")
@click.argument("pairs", nargs=-1, metavar="NAME=VALUE...")
@click.option("--as", "username", required=True)
@click.option("--note", default="")
@pass_state
@reports_errors
def app_details(
    state: State, app_id: int, pairs: tuple[str, ...], username: str, note: str
) -> None:
    """Record what APP's documents need, e.g. mark_name="SAGU IBU ANA" nice_classes=30
    (an empty value removes one)."""
    details = state.runtime().workflow.set_details(app_id, _fields(pairs), username, note=note)
    if state.as_json:
        print_json(details)
    else:
        for name, value in sorted(details.items()):
            say(f"{name} = {printable(str(value))}")


@click.group()
def user() -> None:
    """Admins, consultants and UMKM accounts."""


@user.command(name="add")
@click.argument("username")
@click.option("--name", "full_name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option(
    "--field",
    "field_name",
    type=click.Choice(CONSULTANT_FIELDS),
    default=None,
    help="A consultant's field (bidang).",
)
@click.option("--nib", default=None, help="A UMKM user's business.")
@click.option("--email", default=None)
@acting_option("an admin; the office's first admin is added by the system account")
@pass_state
@reports_errors
def user_add(
    state: State,
    username: str,
    full_name: str,
    role: str,
    field_name: str | None,
    nib: str | None,
    email: str | None,
    acting: str,
) -> None:
    """Create a user."""
    user_id = add_user(
        state.runtime().db,
        username,
        full_name,
        Role(role),
        acting=acting,
        email=email,
        field=field_name,
        umkm_nib=nib,
    )
    if state.as_json:
        print_json({"user_id": user_id, "username": username})
    else:
        say(f"user {username} created")


@user.command(name="set")
@click.argument("username")
@click.option("--email", default=None, help="A new address; '' removes it.")
@click.option(
    "--daily-digest/--each-email",
    "daily_digest",
    default=None,
    help="One email a day with every notification, or one email each.",
)
@acting_option("the user themself or an admin")
@pass_state
@reports_errors
def user_set(
    state: State, username: str, email: str | None, daily_digest: bool | None, acting: str
) -> None:
    """Change a user's email address or how notifications are emailed."""
    set_user_contact(
        state.runtime().db, username, acting=acting, email=email, daily_digest=daily_digest
    )
    if state.as_json:
        print_json({"username": username, "updated": True})
    else:
        say(f"user {username} updated")


@user.command(name="list")
@pass_state
@reports_errors
def user_list(state: State) -> None:
    """Every user."""
    with reading(state.runtime().db).connect() as conn:
        rows = [
            dict(r)
            for r in conn.execute(
                USERS.select().order_by(USERS.c.role, USERS.c.username)
            ).mappings()
        ]
    if state.as_json:
        print_json(rows)
    else:
        print_table(
            None,
            ["username", "name", "role", "field", "email", "digest", "active"],
            [
                (
                    r["username"],
                    r["full_name"],
                    r["role"],
                    r["field"],
                    r["email"],
                    "daily" if r["daily_digest"] else "",
                    r["active"],
                )
                for r in rows
            ],
        )


@click.group()
def dossier() -> None:
    """A UMKM's documents: its own (shared by all its applications), one application's, or
    one mark's."""


@dossier.command(name="add")
@click.argument("nib")
@click.argument("kind", type=click.Choice(sorted(EVIDENCE_KINDS)))
@click.argument("reference")
@click.option("--valid-until", default=None, help="YYYY-MM-DD, for documents that expire.")
@click.option(
    "--signed-on",
    default=None,
    help="YYYY-MM-DD, the date the letter was signed (required for the UMK recommendation "
    "letter, which must be signed in its filing's year).",
)
@click.option(
    "--app",
    "app_id",
    type=click.IntRange(1, 2**31 - 1),
    default=None,
    help="The application the document is for (payment proof, UMK letter, ikrar, SNI test "
    "report ...), or one about the mark it is for.",
)
@click.option("--mark", default=None, help="The mark the document is for (label, licence ...).")
@acting_option(
    "an admin, a consultant assigned to the business (to the application, with --app), or its "
    "UMKM user"
)
@pass_state
@reports_errors
def dossier_add(
    state: State,
    nib: str,
    kind: str,
    reference: str,
    valid_until: str | None,
    signed_on: str | None,
    app_id: int | None,
    mark: str | None,
    acting: str,
) -> None:
    """Put a document of KIND into the dossier of NIB: the business's own, or with --app or
    --mark one application's or one mark's, as its kind requires ('sertiflow dossier kinds')."""
    until = _iso_date("--valid-until", valid_until)
    signed = _iso_date("--signed-on", signed_on)
    runtime = state.runtime()
    add_evidence(
        runtime.db,
        nib,
        kind,
        reference,
        valid_until=until,
        acting=acting,
        now=runtime.workflow.clock(),
        application_id=app_id,
        mark=mark,
        signed_on=signed,
        today=runtime.today(),
    )
    scope = f" for application #{app_id}" if app_id is not None else ""
    scope = f" for the mark {mark_key(mark)}" if mark is not None else scope
    if state.as_json:
        print_json(
            {
                "nib": nib,
                "kind": kind,
                "reference": reference,
                "valid_until": until,
                "signed_on": signed,
                "application_id": app_id,
                "mark": None if mark is None else mark_key(mark),
            }
        )
    else:
        say(f"{kind} added to the dossier of {nib}{scope}")


def _iso_date(option: str, value: str | None) -> date | None:
    """An option's YYYY-MM-DD date, None when not given."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{option} {value!r}: write YYYY-MM-DD") from None


@dossier.command(name="kinds")
@pass_state
@reports_errors
def dossier_kinds(state: State) -> None:
    """Every kind of document, its scope (umkm, application, mark) and whether it expires."""
    kinds = [
        {
            "kind": k.key,
            "name": k.name,
            "name_en": k.name_en,
            "scope": k.scope.value,
            "expires": k.expires,
        }
        for k in EVIDENCE_KINDS.values()
    ]
    if state.as_json:
        print_json(kinds)
    else:
        print_table(
            "Evidence kinds",
            ["kind", "document", "scope", "expires"],
            [(k["kind"], k["name"], k["scope"], "yes" if k["expires"] else "") for k in kinds],
        )


@dossier.command(name="profile")
@click.argument("nib")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@acting_option("an admin, a consultant assigned to the business, or its UMKM user")
@pass_state
@reports_errors
def dossier_profile(state: State, nib: str, path: Path, acting: str) -> None:
    """Replace NIB's products, materials and process steps with a workbook's (sheets Produk,
    Bahan, Proses)."""
    from workflow.profile_import import read_profile

    profile = read_profile(path)
    runtime = state.runtime()
    with journal.writing(runtime.db) as conn:
        replace_profile(
            conn,
            acting_user(conn, acting),
            umkm_id_by_nib(conn, nib),
            profile.products,
            profile.materials,
            profile.steps,
        )
    counts = {
        "products": len(profile.products),
        "materials": len(profile.materials),
        "steps": len(profile.steps),
    }
    if state.as_json:
        print_json({"nib": nib, **counts})
    else:
        say(
            f"{nib}: {counts['products']} products, {counts['materials']} materials, "
            f"{counts['steps']} process steps"
        )


@dossier.command(name="show")
@click.argument("nib")
@pass_state
@reports_errors
def dossier_show(state: State, nib: str) -> None:
    """The documents in the dossier of NIB."""
    runtime = state.runtime()
    rows = read_dossier(runtime.db, nib)
    today = runtime.today()
    for row in rows:
        row["expired"] = expired(row["valid_until"], today)
    if state.as_json:
        print_json(rows)
    else:
        print_table(
            f"Dossier {nib}",
            ["kind", "document", "for", "reference", "signed on", "valid until", ""],
            [
                (
                    r["kind"],
                    EVIDENCE_KINDS[r["kind"]].name,
                    EvidenceItem(
                        r["kind"],
                        r["reference"],
                        None,
                        r["scope"],
                        r["application_id"],
                        r["process_key"] or "",
                    ).belongs_to(),
                    r["reference"],
                    r["signed_on"],
                    r["valid_until"],
                    "EXPIRED" if r["expired"] else "",
                )
                for r in rows
            ],
        )
