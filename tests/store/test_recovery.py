"""Nothing acknowledged is lost or duplicated when connections or the server die.

EPORT_TEST_SCALE multiplies the number of documents (default: a few hundred).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import trio

from gateway.store import Store
from gateway.store.batch import write_batch
from routing.errors import Unavailable

from .conftest import PrivateServer
from .helpers import Sql, enterprise, scaled, sealer, store_config, submission

KILL_WRITERS = """
SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
WHERE application_name = 'eport-store' AND datname = current_database()
"""


class Writers:
    """Concurrent clients committing a stream of documents, recording what was acknowledged."""

    def __init__(self, store: Store, clients: int, per_client: int) -> None:
        self.store = store
        self.sender = enterprise()
        self.clients, self.per_client = clients, per_client
        self.acknowledged: dict[str, bytes] = {}
        self.unavailable = 0

    async def run(self) -> None:
        async with trio.open_nursery() as nursery:
            for c in range(self.clients):
                nursery.start_soon(self._client, c)

    async def _client(self, c: int) -> None:
        for i in range(self.per_client):
            doc_id = f"W-{c}-{i}"
            try:
                outcome = await self.store.commit(submission(self.sender, doc_id, doc_id.encode()))
            except Unavailable:
                self.unavailable += 1
                continue
            assert outcome.kind == "new"
            self.acknowledged[doc_id] = outcome.receipt

    async def check(self, sql: Sql) -> None:
        """Every acknowledged receipt is stored exactly as returned; seqs are 1..n."""
        rows = await sql.fetch(
            "SELECT doc_id, seq, body FROM feed WHERE enterprise = $1 ORDER BY seq", self.sender
        )
        stored = {r["doc_id"]: r["body"] for r in rows}
        assert len(stored) == len(rows)  # no document twice
        assert all(stored.get(d) == r for d, r in self.acknowledged.items())  # none lost
        assert len(rows) <= len(self.acknowledged) + self.unavailable
        assert [r["seq"] for r in rows] == list(range(1, len(rows) + 1))


async def test_terminated_writer_connections_lose_nothing(
    tmp_path: Path, database_url: str, sql: Sql
) -> None:
    store = await Store.open(store_config(tmp_path, database_url, store_timeout_s=10.0), sealer)
    writers = Writers(store, clients=32, per_client=scaled(12))
    killed = 0
    try:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(writers.run)
            while len(writers.acknowledged) < writers.clients * writers.per_client // 2:
                killed += await sql.fetchval(KILL_WRITERS)
                await trio.sleep(0.03)
        assert killed > 0
        await writers.check(sql)
        # The same Store carries on.
        assert (await store.commit(submission(writers.sender, "after"))).kind == "new"
    finally:
        await store.aclose()


async def test_server_crash_and_restart_during_writes_loses_nothing(
    tmp_path: Path, private_server: PrivateServer
) -> None:
    config = store_config(tmp_path, private_server.url, store_timeout_s=15.0)
    store = await Store.open(config, sealer)
    writers = Writers(store, clients=16, per_client=scaled(25))
    try:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(writers.run)
            while len(writers.acknowledged) < 50:
                await trio.sleep(0.01)
            await private_server.crash_restart()
            before = len(writers.acknowledged)
        assert len(writers.acknowledged) > before  # writes resumed on the same Store
        sql = Sql(private_server.url)
        try:
            await writers.check(sql)
        finally:
            await sql.aclose()
    finally:
        await store.aclose()


async def test_unreachable_database_answers_unavailable_quickly_then_recovers(
    tmp_path: Path, private_server: PrivateServer
) -> None:
    store = await Store.open(
        store_config(tmp_path, private_server.url, store_timeout_s=1.0), sealer
    )
    sender = enterprise()
    try:
        await private_server.stop()
        with trio.fail_after(3):
            with pytest.raises(Unavailable) as caught:
                await store.commit(submission(sender, "U-1"))
            assert caught.value.retry_after
            assert not await store.ping()
            with pytest.raises(Unavailable):
                await store.get(sender, "U-1")
        await private_server.start()
        assert (await store.commit(submission(sender, "U-1"))).kind == "new"
        assert await store.ping()
    finally:
        await store.aclose()


async def test_a_lost_commit_is_resolved_by_the_receipt_it_sealed(store: Store, sql: Sql) -> None:
    sub = submission(enterprise(), "LOST-1")

    async def attempts(conn: object) -> tuple[str, str, str]:
        first, _ = await write_batch(conn, [sub], sealer, {})
        ours, _ = await write_batch(conn, [sub], sealer, {sub.key: first[0].receipt})
        theirs, _ = await write_batch(conn, [sub], sealer, {sub.key: b"another receipt"})
        return first[0].kind, ours[0].kind, theirs[0].kind

    assert await sql.run(attempts) == ("new", "new", "replay")


async def test_open_without_a_reachable_database_is_unavailable(tmp_path: Path) -> None:
    config = store_config(tmp_path, "postgresql://postgres@127.0.0.1:1/none", store_timeout_s=1.0)
    with trio.fail_after(5), pytest.raises(Unavailable, match="cannot connect"):
        await Store.open(config, sealer)
