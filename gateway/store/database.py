"""The asyncio side of the store: the connection pool and every query.

Everything here runs on the store loop thread (see bridge.py); the trio side
only ever calls these coroutines through ``LoopThread.call``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager, suppress
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import asyncpg
import msgspec

from gateway.store import partitions, queries
from gateway.store.advice import below_advice
from gateway.store.batch import Key, fetch_stored, write_batch
from gateway.store.failures import Transient, is_transient
from gateway.store.feed_notifier import FeedNotifier
from gateway.store.migrator import migrate
from gateway.store.model import Change, Entity, Outcome, Sealer, Submission
from gateway.store.safety import check_durability

log = logging.getLogger(__name__)

# Readers (get, feed, entities, ping) and the feed notifier get connections
# beyond the writers'.
READER_CONNECTIONS = 3
APPLICATION_NAME = "eport-store"  # names the pool's sessions in pg_stat_activity


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec(
        "jsonb", schema="pg_catalog", encoder=_json_text, decoder=msgspec.json.decode
    )


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Replaces asyncpg's reset query on release (a round trip per batch).

    Nothing here leaves session state behind: advisory locks and lock_timeout
    are undone in finally blocks, and asyncpg still rolls back an open
    transaction before calling this.
    """


def _json_text(value: Any) -> str:
    return msgspec.json.encode(value).decode()


