"""The WebSocket stream (``/v1/stream``, eport.v1): ``Target.streams`` connections
per sending enterprise (default one), used in turn, each authenticated with that
enterprise's card (a stream only takes documents of its own enterprise), at most
``credit`` submits unanswered, and results matched to submits by the client
``seq``. A busy enterprise (a customs office acts on a third of the national-day
mix) needs several: one stream is served by one worker process. ``by_sender``
says what each sender's streams carried (submits, results, events) and how long
its documents waited, so a report shows when one stream is the bottleneck.
"""

from __future__ import annotations

import base64
import itertools
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import msgspec
import trio
import wsproto
from wsproto.events import (
    AcceptConnection,
    CloseConnection,
    Ping,
    RejectConnection,
    Request,
    TextMessage,
)
from wsproto.utilities import LocalProtocolError, RemoteProtocolError

from core_ext import sm2
from loadtest import outcomes
from loadtest.corpus_store import Card
from loadtest.outcomes import Outcome
from loadtest.transport import Target, Unit

SUBPROTOCOL = "eport.v1"
READ_SIZE = 65536


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


@dataclass
class _Waiter:
    done: trio.Event = field(default_factory=trio.Event)
    outcome: Outcome = (0, "TRANSPORT_PENDING")


class StreamConnection:
    """One stream on a raw trio socket and wsproto (trio-websocket spent a socket write
    and a lock on every frame). Submits queue their frames; one writer task sends all
    that queued meanwhile in one write, and one reader task matches results to submits
    by ``seq``."""

    def __init__(self, stream: trio.SocketStream, ws: wsproto.WSConnection) -> None:
        self._stream = stream
        self._ws = ws
        self._messages: list[str] = []  # complete text messages not yet taken
        self._partial: list[str] = []  # the fragments of the message being received
        self._outgoing: list[bytes] = []
        self._flush = trio.Event()
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
        stream = await trio.open_tcp_stream(target.host, target.port)
        stream.setsockopt(trio.socket.IPPROTO_TCP, trio.socket.TCP_NODELAY, 1)
        connection = cls(stream, wsproto.WSConnection(wsproto.ConnectionType.CLIENT))
        try:
            await connection._handshake(target, card)
        except BaseException:
            await stream.aclose()
            raise
        nursery.start_soon(connection._read)
        nursery.start_soon(connection._write)
        return connection

    async def _handshake(self, target: Target, card: Card | None) -> None:
        await self._stream.send_all(self._ws.send(Request(
            host=f"{target.host}:{target.port}", target="/v1/stream",
            subprotocols=[SUBPROTOCOL])))
        hello: dict[str, Any] = msgspec.json.decode(await self._message())
        nonce = base64.b64decode(hello.get("nonce", ""))
        key = bytes.fromhex(card.private_key) if card else sm2.generate_private_key()
        await self._stream.send_all(self._frame(msgspec.json.encode({
            "op": "auth", "cert": card.cert if card else "",
            "sig": base64.b64encode(sm2.sign(key, nonce)).decode()})))
        ready: dict[str, Any] = msgspec.json.decode(await self._message())
        if ready.get("op") != "ready":
            raise StreamRefused(f"stream refused: {ready}")
        self._credit = trio.Semaphore(int(ready["credit"]))

    def _frame(self, text: bytes) -> bytes:
        return self._ws.send(TextMessage(data=text.decode()))

    async def _message(self) -> str:
        """The next complete text message, reading the socket as needed."""
        while not self._messages:
            await self._receive()
            if self._closed is not None:
                raise self._closed
        return self._messages.pop(0)

    async def _receive(self) -> None:
        data = await self._stream.receive_some(READ_SIZE)
        if not data:
            raise StreamClosed("the server closed the connection")
        self._ws.receive_data(data)
        self._take_events()

    def _take_events(self) -> None:
        for event in self._ws.events():
            if isinstance(event, TextMessage):
                self._partial.append(event.data)
                if event.message_finished:
                    self._messages.append("".join(self._partial))
                    self._partial.clear()
            elif isinstance(event, AcceptConnection):
                if event.subprotocol != SUBPROTOCOL:
                    self._closed = StreamRefused(f"subprotocol {event.subprotocol!r}")
            elif isinstance(event, RejectConnection):
                self._closed = StreamRefused(f"handshake refused: {event.status_code}")
            elif isinstance(event, Ping):
                self._queue(self._ws.send(event.response()))
            elif isinstance(event, CloseConnection):
                self._closed = StreamClosed(f"closed by the server: {event.code} "
                                            f"{event.reason}")

    @property
    def closed(self) -> bool:
        return self._closed is not None

    def _queue(self, data: bytes) -> None:
        self._outgoing.append(data)
        self._flush.set()

    async def submit(self, envelope: bytes) -> Outcome:
        async with self._credit:
            if self._closed is not None:  # closed while this submit waited for credit
                raise StreamClosed(f"stream closed: {self._closed!r}")
            seq = next(self._seqs)
            waiter = self._waiting[seq] = _Waiter()
            sent = trio.current_time()
            self._queue(self._frame(b'{"op":"submit","seq":%d,"env":%s}' % (seq, envelope)))
            await waiter.done.wait()
            if waiter.outcome[0]:  # 0: the connection failed, nothing was answered
                self.answered += 1
                self.waited_s += trio.current_time() - sent
            return waiter.outcome

    async def _write(self) -> None:
        try:
            while self._closed is None:
                await self._flush.wait()
                self._flush = trio.Event()
                data, self._outgoing = b"".join(self._outgoing), []
                await self._stream.send_all(data)
        except (OSError, trio.BrokenResourceError, trio.ClosedResourceError) as exc:
            self._fail(exc)

    async def _read(self) -> None:
        try:
            while True:
                for text in self._messages:
                    self._answer(_result.decode(text))
                self._messages.clear()
                if self._closed is not None:
                    raise self._closed
                await self._receive()
        except (StreamClosed, OSError, trio.BrokenResourceError, trio.ClosedResourceError,
                msgspec.DecodeError, LocalProtocolError, RemoteProtocolError) as exc:
            self._fail(exc)

    def _answer(self, frame: _Result) -> None:
        if frame.op == "event":
            self.events += 1
            return
        waiter = self._waiting.pop(frame.seq, None)
        if waiter is not None:
            body = frame.receipt if len(frame.receipt) else frame.problem
            waiter.outcome = outcomes.single(frame.status, bytes(body))
            waiter.done.set()

    def _fail(self, exc: BaseException) -> None:
        """Every submit still waiting gets the failure; later ones get it at once."""
        if self._closed is None:
            self._closed = exc
        for waiter in self._waiting.values():
            waiter.outcome = outcomes.failure(exc)
            waiter.done.set()
        self._waiting.clear()
        self._flush.set()

    async def aclose(self) -> None:
        if self._closed is None:
            self._closed = StreamClosed("closed by the client")
            with trio.move_on_after(1):
                await self._stream.send_all(self._ws.send(CloseConnection(code=1000)))
        await self._stream.aclose()


