"""The WebSocket stream (PROTOCOL.md §5, subprotocol ``eport.v1``).

    server hello(nonce) -> client auth(cert, sig over nonce) -> server ready(credit)
    client submit(seq, env)*  -> server result(seq, ...) as each document commits
    server event(receipt) whenever the enterprise's feed gains an event

A bad auth, a frame over the limit, an unknown op or more unanswered submits
than the credit close the connection with 1008; a worker that stops closes it
with 1001, once the submits it took are answered. Results and events are written
by one writer task (``gateway.stream_outbox``), so concurrent commits never
interleave frames; the frames waiting when it wakes go out in one socket write.

The stream is served from the fast path like the ingest routes (quart would add a
task and a channel hop to every frame received, and two signal dispatches to
every frame), on a socket from ``gateway.stream_sockets``: its own frames on the
connection's bytes, or hypercorn's WebSocket.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Literal

import msgspec
import trio

from gateway.ingest import Answer, problem_answer
from gateway.metrics import OPEN_STREAMS
from gateway.runtime import Runtime, utc_now
from gateway.stream_outbox import Outbox
from gateway.stream_sockets import SUBPROTOCOL, Socket, StreamClosing, StreamGone
from gateway.ws_frames import GOING_AWAY, POLICY_VIOLATION
from routing.cards import identify
from routing.envelope import decode_base64
from routing.errors import EportError, ProblemError

FEED_PAGE = 500
BATCHES_IN_FLIGHT = 4  # per stream
# At shutdown, within hypercorn's grace period (5 s) with the close handshake's 2 s.
DRAIN_S = 2.0


class Auth(msgspec.Struct, forbid_unknown_fields=True):
    op: Literal["auth"]
    cert: str
    sig: str


class Submit(msgspec.Struct, forbid_unknown_fields=True):
    op: Literal["submit"]
    seq: int
    env: msgspec.Raw


_auth = msgspec.json.Decoder(Auth)
_submit = msgspec.json.Decoder(Submit)


async def serve_stream(ws: Socket, runtime: Callable[[], Runtime]) -> None:
    try:
        if SUBPROTOCOL not in ws.subprotocols:
            await ws.close(POLICY_VIOLATION, "subprotocol eport.v1 required")
            return
        try:
            current = runtime()
        except ProblemError as error:
            await ws.refuse(problem_answer(error))
            return
        # The credit's submits and the auth are the most a client may have unread.
        await ws.accept(current.config.ws_max_frame_bytes, current.config.ws_credit + 1)
        OPEN_STREAMS.inc()
        try:
            closing = await _authenticated(ws, current)
            if isinstance(closing, str):
                closing = await _session(ws, current, closing)
            if closing is not None:
                await ws.close(closing.code, closing.reason)
        finally:
            OPEN_STREAMS.dec()
    except StreamGone:
        return


def _shutting_down() -> StreamClosing:
    return StreamClosing("the gateway is shutting down", GOING_AWAY)


@contextmanager
def _until_shutdown(ws: Socket, nursery: trio.Nursery) -> Iterator[trio.CancelScope]:
    """A scope that the worker's shutdown cancels (``nursery`` runs the watch)."""
    with trio.CancelScope() as scope:
        nursery.start_soon(_cancel_at_shutdown, ws, scope)
        yield scope


async def _cancel_at_shutdown(ws: Socket, scope: trio.CancelScope) -> None:
    await ws.terminated()
    scope.cancel()


async def _authenticated(ws: Socket, runtime: Runtime) -> str | StreamClosing | None:
    """The enterprise the client authenticated as; or how the stream closes (a bad
    auth, the worker stopping), or None if the client went away."""
    async with trio.open_nursery() as nursery:
        with _until_shutdown(ws, nursery) as waiting:
            try:
                outcome: str | StreamClosing | None = await _handshake(ws, runtime)
            except StreamClosing as refused:
                outcome = refused
            except StreamGone:
                outcome = None
        nursery.cancel_scope.cancel()
    return _shutting_down() if waiting.cancelled_caught else outcome


async def _receive(ws: Socket, runtime: Runtime) -> bytes:
    data = await ws.receive()
    if len(data) > runtime.config.ws_max_frame_bytes:
        raise StreamClosing("frame over the size limit")
    return data


