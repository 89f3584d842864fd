"""The ``sertiflow`` command line: setup, import, processes, backlog and audit.

Every command prints a tidy table, or a stable JSON document with ``--json`` (before or after the
command's name). A failure prints one line ``error: ...`` on standard error (and
``{"error": {...}}`` with ``--json``) and exits 1.

``sertiflow --help`` and ``--version`` answer without loading the engine: this module imports
only click and the output helpers at the top, each command imports what it needs (SQLAlchemy,
the engine, WeasyPrint, Celery) in its body, and the commands of the other ``cli_*`` modules are
loaded when they are run (``OfficeGroup``).
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from sertiflow.cli_common import ROW_ID, State, accept_json, fail, pass_state, reports_errors
from sertiflow.output import print_json, print_table, say, say_error, write_csv

if TYPE_CHECKING:
    from workflow.backlog import Backlog, DwellRow

__all__ = ["LAZY_COMMANDS", "OfficeGroup", "main", "run"]

LAZY_COMMANDS: dict[str, tuple[str, str]] = {
    "app": ("sertiflow.cli_apps:app", "Open, advance and look at applications."),
    "beat": (
        "sertiflow.cli_workers:beat",
        "Run Celery beat: the relay every few seconds, the deadline and renewal sweeps and the "
        "digests every hour.",
    ),
    "doc": ("sertiflow.cli_documents:doc", "Documents sertiflow issued."),
    "dossier": (
        "sertiflow.cli_apps:dossier",
        "A UMKM's documents: its own (shared by all its applications), one application's, or "
        "one mark's.",
    ),
    "mail": ("sertiflow.cli_workers:mail", "Emails sertiflow sends."),
    "notifications": (
        "sertiflow.cli_workers:notifications",
        "A user's in-app notifications, newest first.",
    ),
    "office": (
        "sertiflow.cli_office:office",
        "The office profile the letters print: letterhead and signatory.",
    ),
    "outbox": (
        "sertiflow.cli_workers:outbox",
        "The effects queue: what is pending, done or failed, and retrying failures.",
    ),
    "packet": (
        "sertiflow.cli_documents:packet",
        "The document packet of APP's stage: covering letter, forms, checklist, one PDF.",
    ),
    "today": (
        "sertiflow.cli_today:today",
        "What USER must do now: overdue first, then due today, this week, later, and what waits "
        "on others, with the triggers USER may fire.",
    ),
    "umkm": ("sertiflow.cli_umkm:umkm", "The businesses the office assists: list, show, update."),
    "serve": (
        "sertiflow.cli_web:serve",
        "Run the web app: login, the UMKM status page, the public verification page.",
    ),
    # the user group of cli_apps, with ``passwd`` (cli_web) and the API tokens (cli_tokens)
    "user": ("sertiflow.cli_tokens:user", "Admins, consultants and UMKM accounts."),
    "worker": (
        "sertiflow.cli_workers:worker",
        "Deliver effects: a Celery worker when SERTIFLOW_BROKER_URL is set, else the embedded "
        "loop (sweeps, packets, emails, notifications in this process).",
    ),
}
"""The commands other modules define: name -> (``module:attribute``, the short help ``--help``
lists without importing the module; a test keeps it equal to the command's own)."""


_JSON_ANYWHERE = "sertiflow.json_anywhere"


class OfficeGroup(click.Group):
    """The ``sertiflow`` group: loads the commands of ``LAZY_COMMANDS`` when they are run, and
    lets every command take ``--json`` after its name."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # Whether --json appears anywhere, for what fails before the command parses its own
        # (the settings), as ``run`` does for usage errors.
        ctx.meta[_JSON_ANYWHERE] = "--json" in args
        return super().parse_args(ctx, args)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in LAZY_COMMANDS:
            module, _, attribute = LAZY_COMMANDS[cmd_name][0].partition(":")
            command = getattr(importlib.import_module(module), attribute)
            if not isinstance(command, click.Command):  # pragma: no cover - a wiring mistake
                raise TypeError(f"{module}:{attribute} is not a click command")
            self.add_command(command, cmd_name)
        return None if command is None else accept_json(command)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list of ``--help``, from ``LAZY_COMMANDS`` for the commands not loaded."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max((len(name) for name in names), default=0)
        rows = []
        for name in names:
            command = self.commands.get(name)
            if command is None:
                stand_in = click.Command(name, help=LAZY_COMMANDS[name][1])  # its help only
                rows.append((name, stand_in.get_short_help_str(limit)))
            elif not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=OfficeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    "database_url",
    envvar="SERTIFLOW_DATABASE_URL",
    default=None,
    help="Database URL (default: sqlite:///var/sertiflow.db).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@click.version_option(package_name="sertiflow")
@click.pass_context
def main(ctx: click.Context, database_url: str | None, as_json: bool) -> None:
    """sertiflow: halal, trademark and SNI applications of a PLUT-KUMKM office."""
    from workflow.settings import Settings, SettingsError

    try:
        settings = Settings.from_env()
    except SettingsError as error:
        fail(as_json or ctx.meta.get(_JSON_ANYWHERE, False), "invalid_settings", str(error))
    if database_url:
        settings = replace(settings, database_url=database_url)
    ctx.obj = State(settings, as_json)


@main.command()
@pass_state
@reports_errors
def init(state: State) -> None:
    """Create or upgrade the database and add the office's regencies."""
    from workflow.directory import ensure_regencies, ensure_system_user
    from workflow.persistence.database import connect
    from workflow.persistence.migrate import upgrade
    from workflow.regions import MALUKU_REGENCIES

    db = connect(state.settings.database_url)
    upgrade(db)
    with db.begin() as conn:
        ensure_regencies(conn, MALUKU_REGENCIES)
    ensure_system_user(db, state.settings.delivery.system_user)  # whom the sweeps act as
    url = db.url.render_as_string(hide_password=True)
    if state.as_json:
        print_json({"database": url, "status": "ready"})
    else:
        say(f"database ready: {url}")


@main.command()
@click.option("--umkm", "umkm_count", default=1036, show_default=True, help="UMKM to create.")
@click.option("--cooperatives", default=10, show_default=True)
@click.option(
    "--applications",
    default=900,
    show_default=True,
    help="Applications to open and move through the engine.",
)
@click.option("--seed", default=2020, show_default=True, help="Random seed (same seed, same demo).")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database has users already.")
@pass_state
@reports_errors
def demo(
    state: State, umkm_count: int, cooperatives: int, applications: int, seed: int, if_empty: bool
) -> None:
    """Set up the PLUT Maluku demo office: 11 regencies, UMKM, 6 consultants, a year of work."""
    from rich.progress import Progress

    from sertiflow.demo import DEMO_LOGINS, DEMO_PASSWORD, build_demo
    from sertiflow.runtime import Runtime
    from workflow.directory import has_users
    from workflow.persistence.migrate import upgrade

    runtime = Runtime.build(state.settings, check_schema=False)  # it upgrades it first
    upgrade(runtime.db)
    system_user = state.settings.delivery.system_user
    logins = f"web logins {', '.join(DEMO_LOGINS)}, password {DEMO_PASSWORD}"
    if if_empty and has_users(runtime.db, besides=system_user):
        say(f"the database has users already; demo not loaded again (if it is the demo: {logins})")
        return
    with Progress(transient=True, disable=state.as_json) as progress:
        task = progress.add_task("moving applications", total=applications)
        summary = build_demo(
            runtime.workflow,
            umkm_count,
            cooperatives,
            applications,
            seed,
            lambda: progress.advance(task),
            system_user,
        )
    if state.as_json:
        print_json(asdict(summary))
    else:
        say(
            f"demo office ready: {summary.umkm} UMKM, {summary.cooperatives} cooperatives, "
            f"{summary.consultants} consultants, {summary.applications} applications, "
            f"{summary.transitions} transitions ({summary.refused} refused attempts shown to "
            f"consultants along the way); {summary.historical_effects} effects of the simulated "
            "year kept as history, the last day's left for 'sertiflow worker'; " + logins
        )


@main.command(name="import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file, write nothing.")
@click.option("--skip-invalid", is_flag=True, help="Import the good rows even if some are bad.")
@click.option("--as", "acting", default=None, metavar="USER", help="Who imports: an admin.")
@pass_state
@reports_errors
def import_(
    state: State, path: Path, dry_run: bool, skip_invalid: bool, acting: str | None
) -> None:
    """Import a UMKM registry (CSV or XLSX); re-importing updates by NIB. --dry-run checks the
    file only, so it needs no database. All or nothing: a bad row writes nothing unless
    --skip-invalid. Limits: SERTIFLOW_IMPORT_MAX_ROWS (1000000), SERTIFLOW_IMPORT_MAX_BYTES
    (200000000) and SERTIFLOW_IMPORT_MAX_CELL (1000 characters). Journalled with the admin who
    imports (--as), which every import but a dry run names."""
    from rich.progress import Progress

    from workflow import journal
    from workflow.directory import UpsertCounts, record_import
    from workflow.errors import InvalidInput
    from workflow.permissions import acting_user, require_admin
    from workflow.umkm_import import ImportLimits, import_registry

    limits = ImportLimits.from_env()
    if acting is None and not dry_run:
        raise InvalidInput("name the admin who imports with --as USER (or check with --dry-run)")
    with Progress(transient=True, disable=state.as_json) as progress:
        task = progress.add_task(f"reading {path.name}", total=None)

        def advance(rows: int) -> None:
            progress.update(task, description=f"reading {path.name}: {rows:,} rows")

        if dry_run:
            report = import_registry(None, path, None, limits=limits, progress=advance)
        else:
            runtime = state.runtime()
            now = runtime.workflow.clock()
            with journal.writing(runtime.db) as conn:  # one transaction: all rows, or none
                actor = acting_user(conn, str(acting))
                require_admin(actor, "import registries")
                report = import_registry(
                    conn, path, now, skip_invalid=skip_invalid, limits=limits, progress=advance
                )
                if report.written:
                    counts = UpsertCounts(report.created, report.updated)
                    record_import(conn, actor, path.name, counts, now)
    errors = [asdict(e) for e in report.errors]  # the first rows' only: see error_counts
    kinds = ", ".join(f"{kind}: {count:,}" for kind, count in report.error_counts.items())
    result: dict[str, Any] = {
        "file": str(path),
        "rows": report.total_rows,
        "valid": report.valid_rows,
        "bad_rows": report.bad_rows,
        "unlisted_bad_rows": report.unlisted_bad_rows,
        "errors": errors,
        "error_counts": dict(report.error_counts),
        "created": report.created,
        "updated": report.updated,
        "written": report.written,
    }
    refusal = None
    if report.bad_rows and not skip_invalid:
        refusal = (
            f"{report.bad_rows:,} rows are invalid, so nothing was imported; fix them, or "
            "use --skip-invalid to import the valid rows"
        )
        result["error"] = {"code": "invalid_input", "message": refusal}
    if state.as_json:
        print_json(result)
    else:
        if errors:
            listed = report.listed_bad_rows
            print_table(
                f"{report.bad_rows:,} bad rows in {path.name}"
                if listed == report.bad_rows
                else f"the first {listed:,} of {report.bad_rows:,} bad rows in {path.name}",
                ["row", "column", "value", "problem"],
                [(e["row"], e["column"], e["value"], e["reason"]) for e in errors],
            )
        if report.unlisted_bad_rows:
            say(
                f"... and {report.unlisted_bad_rows:,} more bad rows (problems in the whole "
                f"file: {kinds})"
            )
        say(
            f"{report.total_rows:,} rows, {report.valid_rows:,} valid; "
            f"{report.created:,} created, {report.updated:,} updated"
            + ("" if report.written else " (nothing written)")
        )
    if refusal is not None:
        fail(False, "invalid_input", refusal)  # the JSON report is already printed


@main.group()
def process() -> None:
    """The certification processes and their states."""


@process.command(name="list")
@pass_state
def process_list(state: State) -> None:
    """Every process, with its version and size."""
    from workflow.processes import ProcessRegistry

    registry = ProcessRegistry()
    keys = registry.keys()
    rows = [
        {
            "key": d.key,
            "version": d.version,  # the one new applications get
            "versions": [v.version for v in registry.all() if v.key == d.key],
            "title": d.title,
            "title_en": d.title_en,
            "states": len(d.states),
            "triggers": len(d.triggers),
            "regulation": d.regulation,
        }
        for d in (registry.get(key) for key in keys)
    ]
    if state.as_json:
        print_json(rows)
    else:
        print_table(
            None,
            ["key", "version", "title", "states", "triggers", "regulation"],
            [
                (r["key"], r["version"], r["title"], r["states"], r["triggers"], r["regulation"])
                for r in rows
            ],
            right=(1, 3, 4),
        )


@process.command(name="show")
@click.argument("key")
@click.option("--version", type=ROW_ID, default=None)
@pass_state
@reports_errors
def process_show(state: State, key: str, version: int | None) -> None:
    """A process's states (label, whose court, deadline: the law's or a service target, and
    its source) and transitions, with every guard and what it checks."""
    from workflow.processes import ProcessRegistry
    from workflow.rules import after_certificate, path_rule, state_rules, transition_rules

    definition = ProcessRegistry().get(key, version)
    policy = state.settings.policy
    fees = policy.fees.of_process(definition.key)  # SERTIFLOW_FEE_*
    states = state_rules(definition, policy)
    transitions = transition_rules(definition, policy)
    path = path_rule(definition, policy)
    after = after_certificate(definition, policy, state.settings.delivery.sni_surveillance_months)
    if state.as_json:
        print_json(
            {
                "key": definition.key,
                "version": definition.version,
                "title": definition.title,
                "regulation": definition.regulation,
                "fees": fees,
                "path_deadline": path,
                "after_certificate": after,
                "states": states,
                "transitions": transitions,
            }
        )
        return
    say(f"{definition.title} ({definition.ident})\n{definition.regulation}")
    amounts = [
        f"{name} " + ("set by the LSPro" if v is None else f"Rp{v:,}".replace(",", "."))
        for name, v in fees.items()
    ]
    say("Fees for an UMK: " + (", ".join(amounts) or "none (a government-funded quota)"))
    if path is not None:
        say(
            f"Whole path: {path['deadline']} from {path['from']} to the certificate "
            f"({path['kind']}, {path['basis']}: {path['source']})"
        )
    if after:
        say(
            f"After the certificate: {after['summary']} ({after['setting']}; "
            f"{after['basis']}: {after['source']})"
        )
    print_table(
        "States (deadline kind: law = a legal time limit, target = a service target)",
        ["state", "label", "court", "deadline", "kind", "basis", "source"],
        [
            (s["state"], s["label"], s["court"], s["deadline"], s["kind"], s["basis"], s["source"])
            for s in states
        ]
        + [
            (
                f"{s['state']}.{v['flag']}",
                f"(if {v['flag']})",
                s["court"],
                v["deadline"],
                v["kind"],
                v["basis"],
                v["source"],
            )
            for s in states
            for v in s["variants"]
        ],
    )
    print_table(
        "Transitions",
        ["trigger", "from", "to", "roles", "agency", "requires", "guarded"],
        [
            (
                t["trigger"],
                ", ".join(t["from"]),
                t["to"],
                ", ".join(t["roles"]),
                t["agency"],
                ", ".join(t["requires"]),
                "yes" if t["guards"] else "",
            )
            for t in transitions
        ],
    )
    print_table(
        "Guards (what each checks before its transition may fire)",
        ["trigger", "from", "guard", "checks"],
        [
            (t["trigger"], ", ".join(t["from"]), g["guard"], g["checks"])
            for t in transitions
            for g in t["guards"]
        ],
    )


@process.command(name="diagram")
@click.argument("key")
@click.option(
    "--format", "fmt", type=click.Choice(["mermaid", "dot"]), default="mermaid", show_default=True
)
@pass_state
@reports_errors
def process_diagram(state: State, key: str, fmt: str) -> None:
    """The process as a Mermaid or Graphviz diagram."""
    from workflow.diagram import graphviz, mermaid
    from workflow.processes import ProcessRegistry

    definition = ProcessRegistry().get(key)
    click.echo((mermaid if fmt == "mermaid" else graphviz)(definition), nl=False)


@main.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv", "pdf"]),
    default="table",
    show_default=True,
)
@click.option("--process", "process_key", default=None, help="Only this process.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="With --format pdf: where to write the report.",
)
@click.option(
    "--lang",
    type=click.Choice(["id", "en"]),
    default="id",
    show_default=True,
    help="Language of the PDF report.",
)
@pass_state
@reports_errors
def backlog(
    state: State, fmt: str, process_key: str | None, output: Path | None, lang: str
) -> None:
    """Where applications wait, for how long, against which deadline."""
    from workflow.backlog import compute_backlog
    from workflow.errors import InvalidInput
    from workflow.persistence.database import reading

    if fmt == "pdf" and output is None:
        raise InvalidInput("--format pdf needs -o FILE.pdf")
    runtime = state.runtime()
    if process_key is not None:
        runtime.workflow.registry.get(process_key)
    with reading(runtime.db).connect() as conn:
        result = compute_backlog(
            conn,
            runtime.workflow.registry,
            runtime.workflow.clock(),
            runtime.today(),
            process_key,
            state.settings.policy,
            state.settings.delivery.sni_surveillance_months,
        )
    if fmt == "pdf" and output is not None:
        _write_backlog_pdf(state, result, output, lang)
    elif fmt == "json" or state.as_json:
        print_json(_backlog_json(result))
    elif fmt == "csv":
        write_csv(
            [
                *("process", "state", "label", "court", "open", "overdue", "waiting_days"),
                *("deadline_kind", "overdue_law", "overdue_target"),
            ],
            [
                (
                    *(s.process, s.state, s.label, s.court, s.open, s.overdue),
                    round(s.waiting_days, 1),
                    *(s.deadline_kind or "", s.overdue_law, s.overdue_target),
                )
                for s in result.by_state
            ],
        )
    else:
        _print_backlog(result)