class Database:
    def __init__(self, pool: asyncpg.Pool, sealer: Sealer, timeout: float) -> None:
        self._pool = pool
        self._sealer = sealer
        self._timeout = timeout
        self._days: set[date] = set()
        self._notifier = FeedNotifier(pool)
        self._notifier.start()

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
                server_settings={"application_name": APPLICATION_NAME},
                reset=_keep_session,
            )
        except Exception as exc:
            if is_transient(exc):
                raise Transient(f"cannot connect to PostgreSQL: {exc}") from exc
            raise
        return cls(pool, sealer, timeout)

    async def close(self) -> None:
        await self._notifier.close()
        try:
            # A graceful close waits for every connection to say goodbye.
            await asyncio.wait_for(self._pool.close(), self._timeout)
        except (TimeoutError, OSError):
            self._pool.terminate()

    @asynccontextmanager
    async def _connection(self, timeout: float | None = None) -> AsyncIterator[asyncpg.Connection]:
        conn = await self._pool.acquire(timeout=timeout or self._timeout)
        try:
            yield conn
        except Exception as exc:
            if is_transient(exc):
                # Never reuse a connection in doubt: the pool reconnects. (One
                # that asyncpg saw die was already handed back and refuses.)
                with suppress(asyncpg.InterfaceError):
                    conn.terminate()
            raise
        finally:
            try:
                await self._pool.release(conn)
            except Exception:
                # The work is done (a batch may have committed): a session that
                # cannot be reset has been closed by asyncpg, and the pool
                # reconnects. Raising here would turn a commit into a retry.
                log.debug("releasing a broken connection", exc_info=True)

    async def check_durability(self) -> None:
        async with self._connection() as conn:
            await check_durability(conn)

    async def below_advice(self, advised: Mapping[str, str]) -> list[str]:
        async with self._connection() as conn:
            return await below_advice(conn, advised)

    async def migrate(self) -> list[int]:
        """Apply pending migrations; return the versions applied now."""
        async with self._connection() as conn:
            applied: list[int] = await migrate(conn)
            return applied

    async def ensure_partitions(self, today: date, days_ahead: int) -> None:
        async with self._connection() as conn:
            await partitions.ensure_ahead(conn, today, days_ahead)
            self._days = await _writable_days(conn)

    async def drop_partitions_before(self, cutoff: date) -> list[str]:
        async with self._connection() as conn:
            dropped = await partitions.drop_before(conn, cutoff)
            self._days = await _writable_days(conn)
            return dropped

    async def write(
        self, subs: Sequence[Submission], earlier: Mapping[Key, bytes]
    ) -> list[Outcome]:
        """One batch; raises ``Transient`` (or its ``CommitUnknown``) when worth retrying."""
        try:
            async with self._connection() as conn:
                return await self._write(conn, subs, earlier)
        except Transient:
            raise
        except Exception as exc:
            if is_transient(exc):
                raise Transient(str(exc)) from exc
            raise

    async def _write(
        self, conn: asyncpg.Connection, subs: Sequence[Submission], earlier: Mapping[Key, bytes]
    ) -> list[Outcome]:
        await self._ensure_days(conn, {s.received_at.astimezone(UTC).date() for s in subs})
        outcomes, touched = await write_batch(conn, subs, self._sealer, earlier)
        self._notifier.add(touched)
        return outcomes

    async def _ensure_days(self, conn: asyncpg.Connection, days: set[date]) -> None:
        if days <= self._days:
            return
        await partitions.ensure_days(conn, days)
        self._days = await _writable_days(conn)

    async def stored(self, sender: str, doc_id: str) -> Outcome | None:
        async with self._connection() as conn:
            found = (await fetch_stored(conn, [(sender, doc_id)])).get((sender, doc_id))
        if found is None:
            return None
        return Outcome("replay", found.receipt, found.status, found.code, found.seq)

    async def feed(
        self, enterprise: str, after: int, limit: int, events_only: bool
    ) -> list[tuple[int, bytes]]:
        query = queries.EVENTS_AFTER if events_only else queries.FEED_AFTER
        async with self._connection() as conn:
            rows = await conn.fetch(query, enterprise, after, limit)
        return [(row["seq"], row["body"]) for row in rows]

    async def entities(
        self, kind: str, key: str | None, states: Sequence[str] | None = None
    ) -> list[Entity]:
        async with self._connection() as conn:
            if states is not None:
                rows = await conn.fetch(queries.ENTITIES_IN_STATES, kind, list(states))
            elif key is None:
                rows = await conn.fetch(queries.ENTITIES, kind)
            else:
                rows = await conn.fetch(queries.ENTITY, kind, key)
        return [
            Entity(r["kind"], r["key"], r["state"], r["owner"], r["data"], r["version"])
            for r in rows
        ]

    async def entities_with_keys(self, kind: str, keys: Sequence[str]) -> list[Entity]:
        async with self._connection() as conn:
            rows = await conn.fetch(queries.ENTITIES_WITH_KEYS, kind, list(keys))
        return [
            Entity(r["kind"], r["key"], r["state"], r["owner"], r["data"], r["version"])
            for r in rows
        ]

    async def history(self, kind: str, key: str) -> list[Change]:
        async with self._connection() as conn:
            rows = await conn.fetch(queries.HISTORY, kind, key)
        return [Change(r["from_state"], r["to_state"], r["patch"], r["sender"], r["doc_id"],
                       r["at"]) for r in rows]

    async def next_counter(self, counter: str) -> int:
        async with self._connection() as conn:
            return int(await conn.fetchval(queries.NEXT_COUNTER, counter))

    async def balances(self, ledger: str, keys: Sequence[str]) -> dict[str, Decimal]:
        async with self._connection() as conn:
            rows = await conn.fetch(queries.BALANCES, ledger, list(keys))
        return {r["key"]: r["balance"] for r in rows}

    async def last_seq(self, enterprise: str) -> int:
        async with self._pool.acquire(timeout=self._timeout) as conn:
            return int(await conn.fetchval(queries.LAST_SEQ, enterprise))

    async def ensure_entity(
        self, kind: str, key: str, state: str, owner: str, data: dict[str, Any]
    ) -> None:
        async with self._pool.acquire(timeout=self._timeout) as conn:
            await conn.execute(queries.ENSURE_ENTITY, kind, key, state, owner, data)

    async def ping(self, timeout: float) -> bool:
        try:
            async with self._connection(timeout) as conn:
                return bool(await conn.fetchval("SELECT 1", timeout=timeout) == 1)
        except Exception as exc:
            if is_transient(exc):
                return False
            raise


async def _writable_days(conn: asyncpg.Connection) -> set[date]:
    """Days on which both documents and feed have a partition."""
    per_parent = await partitions.existing_days(conn)
    return set.intersection(*per_parent.values())


def utc_today() -> date:
    return datetime.now(UTC).date()
