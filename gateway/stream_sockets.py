"""The two ways the stream's WebSocket is served once hypercorn has read its handshake.

``Socket``: through hypercorn's WebSocket, as ASGI messages. Every frame goes
through wsproto's parser, an ASGI message and the application's channel (a
scheduler round for each), and every frame sent through its own chain of
hypercorn's sends: in a stream load test, about a third of a worker's main
thread (py-spy, GIL samples).

``RawSocket``: hypercorn still answers the handshake (the ASGI accept), then the
connection hands the bytes it reads to the stream (``RawConnection.take_over``),
which parses the frames itself (``gateway.ws_frames``), takes every message a read
completed without a scheduler round, and writes the frames waiting in one piece.
It is used when the connection offers it (``raw_connection``, set by the worker's
connection class) and the client asked for no extension: hypercorn would accept
permessage-deflate, which only its own WebSocket speaks.

Either way the stream sees the same interface: messages in, messages out, a close
with a code and a reason.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Protocol

import trio

from gateway.asgi import Receive, Scope, Send
from gateway.held_writes import held_writes
from gateway.ingest import Answer
from gateway.ws_frames import (
    CLOSE,
    POLICY_VIOLATION,
    PONG,
    Close,
    FrameError,
    FrameParser,
    Ping,
    close_frame,
    frame,
    text_frames,
)

SUBPROTOCOL = "eport.v1"
CLOSE_HANDSHAKE_S = 2.0  # how long a close frame sent waits for the client's


class StreamGone(Exception):
    """The client closed the connection or went away: nothing more to send."""


class StreamClosing(Exception):
    """The client broke a rule: the stream closes with ``code`` and ``reason``."""

    def __init__(self, reason: str, code: int = POLICY_VIOLATION) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class RawConnection(Protocol):
    """A server connection that can hand its bytes over to the stream."""

    def take_over(self, feed: Callable[[bytes], Awaitable[None]]) -> None:
        """From now on every read goes to ``feed`` (b"" when the peer has gone)."""

    async def write(self, data: bytes) -> None: ...

    async def close(self) -> None: ...

    async def terminated(self) -> None:
        """Returns once the worker has begun to shut down."""


raw_connection: ContextVar[RawConnection | None] = ContextVar("raw_connection", default=None)


class Socket:
    """The stream's side of one ASGI WebSocket connection; ``connection``, where the
    server's connection is one of the worker's, tells when the worker stops."""

    def __init__(self, scope: Scope, receive: Receive, send: Send,
                 connection: RawConnection | None = None) -> None:
        self.subprotocols: list[str] = list(scope.get("subprotocols", []))
        self._receive = receive
        self._send = send
        self._connection = connection

    async def accept(self, max_message: int, backlog: int) -> None:
        """Accept the handshake. hypercorn bounds the messages itself (its
        ``websocket_max_message_size`` and application queue)."""
        if (await self._receive())["type"] != "websocket.connect":
            raise StreamGone
        await self._send({"type": "websocket.accept", "subprotocol": SUBPROTOCOL})

    async def receive(self) -> bytes:
        message = await self._receive()
        if message["type"] != "websocket.receive":
            raise StreamGone
        text = message.get("text")
        return text.encode() if text is not None else bytes(message.get("bytes") or b"")

    async def send(self, messages: list[bytes]) -> None:
        """Text frames (PROTOCOL.md §5), in one socket write."""
        async with held_writes():
            for message in messages:
                # A str goes out as a text frame; bytes would go as a binary one.
                await self._send({"type": "websocket.send", "text": message.decode()})

    async def close(self, code: int, reason: str) -> None:
        await self._send({"type": "websocket.close", "code": code, "reason": reason})

    async def terminated(self) -> None:
        """Returns once the worker has begun to shut down. hypercorn's WebSocket does
        not tell the application: without a worker's connection this never returns, and
        hypercorn cuts the connection when its grace period ends."""
        if self._connection is None:
            await trio.sleep_forever()
        else:
            await self._connection.terminated()

    async def refuse(self, answer: Answer) -> None:
        """Answer the handshake with a problem (the server cannot take the stream now),
        through the ASGI denial-response extension hypercorn offers."""
        await self._send({"type": "websocket.http.response.start", "status": answer.status,
                          "headers": answer.headers()})
        await self._send({"type": "websocket.http.response.body", "body": answer.body})


class RawSocket(Socket):
    """The stream's frames on the connection's own bytes, after hypercorn's handshake."""

    _connection: RawConnection

    def __init__(self, scope: Scope, receive: Receive, send: Send,
                 connection: RawConnection) -> None:
        super().__init__(scope, receive, send, connection)
        self._parser = FrameParser(0)
        self._backlog = 0
        self._messages: deque[bytes] = deque()
        self._arrived = trio.Event()
        self._failed: StreamClosing | None = None  # what the client broke
        self._parsing = True  # until a frame breaks the protocol
        self._taken = False  # the handshake was accepted: the bytes are the stream's
        self._closing = False  # a close frame went out
        self._ended = False  # the client closed, or went away

    async def accept(self, max_message: int, backlog: int) -> None:
        """Accept the handshake; ``backlog`` messages unread at most (a client with more
        has exceeded its credit)."""
        if (await self._receive())["type"] != "websocket.connect":
            raise StreamGone
        self._parser = FrameParser(max_message)
        self._backlog = backlog
        # Before the 101 goes out: the client sends nothing until it has read it.
        self._connection.take_over(self._feed)
        self._taken = True
        await self._send({"type": "websocket.accept", "subprotocol": SUBPROTOCOL})

    async def receive(self) -> bytes:
        """The next message; no scheduler round while messages are waiting."""
        while True:
            if self._failed is not None:
                raise self._failed
            if self._messages:
                return self._messages.popleft()
            if self._ended:
                raise StreamGone
            self._arrived = trio.Event()
            await self._arrived.wait()

    async def send(self, messages: list[bytes]) -> None:
        if not self._closing and not self._ended:
            await self._connection.write(text_frames(messages))

    async def close(self, code: int, reason: str) -> None:
        """Send a close frame, wait a little for the client's, then close the connection.
        Before the handshake is accepted, hypercorn refuses it instead."""
        if not self._taken:
            await super().close(code, reason)
            return
        if not self._closing and not self._ended:
            self._closing = True
            await self._connection.write(close_frame(code, reason))
            with trio.move_on_after(CLOSE_HANDSHAKE_S):
                while not self._ended:
                    self._arrived = trio.Event()
                    await self._arrived.wait()
        await self._end()

    async def _feed(self, data: bytes) -> None:
        """What the connection read: frames, or b"" when the client has gone. Once the
        stream is failing or closing, messages are dropped, but a close frame is still
        seen if the frames before it were sound."""
        if not data:
            await self._end()
        elif not self._ended and self._parsing:
            try:
                received = self._parser.feed(data)
            except FrameError as error:
                self._fail(StreamClosing(error.reason, error.code))
                self._parsing = False
                received = []
            for item in received:
                if isinstance(item, bytes):
                    if self._failed is None and not self._closing:
                        self._messages.append(item)
                elif isinstance(item, Ping):
                    await self._connection.write(frame(PONG, item.payload))
                else:
                    await self._closed_by_client(item)
            if len(self._messages) > self._backlog:
                self._fail(StreamClosing("credit exceeded"))
        self._arrived.set()

    def _fail(self, failure: StreamClosing) -> None:
        if self._failed is None:
            self._failed = failure
            self._messages.clear()

    async def _closed_by_client(self, close: Close) -> None:
        if not self._closing:
            self._closing = True
            # The usual reply echoes the client's code; a close without one gets none.
            await self._connection.write(
                close_frame(close.code, "") if close.code is not None else frame(CLOSE, b""))
        await self._end()

    async def _end(self) -> None:
        if not self._ended:
            self._ended = True
            await self._connection.close()
        self._arrived.set()


def open_socket(scope: Scope, receive: Receive, send: Send) -> Socket:
    """The raw socket where the connection offers one, the handshake is an HTTP/1.1
    upgrade (over HTTP/2 the stream is one of the connection's streams) and the
    client asked for no extension; hypercorn's WebSocket otherwise."""
    connection = raw_connection.get()
    asked_extensions = any(name.lower() == b"sec-websocket-extensions"
                           for name, _ in scope.get("headers", ()))
    if connection is None or scope.get("http_version") != "1.1" or asked_extensions:
        return Socket(scope, receive, send, connection)
    return RawSocket(scope, receive, send, connection)
