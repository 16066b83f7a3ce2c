"""The Store: what the gateway (trio) sees of PostgreSQL.

``Store.open`` starts the embedded server when no URL is configured, connects,
refuses an unsafe server, warns of one set up below the advised settings, migrates,
creates partitions ahead and starts the background tasks: ``pool_size`` group-commit
writers, the hourly maintenance (partitions ahead, retention) and, once someone
listens, the LISTEN loop.

The background tasks run in one trio *system* task: ``open`` must return a
Store (not a context manager) for the application's startup hook, and a
system task may outlive the caller's scope. ``aclose`` stops them.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import trio

from gateway.config import Config
from gateway.metrics import COMMIT_BATCH, STORE_QUEUE
from gateway.store.advice import advice_message
from gateway.store.bridge import LoopThread
from gateway.store.database import Database, utc_today
from gateway.store.embedded import EmbeddedServer, memory_bytes, settings
from gateway.store.failures import Transient, is_transient
from gateway.store.group_commit import RETRY_AFTER_S, GroupCommitter, Key
from gateway.store.model import Change, Entity, Outcome, Sealer, Submission
from gateway.store.notify import ENTITIES, FEED, Fanout, Notice, listen_until_lost
from routing.errors import Unavailable
from routing.ops import Credit, Debit

log = logging.getLogger(__name__)

T = TypeVar("T")

MAINTENANCE_INTERVAL_S = 3600.0
# DETACH ... CONCURRENTLY waits for transactions that may still see the partition.
MAINTENANCE_TIMEOUT_S = 120.0
PING_TIMEOUT_S = 1.0
LISTEN_RETRY_S = 0.05  # first reconnect after a loss: at once, then backing off
MAX_SEQ = 2**63 - 1  # bigint
LISTEN_BACKOFF_S = 1.0


class Store:
    def __init__(
        self,
        config: Config,
        url: str,
        loop: LoopThread,
        db: Database,
        server: EmbeddedServer | None,
    ) -> None:
        self._config = config
        self._url = url
        self._loop = loop
        self._db = db
        self._server = server
        self._committer = GroupCommitter(
            self._write,
            max_docs=config.batch_max_docs,
            max_wait_s=config.batch_max_wait_ms / 1000,
            timeout_s=config.store_timeout_s,
            max_queued=max(1, config.batch_max_docs) * 16,
            lines=_ledger_lines,
            max_per_line=config.batch_max_per_line,
        )
        STORE_QUEUE.set_function(self._committer.queued)
        self._fanout = Fanout()
        self._nursery: trio.Nursery | None = None
        self._listening = False
        self._writers_done = trio.Event()
        self._stopped = trio.Event()
        self._closed = False

    async def _write(self, subs: Sequence[Submission], earlier: Mapping[Key, bytes]
                     ) -> list[Outcome]:
        COMMIT_BATCH.observe(len(subs))
        return await self._loop.call(lambda: self._db.write(subs, earlier))

    @classmethod
    async def open(cls, config: Config, sealer: Sealer) -> Store:
        server = await EmbeddedServer.start(config.home) if config.database_url is None else None
        url = server.url if server is not None else str(config.database_url)
        loop = LoopThread()
        db: Database | None = None
        try:
            db = await _connect(loop, url, config, sealer)
            store = cls(config, url, loop, db, server)
            await store._call(db.check_durability)
            advised = settings(memory_bytes())
            if below := await store._call(lambda: db.below_advice(advised)):
                log.warning(advice_message(below))
            await store.migrate()
            await store.maintain()
        except BaseException:
            with trio.CancelScope(shield=True):
                if db is not None:
                    await loop.call(db.close)
                await loop.aclose()
                if server is not None:
                    await server.stop()
            raise
        await store._start_background()
        return store

    async def aclose(self) -> None:
        """Finish the queued commits, stop the background tasks, disconnect."""
        if self._closed:
            return
        self._closed = True
        self._committer.close()
        if self._nursery is not None:
            await self._writers_done.wait()
            self._nursery.cancel_scope.cancel()
            await self._stopped.wait()
            self._nursery = None
        self._fanout.close()
        with trio.CancelScope(shield=True):
            await self._loop.call(self._db.close)
            await self._loop.aclose()
            if self._server is not None:
                await self._server.stop()

    async def migrate(self) -> list[int]:
        """Apply pending migrations; return the versions applied now."""
        return await self._call(self._db.migrate)

    async def maintain(self, today: date | None = None) -> list[str]:
        """Create partitions ahead and apply retention; return the dropped partitions."""
        day = today or utc_today()
        ahead = self._config.partition_days_ahead
        await self._call(lambda: self._db.ensure_partitions(day, ahead), MAINTENANCE_TIMEOUT_S)
        if self._config.retention_days == 0:
            return []
        cutoff = day - timedelta(days=self._config.retention_days)
        drop = self._db.drop_partitions_before
        return await self._call(lambda: drop(cutoff), MAINTENANCE_TIMEOUT_S)

    async def ping(self) -> bool:
        """A real round trip to PostgreSQL within a short timeout (for /readyz)."""
        with trio.move_on_after(PING_TIMEOUT_S):
            try:
                return await self._loop.call(lambda: self._db.ping(PING_TIMEOUT_S))
            except Exception:
                log.warning("ping failed", exc_info=True)
        return False

    async def commit(self, sub: Submission) -> Outcome:
        """Store ``sub`` durably (group commit); ``Unavailable`` if the database is not there."""
        _check(sub)
        return await self._committer.commit(sub)

    async def commit_many(self, subs: list[Submission]) -> list[Outcome | Exception]:
        """Store each of ``subs`` as ``commit`` does, waiting once for all of them: each
        item is the submission's outcome or the error that answered it."""
        for sub in subs:
            _check(sub)
        return await self._committer.commit_many(subs)

    async def get(self, sender: str, doc_id: str) -> Outcome | None:
        """The stored receipt of (sender, doc_id), as a "replay" outcome."""
        if not _storable(sender, doc_id):
            return None
        return await self._call(lambda: self._db.stored(sender, doc_id))

    async def feed(
        self, enterprise: str, after: int, limit: int, *, events_only: bool = False
    ) -> list[tuple[int, bytes]]:
        """Receipts and events (or events only) of ``enterprise`` with seq > after, by seq."""
        if limit <= 0 or after >= MAX_SEQ or not _storable(enterprise):
            return []
        after, limit = max(after, 0), min(limit, MAX_SEQ)  # seqs start at 1
        return await self._call(lambda: self._db.feed(enterprise, after, limit, events_only))

    async def entity(self, kind: str, key: str) -> Entity | None:
        """One entity, or None."""
        if not _storable(kind, key):
            return None
        found = await self._call(lambda: self._db.entities(kind, key))
        return found[0] if found else None

    async def balances(self, ledger: str, keys: list[str]) -> dict[str, Decimal]:
        """The balance of each existing line (ledger, key) among ``keys``."""
        if not _storable(ledger, *keys):
            return {}
        return await self._call(lambda: self._db.balances(ledger, keys))

    async def ensure_entity(
        self, kind: str, key: str, state: str, owner: str, data: dict[str, Any]
    ) -> None:
        """Create an entity outside any document unless it exists (platform bootstrap)."""
        await self._call(lambda: self._db.ensure_entity(kind, key, state, owner, data))

    async def last_seq(self, enterprise: str) -> int:
        """The newest seq of ``enterprise``'s feed (0 if it has none)."""
        return await self._call(lambda: self._db.last_seq(enterprise))

    async def entities(self, kind: str) -> list[Entity]:
        """Every entity of ``kind``, ordered by key."""
        if not _storable(kind):
            return []
        return await self._call(lambda: self._db.entities(kind, None))

    async def entities_with_keys(self, kind: str, keys: list[str]) -> list[Entity]:
        """The existing entities of ``kind`` among ``keys``, ordered by key."""
        storable = [key for key in keys if _storable(key)]
        if not storable or not _storable(kind):
            return []
        return await self._call(lambda: self._db.entities_with_keys(kind, storable))

    async def entities_in(self, kind: str, states: tuple[str, ...]) -> list[Entity]:
        """Every entity of ``kind`` whose state is one of ``states``, ordered by key."""
        return await self._call(lambda: self._db.entities(kind, None, states))

    async def history(self, kind: str, key: str) -> list[Change]:
        """Every change of entity (kind, key), oldest first (its creation first)."""
        if not _storable(kind, key):
            return []
        return await self._call(lambda: self._db.history(kind, key))

    async def next_counter(self, counter: str) -> int:
        """The next value of a counter (1, 2, ...), strictly increasing across processes."""
        return await self._call(lambda: self._db.next_counter(counter))

    async def listen(self) -> trio.MemoryReceiveChannel[str]:
        """Enterprises that were sent events, by any process ("*": re-read all)."""
        return self._subscribe(FEED)

    async def listen_entities(self) -> trio.MemoryReceiveChannel[str]:
        """``kind:key`` of entities changed by any process ("*": re-read all)."""
        return self._subscribe(ENTITIES)

    def _subscribe(self, channel: str) -> trio.MemoryReceiveChannel[str]:
        if self._nursery is None:
            raise Unavailable("store closed", retry_after=RETRY_AFTER_S)
        if not self._listening:
            self._listening = True
            self._nursery.start_soon(self._listen_forever)
        return self._fanout.subscribe(channel)

    async def _call(self, fn: Callable[[], Awaitable[T]], timeout: float | None = None) -> T:
        """Run a store-loop coroutine; a database that is not there becomes Unavailable."""
        try:
            with trio.fail_after(timeout or self._config.store_timeout_s):
                return await self._loop.call(fn)
        except trio.TooSlowError:
            raise Unavailable("store timed out", retry_after=RETRY_AFTER_S) from None
        except Transient as exc:
            raise Unavailable(str(exc), retry_after=RETRY_AFTER_S) from exc
        except Exception as exc:
            if is_transient(exc):
                raise Unavailable(f"store unreachable: {exc}", retry_after=RETRY_AFTER_S) from exc
            raise

    async def _start_background(self) -> None:
        started = trio.Event()
        trio.lowlevel.spawn_system_task(self._background, started)
        await started.wait()

    async def _background(self, started: trio.Event) -> None:
        try:
            async with trio.open_nursery() as nursery:
                self._nursery = nursery
                nursery.start_soon(self._run_writers)
                nursery.start_soon(self._committer.run_reaper)
                nursery.start_soon(self._maintain_forever)
                started.set()
        finally:
            self._stopped.set()

    async def _run_writers(self) -> None:
        async with trio.open_nursery() as nursery:
            for _ in range(max(1, self._config.pool_size)):
                nursery.start_soon(self._committer.run_writer)
        self._writers_done.set()

    async def _maintain_forever(self) -> None:
        while True:
            await trio.sleep(MAINTENANCE_INTERVAL_S)
            try:
                await self.maintain()
            except Exception:
                log.exception("store maintenance failed; retrying in an hour")

    async def _listen_forever(self) -> None:
        token = trio.lowlevel.current_trio_token()

        def forward(notices: list[Notice]) -> None:
            with contextlib.suppress(trio.RunFinishedError):
                token.run_sync_soon(self._fanout.publish_all, notices)

        timeout = self._config.store_timeout_s
        backoff = LISTEN_RETRY_S
        while True:
            started = trio.current_time()
            try:
                await self._loop.call(lambda: listen_until_lost(self._url, forward, timeout))
            except Exception:
                log.warning("LISTEN connection lost; reconnecting", exc_info=True)
            if trio.current_time() - started > LISTEN_BACKOFF_S:
                backoff = LISTEN_RETRY_S  # it had been up: this is a new outage
            await trio.sleep(backoff)
            backoff = min(backoff * 2, LISTEN_BACKOFF_S)


