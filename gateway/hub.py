"""Fan-out of feed notifications to this process's open streams.

The store LISTENs once per process; every notification names an enterprise
that was sent an event (by any worker), or "*" after the LISTEN connection was
re-established (wake everyone: hints may have been lost). Each stream of that
enterprise is woken and reads the feed after its own cursor, so nothing is
lost if wakeups coalesce.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import trio

from gateway.store import Store
from gateway.store.notify import EVERYTHING


class Hub:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._streams: defaultdict[str, set[trio.MemorySendChannel[None]]] = defaultdict(set)

    async def run(self) -> None:
        async with await self._store.listen() as notifications:
            async for enterprise in notifications:
                if enterprise == EVERYTHING:
                    targets = [w for wakes in self._streams.values() for w in wakes]
                else:
                    targets = list(self._streams.get(enterprise, ()))
                for wake in targets:
                    # WouldBlock: a wakeup is pending already; the reader sees this too.
                    with contextlib.suppress(trio.WouldBlock):
                        wake.send_nowait(None)

    @asynccontextmanager
    async def subscribe(
        self, enterprise: str
    ) -> AsyncIterator[tuple[int, trio.MemoryReceiveChannel[None]]]:
        wake, wakeups = trio.open_memory_channel[None](1)
        self._streams[enterprise].add(wake)
        try:
            cursor = await self._store.last_seq(enterprise)
            yield cursor, wakeups
        finally:
            self._streams[enterprise].discard(wake)
            if not self._streams[enterprise]:
                del self._streams[enterprise]
