"""Every party concerned sees a declaration's transitions on its WebSocket stream."""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import Any

import trio

from gateway.client import AsyncClient, Stream
from tests.e2e.gateway import Gateway
from tests.e2e.trade import Trade


async def next_event(stream: Stream) -> dict[str, Any]:
    with trio.fail_after(10):
        while True:
            message = await stream.receive()
            if message["op"] == "event":
                receipt: dict[str, Any] = message["receipt"]["receipt"]
                return receipt


async def test_events_reach_trader_broker_and_customs(gateway: Gateway) -> None:
    trade = await trio.to_thread.run_sync(Trade.onboard, gateway)
    entrustment = await trio.to_thread.run_sync(trade.entrust)
    async with AsyncExitStack() as stack:
        client = await stack.enter_async_context(AsyncClient(gateway.url))
        streams = {party.code: await stack.enter_async_context(client.stream(party.card))
                   for party in (trade.trader, trade.broker, trade.customs)}
        key, declared = await trio.to_thread.run_sync(
            lambda: trade.declare(trade.broker, entrustment=entrustment))
        assert declared["status"] == "accepted", declared
        for code in (trade.trader.code, trade.customs.code):
            event = await next_event(streams[code])
            assert (event["type"], event["ref"]) == ("dec.declaration",
                                                     {"declaration": key, "state": "submitted"})
        accepted = await trio.to_thread.run_sync(lambda: trade.act("dec.accept", key))
        entry_id = accepted["ref"]["entry_id"]
        for code in (trade.trader.code, trade.broker.code):
            event = await next_event(streams[code])
            assert event["status"] == "event" and event["sender"] == trade.customs.code
            assert event["ref"] == {"declaration": key, "state": "accepted",
                                    "entry_id": entry_id}
