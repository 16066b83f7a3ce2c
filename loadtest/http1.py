"""HTTP/1.1 on raw trio sockets and h11, with a keep-alive connection pool.

httpx spends several times more client CPU per request (see README.md), and
the generator shares the machine's cores with the server it measures.
"""

from __future__ import annotations

import select
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import h11
import trio

from loadtest import outcomes
from loadtest.outcomes import Outcome
from loadtest.transport import BATCH, SINGLE, Target, Unit

READ_SIZE = 65536


class ConnectionLost(Exception):
    """The server closed the connection before a complete response."""


class H11Connection:
    def __init__(self, stream: trio.SocketStream, host: bytes) -> None:
        self._stream = stream
        self._host = host
        self._h11 = h11.Connection(h11.CLIENT)

    @classmethod
    async def open(cls, target: Target) -> H11Connection:
        stream = await trio.open_tcp_stream(target.host, target.port)
        stream.setsockopt(trio.socket.IPPROTO_TCP, trio.socket.TCP_NODELAY, 1)
        return cls(stream, f"{target.host}:{target.port}".encode())

    @property
    def reusable(self) -> bool:
        return self._h11.our_state is h11.IDLE and self._h11.their_state is h11.IDLE

    def dropped(self) -> bool:
        """The server closed this idle connection (its keep-alive timed out), or sent
        something unasked: either way it is readable, and a request sent on it fails."""
        poller = select.poll()
        poller.register(self._stream.socket.fileno(), select.POLLIN)
        return bool(poller.poll(0))

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        request = h11.Request(method="POST", target=path, headers=[
            (b"host", self._host), (b"content-type", b"application/json"),
            (b"content-length", b"%d" % len(body)),
        ])
        conn = self._h11
        await self._stream.send_all(
            (conn.send(request) or b"") + (conn.send(h11.Data(data=body)) or b"")
            + (conn.send(h11.EndOfMessage()) or b""))
        status, chunks = 0, []
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(await self._stream.receive_some(READ_SIZE))
            elif isinstance(event, h11.Response):
                status = event.status_code
            elif isinstance(event, h11.Data):
                chunks.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                break
            elif isinstance(event, h11.ConnectionClosed):
                raise ConnectionLost("server closed the connection")
        if conn.our_state is h11.DONE and conn.their_state is h11.DONE:
            conn.start_next_cycle()
        return status, b"".join(chunks)

    async def aclose(self) -> None:
        await self._stream.aclose()


class Http1Transport:
    """At most ``target.connections`` connections; idle ones are reused (LIFO), unless
    the server has closed them meanwhile."""

    def __init__(self, target: Target, batch: bool) -> None:
        self._target = target
        self._batch = batch
        self._slots = trio.Semaphore(target.connections)
        self._idle: list[H11Connection] = []

    async def submit(self, unit: Unit) -> list[Outcome]:
        async with self._slots:
            conn = await self._reusable()
            result: list[Outcome] | None = None
            try:
                with trio.fail_after(self._target.timeout_s):
                    conn = conn or await H11Connection.open(self._target)
                    result = await self._exchange(conn, unit)
            except (OSError, trio.BrokenResourceError, trio.TooSlowError, ConnectionLost,
                    h11.ProtocolError) as exc:
                return [outcomes.failure(exc)] * len(unit.envelopes)
            finally:
                # A connection is reused only after a complete exchange; a failed or
                # cancelled one may hold half a response, so it is closed.
                if conn is not None and result is not None and conn.reusable:
                    self._idle.append(conn)
                elif conn is not None:
                    with trio.CancelScope(shield=True):
                        await conn.aclose()
            return result

    async def _reusable(self) -> H11Connection | None:
        while self._idle:
            conn = self._idle.pop()
            if not conn.dropped():
                return conn
            await conn.aclose()
        return None

    async def _exchange(self, conn: H11Connection, unit: Unit) -> list[Outcome]:
        if self._batch:
            status, body = await conn.post(BATCH, b"[" + b",".join(unit.envelopes) + b"]")
            return outcomes.batch(status, body, len(unit.envelopes))
        status, body = await conn.post(SINGLE, unit.envelopes[0])
        return [outcomes.single(status, body)]

    async def aclose(self) -> None:
        while self._idle:
            await self._idle.pop().aclose()


@asynccontextmanager
async def open_http1(target: Target, *, batch: bool) -> AsyncIterator[Http1Transport]:
    transport = Http1Transport(target, batch)
    try:
        yield transport
    finally:
        await transport.aclose()
