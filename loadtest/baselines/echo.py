"""A bare echo ASGI app shaped like the ingest API, served by hypercorn on trio or
asyncio: ``python -m loadtest.baselines.echo --worker trio|asyncio --bind HOST:PORT``.

It does no verification and stores nothing: ``POST /v1/documents`` answers 201 with
the body, ``:batch`` answers each envelope as a receipt, and ``/v1/stream`` runs the
eport.v1 handshake (any auth passes) and answers each submit with a result.
Framework-free, so the same code runs under both event loops.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from functools import partial
from typing import Any, cast

import msgspec
import trio
from hypercorn.asyncio import serve as serve_asyncio
from hypercorn.config import Config
from hypercorn.trio import serve as serve_trio
from hypercorn.typing import ASGIFramework

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

JSON_HEADERS = [(b"content-type", b"application/json")]
CREDIT = 64
_batch = msgspec.json.Decoder(list[msgspec.Raw])


class _Submit(msgspec.Struct):
    seq: int
    env: msgspec.Raw
    op: str = "submit"


_submit = msgspec.json.Decoder(_Submit)


async def app(scope: Message, receive: Receive, send: Send) -> None:
    if scope["type"] == "http":
        await _http(scope, receive, send)
    elif scope["type"] == "websocket":
        await _websocket(receive, send)
    elif scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})


async def _http(scope: Message, receive: Receive, send: Send) -> None:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    status = 200
    if scope["method"] == "POST" and scope["path"] == "/v1/documents":
        status = 201
    elif scope["method"] == "POST" and scope["path"] == "/v1/documents:batch":
        items = _batch.decode(body)
        body = b'{"results":[' + b",".join(
            b'{"status":201,"receipt":' + bytes(item) + b"}" for item in items) + b"]}"
    elif scope["path"] != "/healthz":
        status, body = 404, b'{"code":"NOT_FOUND"}'
    headers = [*JSON_HEADERS, (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _websocket(receive: Receive, send: Send) -> None:
    if (await receive())["type"] != "websocket.connect":
        return
    await send({"type": "websocket.accept", "subprotocol": "eport.v1"})
    await send({"type": "websocket.send", "text": '{"op":"hello","nonce":"AAAA"}'})
    if (await receive())["type"] != "websocket.receive":
        return
    await send({"type": "websocket.send",
                "text": f'{{"op":"ready","enterprise":"ECHO","credit":{CREDIT}}}'})
    while (message := await receive())["type"] == "websocket.receive":
        frame = message.get("text") or message.get("bytes") or b""
        submit = _submit.decode(frame)
        result = b'{"op":"result","seq":%d,"status":201,"receipt":%s}' % (
            submit.seq, bytes(submit.env))
        await send({"type": "websocket.send", "text": result.decode()})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", choices=["trio", "asyncio"], required=True)
    parser.add_argument("--bind", required=True, help="HOST:PORT")
    args = parser.parse_args()
    config = Config()
    config.bind = [args.bind]
    config.accesslog = None
    config.loglevel = "WARNING"
    # The app is typed with plain mappings; hypercorn's types name each event.
    framework = cast(ASGIFramework, app)
    if args.worker == "trio":
        trio.run(partial(serve_trio, framework, config, mode="asgi"))
    else:
        asyncio.run(serve_asyncio(framework, config, mode="asgi"))


if __name__ == "__main__":
    main()
