"""The WebSocket stream (``/v1/stream``, eport.v1): streams per sending enterprise,
each authenticated with that enterprise's card (a stream only takes documents of its
own enterprise), at most ``credit`` submits unanswered, and results matched to
submits by the client ``seq``. A sender opens another stream only when all of its
streams are out of credit, up to ``Target.streams``; then its submits take the
streams in turn. So a busy enterprise (a customs office sends a third of the
national-day mix) gets several streams, and the others one each: with one stream
per sender, the customs office's credit held the whole national-day run to what
that one stream could carry, and the same number of streams for every sender
cost the client and the server CPU for streams that carried little. Every stream
of an enterprise receives each of its events. ``by_sender`` says what each
sender's streams carried (submits, results, events) and how long its documents
waited, so a report shows when one stream is the bottleneck.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import os
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import h11
import msgspec
import trio
from wsproto.utilities import generate_accept_token, generate_nonce

from core_ext import sm2
from gateway.ws_frames import CLOSE, PONG, TEXT, Close, FrameError, FrameParser, Ping, frame
from loadtest import outcomes
from loadtest.corpus_store import Card
from loadtest.outcomes import Outcome
from loadtest.transport import Target, Unit

SUBPROTOCOL = "eport.v1"
READ_SIZE = 65536
MAX_MESSAGE = 16 << 20  # what one frame from the server may carry


class StreamRefused(Exception):
    """The handshake did not end in ``ready``."""


class StreamClosed(Exception):
    """The server closed the stream, or the socket broke."""


class _Result(msgspec.Struct):
    op: str
    seq: int = -1
    status: int = 0
    receipt: msgspec.Raw = msgspec.Raw()
    problem: msgspec.Raw = msgspec.Raw()


_result = msgspec.json.Decoder(_Result)


@dataclass(eq=False, slots=True)
class _Waiter:
    """A submit waiting for its result: its task sleeps in ``wait_task_rescheduled``
    (cheaper than an Event) until the reader, or the connection failing, answers it
    (once: the answer takes it out of ``_waiting``)."""

    sent: float
    task: trio.lowlevel.Task
    outcome: Outcome = (0, "TRANSPORT_PENDING")
    gone: bool = False  # cancelled while it waited

    def answer(self, outcome: Outcome) -> None:
        self.outcome = outcome
        if not self.gone:
            trio.lowlevel.reschedule(self.task)


def _client_frame(opcode: int, payload: bytes) -> bytes:
    """A client frame: masked, with a new key from the system's random source."""
    return frame(opcode, payload, os.urandom(4))


