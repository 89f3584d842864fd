"""``sertiflow serve`` (the web app under uvicorn) and ``sertiflow user passwd`` (a user's web
login). Imports uvicorn, FastAPI and argon2 only when these commands run.

``passwd`` belongs to the ``user`` group of ``sertiflow.cli_apps``; the group is loaded from
here (``cli.LAZY_COMMANDS``), which adds the command to it, so that the web login's code lives
beside the web app's.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading

import click

from sertiflow.cli_apps import user
from sertiflow.cli_common import State, acting_option, pass_state, reports_errors
from sertiflow.output import print_json, say

__all__ = ["serve", "user", "user_passwd"]


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="TCP port."
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Worker processes (each its own app; sessions and limits live in the database).",
)
@click.option(
    "--threads",
    type=click.IntRange(1, 64),
    default=None,
    help="Requests each worker process handles at once; the others wait their turn "
    "[default: SERTIFLOW_WEB_THREADS, else 4].",
)
@click.option(
    "--behind-proxy",
    is_flag=True,
    help="Trust X-Forwarded-For/-Proto from a reverse proxy on 127.0.0.1 (client addresses "
    "for the login and lookup limits).",
)
@click.option(
    "--worker/--no-worker",
    "with_worker",
    default=True,
    show_default=True,
    help="Without SERTIFLOW_BROKER_URL, run the embedded worker in this process too (emails, "
    "packets, notifications, sweeps); with a broker, Celery workers do that.",
)
@pass_state
@reports_errors
def serve(
    state: State,
    host: str,
    port: int,
    workers: int,
    threads: int | None,
    behind_proxy: bool,
    with_worker: bool,
) -> None:
    """Run the web app: login, the UMKM status page, the public verification page."""
    import copy

    import uvicorn
    from uvicorn.config import LOGGING_CONFIG, STARTUP_FAILURE
    from uvicorn.supervisors import Multiprocess

    from sertiflow.listeners import ReusePortListeners, check_free, reuse_port_supported
    from workflow.errors import InvalidInput

    # uvicorn's own logging, plus sertiflow's: the security log (every denial) to stderr.
    log_config = copy.deepcopy(LOGGING_CONFIG)
    log_config["loggers"]["sertiflow"] = {
        "handlers": ["default"],
        "level": "INFO",
        "propagate": False,
    }
    state.runtime()  # refuses a database 'sertiflow init' has not prepared, naming it
    try:
        check_free(host, port)
    except OSError as error:
        raise InvalidInput(
            f"cannot listen on {host}:{port}: {error.strerror or error}; stop what uses the "
            "port or choose another with --port"
        ) from None
    # Each uvicorn worker builds its app from the environment: pass --db on to it.
    os.environ["SERTIFLOW_DATABASE_URL"] = state.settings.database_url
    if threads is not None:
        os.environ["SERTIFLOW_WEB_THREADS"] = str(threads)
    stop = threading.Event()
    worker = None
    if with_worker and not state.settings.delivery.broker_url:
        worker = _embedded_worker(state, stop)
        say(f"embedded worker running: emails in {state.settings.mail_dir}")
    # uvicorn shuts down on SIGINT/SIGTERM, then restores these handlers and raises the signal
    # again: ours ends the command normally, after the worker has given back what it held.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda _signum, _frame: stop.set())
    say(f"sertiflow web app on http://{host}:{port}/ (Ctrl+C stops it)")
    config = uvicorn.Config(
        "web.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=behind_proxy,
        forwarded_allow_ips="127.0.0.1" if behind_proxy else None,
        server_header=False,
        log_config=log_config,
        log_level="info",
    )
    try:
        if workers > 1 and reuse_port_supported():
            # uvicorn's supervisor (it restarts a worker that dies), each worker on a socket
            # of its own: sertiflow.listeners says why.
            Multiprocess(config, sockets=ReusePortListeners(host, port)).run()
        elif workers > 1:
            Multiprocess(config, sockets=[config.bind_socket()]).run()
        else:
            server = uvicorn.Server(config)
            server.run()
            if not server.started:
                sys.exit(STARTUP_FAILURE)
    finally:
        stop.set()
        if worker is not None:
            worker.join(timeout=60)  # it gives back what it claimed and has not delivered


def _embedded_worker(state: State, stop: threading.Event) -> threading.Thread:
    """The embedded worker (``sertiflow worker`` without a broker) in a thread of its own,
    until ``stop`` is set; a crash is logged, never silent."""
    from sertiflow.cli_workers import worker_context
    from workers.embedded import run_embedded

    for noisy in ("weasyprint", "fontTools"):  # a line per layout step of every PDF
        logging.getLogger(noisy).setLevel(logging.WARNING)
    ctx = worker_context(state)

    def run() -> None:
        try:
            run_embedded(ctx, stop=stop)
        except Exception:
            logging.getLogger("sertiflow.worker").exception(
                "the embedded worker stopped; emails wait in the outbox until it runs again "
                "('sertiflow worker')"
            )

    thread = threading.Thread(target=run, name="sertiflow-embedded-worker", daemon=True)
    thread.start()
    return thread


@user.command(name="passwd")
@click.argument("username")
@click.option(
    "--stdin",
    "from_stdin",
    is_flag=True,
    help="Read the password from the first line of standard input instead of prompting.",
)
@acting_option("the user themself or an admin")
@pass_state
@reports_errors
def user_passwd(state: State, username: str, from_stdin: bool, acting: str) -> None:
    """Set USERNAME's password for the web app (asked twice, never echoed). Journalled with
    a digest of the new hash; the user's open web sessions end."""
    from workflow.accounts import set_password
    from workflow.errors import InvalidInput

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt(
            f"New password for {username}",
            hide_input=True,
            confirmation_prompt="Repeat it",
        )
    if not password:
        raise InvalidInput("no password given")
    runtime = state.runtime()
    set_password(runtime.db, username, password, acting=acting, now=runtime.workflow.clock())
    if state.as_json:
        print_json({"username": username, "password_set": True})
    else:
        say(f"password of {username} set")
