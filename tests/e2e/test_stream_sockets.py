"""The stream's two sockets (gateway.stream_sockets) over real connections: the
stream's own frames when the client asks for no extension, hypercorn's WebSocket
when it asks for permessage-deflate; pings, the closing handshake and protocol
errors on the former, a stopping worker on both. The client is wsproto on a plain
socket, which can ask for extensions and write what a well-behaved client would
not, or trio-websocket."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import msgspec
import pytest
import trio
import trio_websocket
from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Event,
    Ping,
    Pong,
    Request,
    TextMessage,
)
from wsproto.extensions import PerMessageDeflate

from core_ext import sm2
from gateway.client import AsyncClient, Signer
from tests.e2e.gateway import Gateway, start_gateway, stop_gateway


class RawClient:
    def __init__(self, stream: trio.SocketStream) -> None:
        self.stream = stream
        self.ws = WSConnection(ConnectionType.CLIENT)
        self._events: list[Event] = []

    async def send(self, event: Event) -> None:
        await self.stream.send_all(self.ws.send(event))

    async def event(self) -> Event | None:
        """The next event; None once the server has closed the connection."""
        with trio.fail_after(5):
            while not self._events:
                data = await self.stream.receive_some(65536)
                if not data:
                    return None
                self.ws.receive_data(data)
                self._events.extend(self.ws.events())
        return self._events.pop(0)

    async def message(self) -> dict[str, Any]:
        event = await self.event()
        assert isinstance(event, TextMessage), event
        decoded: dict[str, Any] = msgspec.json.decode(event.data)
        return decoded

    async def authenticate(self, card: Signer) -> dict[str, Any]:
        nonce = base64.b64decode((await self.message())["nonce"])
        sig = base64.b64encode(sm2.sign(card.private_key, nonce)).decode()
        await self.send(TextMessage(data=msgspec.json.encode(
            {"op": "auth", "cert": card.cert, "sig": sig}).decode()))
        return await self.message()


async def connect(gateway: Gateway, *, deflate: bool = False) -> tuple[RawClient, AcceptConnection]:
    address = urlsplit(gateway.url)
    assert address.hostname and address.port
    client = RawClient(await trio.open_tcp_stream(address.hostname, address.port))
    await client.send(Request(host=address.netloc, target="/v1/stream", subprotocols=["eport.v1"],
                              extensions=[PerMessageDeflate()] if deflate else []))
    accepted = await client.event()
    assert isinstance(accepted, AcceptConnection)
    return client, accepted


async def closed_with(client: RawClient) -> int:
    while True:
        event = await client.event()
        assert event is not None, "the connection closed without a close frame"
        if isinstance(event, CloseConnection):
            return event.code


async def test_a_client_asking_for_permessage_deflate_is_served_through_hypercorn(
        gateway: Gateway) -> None:
    enterprise = gateway.enterprise()
    legal, operator = gateway.card(enterprise, "legal"), gateway.card(enterprise, "operator")
    client, accepted = await connect(gateway, deflate=True)
    assert [type(extension) for extension in accepted.extensions] == [PerMessageDeflate]
    assert (await client.authenticate(legal))["op"] == "ready"
    envelope = legal.document("identity.card_lock", enterprise, {"card": operator.cert})
    await client.send(TextMessage(data=(b'{"op":"submit","seq":7,"env":%s}' % envelope).decode()))
    result = await client.message()
    assert (result["op"], result["seq"], result["status"]) == ("result", 7, 201)
    await client.stream.aclose()


async def test_a_ping_gets_its_pong_and_a_close_its_reply(gateway: Gateway) -> None:
    client, accepted = await connect(gateway)
    assert accepted.extensions == []
    assert (await client.message())["op"] == "hello"
    await client.send(Ping(payload=b"still there?"))
    pong = await client.event()
    assert isinstance(pong, Pong) and pong.payload == b"still there?"
    await client.send(CloseConnection(code=1000, reason="done"))
    assert await closed_with(client) == 1000
    assert await client.event() is None  # and the server closed the connection


async def test_an_unmasked_frame_closes_with_protocol_error(gateway: Gateway) -> None:
    client, _ = await connect(gateway)
    assert (await client.message())["op"] == "hello"
    await client.stream.send_all(b"\x81\x02hi")
    assert await closed_with(client) == 1002


async def test_text_that_is_not_utf8_closes_with_invalid_payload(gateway: Gateway) -> None:
    client, _ = await connect(gateway)
    assert (await client.message())["op"] == "hello"
    binary = client.ws.send(BytesMessage(data=b'{"op":"auth","cert":"\xff"}'))
    await client.stream.send_all(b"\x81" + binary[1:])  # the same frame, as text
    assert await closed_with(client) == 1007


@pytest.fixture
def stopping_gateway(tmp_path: Path, gateway: Gateway) -> Iterator[Gateway]:
    """A gateway of its own to stop, on the same database and home, committing slowly."""
    (tmp_path / "home").symlink_to(gateway.home)
    running = start_gateway(tmp_path, gateway.database_url,
                            env={"EPORT_BATCH_MAX_WAIT_MS": "1000"})
    try:
        yield running
    finally:
        stop_gateway(running)


async def test_a_stopping_worker_answers_the_submits_it_took_then_closes_with_going_away(
        gateway: Gateway, stopping_gateway: Gateway) -> None:
    """One stream has submits in flight, another has not sent its auth yet, a third is
    served through hypercorn's WebSocket (permessage-deflate): all close with 1001, the
    first once its submits are answered."""
    enterprise = gateway.enterprise()  # the quick gateway, on the same database
    legal = gateway.card(enterprise, "legal")
    operators = [gateway.card(enterprise, "operator") for _ in range(5)]
    results: dict[int, int] = {}
    client, _ = await connect(stopping_gateway)
    assert (await client.message())["op"] == "hello"
    deflating, _ = await connect(stopping_gateway, deflate=True)
    assert (await deflating.authenticate(legal))["op"] == "ready"
    async with AsyncClient(stopping_gateway.url) as http, http.stream(legal) as stream:
        for seq, operator in enumerate(operators):
            await stream.submit(seq, legal.document("identity.card_lock", enterprise,
                                                    {"card": operator.cert}))
        # The gateway reads them at once, and their batch waits a second to commit: stop
        # it meanwhile (nothing tells the client when a submit has been taken).
        await trio.sleep(0.3)
        stopping_gateway.process.terminate()  # SIGTERM, as an operator stops it
        with trio.fail_after(10), pytest.raises(trio_websocket.ConnectionClosed) as closed:
            while True:
                message = await stream.receive()
                if message["op"] == "result":
                    results[message["seq"]] = message["status"]
    assert results == dict.fromkeys(range(5), 201)
    assert (closed.value.reason.code, closed.value.reason.reason) == (
        1001, "the gateway is shutting down")
    assert await closed_with(client) == 1001
    assert await closed_with(deflating) == 1001
