"""PROTOCOL.md §5: the WebSocket stream with a real client (trio-websocket)."""

from __future__ import annotations

import base64

import httpx
import msgspec
import pytest
import trio
import trio_websocket

from core_ext import sm2
from gateway.client import AsyncClient, Signer
from tests.e2e.gateway import Gateway, random_customs_code

POLICY_VIOLATION = 1008


def lock_body(signer: Signer) -> dict[str, str]:
    return {"card": signer.cert}


async def test_submit_and_results_by_client_seq(gateway: Gateway) -> None:
    enterprise = gateway.enterprise()
    legal = gateway.card(enterprise, "legal")
    operators = [gateway.card(enterprise, "operator") for _ in range(5)]
    async with AsyncClient(gateway.url) as client, client.stream(legal) as stream:
        assert stream.enterprise == enterprise and stream.credit >= 5
        envelopes = [legal.document("identity.card_lock", enterprise, lock_body(op))
                     for op in operators]
        for seq, envelope in enumerate(envelopes, start=100):
            await stream.submit(seq, envelope)
        await stream.submit(200, envelopes[0])
        results = {}
        for _ in range(6):
            message = await stream.receive()
            assert message["op"] == "result"
            results[message["seq"]] = message
    statuses = {seq: r["status"] for seq, r in results.items()}
    # 100 and 200 carry the same bytes and run concurrently: exactly one of them is new.
    assert sorted((statuses.pop(100), statuses.pop(200))) == [200, 201]
    assert statuses == {101: 201, 102: 201, 103: 201, 104: 201}
    assert results[100]["receipt"] == results[200]["receipt"]
    assert results[101]["receipt"]["receipt"]["ref"] == {"card": operators[1].cert,
                                                        "state": "locked"}


async def test_a_burst_is_answered_document_by_document(gateway: Gateway,
                                                        tight_gateway: Gateway) -> None:
    """Submits that arrive together are verified and committed together, but each gets
    its own result: a tampered one fails alone; the credit comes back with each result."""
    enterprise = gateway.enterprise()
    legal = gateway.card(enterprise, "legal")
    operators = [gateway.card(enterprise, "operator") for _ in range(30)]
    envelopes = [legal.document("identity.card_lock", enterprise, lock_body(op))
                 for op in operators]
    tampered = bytearray(envelopes[7])
    tampered[envelopes[7].index(b'"card"') + 12] ^= 0x01
    envelopes[7] = bytes(tampered)
    async with AsyncClient(gateway.url) as client, client.stream(legal) as stream:
        for seq, envelope in enumerate(envelopes):
            await stream.submit(seq, envelope)
        with trio.fail_after(20):
            results = {m["seq"]: m for m in [await stream.receive() for _ in envelopes]}
    assert results.pop(7)["problem"]["code"] == "SIGNATURE_INVALID"
    assert {r["status"] for r in results.values()} == {201}
    assert [results[i]["receipt"]["receipt"]["ref"]["card"] for i in sorted(results)] == [
        op.cert for i, op in enumerate(operators) if i != 7]
    more = [legal.document("identity.card_unlock", enterprise, lock_body(op))
            for op in operators[:6]]
    async with AsyncClient(tight_gateway.url) as client, client.stream(legal) as stream:
        assert stream.credit == 2
        for start in range(0, 6, 2):
            for seq in (start, start + 1):
                await stream.submit(seq, more[seq])
            with trio.fail_after(20):
                answered = [await stream.receive() for _ in range(2)]
            assert {m["status"] for m in answered} == {201}


async def test_card_of_another_enterprise_is_refused_on_the_stream(gateway: Gateway) -> None:
    mine, theirs = gateway.enterprise(), gateway.enterprise()
    legal, other = gateway.card(mine, "legal"), gateway.card(theirs, "legal")
    async with AsyncClient(gateway.url) as client, client.stream(legal) as stream:
        await stream.submit(1, other.document("identity.card_lock", theirs, lock_body(other)))
        message = await stream.receive()
    assert (message["status"], message["problem"]["code"]) == (403, "PERMISSION_DENIED")


async def test_events_reach_streams_on_other_processes(gateway: Gateway,
                                                       tight_gateway: Gateway) -> None:
    enterprise = gateway.enterprise()
    legal = gateway.card(enterprise, "legal")
    operator = gateway.card(enterprise, "operator")
    async with AsyncClient(tight_gateway.url) as client, client.stream(legal) as stream:
        freeze = gateway.admin.document("identity.card_freeze", gateway.platform_code,
                                        {"card": operator.cert, "enterprise": enterprise})
        with gateway.client() as other_process:
            assert other_process.submit(freeze).status == 201
        with trio.fail_after(5):
            message = await stream.receive()
    assert message["op"] == "event"
    receipt = message["receipt"]["receipt"]
    assert (receipt["status"], receipt["ref"]) == ("event", {"card": operator.cert,
                                                              "state": "frozen"})