class WsTransport:
    def __init__(self, nursery: trio.Nursery, target: Target, cards: dict[str, Card]) -> None:
        self._nursery = nursery
        self._target = target
        self._cards = cards
        # Keyed by (sender, stream number): a sender's streams are used in turn.
        self._connections: dict[tuple[str, int], StreamConnection] = {}
        self._opening: dict[tuple[str, int], trio.Lock] = {}
        self._turns: Counter[str] = Counter()  # submits so far, by sender
        self._retired: list[tuple[str, StreamConnection]] = []  # dropped, by sender

    async def _connection(self, stream: tuple[str, int]) -> StreamConnection:
        """The stream's connection, opened anew if there is none or the server closed it
        (the submits in flight on it were answered with the failure)."""
        connection = self._connections.get(stream)
        if connection is not None and not connection.closed:
            return connection
        async with self._opening.setdefault(stream, trio.Lock()):
            if stream in self._connections and self._connections[stream].closed:
                self._retire(stream)
            if stream not in self._connections:
                self._connections[stream] = await StreamConnection.open(
                    self._nursery, self._target, self._cards.get(stream[0]))
            return self._connections[stream]

    async def submit(self, unit: Unit) -> list[Outcome]:
        stream = (unit.sender, self._turns[unit.sender] % self._target.streams)
        self._turns[unit.sender] += 1
        try:
            with trio.fail_after(self._target.timeout_s):
                connection = await self._connection(stream)
                return [await connection.submit(unit.envelopes[0])]
        except (OSError, StreamRefused, StreamClosed, trio.BrokenResourceError,
                trio.TooSlowError, msgspec.DecodeError, LocalProtocolError,
                RemoteProtocolError) as exc:
            # After a timeout the server may still count the submit against the credit,
            # so the connection is dropped rather than reused.
            self._retire(stream)
            return [outcomes.failure(exc)]

    def _retire(self, stream: tuple[str, int]) -> None:
        """Close the stream's connection; what it carried still counts in ``by_sender``."""
        connection = self._connections.pop(stream, None)
        if connection is not None:
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
