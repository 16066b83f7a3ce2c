"""LISTEN for other processes' commits and fan the notices out to trio subscribers.

One LISTEN connection per Store (on the store loop) hears two channels:
``eport_feed`` (payload: comma-separated enterprises whose feed grew) and
``eport_entities`` (payload: ``kind:key`` of a changed entity). Subscribers get
single names. After every (re)connect each subscriber receives ``"*"``: notices
sent while the connection was down are lost, so "*" means "re-read everything".
A subscriber that falls ``SUBSCRIBER_BUFFER`` notices behind loses the overflow
and is owed a "*", sent before anything else once it has room again: notices are
wake-up hints, the feed table and entity rows are the truth, and a lost card
notice must not leave a locked card usable.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import asyncpg
import trio

FEED = "eport_feed"
ENTITIES = "eport_entities"
EVERYTHING = "*"
SUBSCRIBER_BUFFER = 4096
# Card status changes must reach every worker within a second: a dead LISTEN
# connection is noticed within KEEPALIVE_S + LOST_AFTER_S, then the store reconnects
# at once and "*" makes subscribers re-read everything.
KEEPALIVE_S = 0.5
LOST_AFTER_S = 1.0
APPLICATION_NAME = "eport-listen"  # names the LISTEN session in pg_stat_activity

Notice = tuple[str, str]  # (channel, payload)
Forward = Callable[[list[Notice]], None]


async def listen_until_lost(url: str, forward: Forward, timeout: float) -> None:
    """Runs on the store loop; returns or raises when the connection is lost.

    ``timeout`` bounds connecting; a keepalive slower than LOST_AFTER_S counts as lost.
    """
    conn = await asyncpg.connect(url, timeout=timeout,
                                 server_settings={"application_name": APPLICATION_NAME})
    loop = asyncio.get_running_loop()
    heard: list[Notice] = []

    def flush() -> None:
        batch = heard.copy()
        heard.clear()
        forward(batch)

    def hear(_conn: object, _pid: int, channel: str, payload: str) -> None:
        # A commit's notices arrive together: hand them over in one crossing into trio.
        if not heard:
            loop.call_soon(flush)
        heard.append((channel, payload))

    try:
        for channel in (FEED, ENTITIES):
            await conn.add_listener(channel, hear)
        forward([(channel, EVERYTHING) for channel in (FEED, ENTITIES)])
        # Notices arrive as callbacks; a periodic round trip notices a dead
        # connection that no notice would ever reveal.
        while True:
            await asyncio.sleep(KEEPALIVE_S)
            await conn.fetchval("SELECT 1", timeout=min(timeout, LOST_AFTER_S))
            forward([])  # pays the "*" owed to subscribers that overflowed
    finally:
        conn.terminate()


class Fanout:
    """Trio side: one bounded memory channel per subscriber."""

    def __init__(self) -> None:
        self._subscribers: dict[str, list[trio.MemorySendChannel[str]]] = {FEED: [], ENTITIES: []}
        self._owed_everything: set[trio.MemorySendChannel[str]] = set()

    def subscribe(self, channel: str) -> trio.MemoryReceiveChannel[str]:
        send, receive = trio.open_memory_channel[str](SUBSCRIBER_BUFFER)
        self._subscribers[channel].append(send)
        return receive

    def publish_all(self, notices: list[Notice]) -> None:
        """Publish ``notices``, after paying every "*" owed that fits now (the
        listener calls this with no notices after each keepalive, so a "*" is paid
        within ``KEEPALIVE_S`` of room even if no other notice comes)."""
        for send in list(self._owed_everything):
            try:
                send.send_nowait(EVERYTHING)
            except trio.WouldBlock:
                continue
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                pass
            self._owed_everything.discard(send)
        for channel, payload in notices:
            self._publish(channel, payload)

    def _publish(self, channel: str, payload: str) -> None:
        names = payload.split(",") if channel == FEED else [payload]
        alive = []
        for send in self._subscribers.get(channel, []):
            # Still owed a "*" (it had no room just now): that "*" covers this notice.
            if send not in self._owed_everything:
                try:
                    for name in names:
                        send.send_nowait(name)
                except trio.WouldBlock:
                    self._owed_everything.add(send)
                except (trio.BrokenResourceError, trio.ClosedResourceError):
                    continue
            alive.append(send)
        self._subscribers[channel] = alive

    def close(self) -> None:
        for senders in self._subscribers.values():
            for send in senders:
                send.close()
            senders.clear()
        self._owed_everything.clear()