def _ledger_lines(sub: Submission) -> list[tuple[str, str]]:
    """The ledger lines an accepted submission's Debits and Credits move."""
    if sub.status != "accepted":
        return []
    return [(op.ledger, op.key) for op in sub.ops if isinstance(op, Debit | Credit)]


def _storable(*texts: str) -> bool:
    """PostgreSQL text cannot hold NUL: such a key can never have been stored."""
    return not any("\x00" in text for text in texts)


def _check(sub: Submission) -> None:
    """Refuse what would fail a whole batch; the gateway validates these fields first."""
    if sub.sender in sub.notify or len(set(sub.notify)) != len(sub.notify):
        raise ValueError("notify must list distinct enterprises other than the sender")
    if not _storable(sub.sender, sub.doc_id, sub.doc_type, sub.cert, sub.status, sub.code,
                     *sub.notify):  # fmt: skip
        raise ValueError("PostgreSQL text cannot hold NUL characters")
    if sub.received_at.tzinfo is None:
        raise ValueError("received_at must be timezone-aware")


async def _connect(loop: LoopThread, url: str, config: Config, sealer: Sealer) -> Database:
    try:
        return await loop.call(
            lambda: Database.connect(url, config.pool_size, sealer, config.store_timeout_s)
        )
    except Transient as exc:
        raise Unavailable(str(exc), retry_after=RETRY_AFTER_S) from exc