def _write_backlog_pdf(state: State, result: Backlog, output: Path, lang: str) -> None:
    from documents.packets import office_from_settings
    from documents.render import Renderer
    from documents.report import render_backlog_report

    rendered = render_backlog_report(Renderer(), result, office_from_settings(state.settings), lang)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(rendered.data)
    if state.as_json:
        print_json({"path": str(output), "pages": rendered.pages, "bytes": len(rendered.data)})
    else:
        say(f"{output}  ({rendered.pages} pages)")


def _backlog_json(result: Backlog) -> dict[str, Any]:
    heaviest = result.heaviest_stage
    return {
        "as_of": result.as_of,
        "today": result.today,
        "open": result.open_total,
        "overdue": result.overdue_total,
        "overdue_law": result.overdue_law_total,
        "overdue_target": result.overdue_target_total,
        "age_buckets": result.age_buckets,
        "by_state": [asdict(s) for s in result.by_state],
        "by_process": [asdict(g) for g in result.by_process],
        "by_consultant": [asdict(g) for g in result.by_consultant],
        "by_regency": [asdict(g) for g in result.by_regency],
        "dwell": [_dwell_json(d) for d in result.dwell],
        "heaviest_stage": None if heaviest is None else _dwell_json(heaviest),
        "waiting_days_by_court": {k: round(v, 1) for k, v in result.waiting_by_court.items()},
        "after_certificate": [asdict(row) for row in result.after_certificate],
    }


