"""The ingest routes as plain ASGI, in front of the quart-trio application.

``POST /v1/documents``, ``POST /v1/documents:batch`` and the WebSocket stream
carry all the volume, so they skip the framework: a body is read with its limit
enforced before it is all in memory, handed to ``Ingest``, and the answer written
back; the stream is served by ``gateway.stream``. Every other path (queries,
schemas, health, metrics, lifespan) goes to the quart-trio application unchanged.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import msgspec

from gateway.asgi import ASGIApp, Receive, Scope, Send
from gateway.held_writes import held_writes
from gateway.ingest import Answer, problem_answer
from gateway.metrics import request_seconds
from gateway.runtime import Runtime
from gateway.stream import serve_stream
from gateway.stream_sockets import open_socket
from routing.errors import EnvelopeInvalid, ProblemError, TooLarge, UnsupportedMediaType

SINGLE = "/v1/documents"
BATCH = "/v1/documents:batch"
STREAM = "/v1/stream"

_batch_decoder = msgspec.json.Decoder(list[msgspec.Raw])


class FastPath:
    def __init__(self, app: ASGIApp, runtime: Callable[[], Runtime]) -> None:
        self._app = app
        self._runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] in (
            SINGLE, BATCH,
        ):
            await self._ingest(scope, receive, send)
        elif scope["type"] == "websocket" and scope["path"] == STREAM:
            await serve_stream(open_socket(scope, receive, send), self._runtime)
        else:
            await self._app(scope, receive, send)

    async def _ingest(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        batch = scope["path"] == BATCH
        try:
            runtime = self._runtime()
            limit = runtime.config.max_batch_body_bytes if batch else runtime.config.max_body_bytes
            body = await read_body(scope, receive, limit)
            if batch:
                answer = await batch_answer(runtime, body)
            else:
                answer = await runtime.ingest.submit(body)
        except ProblemError as error:
            answer = problem_answer(error)
        await respond(send, answer)
        request_seconds(scope["path"]).observe(time.perf_counter() - started)


async def batch_answer(runtime: Runtime, body: bytes) -> Answer:
    try:
        items = _batch_decoder.decode(body)
    except msgspec.DecodeError as exc:
        raise EnvelopeInvalid(f"batch must be a JSON array of envelopes: {exc}") from None
    if len(items) > runtime.config.max_batch_items:
        raise TooLarge(f"at most {runtime.config.max_batch_items} envelopes per batch")
    answers = await runtime.ingest.submit_many([bytes(item) for item in items])
    parts = []
    for answer in answers:
        member = b'"problem"' if answer.is_problem else b'"receipt"'
        parts.append(b'{"status":%d,%s:%s}' % (answer.status, member, answer.body))
    return Answer(200, b'{"results":[' + b",".join(parts) + b"]}")


async def read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    headers = dict(scope["headers"])
    media_type = headers.get(b"content-type", b"").split(b";", 1)[0].strip().lower()
    if media_type != b"application/json":
        raise UnsupportedMediaType("send documents as application/json")
    declared = headers.get(b"content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise TooLarge(f"body over {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise EnvelopeInvalid("client went away before the body was complete")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"body over {limit} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def respond(send: Send, answer: Answer) -> None:
    async with held_writes():
        await send({"type": "http.response.start", "status": answer.status,
                    "headers": answer.headers()})
        await send({"type": "http.response.body", "body": answer.body})
