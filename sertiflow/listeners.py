"""Several uvicorn workers on one port, each with a listening socket of its own.

uvicorn's ``--workers N`` binds one socket in the parent and shares it: every worker waits on the
same accept queue and asyncio accepts all that is pending at once, so the worker that wakes
first takes a burst of new connections and keeps them (keep-alive). Measured on two workers and
twenty clients: one worker served every request of the queue page at 100 % of a core while the
other sat idle. With ``SO_REUSEPORT`` each worker binds its own socket to the same address and
the kernel spreads new connections over them by their addresses and ports (Linux).

``ReusePortListeners(host, port)`` is what the supervisor hands each worker it starts or
restarts: it travels to the worker pickled, and unpickling it there binds that worker's socket.
"""

from __future__ import annotations

import socket
import sys
from typing import Any

__all__ = ["ReusePortListeners", "check_free", "reuse_port_supported"]


def reuse_port_supported() -> bool:
    """Whether the kernel balances connections over ``SO_REUSEPORT`` sockets (Linux does;
    elsewhere the binds succeed but one socket may get every connection)."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def _tcp_socket(host: str) -> socket.socket:
    """A TCP socket for ``host`` (IPv6 for an address with colons), ``SO_REUSEADDR`` set.
    ``IPPROTO_TCP`` is named so that accepted connections get ``TCP_NODELAY``."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    return sock


def check_free(host: str, port: int) -> None:
    """Raise ``OSError`` (address in use, or not this machine's) if ``host:port`` cannot be
    bound exclusively: a second ``sertiflow serve`` on the port must not join the first one's
    workers silently, which ``SO_REUSEPORT`` would otherwise let it do."""
    with _tcp_socket(host) as probe:
        probe.bind((host, port))
        probe.listen(1)


def bind_reuse_port(host: str, port: int) -> list[socket.socket]:
    """A TCP socket bound to ``host:port`` with ``SO_REUSEPORT`` (asyncio listens on it)."""
    sock = _tcp_socket(host)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return [sock]


class ReusePortListeners(list[socket.socket]):
    """Empty in the supervisor; in each worker it arrives as that worker's own bound socket.

    uvicorn's supervisor passes one list of sockets to every worker process it spawns (and to
    each replacement of one that died); pickling this list sends only the address, and the
    worker's unpickling binds its own ``SO_REUSEPORT`` socket."""

    def __init__(self, host: str, port: int) -> None:
        super().__init__()
        self.host = host
        self.port = port

    def __reduce__(self) -> tuple[Any, ...]:
        return (bind_reuse_port, (self.host, self.port))
