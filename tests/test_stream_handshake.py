"""The stream's handshake as the server sees it: ASGI messages in, ASGI messages out."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import msgspec
import pytest

from gateway.asgi import Message
from gateway.runtime import Runtime
from gateway.stream import serve_stream
from gateway.stream_sockets import RawSocket, Socket, open_socket, raw_connection
from routing.errors import Unavailable

SCOPE = {"type": "websocket", "path": "/v1/stream", "subprotocols": ["eport.v1"],
         "extensions": {"websocket.http.response": {}}}


async def serve(runtime_error: Exception) -> list[Message]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "websocket.connect"}

    async def send(message: Message) -> None:
        sent.append(message)

    def runtime() -> Runtime:
        raise runtime_error

    await serve_stream(Socket(SCOPE, receive, send), runtime)
    return sent


async def test_a_gateway_not_started_refuses_the_handshake_with_its_problem() -> None:
    start, body = await serve(Unavailable("gateway is starting", retry_after=2.0))
    assert start["type"] == "websocket.http.response.start" and start["status"] == 503
    assert (b"retry-after", b"2") in start["headers"]
    assert (b"content-type", b"application/problem+json") in start["headers"]
    assert body["type"] == "websocket.http.response.body"
    problem = msgspec.json.decode(body["body"])
    assert (problem["code"], problem["detail"]) == ("UNAVAILABLE", "gateway is starting")


class Connection:
    """A connection that offers to hand its bytes over (the worker's offers it)."""

    def take_over(self, feed: Callable[[bytes], Awaitable[None]]) -> None:
        raise AssertionError("not in this test")

    async def write(self, data: bytes) -> None:
        raise AssertionError("not in this test")

    async def close(self) -> None:
        raise AssertionError("not in this test")


@pytest.mark.parametrize(("offered", "http_version", "extensions", "raw"), [
    (True, "1.1", False, True),
    (False, "1.1", False, False),  # a server connection that cannot hand its bytes over
    (True, "2", False, False),  # over HTTP/2, the stream is one stream of the connection
    (True, "1.1", True, False),  # permessage-deflate: only hypercorn's WebSocket speaks it
])
def test_the_stream_takes_the_connection_over_only_where_it_can(
        offered: bool, http_version: str, extensions: bool, raw: bool) -> None:
    scope = {**SCOPE, "http_version": http_version, "headers": [(b"host", b"gateway")] + (
        [(b"Sec-WebSocket-Extensions", b"permessage-deflate")] if extensions else [])}
    token = raw_connection.set(Connection() if offered else None)
    try:
        socket = open_socket(scope, None, None)  # type: ignore[arg-type]
    finally:
        raw_connection.reset(token)
    assert isinstance(socket, RawSocket) == raw and isinstance(socket, Socket)
