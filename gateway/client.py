"""The reference client: sign documents and queries, submit, follow the stream,
verify receipts. ``Client`` is synchronous (httpx), ``AsyncClient`` runs on trio.

A document is serialised once; those exact bytes are signed and spliced into
the envelope (PROTOCOL.md §2).
"""

from __future__ import annotations

import base64
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import msgspec
import trio_websocket

from core_ext import sm2
from core_ext.pki import parse_certificate
from routing.receipts import OpenedReceipt, open_envelope
from routing.signed_requests import request_message

DEFAULT_URL = "http://127.0.0.1:8080"


def now_ts() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_id(doc_type: str) -> str:
    return f"{doc_type}:{datetime.now(UTC):%Y%m%dT%H%M%S}:{os.urandom(6).hex()}"


@dataclass(frozen=True)
class Signer:
    """A card: its private key and its certificate serial."""

    private_key: bytes
    cert: str

    def envelope(self, doc_bytes: bytes) -> bytes:
        sig = base64.b64encode(sm2.sign(self.private_key, doc_bytes))
        return b'{"doc":' + doc_bytes + b',"sig":"' + sig + b'","cert":"' + \
            self.cert.encode() + b'"}'

    def document(self, doc_type: str, sender: str, body: Any, doc_id: str | None = None,
                 ts: str | None = None) -> bytes:
        doc = {"id": doc_id or new_id(doc_type), "type": doc_type, "sender": sender,
               "ts": ts or now_ts(), "body": body}
        return self.envelope(msgspec.json.encode(doc))

    def authorization(self, method: str, target: str, ts: str | None = None) -> str:
        ts = ts or now_ts()
        sig = base64.b64encode(sm2.sign(self.private_key, request_message(method, target, ts)))
        return f'SM2 cert="{self.cert}", ts="{ts}", sig="{sig.decode()}"'


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    replay: bool

    def json(self) -> Any:
        return msgspec.json.decode(self.body)


def verify_receipt(envelope: bytes, signer_pem: bytes) -> OpenedReceipt:
    """The receipt, if the platform's receipt certificate signed it; else ValueError."""
    opened = open_envelope(envelope)
    certificate = parse_certificate(signer_pem)
    if certificate.serial_hex != opened.cert:
        raise ValueError("receipt names another signing certificate")
    if not sm2.verify(certificate.public_key, opened.body_bytes, opened.signature):
        raise ValueError("receipt signature does not verify")
    return opened


def _reply(response: httpx.Response) -> Reply:
    return Reply(response.status_code, response.content,
                 response.headers.get("eport-replay") == "true")


JSON = {"content-type": "application/json"}


class Client:
    def __init__(self, url: str = DEFAULT_URL, *, http2: bool = False,
                 timeout: float = 30.0) -> None:
        self._http = httpx.Client(base_url=url, http2=http2, timeout=timeout)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()

    def submit(self, envelope: bytes) -> Reply:
        return _reply(self._http.post("/v1/documents", content=envelope, headers=JSON))

    def submit_batch(self, envelopes: list[bytes]) -> Reply:
        body = b"[" + b",".join(envelopes) + b"]"
        return _reply(self._http.post("/v1/documents:batch", content=body, headers=JSON))

    def get(self, target: str, signer: Signer | None = None) -> Reply:
        headers = {"authorization": signer.authorization("GET", target)} if signer else {}
        return _reply(self._http.get(target, headers=headers))


class AsyncClient:
    def __init__(self, url: str = DEFAULT_URL, *, http2: bool = False,
                 timeout: float = 30.0) -> None:
        self.url = url
        self._http = httpx.AsyncClient(base_url=url, http2=http2, timeout=timeout)

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._http.aclose()

    async def submit(self, envelope: bytes) -> Reply:
        return _reply(await self._http.post("/v1/documents", content=envelope, headers=JSON))

    async def submit_batch(self, envelopes: list[bytes]) -> Reply:
        body = b"[" + b",".join(envelopes) + b"]"
        return _reply(await self._http.post("/v1/documents:batch", content=body, headers=JSON))

    async def get(self, target: str, signer: Signer | None = None) -> Reply:
        headers = {"authorization": signer.authorization("GET", target)} if signer else {}
        return _reply(await self._http.get(target, headers=headers))

    @asynccontextmanager
    async def stream(self, signer: Signer) -> AsyncIterator[Stream]:
        ws_url = self.url.replace("http", "ws", 1) + "/v1/stream"
        async with trio_websocket.open_websocket_url(ws_url, subprotocols=["eport.v1"]) as ws:
            stream = Stream(ws)
            await stream.authenticate(signer)
            yield stream


class Stream:
    """An authenticated WebSocket stream: submit with a client seq, read results/events."""

    def __init__(self, ws: trio_websocket.WebSocketConnection) -> None:
        self._ws = ws
        self.enterprise = ""
        self.credit = 0

    async def authenticate(self, signer: Signer) -> None:
        hello = msgspec.json.decode(await self._ws.get_message())
        nonce = base64.b64decode(hello["nonce"])
        sig = base64.b64encode(sm2.sign(signer.private_key, nonce)).decode()
        await self._ws.send_message(msgspec.json.encode(
            {"op": "auth", "cert": signer.cert, "sig": sig}).decode())
        ready = msgspec.json.decode(await self._ws.get_message())
        if ready.get("op") != "ready":
            raise ConnectionError(f"stream refused: {ready}")
        self.enterprise, self.credit = ready["enterprise"], ready["credit"]

    async def submit(self, seq: int, envelope: bytes) -> None:
        frame = b'{"op":"submit","seq":%d,"env":%s}' % (seq, envelope)
        await self._ws.send_message(frame.decode())

    async def receive(self) -> dict[str, Any]:
        message = await self._ws.get_message()
        decoded: dict[str, Any] = msgspec.json.decode(message)
        return decoded


__all__ = ["AsyncClient", "Client", "Reply", "Signer", "Stream", "verify_receipt"]