class StreamConnection:
    """One stream on a raw trio socket: the opening handshake on h11, the frames with
    ``gateway.ws_frames`` (trio-websocket wrote every frame on its own, and wsproto's
    framing was a quarter of this client's CPU). Submits queue their frames; one
    writer task sends all that queued meanwhile in one write, and one reader task
    matches results to submits by ``seq``. A watchdog fails the connection once its
    oldest submit has waited ``timeout_s`` (it looks every quarter of that): against
    the echo baseline (512 in flight, 30 s, two runs each) the client spent 127 and
    131 µs a document instead of 149 and 151 with a cancel scope for each submit."""

    def __init__(self, stream: trio.SocketStream, timeout_s: float) -> None:
        self._stream = stream
        self._timeout_s = timeout_s
        self._parser = FrameParser(MAX_MESSAGE, masked=False)
        self._messages: list[bytes] = []  # complete messages not yet taken
        self._outgoing: list[bytes] = []
        self._flush = trio.Event()
        self._sending = trio.Lock()  # the writer's, and the close frame's at the end
        self._credit = trio.Semaphore(0)
        self._seqs = itertools.count(1)
        self._waiting: dict[int, _Waiter] = {}
        self._closed: BaseException | None = None
        self.events = 0
        self.answered = 0
        self.waited_s = 0.0  # submit to result, summed over the answered

    @classmethod
    async def open(cls, nursery: trio.Nursery, target: Target, card: Card | None
                   ) -> StreamConnection:
        with trio.fail_after(target.timeout_s):
            stream = await trio.open_tcp_stream(target.host, target.port)
            stream.setsockopt(trio.socket.IPPROTO_TCP, trio.socket.TCP_NODELAY, 1)
            connection = cls(stream, target.timeout_s)
            try:
                await connection._upgrade(target)
                await connection._authenticate(card)
            except BaseException:
                await stream.aclose()
                raise
        nursery.start_soon(connection._read)
        nursery.start_soon(connection._write)
        nursery.start_soon(connection._watch)
        return connection

    async def _upgrade(self, target: Target) -> None:
        """The opening handshake (RFC 6455 §4.1); what follows the 101 is frames."""
        key = generate_nonce()
        http = h11.Connection(h11.CLIENT)
        await self._stream.send_all(http.send(h11.Request(
            method="GET", target="/v1/stream", headers=[
                (b"host", f"{target.host}:{target.port}".encode()), (b"upgrade", b"websocket"),
                (b"connection", b"Upgrade"), (b"sec-websocket-key", key),
                (b"sec-websocket-version", b"13"),
                (b"sec-websocket-protocol", SUBPROTOCOL.encode())],
        )) + (http.send(h11.EndOfMessage()) or b""))
        while (event := http.next_event()) is h11.NEED_DATA:
            data = await self._stream.receive_some(READ_SIZE)
            if not data:
                raise StreamClosed("the server closed the connection in the handshake")
            http.receive_data(data)
        if not isinstance(event, h11.InformationalResponse) or event.status_code != 101:
            raise StreamRefused(f"handshake refused: {getattr(event, 'status_code', event)}")
        headers = dict(event.headers)
        if headers.get(b"sec-websocket-accept") != generate_accept_token(key) or \
                headers.get(b"sec-websocket-protocol") != SUBPROTOCOL.encode():
            raise StreamRefused(f"handshake answered with {headers}")
        self._take(http.trailing_data[0])

    async def _authenticate(self, card: Card | None) -> None:
        hello: dict[str, Any] = msgspec.json.decode(await self._message())
        nonce = base64.b64decode(hello.get("nonce", ""))
        key = bytes.fromhex(card.private_key) if card else sm2.generate_private_key()
        await self._stream.send_all(_client_frame(TEXT, msgspec.json.encode({
            "op": "auth", "cert": card.cert if card else "",
            "sig": base64.b64encode(sm2.sign(key, nonce)).decode()})))
        ready: dict[str, Any] = msgspec.json.decode(await self._message())
        if ready.get("op") != "ready":
            raise StreamRefused(f"stream refused: {ready}")
        self._credit = trio.Semaphore(int(ready["credit"]))

    async def _message(self) -> bytes:
        """The next complete message, reading the socket as needed."""
        while not self._messages:
            await self._receive()
            if self._closed is not None:
                raise self._closed
        return self._messages.pop(0)

    async def _receive(self) -> None:
        data = await self._stream.receive_some(READ_SIZE)
        if not data:
            raise StreamClosed("the server closed the connection")
        self._take(data)

    def _take(self, data: bytes) -> None:
        for item in self._parser.feed(data):
            if isinstance(item, bytes):
                self._messages.append(item)
            elif isinstance(item, Ping):
                self._queue(_client_frame(PONG, item.payload))
            elif isinstance(item, Close):
                self._closed = StreamClosed(f"closed by the server: {item.code} {item.reason}")

    @property
    def closed(self) -> bool:
        return self._closed is not None

    @property
    def has_credit(self) -> bool:
        return self._credit.value > 0

    def _queue(self, data: bytes) -> None:
        self._outgoing.append(data)
        self._flush.set()

    async def submit(self, envelope: bytes) -> Outcome:
        try:
            # No checkpoint while there is credit: waiting for the result is one.
            self._credit.acquire_nowait()
        except trio.WouldBlock:
            await self._credit.acquire()
        try:
            if self._closed is not None:  # closed while this submit waited for credit
                raise StreamClosed(f"stream closed: {self._closed!r}")
            seq = next(self._seqs)
            waiter = self._waiting[seq] = _Waiter(trio.current_time(),
                                                  trio.lowlevel.current_task())
            self._queue(_client_frame(TEXT, b'{"op":"submit","seq":%d,"env":%s}' % (seq, envelope)))

            def abort(_: object) -> trio.lowlevel.Abort:
                waiter.gone = True
                return trio.lowlevel.Abort.SUCCEEDED

            await trio.lowlevel.wait_task_rescheduled(abort)
            if waiter.outcome[0]:  # 0: the connection failed, nothing was answered
                self.answered += 1
                self.waited_s += trio.current_time() - waiter.sent
            return waiter.outcome
        finally:
            self._credit.release()

    async def _watch(self) -> None:
        """Fail the connection once a submit has waited ``timeout_s`` for its result
        (the waiters are in the order they were sent: the first is the oldest)."""
        while self._closed is None:
            await trio.sleep(self._timeout_s / 4)
            oldest = next(iter(self._waiting.values()), None)
            if oldest is not None and trio.current_time() - oldest.sent > self._timeout_s:
                self._fail(trio.TooSlowError(f"no result within {self._timeout_s} s"))

    async def _write(self) -> None:
        try:
            while self._closed is None:
                await self._flush.wait()
                self._flush = trio.Event()
                data, self._outgoing = b"".join(self._outgoing), []
                async with self._sending:
                    await self._stream.send_all(data)
        except (OSError, trio.BrokenResourceError, trio.ClosedResourceError) as exc:
            self._fail(exc)

    async def _read(self) -> None:
        try:
            while True:
                for message in self._messages:
                    self._answer(_result.decode(message))
                self._messages.clear()
                if self._closed is not None:
                    raise self._closed
                await self._receive()
        except (StreamClosed, OSError, trio.BrokenResourceError, trio.ClosedResourceError,
                msgspec.DecodeError, FrameError) as exc:
            self._fail(exc)

    def _answer(self, result: _Result) -> None:
        if result.op == "event":
            self.events += 1
            return
        waiter = self._waiting.pop(result.seq, None)
        if waiter is not None:
            body = result.receipt if len(result.receipt) else result.problem
            waiter.answer(outcomes.single(result.status, bytes(body)))

    def _fail(self, exc: BaseException) -> None:
        """Every submit still waiting gets the failure; later ones get it at once."""
        if self._closed is None:
            self._closed = exc
        for waiter in self._waiting.values():
            waiter.answer(outcomes.failure(exc))
        self._waiting.clear()
        self._flush.set()

    async def aclose(self) -> None:
        if self._closed is None:
            self._closed = StreamClosed("closed by the client")
            with trio.move_on_after(1), contextlib.suppress(
                    OSError, trio.BrokenResourceError, trio.ClosedResourceError):
                async with self._sending:
                    await self._stream.send_all(_client_frame(CLOSE, (1000).to_bytes(2, "big")))
        await self._stream.aclose()


