"""Real services for the worker tests: a Redis database of the test's own, an SMTP server on
loopback, worker and Redis processes that are stopped by their process id.

When Redis is missing a test is skipped on a developer's machine and fails in CI (``CI=true``).
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import redis
from aiosmtpd.controller import Controller

REDIS_HOST = os.environ.get("SERTIFLOW_TEST_REDIS_HOST", "127.0.0.1")
REDIS_PORT = int(os.environ.get("SERTIFLOW_TEST_REDIS_PORT", "6379"))
ROOT = Path(__file__).resolve().parent.parent
SERTIFLOW = str(Path(sys.executable).with_name("sertiflow"))


def service_missing(what: str, error: Exception) -> None:
    """Skip here, fail in CI: a service the test needs is not there."""
    message = f"{what} is not reachable ({error.__class__.__name__}: {error})"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; CI needs it", pytrace=False)
    pytest.skip(message)


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> None:
    """Poll ``condition`` until it is true; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


REDIS_DATABASES = range(1, 16)
"""The database numbers tests may use; 0 holds the claims on them."""
REDIS_CLAIM = "sertiflow-test:claim:redis-db:{number}"
REDIS_CLAIM_SECONDS = 3600  # a claim left by a killed test run frees itself after this
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end"


def claim_redis_database(admin: redis.Redis, token: str, timeout: float = 300) -> int:
    """A database number nobody else holds, claimed atomically (``SET NX`` of a key in database
    0 with an expiry): two tests, in two xdist workers or two test runs, never share one."""
    deadline = time.monotonic() + timeout
    while True:
        for number in random.sample(REDIS_DATABASES, len(REDIS_DATABASES)):
            key = REDIS_CLAIM.format(number=number)
            if admin.set(key, token, nx=True, ex=REDIS_CLAIM_SECONDS):
                return number
        if time.monotonic() > deadline:
            raise AssertionError(f"every Redis test database was claimed for {timeout:.0f} s")
        time.sleep(0.2)


def release_redis_database(admin: redis.Redis, number: int, token: str) -> None:
    """Give the claim back, if it is still ours."""
    admin.eval(_RELEASE, 1, REDIS_CLAIM.format(number=number), token)


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis database number of this test's own on the local server, empty before and after."""
    admin = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=0, socket_timeout=5)
    try:
        admin.ping()
    except redis.RedisError as error:
        admin.close()
        service_missing(f"Redis at {REDIS_HOST}:{REDIS_PORT}", error)
    token = uuid.uuid4().hex
    number = claim_redis_database(admin, token)
    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=number, socket_timeout=5)
    try:
        client.flushdb()
        yield f"redis://{REDIS_HOST}:{REDIS_PORT}/{number}"
        client.flushdb()
    finally:
        client.close()
        release_redis_database(admin, number, token)
        admin.close()


@dataclass
class Received:
    """One message the SMTP server accepted."""

    sender: str
    recipients: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class SmtpSink:
    """An SMTP server on loopback that keeps what it is sent, or refuses it while told to."""

    host: str
    port: int
    received: list[Received] = field(default_factory=list)
    refuse_with: str | None = None  # e.g. "451 4.3.0 try again later"
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse_with:
            return self.refuse_with
        with self.lock:
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
            )
        return "250 OK"

    def to(self, address: str) -> list[Received]:
        """The messages whose envelope went to ``address``."""
        with self.lock:
            return [r for r in self.received if address in r.recipients]

    def env(self) -> dict[str, str]:
        """The settings that send sertiflow's mail here."""
        return {
            "SERTIFLOW_SMTP_HOST": self.host,
            "SERTIFLOW_SMTP_PORT": str(self.port),
            "SERTIFLOW_SMTP_SECURITY": "none",
        }


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    """A real SMTP server (aiosmtpd) on a free loopback port, stopped after the test."""
    sink = SmtpSink("127.0.0.1", free_port())
    controller = Controller(sink, hostname=sink.host, port=sink.port, loop=asyncio.new_event_loop())
    try:
        controller.start()
    except Exception as error:  # a server that cannot start is a missing fixture
        service_missing("the SMTP test server", error)
    try:
        yield sink
    finally:
        controller.stop()


class Processes:
    """Processes a test starts, each in its own session, stopped by process id afterwards."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, args: list[str], env: Mapping[str, str]) -> subprocess.Popen[bytes]:
        """Start ``args`` with ``env`` added to this environment; output goes to logs/NAME.log."""
        log = (self.logs / f"{name}.log").open("ab")
        process = subprocess.Popen(
            args,
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        self.started.append(process)
        return process

    def kill(self, process: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
        """Send ``sig`` to the process and every child of its session, then reap it."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def log(self, name: str) -> str:
        """What process ``name`` printed so far."""
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                self.kill(process, signal.SIGTERM)


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    """Start worker or server processes; every one still running is stopped after the test."""
    logs = tmp_path / "logs"
    logs.mkdir()
    started = Processes(logs)
    try:
        yield started
    finally:
        started.stop_all()


def answers(url: str) -> bool:
    """Whether the web app at ``url`` answers its health check."""
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@contextlib.contextmanager
def serving(
    folder: Path, env: Mapping[str, str], *options: str, port: int | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``sertiflow serve`` on a loopback ``port`` (a free one unless given) with ``env`` over
    this process's environment, logging to ``folder/serve.log``: its address and process once
    it answers; stopped by its process id (SIGTERM, then SIGKILL after 15 s) at the end."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "sertiflow", "serve", "--host", "127.0.0.1"]
    with (folder / "serve.log").open("a") as log:
        process = subprocess.Popen(
            [*command, "--port", str(port), *options],
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for(lambda: answers(url) or process.poll() is not None, 60, "sertiflow serve")
            assert process.poll() is None, (folder / "serve.log").read_text()
            yield url, process
        finally:
            if process.poll() is None:
                os.kill(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.kill(process.pid, signal.SIGKILL)
                    process.wait()
