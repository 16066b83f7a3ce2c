"""The WebSocket stream (PROTOCOL.md §5, subprotocol ``eport.v1``).

    server hello(nonce) -> client auth(cert, sig over nonce) -> server ready(credit)
    client submit(seq, env)*  -> server result(seq, ...) as each document commits
    server event(receipt) whenever the enterprise's feed gains an event

A bad auth, a frame over the limit, an unknown op or more unanswered submits
than the credit close the connection with 1008. Results are written by one
writer task, so concurrent commits never interleave frames; the frames waiting
when it wakes go out in one socket write (``held_writes``).

The stream is plain ASGI, served from the fast path like the ingest routes: quart
would add a task and a channel hop to every frame received, and two signal
dispatches to every frame.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from typing import Literal

import msgspec
import trio

from gateway.asgi import Receive, Scope, Send
from gateway.held_writes import held_writes
from gateway.ingest import Answer, problem_answer
from gateway.metrics import OPEN_STREAMS
from gateway.runtime import Runtime, utc_now
from routing.cards import identify
from routing.envelope import decode_base64
from routing.errors import EportError, ProblemError

POLICY_VIOLATION = 1008
SUBPROTOCOL = "eport.v1"
FEED_PAGE = 500
BATCHES_IN_FLIGHT = 4  # per stream


class Auth(msgspec.Struct, forbid_unknown_fields=True):
    op: Literal["auth"]
    cert: str
    sig: str


class Submit(msgspec.Struct, forbid_unknown_fields=True):
    op: Literal["submit"]
    seq: int
    env: msgspec.Raw


class _Closed(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Gone(Exception):
    """The client closed the connection or went away: nothing more to send."""


_auth = msgspec.json.Decoder(Auth)
_submit = msgspec.json.Decoder(Submit)


class Socket:
    """The stream's side of one ASGI WebSocket connection."""

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.subprotocols: list[str] = list(scope.get("subprotocols", []))
        self._receive = receive
        self._send = send

    async def receive(self) -> bytes:
        message = await self._receive()
        if message["type"] != "websocket.receive":
            raise _Gone
        text = message.get("text")
        return text.encode() if text is not None else bytes(message.get("bytes") or b"")

    async def accept(self) -> None:
        if (await self._receive())["type"] != "websocket.connect":
            raise _Gone
        await self._send({"type": "websocket.accept", "subprotocol": SUBPROTOCOL})

    async def send(self, text: str) -> None:
        # A str goes out as a text frame (PROTOCOL.md §5); bytes would go as a binary one.
        await self._send({"type": "websocket.send", "text": text})

    async def close(self, reason: str) -> None:
        await self._send({"type": "websocket.close", "code": POLICY_VIOLATION, "reason": reason})

    async def refuse(self, answer: Answer) -> None:
        """Answer the handshake with a problem (the server cannot take the stream now),
        through the ASGI denial-response extension hypercorn offers."""
        await self._send({"type": "websocket.http.response.start", "status": answer.status,
                          "headers": answer.headers()})
        await self._send({"type": "websocket.http.response.body", "body": answer.body})


async def serve_stream(ws: Socket, runtime: Callable[[], Runtime]) -> None:
    try:
        if SUBPROTOCOL not in ws.subprotocols:
            await ws.close("subprotocol eport.v1 required")
            return
        try:
            current = runtime()
        except ProblemError as error:
            await ws.refuse(problem_answer(error))
            return
        await ws.accept()
        OPEN_STREAMS.inc()
        try:
            reason: str | None
            try:
                enterprise = await _handshake(ws, current)
            except _Closed as closed:
                reason = closed.reason
            else:
                reason = await _session(ws, current, enterprise)
            if reason is not None:
                await ws.close(reason)
        finally:
            OPEN_STREAMS.dec()
    except _Gone:
        return


async def _receive(ws: Socket, runtime: Runtime) -> bytes:
    data = await ws.receive()
    if len(data) > runtime.config.ws_max_frame_bytes:
        raise _Closed("frame over the size limit")
    return data


