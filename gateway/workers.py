"""Worker processes for ``eport serve --workers N``, each listening on a socket of its own.

hypercorn's runner binds one socket in the parent and shares it with every worker:
a new connection goes to whichever worker's accept runs first, so a few long-lived
connections (partner systems, a load generator) can all land on one worker while the
others idle (seen: the 4 connections of a batch load run, all on one of two
workers). Here each worker binds its own listening socket to the address with
``SO_REUSEPORT``, and the kernel spreads connections over them by a hash of each
connection's addresses. The parent first binds the address without ``SO_REUSEPORT``
(a port in use, even by another ``eport serve``, fails at once; port 0 becomes a
port), then holds a bound socket that does not listen, which keeps the address for
the workers.

As hypercorn's runner does: a worker that exits cleanly is started again, one that
fails stops them all, and SIGINT or SIGTERM stops them all.
"""

from __future__ import annotations

import signal
import socket
from multiprocessing import get_context
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event
from typing import Any

from hypercorn.config import Config as HypercornConfig
from hypercorn.config import Sockets
from hypercorn.trio.run import trio_worker


def address_of(bind: str) -> tuple[socket.AddressFamily, str, int]:
    """(family, host, port) of a ``HOST:PORT`` or ``[IPv6]:PORT`` bind."""
    host, _, port = bind.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"bind must be HOST:PORT, got {bind!r}")
    if host.startswith("[") and host.endswith("]"):
        return socket.AF_INET6, host[1:-1], int(port)
    return socket.AF_INET, host, int(port)


def reuse_port_socket(family: socket.AddressFamily, host: str, port: int) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _worker(settings: HypercornConfig, shutdown_event: Event,
            family: socket.AddressFamily, host: str, port: int) -> None:
    listening = reuse_port_socket(family, host, port)
    listening.set_inheritable(False)
    trio_worker(settings, Sockets([], [listening], []), shutdown_event)


def run(settings: HypercornConfig, workers: int) -> int:
    """Serve with ``workers`` processes until a signal or a failing worker; the exit code."""
    family, host, port = address_of(settings.bind[0])
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # Without SO_REUSEPORT, so that a second server on this address fails here
        # instead of sharing its connections.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
        port = probe.getsockname()[1]
    claim = reuse_port_socket(family, host, port)
    context = get_context("spawn")
    shutdown_event = context.Event()
    processes: list[BaseProcess] = []

    def start() -> None:
        process = context.Process(target=_worker,
                                  args=(settings, shutdown_event, family, host, port))
        process.start()
        processes.append(process)

    def stop(*_: Any) -> None:
        shutdown_event.set()

    # Workers inherit SIGINT ignored: the parent alone decides when they stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        for _ in range(workers):
            start()
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        exitcode = 0
        while processes:
            wait([process.sentinel for process in processes])
            for process in [p for p in processes if not p.is_alive()]:
                process.join()
                processes.remove(process)
                if process.exitcode:
                    exitcode = exitcode or process.exitcode
                    shutdown_event.set()
                elif not shutdown_event.is_set():
                    start()
        return exitcode
    finally:
        for process in processes:
            process.terminate()
            process.join()
        claim.close()
