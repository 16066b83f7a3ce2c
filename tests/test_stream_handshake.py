"""The stream's handshake as the server sees it: ASGI messages in, ASGI messages out."""

from __future__ import annotations

import msgspec

from gateway.asgi import Message
from gateway.runtime import Runtime
from gateway.stream import Socket, serve_stream
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
