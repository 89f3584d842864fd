"""The web app under 20 concurrent users on loopback: p50/p95 latency and requests per second
for today's view, the queue, an application page, the UMKM status page and the admin dashboard.

The office is the backlog benchmark's: 100,000 applications with 1,000,000 audit rows in every
state of the four processes, six consultants, eleven regencies (``bench.bench_backlog.populate``),
plus an admin, and a web password for the admin and the first consultant. ``sertiflow serve``
runs it in a child process (``--no-worker``: nothing is delivered while measuring); each user
logs in once, then ``wrk`` (the load tool, Debian's ``wrk``) keeps ``--users`` keep-alive
connections sharing that login, each asking for the page again as soon as it is answered, for
``--seconds``. Latency is each request's time at the client; a response other than 200 counts as
an error. Targets: p95 under 200 ms for the pages, under 500 ms for the dashboard, on SQLite and
on PostgreSQL. Beside them: the CPU time the server's workers (and PostgreSQL's processes) spent
per request.

Why wrk and not a Python client: the clients share the server's two cores. An httpx client
spent 3.6 ms of CPU per request (40-70 % of a core) and its own event loop's queue was part of
every latency it measured: the same server measured 290 ms p95 for the application page with
it and 105 ms with wrk. wrk spends a few microseconds per request.

    .venv/bin/python -m bench.bench_web [--apps 100000] [--audit 1000000]
        [--backend sqlite|postgres|both] [--users 20] [--seconds 10] [--workers 2] [--json]
        [--pages today,queue,application,UMKM,admin]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from argon2 import PasswordHasher

from bench.bench_backlog import populate
from bench.common import BenchDB, fresh_database, print_table, versions
from workflow.ledger import USERS
from workflow.status_link import make_status_token

PASSWORD = "bench-password-2026"
SECRET = "bench-secret-key-" + "k" * 40
ADMIN = "admin"
CONSULTANT = "konsultan1"
TARGET_PAGE_MS = 200.0
TARGET_DASHBOARD_MS = 500.0


@dataclass(frozen=True, slots=True)
class Page:
    """One page measured: its name, path, who asks for it, and its p95 target."""

    name: str
    path: str
    user: str | None  # None: no login (the status page's signed link)
    target_ms: float


@dataclass(frozen=True, slots=True)
class Figures:
    """One page's measurement."""

    backend: str
    page: str
    requests: int
    errors: int
    p50_ms: float
    p95_ms: float
    per_second: float
    target_ms: float
    server_cpu_ms: float  # CPU time of the server's workers per request
    # The machine's postgres processes (0 on SQLite: it runs in the workers); one that exits
    # meanwhile takes its time with it, so connections opened and closed per request hide theirs.
    database_cpu_ms: float

    @property
    def met(self) -> bool:
        """Whether p95 is within the target and every request succeeded."""
        return self.errors == 0 and self.p95_ms <= self.target_ms


def pages(app_id: int, umkm_id: int) -> list[Page]:
    """The pages the issue names, with the paths the web app serves them at."""
    token = make_status_token(SECRET.encode(), umkm_id, date.today() + timedelta(days=30))
    return [
        Page("today (consultant)", "/kerja", CONSULTANT, TARGET_PAGE_MS),
        Page("queue (consultant)", "/antrian", CONSULTANT, TARGET_PAGE_MS),
        Page("application page", f"/aplikasi/{app_id}", CONSULTANT, TARGET_PAGE_MS),
        Page("UMKM status page", f"/status/{token}", None, TARGET_PAGE_MS),
        Page("admin dashboard", "/admin", ADMIN, TARGET_DASHBOARD_MS),
    ]