def _dwell_json(row: DwellRow) -> dict[str, Any]:
    return {**asdict(row), "held_days": row.held_days}


def _print_backlog(result: Backlog) -> None:
    from workflow.backlog import AGE_BUCKETS

    say(
        f"Backlog on {result.today.isoformat()}: {result.open_total} open applications, "
        f"{result.overdue_total} past their deadline: {result.overdue_law_total} against the "
        f"law, {result.overdue_target_total} against a target"
    )
    print_table(
        "Open applications by stage (deadline: law = a legal time limit, target = a service "
        "target)",
        ["process", "state", "label", "court", "open", "overdue", "deadline", "avg days waiting"],
        [
            (
                s.process,
                s.state,
                s.label,
                s.court,
                s.open,
                s.overdue,
                s.deadline_kind or "none",
                f"{s.waiting_days / s.open:,.1f}",
            )
            for s in result.by_state
        ],
        right=(4, 5, 7),
    )
    for title, groups in (
        ("By process", result.by_process),
        ("By consultant", result.by_consultant),
        ("By regency", result.by_regency),
    ):
        print_table(
            title,
            ["name", "open", "overdue", "against the law", "against a target"],
            [(g.name, g.open, g.overdue, g.overdue_law, g.overdue_target) for g in groups],
            right=(1, 2, 3, 4),
        )
    if result.after_certificate:
        print_table(
            "After the certificate (SNI surveillance past due is overdue; a halal consistency "
            "check past due is due: the certificate does not expire)",
            ["process", "check", "certificates", "due within 30 days", "past due"],
            [
                (r.process, r.check, r.certificates, r.due_soon, r.past_due)
                for r in result.after_certificate
            ],
            right=(2, 3, 4),
        )
    print_table(
        "Age since opening",
        ["age", "open"],
        [(label, result.age_buckets.get(label, 0)) for label, _ in AGE_BUCKETS],
        right=(1,),
    )
    print_table(
        "Dwell time per stage (finished stays, days)",
        ["process", "state", "court", "stays", "median", "p90", "held days"],
        [
            (
                d.process,
                d.state,
                d.court,
                d.stays,
                f"{d.median_days:.1f}",
                f"{d.p90_days:.1f}",
                f"{d.held_days:,.0f}",
            )
            for d in sorted(result.dwell, key=lambda d: -d.held_days)
        ],
        right=(3, 4, 5, 6),
    )
    heaviest = result.heaviest_stage
    if heaviest is not None:
        say(
            f"Most waiting time: {heaviest.process} {heaviest.state} "
            f"({heaviest.label}), {heaviest.held_days:,.0f} days"
        )
    say(
        "Waiting time by whose court: "
        + ", ".join(f"{court} {days:,.0f} days" for court, days in result.waiting_by_court.items())
    )


