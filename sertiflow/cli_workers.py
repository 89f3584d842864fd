"""``sertiflow worker``, ``beat``, ``outbox``, ``mail preview`` and ``notifications``: the
delivery side, for operators and for consultants who want to see what was sent."""

from __future__ import annotations

import logging
import os
import signal
import threading
from types import FrameType
from typing import TYPE_CHECKING

import click
from sqlalchemy import select

from sertiflow.cli_common import ROW_ID, State, pass_state, reports_errors
from sertiflow.output import print_json, print_table, printable, say
from workflow.errors import InvalidInput, NotFound
from workflow.persistence.database import reading

if TYPE_CHECKING:
    from workers.context import WorkerContext

__all__ = ["beat", "mail", "notifications", "outbox", "worker", "worker_context"]


def worker_context(state: State) -> WorkerContext:
    """The worker's view of the runtime this command already wired (its engine included)."""
    from workers.context import WorkerContext
    from workers.mail import mailer_from_settings

    runtime = state.runtime()
    return WorkerContext(
        state.settings, runtime.db, runtime.workflow, mailer_from_settings(state.settings)
    )


@click.command()
@click.option("--once", is_flag=True, help="Deliver what is due now in this process, then exit.")
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=2,
    show_default=True,
    help="Celery processes.",
)
@click.option("--loglevel", default="INFO", show_default=True)
@pass_state
@reports_errors
def worker(state: State, once: bool, concurrency: int, loglevel: str) -> None:
    """Deliver effects: a Celery worker when SERTIFLOW_BROKER_URL is set, else the embedded
    loop (sweeps, packets, emails, notifications in this process). Ctrl-C stops it."""
    for noisy in ("weasyprint", "fontTools"):  # a line per layout step of every PDF
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if state.settings.delivery.broker_url and not once:
        from workers.app import make_celery

        state.runtime()  # refuses a database that is not initialised, before Celery starts
        app = make_celery(state.settings)
        app.worker_main(
            [
                "worker",
                f"--loglevel={loglevel}",
                f"--concurrency={concurrency}",
                "--pool=prefork",
                f"--hostname=sertiflow-{os.getpid()}@%h",  # several workers on one machine
            ]
        )
        return
    from workers.embedded import run_embedded

    ctx = worker_context(state)
    stop = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    if not once and not state.as_json:
        say("embedded worker running (no SERTIFLOW_BROKER_URL); Ctrl-C stops it")
    report = run_embedded(ctx, once=once, stop=stop)
    outcomes = dict(report.outcomes)
    if state.as_json:
        print_json({"delivered": outcomes, "sweeps": report.sweeps})
    else:
        done = ", ".join(f"{count} {what}" for what, count in sorted(outcomes.items())) or "nothing"
        say(
            f"worker: {done}; mail in {state.settings.mail_dir}"
            if outcomes
            else f"worker: {done} due"
        )


@click.command()
@click.option("--loglevel", default="INFO", show_default=True)
@click.option(
    "--schedule",
    default="var/celerybeat-schedule",
    show_default=True,
    help="Where beat keeps its last run times.",
)
@pass_state
@reports_errors
def beat(state: State, loglevel: str, schedule: str) -> None:
    """Run Celery beat: the relay every few seconds, the deadline and renewal sweeps and the
    digests every hour. Run exactly one per office."""
    if not state.settings.delivery.broker_url:
        raise InvalidInput(
            "beat needs SERTIFLOW_BROKER_URL; without a broker the embedded "
            "'sertiflow worker' runs the relay and the sweeps itself"
        )
    from pathlib import Path

    from workers.app import make_celery

    state.runtime()
    Path(schedule).parent.mkdir(parents=True, exist_ok=True)
    make_celery(state.settings).start(["beat", f"--loglevel={loglevel}", f"--schedule={schedule}"])


@click.group()
def outbox() -> None:
    """The effects queue: what is pending, done or failed, and retrying failures."""


@outbox.command(name="status")
@pass_state
@reports_errors
def outbox_status(state: State) -> None:
    """Rows per status and kind."""
    from workers.outbox import STATUSES, status_counts

    counts = status_counts(state.runtime().db)
    if state.as_json:
        print_json(counts)
        return
    kinds = sorted({kind for per_kind in counts.values() for kind in per_kind})
    rows = [[kind, *(counts[s].get(kind, 0) for s in STATUSES)] for kind in kinds]
    rows.append(["total", *(sum(counts[s].values()) for s in STATUSES)])
    print_table("outbox", ["kind", *STATUSES], rows, right=range(1, len(STATUSES) + 1))


