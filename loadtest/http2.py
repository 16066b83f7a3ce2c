"""HTTP/2 over cleartext (prior knowledge) on trio and h2: a few connections, each
multiplexing up to the server's ``max_concurrent_streams`` requests.

One reader task per connection feeds h2 and wakes the request that owns each
stream; sends are serialised by a lock because h2 keeps one outbound buffer.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import trio

from loadtest import outcomes
from loadtest.outcomes import Outcome
from loadtest.transport import SINGLE, Target, Unit

READ_SIZE = 65536
DEFAULT_STREAMS = 100


@dataclass
class _Pending:
    done: trio.Event = field(default_factory=trio.Event)
    status: int = 0
    chunks: list[bytes] = field(default_factory=list)
    error: str = ""


class H2Connection:
    def __init__(self, stream: trio.SocketStream, authority: bytes) -> None:
        self._stream = stream
        self._authority = authority
        self._h2 = h2.connection.H2Connection(h2.config.H2Configuration(
            client_side=True, header_encoding=None))
        self._send_lock = trio.Lock()
        self._window = trio.Event()
        self._pending: dict[int, _Pending] = {}
        self._streams = trio.Semaphore(DEFAULT_STREAMS)
        self.closed = ""

    async def start(self, nursery: trio.Nursery) -> None:
        self._h2.initiate_connection()
        await self._flush()
        nursery.start_soon(self._read)

    async def _flush(self) -> None:
        data = self._h2.data_to_send()
        if data:
            await self._stream.send_all(data)

    async def post(self, body: bytes) -> tuple[int, bytes]:
        async with self._streams:
            pending = _Pending()
            async with self._send_lock:
                if self.closed:
                    raise ConnectionError(self.closed)
                stream_id = self._h2.get_next_available_stream_id()
                self._pending[stream_id] = pending
                self._h2.send_headers(stream_id, [
                    (b":method", b"POST"), (b":scheme", b"http"),
                    (b":authority", self._authority), (b":path", SINGLE.encode()),
                    (b"content-type", b"application/json"),
                    (b"content-length", b"%d" % len(body)),
                ])
                await self._send_body(stream_id, body)
            await pending.done.wait()
            if pending.error:
                raise ConnectionError(pending.error)
            return pending.status, b"".join(pending.chunks)

    async def _send_body(self, stream_id: int, body: bytes) -> None:
        view = memoryview(body)
        while view:
            window = min(self._h2.local_flow_control_window(stream_id),
                         self._h2.max_outbound_frame_size)
            if window <= 0:
                await self._flush()
                self._window = trio.Event()
                await self._window.wait()
                continue
            self._h2.send_data(stream_id, bytes(view[:window]), end_stream=len(view) <= window)
            view = view[window:]
        if not body:
            self._h2.end_stream(stream_id)
        await self._flush()

    async def _read(self) -> None:
        try:
            while data := await self._stream.receive_some(READ_SIZE):
                for event in self._h2.receive_data(data):
                    self._dispatch(event)
                async with self._send_lock:
                    await self._flush()
            self._fail("server closed the connection")
        except (OSError, trio.BrokenResourceError, h2.exceptions.ProtocolError) as exc:
            self._fail(f"{type(exc).__name__}: {exc}")

    def _dispatch(self, event: h2.events.Event) -> None:
        if isinstance(event, h2.events.RemoteSettingsChanged):
            self._resize(self._h2.remote_settings.max_concurrent_streams)
        elif isinstance(event, h2.events.WindowUpdated):
            self._window.set()
        elif isinstance(event, h2.events.ConnectionTerminated):
            self._fail(f"GOAWAY {event.error_code}")
        stream_id = getattr(event, "stream_id", None)
        pending = self._pending.get(stream_id) if stream_id else None
        if pending is None:
            return
        if isinstance(event, h2.events.ResponseReceived):
            pending.status = int(dict(event.headers or [])[b":status"])
        elif isinstance(event, h2.events.DataReceived):
            pending.chunks.append(event.data or b"")
            self._h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        elif isinstance(event, h2.events.StreamEnded | h2.events.StreamReset):
            if isinstance(event, h2.events.StreamReset):
                pending.error = f"stream reset {event.error_code}"
            del self._pending[event.stream_id]
            pending.done.set()

    def _resize(self, limit: int) -> None:
        """Follow the server's stream limit. It arrives with the first frames, before
        requests pile up; a request in flight releases the semaphore it took."""
        self._streams = trio.Semaphore(min(limit, 1000))

    async def aclose(self) -> None:
        with trio.CancelScope(shield=True):
            await self._stream.aclose()

    def _fail(self, reason: str) -> None:
        self.closed = reason
        for pending in self._pending.values():
            pending.error = reason
            pending.done.set()
        self._pending.clear()
        self._window.set()


class Http2Transport:
    def __init__(self, connections: list[H2Connection], timeout_s: float) -> None:
        self._connections = itertools.cycle(connections)
        self._timeout_s = timeout_s

    async def submit(self, unit: Unit) -> list[Outcome]:
        try:
            with trio.fail_after(self._timeout_s):
                status, body = await next(self._connections).post(unit.envelopes[0])
        except (OSError, ConnectionError, trio.BrokenResourceError, trio.TooSlowError,
                h2.exceptions.ProtocolError) as exc:
            return [outcomes.failure(exc)]
        return [outcomes.single(status, body)]


@asynccontextmanager
async def open_http2(target: Target) -> AsyncIterator[Http2Transport]:
    async with trio.open_nursery() as nursery:
        connections = []
        for _ in range(target.connections):
            stream = await trio.open_tcp_stream(target.host, target.port)
            connection = H2Connection(stream, f"{target.host}:{target.port}".encode())
            await connection.start(nursery)
            connections.append(connection)
        try:
            yield Http2Transport(connections, target.timeout_s)
        finally:
            nursery.cancel_scope.cancel()
            for connection in connections:
                await connection.aclose()