@main.group()
def audit() -> None:
    """The tamper-evident history of every application."""


@audit.command(name="verify")
@click.option("--app", "app_id", type=ROW_ID, default=None, help="Only this application.")
@click.option(
    "--checkpoint",
    "checkpoint_files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A checkpoint 'audit checkpoint' wrote: prove nothing before it changed (repeatable; "
    "default: every journal-*.json in SERTIFLOW_CHECKPOINT_DIR).",
)
@pass_state
@reports_errors
def audit_verify(state: State, app_id: int | None, checkpoint_files: tuple[Path, ...]) -> None:
    """Check every hash chain, that replaying the log gives each application's row, and the
    office journal: that no application, user or dossier document was added, changed or
    deleted behind sertiflow's back."""
    from workflow.errors import SertiflowError
    from workflow.journal import load_checkpoint
    from workflow.persistence.database import reading
    from workflow.verification import verify_audit

    if not checkpoint_files:  # the worker's daily ones
        checkpoint_files = tuple(sorted(Path(state.settings.checkpoint_dir).glob("journal-*.json")))
    checkpoints = [load_checkpoint(path) for path in checkpoint_files]
    runtime = state.runtime()
    with reading(runtime.db).connect() as conn:  # one snapshot; writers carry on meanwhile
        report = verify_audit(
            conn,
            runtime.workflow.registry,
            app_id,
            checkpoints=checkpoints,
            secret=state.settings.secret_key.encode(),
        )
    problems = [asdict(p) for p in report.problems]
    journal_problems = [asdict(p) for p in report.journal_problems]
    count = len(problems) + len(journal_problems)
    newest = max((int(c["seq"]) for c in checkpoints), default=0)
    unvouched = max(0, report.journal_entries - newest)
    broken = f"audit log NOT intact: {count} problems in {report.applications} applications"
    if state.as_json:
        document: dict[str, Any] = {
            "ok": report.ok,
            "applications": report.applications,
            "entries": report.entries,
            "journal_entries": report.journal_entries,
            "checkpoints": len(checkpoints),
            "entries_after_newest_checkpoint": unvouched,
            "problems": problems,
            "journal_problems": journal_problems,
        }
        if not report.ok:  # one document, the error inside it
            document["error"] = {"code": "audit_not_intact", "message": broken}
            print_json(document)
            say_error(broken)
            sys.exit(1)
        print_json(document)
        return
    if problems:
        print_table(
            "Audit problems",
            ["application", "entry", "problem"],
            [(p["application_id"], p["seq"], p["problem"]) for p in problems],
        )
    if journal_problems:
        print_table(
            "Office journal problems",
            ["what", "journal entry", "problem"],
            [(p["subject"], p["seq"], p["problem"]) for p in journal_problems],
        )
    if not report.ok:
        raise SertiflowError(broken)
    say(
        f"audit log intact: {report.applications} applications, {report.entries} entries, "
        f"{report.journal_entries} journal entries verified; "
        + (
            f"{len(checkpoints)} checkpoints hold, {unvouched} entries "
            "are newer than the newest (nothing outside the database vouches for those yet)"
            if checkpoints
            else "no checkpoint given: removing the newest entries together with what they "
            "record would not show (see 'sertiflow audit checkpoint')"
        )
    )