def prepare(db: BenchDB, n_apps: int, n_audit: int, seed: int) -> tuple[int, int]:
    """Populate the office and give the admin and the first consultant a web login; returns
    an application of the consultant's and its UMKM."""
    populate(db.engine, n_apps, n_audit, random.Random(seed))
    hashed = PasswordHasher().hash(PASSWORD)
    with db.engine.begin() as conn:
        conn.execute(
            sa.insert(USERS).values(
                id=100, username=ADMIN, full_name="Admin", role="admin", active=True
            )
        )
        conn.execute(
            sa.update(USERS)
            .where(USERS.c.username.in_([ADMIN, CONSULTANT]))
            .values(password_hash=hashed)
        )
        row = conn.execute(
            sa.text(
                "SELECT a.id, a.umkm_id FROM application a JOIN app_user u "
                "ON u.id = a.assignee_id WHERE u.username = :u AND a.phase = 'pipeline' "
                "ORDER BY a.id LIMIT 1"
            ),
            {"u": CONSULTANT},
        ).one()
    return int(row.id), int(row.umkm_id)


def _up(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def serve(db_url: str, port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    """``sertiflow serve`` on ``db_url``, up and answering."""
    env = {
        **os.environ,
        "SERTIFLOW_DATABASE_URL": db_url,
        "SERTIFLOW_SECRET_KEY": SECRET,
        "SERTIFLOW_ENV": "development",
    }
    command = [sys.executable, "-m", "sertiflow", "serve", "--port", str(port), "--no-worker"]
    command += ["--workers", str(workers)]
    process = subprocess.Popen(command, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while not _up(url):
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            raise RuntimeError(f"sertiflow serve did not start: {log.read_text()[-2000:]}")
        time.sleep(0.2)
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL after 30 s."""
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()


def login(base: str, username: str) -> httpx.Cookies:
    """A signed-in session's cookies (the login form's CSRF token first)."""
    with httpx.Client(base_url=base, follow_redirects=False) as client:
        form = client.get("/masuk").text
        match = re.search(r'name="csrf_token" value="([^"]+)"', form)
        if match is None:
            raise RuntimeError("the login page has no CSRF token")
        answer = client.post(
            "/masuk",
            data={"username": username, "password": PASSWORD, "csrf_token": match.group(1)},
        )
        if answer.status_code != 303:
            raise RuntimeError(f"login of {username} answered {answer.status_code}")
        return client.cookies


# wrk's report: requests, failures (connection errors, timeouts and any status but 200),
# duration and latency percentiles in microseconds, as one JSON line.
WRK_REPORT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function response(status, headers, body)
  if status ~= 200 then not_ok = (not_ok or 0) + 1 end
end
function done(summary, latency, requests)
  local e = summary.errors
  local failed = e.connect + e.read + e.write + e.timeout
  for _, thread in ipairs(threads) do failed = failed + (thread:get("not_ok") or 0) end
  io.write(string.format(
    '{"requests": %d, "errors": %d, "duration_us": %.0f, "p50_us": %.0f, "p95_us": %.0f}\\n',
    summary.requests, failed, summary.duration, latency:percentile(50),
    latency:percentile(95)))
end
"""


def wrk(url: str, cookie: str | None, users: int, seconds: float, script: Path) -> dict[str, Any]:
    """``users`` keep-alive connections asking for ``url`` for ``seconds`` (``wrk``)."""
    if shutil.which("wrk") is None:
        raise SystemExit("bench_web needs the load tool wrk: apt-get install wrk")
    command = ["wrk", "-t1", f"-c{users}", f"-d{max(1, round(seconds))}s", "--timeout", "60s"]
    command += ["-s", str(script)]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    done = subprocess.run([*command, url], capture_output=True, text=True, check=True)
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def cpu_seconds(pids: Sequence[int]) -> float:
    """User and system CPU time of ``pids`` so far (``/proc``; those gone count nothing)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / tick


def processes(parent: int | None = None, name: str | None = None) -> list[int]:
    """The pids whose parent is ``parent``, or whose command is ``name``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        command, rest = text.split(" (", 1)[1].rsplit(")", 1)
        if (parent is not None and int(rest.split()[1]) == parent) or command == name:
            found.append(int(stat.parent.name))
    return found


def measure(
    backend: str,
    base: str,
    page: Page,
    cookies: httpx.Cookies | None,
    args: argparse.Namespace,
    server: int,
    script: Path,
) -> Figures:
    """``args.users`` clients on ``page`` for ``args.seconds`` (after a second's warm-up)."""
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items()) if cookies else None
    # A second's warm-up at full load: the caches, and every connection the pools open (the
    # PostgreSQL processes they start are counted below only when they exist before the run).
    wrk(base + page.path, cookie, args.users, 1.0, script)
    workers = processes(parent=server)
    database = processes(name="postgres") if backend.startswith("postgres") else []
    before = cpu_seconds(workers), cpu_seconds(database)
    report = wrk(base + page.path, cookie, args.users, args.seconds, script)
    after = cpu_seconds(workers), cpu_seconds(database)
    if backend.startswith("postgres") and set(processes(name="postgres")) - set(database):
        print(
            f"{page.name}: PostgreSQL processes started while measuring; their CPU is not counted",
            file=sys.stderr,
        )
    requests = max(1, int(report["requests"]))
    return Figures(
        backend,
        page.name,
        int(report["requests"]),
        int(report["errors"]),
        round(report["p50_us"] / 1000, 1),
        round(report["p95_us"] / 1000, 1),
        round(requests / (report["duration_us"] / 1e6), 1),
        page.target_ms,
        round((after[0] - before[0]) * 1000 / requests, 2),
        round((after[1] - before[1]) * 1000 / requests, 2),
    )


def run_backend(backend: str, args: argparse.Namespace, workdir: Path) -> list[Figures]:
    """Every page on one backend."""
    with fresh_database(backend) as db:
        started = time.monotonic()
        app_id, umkm_id = prepare(db, args.apps, args.audit, args.seed)
        print(f"{backend}: office populated in {time.monotonic() - started:.0f} s", flush=True)
        db.engine.dispose()
        port = _free_port()
        process = serve(db.url, port, args.workers, workdir / f"serve-{backend}.log")
        base = f"http://127.0.0.1:{port}"
        script = workdir / "report.lua"
        script.write_text(WRK_REPORT)
        try:
            sessions = {name: login(base, name) for name in (ADMIN, CONSULTANT)}
            return [
                measure(
                    backend,
                    base,
                    page,
                    sessions[page.user] if page.user else None,
                    args,
                    process.pid,
                    script,
                )
                for page in pages(app_id, umkm_id)
                if not args.pages or page.name.split(" ")[0] in args.pages
            ]
        finally:
            stop(process)
            if args.logs is not None:  # the server's log, to see what an error was
                args.logs.mkdir(parents=True, exist_ok=True)
                log = workdir / f"serve-{backend}.log"
                (args.logs / log.name).write_text(log.read_text())


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmark and print its table (or JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--apps", type=int, default=100_000)
    parser.add_argument("--audit", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--logs", type=Path, default=None, help="keep the servers' logs here")
    parser.add_argument(
        "--pages",
        type=lambda text: text.split(","),
        default=[],
        help="only these pages, by their first word: today,queue,application,UMKM,admin",
    )
    args = parser.parse_args(argv)
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    import tempfile

    with tempfile.TemporaryDirectory(prefix="sertiflow-bench-web-") as tmp:
        figures = [f for b in backends for f in run_backend(b, args, Path(tmp))]
    if args.json:
        result: dict[str, Any] = {
            "versions": versions(),
            "figures": [{**asdict(f), "met": f.met} for f in figures],
        }
        print(json.dumps(result, indent=2))
        return
    print_table(
        [
            "backend",
            "page",
            "requests",
            "errors",
            "p50 ms",
            "p95 ms",
            "req/s",
            "CPU ms/req (server, db)",
            "p95 target",
            "",
        ],
        [
            (
                f.backend,
                f.page,
                f.requests,
                f.errors,
                f.p50_ms,
                f.p95_ms,
                f.per_second,
                f"{f.server_cpu_ms}, {f.database_cpu_ms}",
                f"{f.target_ms:.0f} ms",
                "met" if f.met else "NOT MET",
            )
            for f in figures
        ],
    )


if __name__ == "__main__":
    main()
