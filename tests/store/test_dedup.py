"""Each (sender, id) is stored once, across batches, partitions and concurrent callers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import trio

from gateway.store import Outcome, Store

from .helpers import Sql, enterprise, submission


async def test_concurrent_duplicates_store_one_row_and_share_one_receipt(
    store: Store, sql: Sql
) -> None:
    sender = enterprise()
    sub = submission(sender, "DUP-1", b'{"n": 1}')
    outcomes: list[Outcome] = []

    async def submit() -> None:
        outcomes.append(await store.commit(sub))

    async with trio.open_nursery() as nursery:
        for _ in range(64):
            nursery.start_soon(submit)

    assert [o.kind for o in outcomes].count("new") == 1
    assert {o.kind for o in outcomes} == {"new", "replay"}
    assert len({o.receipt for o in outcomes}) == 1
    for table in ("doc_keys", "documents"):
        assert await sql.fetchval(f"SELECT count(*) FROM {table} WHERE sender = $1", sender) == 1
    assert await sql.fetchval("SELECT count(*) FROM feed WHERE enterprise = $1", sender) == 1


async def test_other_bytes_under_a_used_id_conflict(store: Store) -> None:
    sender = enterprise()
    first = await store.commit(submission(sender, "C-1", b"one"))
    again = await store.commit(submission(sender, "C-1", b"two"))
    assert again.kind == "conflict"
    assert again.receipt == b""
    replay = await store.commit(submission(sender, "C-1", b"one"))
    assert (replay.kind, replay.receipt, replay.seq) == ("replay", first.receipt, first.seq)


async def test_duplicates_inside_one_batch_first_wins(one_batch_store: Store) -> None:
    sender = enterprise()
    subs = [submission(sender, "B-1", body) for body in (b"a", b"b", b"a")]
    results: dict[int, Outcome] = {}

    async def submit(i: int, task_status: trio.TaskStatus[None]) -> None:
        # commit() queues before its first checkpoint, so start() fixes the order.
        task_status.started()
        results[i] = await one_batch_store.commit(subs[i])

    async with trio.open_nursery() as nursery:
        for i in range(3):
            await nursery.start(submit, i)
    assert [results[i].kind for i in range(3)] == ["new", "conflict", "replay"]
    assert results[2].receipt == results[0].receipt
    assert results[0].seq == results[1].seq == results[2].seq


async def test_same_id_on_another_day_is_still_a_duplicate(store: Store, sql: Sql) -> None:
    sender = enterprise()
    today = datetime.now(UTC)
    first = await store.commit(submission(sender, "DAY-1", b"x", received_at=today))
    later = submission(sender, "DAY-1", b"x", received_at=today + timedelta(days=1))
    assert (await store.commit(later)).receipt == first.receipt
    other = submission(sender, "DAY-1", b"y", received_at=today + timedelta(days=2))
    assert (await store.commit(other)).kind == "conflict"
    assert await sql.fetchval("SELECT count(*) FROM documents WHERE sender = $1", sender) == 1


async def test_get_returns_the_stored_receipt(store: Store) -> None:
    sender = enterprise()
    assert await store.get(sender, "G-1") is None
    outcome = await store.commit(submission(sender, "G-1"))
    stored = await store.get(sender, "G-1")
    assert stored is not None
    assert (stored.receipt, stored.status, stored.code, stored.seq) == (
        outcome.receipt,
        "accepted",
        "OK",
        outcome.seq,
    )


async def test_lookups_of_unstorable_keys_find_nothing(store: Store) -> None:
    assert await store.get("E\x00", "x") is None
    assert await store.feed("E\x00", 0, 10) == []
    assert await store.entity("card", "k\x00") is None
    assert await store.entities("card\x00") == []
