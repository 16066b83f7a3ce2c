"""Serving the application: one process, or worker processes sharing one socket.

Each process serves with hypercorn's connection handling (``TCPServer``) behind a
listener that takes connections by least open connections (``gateway.accept``): with
``eport serve --workers N`` the parent binds and listens, then starts the workers.
hypercorn's own runner shares a socket too, but a new connection goes to whichever
worker's accept runs first, so a few long-lived connections (partner systems, a load
generator) can all land on one worker while the others idle.

``TCPServer``, ``Lifespan`` and ``WorkerContext`` are hypercorn's own classes, not its
public API: pyproject.toml pins the minor version they were read from.

As hypercorn's runner does: a worker that exits cleanly is started again, one that
fails stops them all, and SIGINT or SIGTERM stops them all.
"""

from __future__ import annotations

import math
import signal
import socket
from collections.abc import Awaitable, Callable
from functools import partial
from multiprocessing import get_context
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event
from typing import Any

import trio
from hypercorn.config import Config as HypercornConfig
from hypercorn.events import Closed, RawData
from hypercorn.trio.lifespan import Lifespan
from hypercorn.trio.tcp_server import MAX_RECV, TCPServer
from hypercorn.trio.worker_context import WorkerContext
from hypercorn.typing import AppWrapper, ConnectionState, LifespanState
from hypercorn.utils import (
    check_multiprocess_shutdown_event,
    load_application,
    repr_socket_addr,
    wrap_app,
)

from gateway.accept import ConnectionTable, LeastConnectionsListener
from gateway.held_writes import HoldingConnection
from gateway.idle_timer import IdleTimer
from gateway.stream_sockets import raw_connection


def address_of(bind: str) -> tuple[socket.AddressFamily, str, int]:
    """(family, host, port) of a ``HOST:PORT`` or ``[IPv6]:PORT`` bind."""
    host, _, port = bind.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"bind must be HOST:PORT, got {bind!r}")
    if host.startswith("[") and host.endswith("]"):
        return socket.AF_INET6, host[1:-1], int(port)
    return socket.AF_INET, host, int(port)


def listening_socket(bind: str, backlog: int) -> socket.socket:
    """A socket listening on ``bind``; a port in use (even by another ``eport serve``)
    fails here, and port 0 becomes a free port."""
    family, host, port = address_of(bind)
    listening = socket.socket(family, socket.SOCK_STREAM)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listening.bind((host, port))
    listening.listen(backlog)
    return listening


class _Connection(HoldingConnection, TCPServer):
    """hypercorn's connection, closed once the peer has closed and nothing is in flight.

    hypercorn keeps waiting out the keep-alive timeout after the peer's FIN when the
    last request had a body that the application read: the socket stayed in
    CLOSE_WAIT for ``keep_alive_s`` (75 s) after every such client closed, a file
    descriptor and a task each.

    It also holds the writes of a task inside ``held_writes()`` (a stream's writer),
    times idleness out with one task a connection (``IdleTimer``), and hands its
    bytes to a stream that takes it over (``RawConnection``, offered to the
    application's tasks through ``raw_connection``).
    """

    def __init__(self, app: AppWrapper, config: HypercornConfig, context: WorkerContext,
                 state: LifespanState, stream: trio.SocketStream) -> None:
        # hypercorn annotates the stream as TLS; it serves a plain one as well.
        super().__init__(app, config, context, state, stream)  # type: ignore[arg-type]
        self._idle = IdleTimer(config.keep_alive_timeout, context.terminated,
                               self._initiate_server_close)
        self.idle_task = self._idle
        self._taken: Callable[[bytes], Awaitable[None]] | None = None

    async def run(self) -> None:
        raw_connection.set(self)  # this task's context, which the application's inherit
        await super().run()

    def take_over(self, feed: Callable[[bytes], Awaitable[None]]) -> None:
        self._taken = feed

    async def write(self, data: bytes) -> None:
        await self.protocol_send(RawData(data))

    async def close(self) -> None:
        await self.protocol_send(Closed())

    async def terminated(self) -> None:
        await self.context.terminated.wait()

    async def _read_data(self) -> None:
        """hypercorn's read loop, with what is read going to the stream that took the
        connection over, if one has."""
        while True:
            try:
                with trio.fail_after(self.config.read_timeout or math.inf):
                    data = bytes(await self.stream.receive_some(MAX_RECV))
            except (trio.ClosedResourceError, trio.BrokenResourceError, trio.TooSlowError):
                break
            if self._taken is None:
                await self.protocol.handle(RawData(data))  # b"": h11 learns of the EOF
            elif data:
                await self._taken(data)
            if not data:
                break
        if self._taken is not None:
            await self._taken(b"")  # the end, however the reading ended
        await self.protocol.handle(Closed())
        # Nothing more can arrive: a request in flight still gets its answer (its end
        # closes the connection), an idle connection closes now.
        self._idle.end()