class WsTransport:
    def __init__(self, nursery: trio.Nursery, target: Target, cards: dict[str, Card]) -> None:
        self._nursery = nursery
        self._target = target
        self._cards = cards
        # Keyed by (sender, stream number), numbered from 0 as the sender's streams open.
        self._connections: dict[tuple[str, int], StreamConnection] = {}
        self._opening: dict[tuple[str, int], trio.Lock] = {}
        self._opened: Counter[str] = Counter()  # stream numbers taken, by sender
        self._turns: Counter[str] = Counter()  # submits that found every stream busy
        self._retired: list[tuple[str, StreamConnection]] = []  # dropped, by sender

    async def _connection(self, stream: tuple[str, int]) -> StreamConnection:
        """The stream's connection, opened anew if there is none or the server closed it
        (the submits in flight on it were answered with the failure)."""
        connection = self._connections.get(stream)
        if connection is not None and not connection.closed:
            return connection
        async with self._opening.setdefault(stream, trio.Lock()):
            if stream in self._connections and self._connections[stream].closed:
                self._retire(stream, self._connections[stream])
            if stream not in self._connections:
                self._connections[stream] = await StreamConnection.open(
                    self._nursery, self._target, self._cards.get(stream[0]))
            return self._connections[stream]

    def _stream_for(self, sender: str) -> tuple[str, int]:
        """The sender's first stream with credit left (or still opening); else a new
        stream, up to ``Target.streams``; else its streams in turn."""
        opened = self._opened[sender]
        for number in range(opened):
            connection = self._connections.get((sender, number))
            if connection is None or connection.closed or connection.has_credit:
                return sender, number
        if opened < self._target.streams:
            self._opened[sender] = opened + 1
            return sender, opened
        self._turns[sender] += 1
        return sender, self._turns[sender] % opened

    async def submit(self, unit: Unit) -> list[Outcome]:
        stream = self._stream_for(unit.sender)
        connection = None
        try:
            connection = await self._connection(stream)
            return [await connection.submit(unit.envelopes[0])]
        except (OSError, StreamRefused, StreamClosed, trio.BrokenResourceError,
                trio.TooSlowError, msgspec.DecodeError, FrameError, h11.ProtocolError) as exc:
            if connection is not None:
                self._retire(stream, connection)
            return [outcomes.failure(exc)]

    def _retire(self, stream: tuple[str, int], connection: StreamConnection) -> None:
        """Close the stream's connection, unless another has replaced it already; what it
        carried still counts in ``by_sender``."""
        if self._connections.get(stream) is connection:
            del self._connections[stream]
            self._retired.append((stream[0], connection))
            self._nursery.start_soon(connection.aclose)

    def by_sender(self) -> list[dict[str, Any]]:
        """Per sending enterprise, busiest first: its open streams, the documents they
        answered, the events they received, the share of all frames (submits, results
        and events) that were theirs, and the mean wait from submit to result."""
        rows: dict[str, dict[str, Any]] = {}
        live = [(sender, connection) for (sender, _), connection in self._connections.items()]
        for sender, _ in live:
            rows.setdefault(sender, _row(sender))["streams"] += 1
        for sender, connection in live + self._retired:
            row = rows.setdefault(sender, _row(sender))
            row["documents"] += connection.answered
            row["events"] += connection.events
            row["waited_s"] += connection.waited_s
        return _shares(rows)

    async def aclose(self) -> None:
        for connection in self._connections.values():
            await connection.aclose()


