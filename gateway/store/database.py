"""The asyncio side of the store: the connection pool and every query.

Everything here runs on the store loop thread (see bridge.py); the trio side
only ever calls these coroutines through ``LoopThread.call``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import msgspec

from gateway.store import partitions, queries
from gateway.store.batch import Key, fetch_stored, write_batch
from gateway.store.failures import Transient, is_transient
from gateway.store.migrator import migrate
from gateway.store.model import Entity, Outcome, Sealer, Submission
from gateway.store.safety import check_durability

log = logging.getLogger(__name__)

# Readers (get, feed, entities, ping) get connections beyond the writers'.
READER_CONNECTIONS = 2
NOTIFY_PAYLOAD_MAX = 7000  # PostgreSQL refuses payloads of 8000 bytes or more


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec(
        "jsonb", schema="pg_catalog", encoder=_json_text, decoder=msgspec.json.decode
    )


def _json_text(value: Any) -> str:
    return msgspec.json.encode(value).decode()


class Database:
    def __init__(self, pool: asyncpg.Pool, sealer: Sealer, timeout: float) -> None:
        self._pool = pool
        self._sealer = sealer
        self._timeout = timeout
        self._days: set[date] = set()

    @classmethod
    async def connect(cls, url: str, writers: int, sealer: Sealer, timeout: float) -> Database:
        try:
            pool = await asyncpg.create_pool(
                url,
                min_size=1,
                max_size=writers + READER_CONNECTIONS,
                init=_init_connection,
                timeout=timeout,
                command_timeout=timeout,
            )
        except Exception as exc:
            if is_transient(exc):
                raise Transient(f"cannot connect to PostgreSQL: {exc}") from exc
            raise
        return cls(pool, sealer, timeout)

    async def close(self) -> None:
        await self._pool.close()

    async def check_durability(self) -> None:
        async with self._pool.acquire() as conn:
            await check_durability(conn)

    async def migrate(self) -> list[int]:
        """Apply pending migrations; return the versions applied now."""
        async with self._pool.acquire() as conn:
            applied: list[int] = await migrate(conn)
            return applied

    async def ensure_partitions(self, today: date, days_ahead: int) -> None:
        async with self._pool.acquire() as conn:
            await partitions.ensure_ahead(conn, today, days_ahead)
            self._days = (await partitions.existing_days(conn))["documents"]

    async def drop_partitions_before(self, cutoff: date) -> list[str]:
        async with self._pool.acquire() as conn:
            dropped = await partitions.drop_before(conn, cutoff)
            self._days = (await partitions.existing_days(conn))["documents"]
            return dropped

    async def write(
        self, subs: Sequence[Submission], earlier: Mapping[Key, bytes]
    ) -> list[Outcome]:
        """One batch; raises ``Transient`` (or its ``CommitUnknown``) when worth retrying."""
        try:
            async with self._pool.acquire(timeout=self._timeout) as conn:
                await self._ensure_days(conn, {s.received_at.astimezone(UTC).date() for s in subs})
                outcomes, touched = await write_batch(conn, subs, self._sealer, earlier)
                try:
                    await _notify_feed(conn, touched)
                except Exception:
                    # Committed already: the outcomes stand; a lost hint costs a poll.
                    log.warning("feed NOTIFY failed after commit", exc_info=True)
                return outcomes
        except Transient:
            raise
        except Exception as exc:
            if is_transient(exc):
                raise Transient(str(exc)) from exc
            raise

    async def _ensure_days(self, conn: asyncpg.Connection, days: set[date]) -> None:
        if days <= self._days:
            return
        await partitions.ensure_days(conn, days)
        self._days = (await partitions.existing_days(conn))["documents"]

    async def stored(self, sender: str, doc_id: str) -> Outcome | None:
        async with self._pool.acquire(timeout=self._timeout) as conn:
            found = (await fetch_stored(conn, [(sender, doc_id)])).get((sender, doc_id))
        if found is None:
            return None
        return Outcome("replay", found.receipt, found.status, found.code, found.seq)

    async def feed(self, enterprise: str, after: int, limit: int) -> list[tuple[int, bytes]]:
        async with self._pool.acquire(timeout=self._timeout) as conn:
            rows = await conn.fetch(queries.FEED_AFTER, enterprise, after, limit)
        return [(row["seq"], row["body"]) for row in rows]

    async def entities(self, kind: str, key: str | None) -> list[Entity]:
        async with self._pool.acquire(timeout=self._timeout) as conn:
            if key is None:
                rows = await conn.fetch(queries.ENTITIES, kind)
            else:
                rows = await conn.fetch(queries.ENTITY, kind, key)
        return [
            Entity(r["kind"], r["key"], r["state"], r["owner"], r["data"], r["version"])
            for r in rows
        ]

    async def ping(self, timeout: float) -> bool:
        try:
            async with self._pool.acquire(timeout=timeout) as conn:
                return bool(await conn.fetchval("SELECT 1", timeout=timeout) == 1)
        except Exception as exc:
            if is_transient(exc):
                return False
            raise


async def _notify_feed(conn: asyncpg.Connection, enterprises: Iterable[str]) -> None:
    """Wake other processes' stream subscribers (a hint: pollers are authoritative).

    Sent after COMMIT rather than inside the batch transaction: a NOTIFY makes
    COMMIT take a database-wide lock until it is flushed, which would serialise
    the writers' commits. Losing a hint in a crash costs a subscriber one poll,
    so this tiny transaction may skip waiting for the flush. (Entity changes,
    which invalidate caches, are notified inside the transaction instead: see
    0002_apply_ops.sql.)
    """
    for payload in _payloads(sorted(enterprises)):
        literal = payload.replace("'", "''")
        await conn.execute(
            "BEGIN; SET LOCAL synchronous_commit = off; "
            f"SELECT pg_notify('eport_feed', '{literal}'); COMMIT"
        )


def _payloads(enterprises: list[str]) -> Iterable[str]:
    chunk: list[str] = []
    size = 0
    for enterprise in enterprises:
        if chunk and size + len(enterprise.encode()) + 1 > NOTIFY_PAYLOAD_MAX:
            yield ",".join(chunk)
            chunk, size = [], 0
        chunk.append(enterprise)
        size += len(enterprise.encode()) + 1
    if chunk:
        yield ",".join(chunk)


def utc_today() -> date:
    return datetime.now(UTC).date()