async def serve(app: AppWrapper, config: HypercornConfig, listening: socket.socket,
                table: ConnectionTable, slot: int,
                shutdown_trigger: Callable[[], Awaitable[None]]) -> None:
    """hypercorn's ``worker_serve`` for one plain-HTTP socket, accepting by least
    connections once the application has started, until ``shutdown_trigger`` returns."""
    lifespan_state: LifespanState = {}
    lifespan = Lifespan(app, config, lifespan_state)
    context = WorkerContext(None)
    state = ConnectionState(lifespan_state.copy())
    async with trio.open_nursery() as lifespan_nursery:
        await lifespan_nursery.start(lifespan.handle_lifespan)
        await lifespan.wait_for_startup()
        listener = LeastConnectionsListener(listening, table, slot)

        async def connection(stream: trio.SocketStream) -> None:
            try:
                await _Connection(app, config, context, state, stream)
            finally:
                listener.closed()

        bind = repr_socket_addr(listening.family, listening.getsockname())
        await config.log.info(f"Running on http://{bind} (CTRL + C to quit)")
        async with trio.open_nursery() as server_nursery:
            try:
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(partial(trio.serve_listeners, connection, [listener],
                                               handler_nursery=server_nursery))
                    await shutdown_trigger()
                    nursery.cancel_scope.cancel()
            finally:
                await context.terminated.set()
                server_nursery.cancel_scope.deadline = trio.current_time() + config.graceful_timeout
        await lifespan.wait_for_shutdown()
        lifespan_nursery.cancel_scope.cancel()


def run_one(app: Any, settings: HypercornConfig,
            shutdown_trigger: Callable[[], Awaitable[None]]) -> None:
    """Serve the ASGI ``app`` in this process until ``shutdown_trigger`` returns."""
    with listening_socket(settings.bind[0], settings.backlog) as listening:
        table = ConnectionTable(get_context("spawn"), 1)
        wrapped = wrap_app(app, settings.wsgi_max_body_size, "asgi")
        trio.run(serve, wrapped, settings, listening, table, 0, shutdown_trigger)


def _worker(settings: HypercornConfig, shutdown_event: Event, listening: socket.socket,
            table: ConnectionTable, slot: int) -> None:
    app = load_application(settings.application_path, settings.wsgi_max_body_size)
    trio.run(serve, app, settings, listening, table, slot,
             partial(check_multiprocess_shutdown_event, shutdown_event, trio.sleep))


def run(settings: HypercornConfig, workers: int) -> int:
    """Serve with ``workers`` processes until a signal or a failing worker; the exit code."""
    listening = listening_socket(settings.bind[0], settings.backlog)
    context = get_context("spawn")
    table = ConnectionTable(context, workers)
    shutdown_event = context.Event()
    processes: dict[int, BaseProcess] = {}

    def start(slot: int) -> None:
        process = context.Process(target=_worker,
                                  args=(settings, shutdown_event, listening, table, slot))
        process.start()
        processes[slot] = process

    def stop(*_: Any) -> None:
        shutdown_event.set()

    # Workers inherit SIGINT ignored: the parent alone decides when they stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        for slot in range(workers):
            start(slot)
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        exitcode = 0
        while processes:
            wait([process.sentinel for process in processes.values()])
            for slot, process in [(s, p) for s, p in processes.items() if not p.is_alive()]:
                process.join()
                table.leave(slot)
                del processes[slot]
                if process.exitcode:
                    exitcode = exitcode or process.exitcode
                    shutdown_event.set()
                elif not shutdown_event.is_set():
                    start(slot)
        return exitcode
    finally:
        for process in processes.values():
            process.terminate()
            process.join()
        listening.close()
