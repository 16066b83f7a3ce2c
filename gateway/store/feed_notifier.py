"""NOTIFY eport_feed for committed batches, off the writers' path (store loop side).

Writers hand over the enterprises whose feed grew and return at once; one task
coalesces what accumulated while its previous NOTIFY was in flight and sends
it on a pool connection of its own. The notices are wake-up hints for other
processes' stream subscribers, and pollers read the feed table, so:
  - they are sent after COMMIT, never inside the batch transaction: a NOTIFY
    makes COMMIT take a database-wide lock until the commit is flushed, which
    would serialise all writers' commits;
  - the NOTIFY transaction does not wait for its own flush
    (synchronous_commit off), and a notice lost in a crash costs one poll.
Entity changes, which invalidate caches, are notified inside the transaction
instead (see 0002_apply_ops.sql).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

import asyncpg

log = logging.getLogger(__name__)

PAYLOAD_MAX = 7000  # PostgreSQL refuses payloads of 8000 bytes or more
RETRY_S = 0.5


class FeedNotifier:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._pending: set[str] = set()
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    def add(self, enterprises: Iterable[str]) -> None:
        self._pending.update(enterprises)
        if self._pending:
            self._wakeup.set()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            enterprises, self._pending = self._pending, set()
            try:
                async with self._pool.acquire() as conn:
                    for payload in payloads(sorted(enterprises)):
                        await _notify(conn, payload)
            except Exception:
                log.warning("feed NOTIFY failed; subscribers will catch up by polling",
                            exc_info=True)  # fmt: skip
                await asyncio.sleep(RETRY_S)


async def _notify(conn: asyncpg.Connection, payload: str) -> None:
    # One simple-query round trip; the payload is a quoted literal because
    # parameters need the extended protocol, which allows one statement only.
    literal = payload.replace("'", "''")
    await conn.execute(
        "BEGIN; SET LOCAL synchronous_commit = off; "
        f"SELECT pg_notify('eport_feed', '{literal}'); COMMIT"
    )


def payloads(enterprises: list[str]) -> Iterable[str]:
    """Comma-separated chunks, each under PostgreSQL's payload limit."""
    chunk: list[str] = []
    size = 0
    for enterprise in enterprises:
        length = len(enterprise.encode()) + 1
        if chunk and size + length > PAYLOAD_MAX:
            yield ",".join(chunk)
            chunk, size = [], 0
        chunk.append(enterprise)
        size += length
    if chunk:
        yield ",".join(chunk)
