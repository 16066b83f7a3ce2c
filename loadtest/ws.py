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
import trio_websocket

from core_ext import sm2
from loadtest import outcomes
from loadtest.corpus_store import Card
from loadtest.outcomes import Outcome
from loadtest.transport import Target, Unit

SUBPROTOCOL = "eport.v1"


class StreamRefused(Exception):
    """The handshake did not end in ``ready``."""


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
    def __init__(self, ws: trio_websocket.WebSocketConnection, credit: int) -> None:
        self._ws = ws
        self._credit = trio.Semaphore(credit)
        self._seqs = itertools.count(1)
        self._waiting: dict[int, _Waiter] = {}
        self.events = 0
        self.answered = 0
        self.waited_s = 0.0  # submit to result, summed over the answered

    @classmethod
    async def open(cls, nursery: trio.Nursery, url: str, card: Card | None) -> StreamConnection:
        ws = await trio_websocket.connect_websocket_url(nursery, url,
                                                        subprotocols=[SUBPROTOCOL])
        hello: dict[str, Any] = msgspec.json.decode(await ws.get_message())
        nonce = base64.b64decode(hello.get("nonce", ""))
        key = bytes.fromhex(card.private_key) if card else sm2.generate_private_key()
        await ws.send_message(msgspec.json.encode({
            "op": "auth", "cert": card.cert if card else "",
            "sig": base64.b64encode(sm2.sign(key, nonce)).decode()}).decode())
        ready: dict[str, Any] = msgspec.json.decode(await ws.get_message())
        if ready.get("op") != "ready":
            raise StreamRefused(f"stream refused: {ready}")
        connection = cls(ws, int(ready["credit"]))
        nursery.start_soon(connection._read)
        return connection

    async def submit(self, envelope: bytes) -> Outcome:
        async with self._credit:
            seq = next(self._seqs)
            waiter = self._waiting[seq] = _Waiter()
            sent = trio.current_time()
            await self._ws.send_message(
                (b'{"op":"submit","seq":%d,"env":%s}' % (seq, envelope)).decode())
            await waiter.done.wait()
            if waiter.outcome[0]:  # 0: the connection failed, nothing was answered
                self.answered += 1
                self.waited_s += trio.current_time() - sent
            return waiter.outcome

    async def _read(self) -> None:
        try:
            while True:
                frame = _result.decode(await self._ws.get_message())
                if frame.op == "event":
                    self.events += 1
                    continue
                waiter = self._waiting.pop(frame.seq, None)
                if waiter is not None:
                    body = frame.receipt if len(frame.receipt) else frame.problem
                    waiter.outcome = outcomes.single(frame.status, bytes(body))
                    waiter.done.set()
        except (trio_websocket.ConnectionClosed, msgspec.DecodeError) as exc:
            for waiter in self._waiting.values():
                waiter.outcome = outcomes.failure(exc)
                waiter.done.set()
            self._waiting.clear()

    async def aclose(self) -> None:
        await self._ws.aclose()


class WsTransport:
    def __init__(self, nursery: trio.Nursery, target: Target, cards: dict[str, Card]) -> None:
        self._nursery = nursery
        self._target = target
        self._url = target.url.replace("http", "ws", 1) + "/v1/stream"
        self._cards = cards
        # Keyed by (sender, stream number): a sender's streams are used in turn.
        self._connections: dict[tuple[str, int], StreamConnection] = {}
        self._opening: dict[tuple[str, int], trio.Lock] = {}
        self._turns: Counter[str] = Counter()  # submits so far, by sender

    async def _connection(self, stream: tuple[str, int]) -> StreamConnection:
        lock = self._opening.setdefault(stream, trio.Lock())
        async with lock:
            if stream not in self._connections:
                self._connections[stream] = await StreamConnection.open(
                    self._nursery, self._url, self._cards.get(stream[0]))
            return self._connections[stream]

    async def submit(self, unit: Unit) -> list[Outcome]:
        stream = (unit.sender, self._turns[unit.sender] % self._target.streams)
        self._turns[unit.sender] += 1
        try:
            with trio.fail_after(self._target.timeout_s):
                connection = await self._connection(stream)
                return [await connection.submit(unit.envelopes[0])]
        except (OSError, StreamRefused, trio_websocket.HandshakeError,
                trio_websocket.ConnectionClosed, trio.TooSlowError,
                msgspec.DecodeError) as exc:
            # After a timeout the server may still count the submit against the credit,
            # so the connection is dropped rather than reused.
            broken = self._connections.pop(stream, None)
            if broken is not None:
                self._nursery.start_soon(broken.aclose)
            return [outcomes.failure(exc)]

    def by_sender(self) -> list[dict[str, Any]]:
        """Per sending enterprise, busiest first: its open streams, the documents they
        answered, the events they received, the share of all frames (submits, results
        and events) that were theirs, and the mean wait from submit to result."""
        rows: dict[str, dict[str, Any]] = {}
        for (sender, _), connection in self._connections.items():
            row = rows.setdefault(sender, _row(sender))
            row["streams"] += 1
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