@audit.command(name="checkpoint")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The new file; keep it off this machine (mail it, print it, copy it to a USB stick).",
)
@pass_state
@reports_errors
def audit_checkpoint(state: State, output: Path) -> None:
    """Write a checkpoint of the office journal, signed with the office's key: 'audit verify
    --checkpoint FILE' later proves nothing before it was changed or removed."""
    from workflow.journal import save_checkpoint

    runtime = state.runtime()
    secret = state.settings.secret_key.encode()
    checkpoint = save_checkpoint(runtime.db, secret, runtime.workflow.clock(), output)
    if state.as_json:
        print_json({"path": str(output), **checkpoint})
    else:
        say(f"checkpoint of journal entry {checkpoint['seq']} written to {output}")


def run(args: list[str] | None = None) -> None:
    """The ``sertiflow`` command: ``main`` with every usage error as one ``error:`` line and
    exit status 1, like every other refusal (click's own would print the usage, exit 2)."""
    argv = sys.argv[1:] if args is None else args
    try:
        code = main.main(argv, prog_name="sertiflow", standalone_mode=False)
    except click.exceptions.Abort:
        fail("--json" in argv, "aborted", "aborted")
    except click.ClickException as error:
        fail("--json" in argv, "invalid_input", error.format_message().replace("\n", " "))
    sys.exit(code if isinstance(code, int) else 0)