async def test_every_frame_from_the_server_is_a_text_frame(gateway: Gateway) -> None:
    """Text frames, one JSON object each: hello, ready, results and events alike
    (trio-websocket hands a text frame over as str, a binary one as bytes)."""
    enterprise = gateway.enterprise()
    legal = gateway.card(enterprise, "legal")
    locked, frozen = gateway.card(enterprise, "operator"), gateway.card(enterprise, "operator")
    url = gateway.url.replace("http", "ws", 1) + "/v1/stream"
    async with trio_websocket.open_websocket_url(url, subprotocols=["eport.v1"]) as ws:
        hello = await ws.get_message()
        nonce = base64.b64decode(msgspec.json.decode(hello)["nonce"])
        sig = base64.b64encode(sm2.sign(legal.private_key, nonce)).decode()
        await ws.send_message(msgspec.json.encode(
            {"op": "auth", "cert": legal.cert, "sig": sig}).decode())
        frames = [hello, await ws.get_message()]
        envelope = legal.document("identity.card_lock", enterprise, lock_body(locked))
        await ws.send_message((b'{"op":"submit","seq":1,"env":%s}' % envelope).decode())
        freeze = gateway.admin.document("identity.card_freeze", gateway.platform_code,
                                        {"card": frozen.cert, "enterprise": enterprise})
        with gateway.client() as other_process:
            assert other_process.submit(freeze).status == 201
        with trio.fail_after(5):
            while {"result", "event"} - {msgspec.json.decode(f)["op"] for f in frames}:
                frames.append(await ws.get_message())
    assert [type(frame) for frame in frames] == [str] * len(frames)
    assert [msgspec.json.decode(frame)["op"] for frame in frames[:2]] == ["hello", "ready"]


async def closed_with(ws: trio_websocket.WebSocketConnection) -> int | None:
    with trio.fail_after(5):
        try:
            while True:
                await ws.get_message()
        except trio_websocket.ConnectionClosed as closed:
            return closed.reason.code
    return None


async def test_bad_auth_closes_with_policy_violation(gateway: Gateway) -> None:
    url = gateway.url.replace("http", "ws", 1) + "/v1/stream"
    stranger = Signer(sm2.generate_private_key(), gateway.admin.cert)
    async with trio_websocket.open_websocket_url(url, subprotocols=["eport.v1"]) as ws:
        hello = msgspec.json.decode(await ws.get_message())
        nonce = base64.b64decode(hello["nonce"])
        sig = base64.b64encode(sm2.sign(stranger.private_key, nonce)).decode()
        await ws.send_message(msgspec.json.encode(
            {"op": "auth", "cert": stranger.cert, "sig": sig}).decode())
        assert await closed_with(ws) == POLICY_VIOLATION


async def test_credit_exceeded_closes_with_policy_violation(tight_gateway: Gateway) -> None:
    enterprise = tight_gateway.enterprise()
    legal = tight_gateway.card(enterprise, "legal")
    operators = [tight_gateway.card(enterprise, "operator") for _ in range(3)]
    async with AsyncClient(tight_gateway.url) as client, client.stream(legal) as stream:
        assert stream.credit == 2
        for seq, operator in enumerate(operators):
            await stream.submit(seq, legal.document("identity.card_lock", enterprise,
                                                    lock_body(operator)))
        assert await closed_with(stream._ws) == POLICY_VIOLATION


async def test_oversize_frame_closes_with_policy_violation(tight_gateway: Gateway) -> None:
    enterprise = tight_gateway.enterprise()
    legal = tight_gateway.card(enterprise, "legal")
    async with AsyncClient(tight_gateway.url) as client, client.stream(legal) as stream:
        body = {"card": legal.cert, "reason": "x" * 400}
        big = legal.document("identity.card_lock", enterprise, body, doc_id=random_customs_code())
        await stream.submit(1, big.replace(b'"reason":"', b'"reason":"' + b"y" * 5000))
        assert await closed_with(stream._ws) == POLICY_VIOLATION


async def test_a_handshake_without_the_subprotocol_is_refused(gateway: Gateway) -> None:
    url = gateway.url.replace("http", "ws", 1) + "/v1/stream"
    with trio.fail_after(5), pytest.raises(trio_websocket.ConnectionRejected) as refused:
        async with trio_websocket.open_websocket_url(url):
            pass
    assert refused.value.status_code == 403


async def open_streams(gateway: Gateway) -> float:
    async with httpx.AsyncClient() as http:
        text = (await http.get(gateway.url + "/metrics")).text
    (line,) = [line for line in text.splitlines() if line.startswith("eport_open_streams ")]
    return float(line.split()[1])


async def test_a_stream_whose_client_vanishes_is_let_go(gateway: Gateway) -> None:
    """The socket drops without a close frame: the server ends the stream by itself
    (eport_open_streams comes back down) and still serves new streams."""
    enterprise = gateway.enterprise()
    legal = gateway.card(enterprise, "legal")
    before = await open_streams(gateway)
    async with AsyncClient(gateway.url) as client, client.stream(legal) as stream:
        assert await open_streams(gateway) == before + 1
        await stream._ws._stream.aclose()  # the TCP connection, under the WebSocket
    with trio.fail_after(5):
        while await open_streams(gateway) != before:
            await trio.sleep(0.05)
    async with AsyncClient(gateway.url) as client, client.stream(legal) as stream:
        assert stream.enterprise == enterprise