async def _handshake(ws: Socket, runtime: Runtime) -> str:
    nonce = os.urandom(32)
    await ws.send([_text({"op": "hello", "nonce": base64.b64encode(nonce).decode()})])
    try:
        auth = _auth.decode(await _receive(ws, runtime))
        card = await runtime.cards.resolving(lambda: runtime.cards.get(auth.cert))
        card = identify(card, card.enterprise if card else "", utc_now())
        if not runtime.verify_one(card.public_key, nonce, decode_base64(auth.sig, "$.sig")):
            raise StreamClosing("auth signature does not verify")
    except (msgspec.DecodeError, EportError) as exc:
        raise StreamClosing(f"auth refused: {exc}") from None
    await ws.send([_text(
        {"op": "ready", "enterprise": card.enterprise, "credit": runtime.config.ws_credit})])
    return card.enterprise


def _text(message: dict[str, object]) -> bytes:
    return msgspec.json.encode(message)


async def _session(ws: Socket, runtime: Runtime, enterprise: str) -> StreamClosing | None:
    """Serve submits and events until the client breaks a rule (return how the stream
    closes), goes away (return None), or the worker stops: then the submits taken are
    answered first (for ``DRAIN_S`` at most), and the stream closes with 1001."""
    outbox = Outbox(runtime.config.ws_credit)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(outbox.write, ws)
        nursery.start_soon(_events, runtime, enterprise, outbox)
        with _until_shutdown(ws, nursery) as reading:
            closing = await _read_submits(ws, runtime, enterprise, outbox, nursery)
        if reading.cancelled_caught:
            closing = _shutting_down()
            with trio.move_on_after(DRAIN_S):
                await outbox.answered()
        nursery.cancel_scope.cancel()
    return closing


async def _read_submits(ws: Socket, runtime: Runtime, enterprise: str, outbox: Outbox,
                        nursery: trio.Nursery) -> StreamClosing | None:
    queued, submits = trio.open_memory_channel[Submit](runtime.config.ws_credit)
    nursery.start_soon(_submit_batches, runtime, enterprise, submits, outbox)
    while True:
        try:
            submit = _submit.decode(await _receive(ws, runtime))
        except StreamClosing as closing:
            return closing
        except StreamGone:
            return None
        except msgspec.DecodeError as exc:
            return StreamClosing(f"bad frame: {exc}")
        if not outbox.take_credit():
            return StreamClosing("credit exceeded")
        queued.send_nowait(submit)  # room for every unanswered submit: the credit


async def _submit_batches(runtime: Runtime, enterprise: str,
                          submits: trio.MemoryReceiveChannel[Submit], outbox: Outbox) -> None:
    """Submit what has arrived as one batch (verified together, committed together),
    up to BATCHES_IN_FLIGHT batches at a time; what arrives meanwhile forms the next."""
    slots = trio.Semaphore(BATCHES_IN_FLIGHT)
    async with trio.open_nursery() as nursery:
        async for first in submits:
            batch = [first]
            await slots.acquire()
            while True:
                try:
                    batch.append(submits.receive_nowait())
                except trio.WouldBlock:
                    break
            nursery.start_soon(_handle, runtime, enterprise, batch, outbox, slots)


async def _handle(runtime: Runtime, enterprise: str, batch: list[Submit], outbox: Outbox,
                  slots: trio.Semaphore) -> None:
    try:
        answers = await runtime.ingest.submit_many([bytes(s.env) for s in batch],
                                                   enterprise=enterprise)
    finally:
        slots.release()
    outbox.put_results([result_frame(submit.seq, answer)
                        for submit, answer in zip(batch, answers, strict=True)])


def result_frame(seq: int, answer: Answer) -> bytes:
    member = b"problem" if answer.is_problem else b"receipt"
    return b'{"op":"result","seq":%d,"status":%d,"%s":%s}' % (seq, answer.status, member,
                                                               answer.body)


async def _events(runtime: Runtime, enterprise: str, outbox: Outbox) -> None:
    async with runtime.hub.subscribe(enterprise) as (cursor, wakeups):
        async for _ in wakeups:
            while page := await runtime.store.feed(enterprise, cursor, FEED_PAGE,
                                                   events_only=True):
                await outbox.put_events([b'{"op":"event","receipt":' + item + b"}"
                                         for _, item in page])
                cursor = page[-1][0]
                if len(page) < FEED_PAGE:
                    break