@asynccontextmanager
async def open_ws(target: Target, cards: dict[str, Card]) -> AsyncIterator[WsTransport]:
    async with trio.open_nursery() as nursery:
        transport = WsTransport(nursery, target, cards)
        try:
            yield transport
        finally:
            with trio.CancelScope(shield=True):
                await transport.aclose()
            nursery.cancel_scope.cancel()


def joined_senders(turns: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """``by_sender`` over several turns of a run, from each turn's rows."""
    rows: dict[str, dict[str, Any]] = {}
    for turn in turns:
        for seen in turn:
            row = rows.setdefault(seen["sender"], _row(seen["sender"]))
            row["streams"] = max(row["streams"], seen["streams"])
            row["documents"] += seen["documents"]
            row["events"] += seen["events"]
            row["waited_s"] += (seen["wait_ms_mean"] or 0.0) * seen["documents"] / 1000
    return _shares(rows)


def _row(sender: str) -> dict[str, Any]:
    return {"sender": sender, "streams": 0, "documents": 0, "events": 0, "waited_s": 0.0}


def _shares(rows: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    frames = sum(2 * row["documents"] + row["events"] for row in rows.values()) or 1
    for row in rows.values():
        row["frame_share"] = round((2 * row["documents"] + row["events"]) / frames, 4)
        waited_s = row.pop("waited_s")
        row["wait_ms_mean"] = round(1000 * waited_s / row["documents"], 1) \
            if row["documents"] else None
    return sorted(rows.values(), key=lambda row: -row["frame_share"])
