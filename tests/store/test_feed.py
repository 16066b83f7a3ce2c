"""Seqs per enterprise: gap-free, in commit order, receipts and events in one feed."""

from __future__ import annotations

from pathlib import Path

import pytest
import trio

from gateway.store import Outcome, Store
from gateway.store.batch import COPY_FROM_DOCS
from gateway.store.notify import KEEPALIVE_S, LOST_AFTER_S

from .helpers import Sql, enterprise, scaled, sealer, store_config, submission


async def test_concurrent_commits_get_distinct_consecutive_seqs(store: Store) -> None:
    sender, partner = enterprise(), enterprise()
    n = scaled(200)
    seqs: list[int] = []

    async def submit(i: int) -> None:
        outcome = await store.commit(submission(sender, f"S-{i}", notify=(partner,)))
        seqs.append(outcome.seq)

    async with trio.open_nursery() as nursery:
        for i in range(n):
            nursery.start_soon(submit, i)
    assert sorted(seqs) == list(range(1, n + 1))
    feed = await store.feed(partner, 0, n + 10)
    assert [seq for seq, _ in feed] == list(range(1, n + 1))
    assert all(body.startswith(b"event ") for _, body in feed)


async def test_feed_pages_by_after_and_limit(store: Store) -> None:
    sender = enterprise()
    receipts = [(await store.commit(submission(sender, f"P-{i}"))).receipt for i in range(5)]
    assert await store.feed(sender, 1, 2) == [(2, receipts[1]), (3, receipts[2])]
    assert await store.feed(sender, 5, 10) == []


async def test_listen_hears_events_committed_by_another_store(
    store: Store, tmp_path: Path, database_url: str
) -> None:
    feed = await store.listen()
    sender, partner = enterprise(), enterprise()
    other = await Store.open(store_config(tmp_path, database_url), sealer)
    try:
        with trio.fail_after(5):
            assert await feed.receive() == "*"  # connected: re-read everything
            await other.commit(submission(sender, "L-1"))  # a receipt only: no notice
            await other.commit(submission(sender, "L-2", notify=(partner,)))
            assert await feed.receive() == partner
    finally:
        await other.aclose()


async def test_events_only_skips_receipts(store: Store) -> None:
    sender, partner = enterprise(), enterprise()
    await store.commit(submission(sender, "E-1", notify=(partner,)))
    await store.commit(submission(partner, "E-2"))
    events = await store.feed(partner, 0, 10, events_only=True)
    assert [seq for seq, _ in events] == [1]
    assert [seq for seq, _ in await store.feed(partner, 0, 10)] == [1, 2]


async def test_a_lost_listen_connection_is_replaced_within_a_second_or_two(
    store: Store, sql: Sql
) -> None:
    changes = await store.listen_entities()
    with trio.fail_after(5):
        assert await changes.receive() == "*"
    killed = await sql.fetchval(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
        " WHERE application_name = 'eport-listen' AND datname = current_database()")
    assert killed >= 1
    start = trio.current_time()
    with trio.fail_after(2 * (KEEPALIVE_S + LOST_AFTER_S)):
        while await changes.receive() != "*":  # reconnected: re-read everything
            pass
    print(f"LISTEN replaced after {trio.current_time() - start:.3f} s")


async def test_out_of_range_cursors_read_nothing_instead_of_failing(store: Store) -> None:
    sender = enterprise()
    await store.commit(submission(sender, "X-1"))
    assert await store.feed(sender, 0, 0) == []
    assert await store.feed(sender, 0, -5) == []
    assert await store.feed(sender, 2**70, 10) == []
    assert [seq for seq, _ in await store.feed(sender, -(2**70), 2**70)] == [1]


@pytest.mark.parametrize("n", [3, COPY_FROM_DOCS + 5])
async def test_small_and_large_batches_store_every_row(one_batch_store: Store, sql: Sql,
                                                       n: int) -> None:
    """Below COPY_FROM_DOCS new documents a batch writes its rows with one INSERT, from it
    on with COPY: either way every document, receipt and event is stored as sealed."""
    sender, partner = enterprise(), enterprise()
    outcomes: dict[int, Outcome] = {}

    async def submit(i: int) -> None:
        outcomes[i] = await one_batch_store.commit(
            submission(sender, f"B-{i}", f"body {i}".encode(), notify=(partner,)))

    async with trio.open_nursery() as nursery:
        for i in range(n):
            nursery.start_soon(submit, i)
    stored = await sql.fetch(
        "SELECT doc_id, doc_bytes, seq, status FROM documents WHERE sender = $1", sender)
    assert {row["doc_id"]: (row["doc_bytes"], row["seq"], row["status"]) for row in stored} == {
        f"B-{i}": (f"body {i}".encode(), outcomes[i].seq, "accepted") for i in range(n)}
    receipts = dict(await one_batch_store.feed(sender, 0, n + 10))
    assert receipts == {o.seq: o.receipt for o in outcomes.values()}
    events = await one_batch_store.feed(partner, 0, n + 10)
    assert [seq for seq, _ in events] == list(range(1, n + 1))