async def _handshake(ws: Socket, runtime: Runtime) -> str:
    nonce = os.urandom(32)
    await ws.send(_text({"op": "hello", "nonce": base64.b64encode(nonce).decode()}))
    try:
        auth = _auth.decode(await _receive(ws, runtime))
        card = await runtime.cards.resolving(lambda: runtime.cards.get(auth.cert))
        card = identify(card, card.enterprise if card else "", utc_now())
        if not runtime.verify_one(card.public_key, nonce, decode_base64(auth.sig, "$.sig")):
            raise _Closed("auth signature does not verify")
    except (msgspec.DecodeError, EportError) as exc:
        raise _Closed(f"auth refused: {exc}") from None
    await ws.send(_text(
        {"op": "ready", "enterprise": card.enterprise, "credit": runtime.config.ws_credit}))
    return card.enterprise


def _text(message: dict[str, object]) -> str:
    return msgspec.json.encode(message).decode()


async def _session(ws: Socket, runtime: Runtime, enterprise: str) -> str | None:
    """Serve submits and events until the client breaks a rule (return why) or
    goes away (return None)."""
    send, outbox = trio.open_memory_channel[bytes](runtime.config.ws_credit + 16)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(_writer, ws, outbox)
        nursery.start_soon(_events, runtime, enterprise, send.clone())
        reason = await _read_submits(ws, runtime, enterprise, send, nursery)
        nursery.cancel_scope.cancel()
    return reason


async def _read_submits(ws: Socket, runtime: Runtime, enterprise: str,
                        send: trio.MemorySendChannel[bytes], nursery: trio.Nursery) -> str | None:
    credit = trio.Semaphore(runtime.config.ws_credit)
    queued, submits = trio.open_memory_channel[Submit](runtime.config.ws_credit)
    nursery.start_soon(_submit_batches, runtime, enterprise, submits, send.clone(), credit)
    while True:
        try:
            submit = _submit.decode(await _receive(ws, runtime))
        except _Closed as closed:
            return closed.reason
        except _Gone:
            return None
        except msgspec.DecodeError as exc:
            return f"bad frame: {exc}"
        try:
            credit.acquire_nowait()
        except trio.WouldBlock:
            return "credit exceeded"
        queued.send_nowait(submit)  # room for every unanswered submit: the credit


async def _submit_batches(runtime: Runtime, enterprise: str,
                          submits: trio.MemoryReceiveChannel[Submit],
                          send: trio.MemorySendChannel[bytes], credit: trio.Semaphore) -> None:
    """Submit what has arrived as one batch (verified together, committed together),
    up to BATCHES_IN_FLIGHT batches at a time; what arrives meanwhile forms the next."""
    slots = trio.Semaphore(BATCHES_IN_FLIGHT)
    async with send, trio.open_nursery() as nursery:
        async for first in submits:
            batch = [first]
            await slots.acquire()
            while True:
                try:
                    batch.append(submits.receive_nowait())
                except trio.WouldBlock:
                    break
            nursery.start_soon(_handle, runtime, enterprise, batch, send.clone(), credit, slots)


async def _handle(runtime: Runtime, enterprise: str, batch: list[Submit],
                  send: trio.MemorySendChannel[bytes], credit: trio.Semaphore,
                  slots: trio.Semaphore) -> None:
    async with send:
        try:
            answers = await runtime.ingest.submit_many([bytes(s.env) for s in batch],
                                                       enterprise=enterprise)
        finally:
            slots.release()
        for submit, answer in zip(batch, answers, strict=True):
            await send.send(result_frame(submit.seq, answer))
            credit.release()


def result_frame(seq: int, answer: Answer) -> bytes:
    member = b"problem" if answer.is_problem else b"receipt"
    return b'{"op":"result","seq":%d,"status":%d,"%s":%s}' % (seq, answer.status, member,
                                                               answer.body)


async def _writer(ws: Socket, outbox: trio.MemoryReceiveChannel[bytes]) -> None:
    """Every frame waiting when the writer wakes goes out in one socket write."""
    async for frame in outbox:
        frames = [frame]
        while True:
            try:
                frames.append(outbox.receive_nowait())
            except trio.WouldBlock:
                break
        async with held_writes():
            for ready in frames:
                await ws.send(ready.decode())


async def _events(runtime: Runtime, enterprise: str,
                  send: trio.MemorySendChannel[bytes]) -> None:
    async with send, runtime.hub.subscribe(enterprise) as (cursor, wakeups):
        async for _ in wakeups:
            while page := await runtime.store.feed(enterprise, cursor, FEED_PAGE,
                                                   events_only=True):
                for _, item in page:
                    await send.send(b'{"op":"event","receipt":' + item + b"}")
                cursor = page[-1][0]
                if len(page) < FEED_PAGE:
                    break
