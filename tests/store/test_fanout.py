"""Fanout: a subscriber that overflowed its buffer is owed a "*" (re-read everything)."""

from __future__ import annotations

import trio

from gateway.store.notify import ENTITIES, EVERYTHING, FEED, SUBSCRIBER_BUFFER, Fanout


def drain(receive: trio.MemoryReceiveChannel[str]) -> list[str]:
    names = []
    while True:
        try:
            names.append(receive.receive_nowait())
        except trio.WouldBlock:
            return names


async def test_an_overflowed_subscriber_gets_everything_before_the_next_notice() -> None:
    fanout = Fanout()
    slow, fast = fanout.subscribe(ENTITIES), fanout.subscribe(ENTITIES)
    fanout.publish_all([(ENTITIES, f"declaration:{i}") for i in range(SUBSCRIBER_BUFFER)])
    assert len(drain(fast)) == SUBSCRIBER_BUFFER
    fanout.publish_all([(ENTITIES, "card:locked")])  # lost: slow's buffer is full
    assert drain(fast) == ["card:locked"]
    assert len(drain(slow)) == SUBSCRIBER_BUFFER
    fanout.publish_all([(ENTITIES, "card:other")])
    assert drain(slow) == [EVERYTHING, "card:other"]
    assert drain(fast) == ["card:other"]
    fanout.publish_all([(ENTITIES, "card:next")])
    assert drain(slow) == ["card:next"]


async def test_an_owed_everything_is_paid_without_another_notice() -> None:
    fanout = Fanout()
    slow = fanout.subscribe(FEED)
    fanout.publish_all([(FEED, ",".join(f"E{i}" for i in range(SUBSCRIBER_BUFFER + 1)))])
    assert len(drain(slow)) == SUBSCRIBER_BUFFER
    fanout.publish_all([])  # what the listener sends after each keepalive
    assert drain(slow) == [EVERYTHING]
    fanout.publish_all([])
    assert drain(slow) == []