@outbox.command(name="list")
@click.option("--status", default=None, help="pending, leased, done, failed or historical.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@pass_state
@reports_errors
def outbox_list(state: State, status: str | None, limit: int) -> None:
    """The newest rows, with their attempts, error and outcome."""
    from workers.outbox import list_rows

    rows = list_rows(state.runtime().db, status=status, limit=limit)
    if state.as_json:
        print_json(rows)
        return
    print_table(
        None,
        ["id", "kind", "status", "app", "attempts", "created", "error / outcome"],
        [
            [
                r["id"],
                r["kind"],
                r["status"],
                r["application_id"] or "",
                r["attempts"],
                r["created_at"],
                (r["last_error"] if r["status"] != "done" else None)
                or (r["result"] or {}).get("outcome", ""),
            ]
            for r in rows
        ],
        right=(0, 3, 4),
    )


@outbox.command(name="retry")
@click.argument("ids", type=ROW_ID, nargs=-1)
@click.option("--failed", "all_failed", is_flag=True, help="Retry every failed row.")
@pass_state
@reports_errors
def outbox_retry(state: State, ids: tuple[int, ...], all_failed: bool) -> None:
    """Put failed rows back in the queue with fresh attempts (ID... or --failed)."""
    from workers.outbox import retry

    if bool(ids) == all_failed:
        raise InvalidInput("give outbox row ids or --failed (not both)")
    runtime = state.runtime()
    chosen = retry(runtime.db, None if all_failed else ids, runtime.workflow.clock())
    if chosen and runtime.workflow.dispatch is not None:
        try:
            runtime.workflow.dispatch(chosen)
        except Exception as error:  # the relay sends them once the broker is back
            say(f"queued for the relay (broker unreachable: {error})", err=True)
    if state.as_json:
        print_json({"retried": chosen})
    else:
        say(f"retrying {len(chosen)} rows" + (f": {', '.join(map(str, chosen))}" if chosen else ""))


@click.group()
def mail() -> None:
    """Emails sertiflow sends."""


@mail.command(name="preview")
@click.argument("app_id", type=ROW_ID, metavar="APP")
@click.option("--lang", type=click.Choice(["id", "en"]), default=None, help="Default: the UMKM's.")
@click.option("--html", "as_html", is_flag=True, help="Print the HTML part instead of the text.")
@pass_state
@reports_errors
def mail_preview(state: State, app_id: int, lang: str | None, as_html: bool) -> None:
    """Print the status email APP's last transition sends its UMKM (nothing is sent)."""
    from workers.effects import StepView, status_message
    from workers.people import load_case
    from workflow.ledger import AUDIT
    from workflow.model import Court

    ctx = worker_context(state)
    with reading(ctx.db).connect() as conn:
        case = load_case(conn, ctx.workflow.registry, app_id)
        last = conn.execute(
            select(AUDIT.c.trigger, AUDIT.c.from_state, AUDIT.c.to_state)
            .where(AUDIT.c.application_id == app_id, AUDIT.c.from_state != AUDIT.c.to_state)
            .order_by(AUDIT.c.seq.desc())
            .limit(1)
        ).first()
    if last is None:
        raise NotFound(f"application #{app_id} has no transition yet")
    payload = {
        "trigger": last.trigger,
        "from": last.from_state,
        "to": last.to_state,
        "deadline": case.deadline.isoformat()
        if case.deadline and last.to_state == case.state
        else None,
    }
    step = StepView(case, payload)
    attached = step.state.court is Court.UMKM and bool(step.state.documents)
    email = status_message(ctx, case, step, lang or case.language, packet_attached=attached)
    if state.as_json:
        print_json(
            {
                "to": case.umkm_email,
                "subject": email.subject,
                "text": email.text,
                "html": email.html,
            }
        )
        return
    say(printable(f"To: {case.owner_name} <{case.umkm_email or 'no email on file'}>"))
    say(printable(f"Subject: {email.subject}") + "\n")
    body = email.html if as_html else email.text
    say("\n".join(printable(line) for line in body.splitlines()))


@click.command()
@click.option("--as", "username", required=True, help="Whose notifications.")
@click.option("--unread", is_flag=True, help="Only those not read yet.")
@click.option("--mark-read", is_flag=True, help="Mark the ones shown as read.")
@click.option("--limit", type=click.IntRange(1, 1000), default=30, show_default=True)
@pass_state
@reports_errors
def notifications(state: State, username: str, unread: bool, mark_read: bool, limit: int) -> None:
    """A user's in-app notifications, newest first."""
    from sqlalchemy import update

    from workers.effects import NOTIFICATIONS

    runtime = state.runtime()
    with runtime.db.begin() as conn:
        actor = runtime.workflow.actor(conn, username)
        query = select(NOTIFICATIONS).where(NOTIFICATIONS.c.user_id == actor.id)
        if unread:
            query = query.where(NOTIFICATIONS.c.read_at.is_(None))
        rows = [
            dict(r)
            for r in conn.execute(query.order_by(NOTIFICATIONS.c.id.desc()).limit(limit)).mappings()
        ]
        if mark_read and rows:
            conn.execute(
                update(NOTIFICATIONS)
                .where(
                    NOTIFICATIONS.c.id.in_([r["id"] for r in rows]),
                    NOTIFICATIONS.c.read_at.is_(None),
                )
                .values(read_at=runtime.workflow.clock())
            )
    if state.as_json:
        print_json(rows)
        return
    if not rows:
        say(f"no {'unread ' if unread else ''}notifications for {username}")
        return
    print_table(
        None,
        ["id", "when", "app", "", "notification"],
        [
            [
                r["id"],
                r["created_at"],
                r["application_id"] or "",
                "" if r["read_at"] else "•",
                r["title"],
            ]
            for r in rows
        ],
        right=(0, 2),
    )
