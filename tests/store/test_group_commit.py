"""Group commit's batching and failure handling, against a fake database."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest
import trio

from gateway.store import Outcome, Submission
from gateway.store.failures import CommitUnknown, Transient
from gateway.store.group_commit import GroupCommitter
from routing.errors import Unavailable

from .helpers import submission

Key = tuple[str, str]


class FakeDatabase:
    """Answers batches from a script of failures, then successfully."""

    def __init__(self, failures: Sequence[Exception] = ()) -> None:
        self.failures = list(failures)
        self.batches: list[list[str]] = []
        self.earlier: list[Mapping[Key, bytes]] = []

    async def write(
        self, subs: Sequence[Submission], earlier: Mapping[Key, bytes]
    ) -> list[Outcome]:
        await trio.sleep(0)
        self.batches.append([s.doc_id for s in subs])
        self.earlier.append(dict(earlier))
        if self.failures:
            raise self.failures.pop(0)
        return [Outcome("new", s.doc_id.encode(), "accepted", "OK", 1) for s in subs]


async def run_committer(
    db: FakeDatabase, n: int, **options: float
) -> tuple[list[object], GroupCommitter]:
    settings = {"max_docs": 64, "max_wait_s": 0.01, "timeout_s": 2.0, "max_queued": 1000, **options}
    committer = GroupCommitter(db.write, **settings)  # type: ignore[arg-type]
    results: list[object] = []

    async def submit(i: int) -> None:
        try:
            results.append(await committer.commit(submission("E", f"D-{i}")))
        except Exception as exc:
            results.append(exc)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(committer.run_writer)
        async with trio.open_nursery() as callers:
            for i in range(n):
                callers.start_soon(submit, i)
        committer.close()
    return results, committer


async def test_concurrent_callers_share_batches() -> None:
    db = FakeDatabase()
    results, _ = await run_committer(db, 100, max_docs=64)
    assert all(isinstance(r, Outcome) for r in results)
    assert [len(b) for b in db.batches] == [64, 36]


async def test_a_batch_moves_one_ledger_line_at_most_max_per_line_times() -> None:
    # Documents 0-9 move line "L" (0, 3, 6, 9 also "M"); the others move nothing.
    def lines(sub: Submission) -> list[str]:
        i = int(sub.doc_id.removeprefix("D-"))
        return (["L"] if i < 10 else []) + (["M"] if i < 10 and i % 3 == 0 else [])

    db = FakeDatabase()
    committer = GroupCommitter(db.write, max_docs=64, max_wait_s=0.01, timeout_s=2.0,
                               max_queued=1000, lines=lines, max_per_line=4)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(committer.run_writer)
        results = await committer.commit_many([submission("E", f"D-{i}") for i in range(14)])
        committer.close()
    assert all(isinstance(r, Outcome) for r in results)
    # The document over the cap starts the next batch; the cap-free ones wait their turn.
    assert db.batches == [[f"D-{i}" for i in range(4)], [f"D-{i}" for i in range(4, 8)],
                          [f"D-{i}" for i in range(8, 14)]]


async def test_lost_commit_is_retried_with_the_receipts_it_sealed() -> None:
    db = FakeDatabase([CommitUnknown({("E", "D-0"): b"sealed"})])
    results, _ = await run_committer(db, 1)
    assert isinstance(results[0], Outcome)
    assert db.earlier == [{}, {("E", "D-0"): b"sealed"}]


async def test_transient_failures_end_in_unavailable_at_the_deadline() -> None:
    db = FakeDatabase([Transient("down")] * 1000)
    with trio.fail_after(2):
        results, _ = await run_committer(db, 3, timeout_s=0.3)
    assert all(isinstance(r, Unavailable) for r in results)
    assert len(db.batches) > 1  # it retried before giving up


async def test_other_errors_reach_the_callers_without_retry() -> None:
    db = FakeDatabase([ValueError("sealer bug")])
    results, _ = await run_committer(db, 2)
    assert [type(r) for r in results] == [ValueError, ValueError]
    assert len(db.batches) == 1


async def test_full_queue_and_closed_committer_answer_unavailable() -> None:
    committer = GroupCommitter(
        FakeDatabase().write, max_docs=1, max_wait_s=0, timeout_s=0.1, max_queued=0
    )
    with pytest.raises(Unavailable, match="overloaded"):
        await committer.commit(submission("E", "X"))
    committer.close()
    with pytest.raises(Unavailable, match="closed"):
        await committer.commit(submission("E", "X"))



async def _gave_up(reaper: bool) -> tuple[list[list[str]], dict[str, object]]:
    """Callers queue while no writer runs; one is cancelled and, with the reaper, one
    waits past its deadline; then a writer starts and "kept" submits."""
    db = FakeDatabase()
    committer = GroupCommitter(db.write, max_docs=64, max_wait_s=0, timeout_s=0.2, max_queued=10)
    results: dict[str, object] = {}

    async def submit(doc_id: str) -> None:
        try:
            results[doc_id] = await committer.commit(submission("E", doc_id))
        except Unavailable as exc:
            results[doc_id] = exc

    async with trio.open_nursery() as nursery:
        if reaper:
            nursery.start_soon(committer.run_reaper)
        with trio.move_on_after(0.05) as cancelled:
            await submit("cancelled")
        assert cancelled.cancelled_caught
        if reaper:
            await submit("timed-out")  # nothing writes yet: the reaper answers it
        nursery.start_soon(submit, "kept")
        await trio.sleep(0.01)
        nursery.start_soon(committer.run_writer)
        await trio.sleep(0.05)
        committer.close()
        nursery.cancel_scope.cancel()
    return db.batches, results


async def test_a_cancelled_caller_is_never_sent() -> None:
    batches, results = await _gave_up(reaper=False)
    assert batches == [["kept"]]
    assert "cancelled" not in results and isinstance(results["kept"], Outcome)


async def test_a_caller_past_its_deadline_gets_unavailable_and_is_never_sent() -> None:
    batches, results = await _gave_up(reaper=True)
    assert batches == [["kept"]]
    assert isinstance(results["timed-out"], Unavailable)


async def test_a_cancelled_commit_many_sends_none_of_its_submissions() -> None:
    db = FakeDatabase()
    committer = GroupCommitter(db.write, max_docs=64, max_wait_s=0, timeout_s=5, max_queued=10)
    with trio.move_on_after(0.01):
        await committer.commit_many([submission("E", "gone-1"), submission("E", "gone-2")])
    async with trio.open_nursery() as nursery:
        nursery.start_soon(committer.run_writer)
        kept = await committer.commit_many([submission("E", "kept")])
        committer.close()
    assert db.batches == [["kept"]] and isinstance(kept[0], Outcome)


async def test_commit_many_answers_what_did_not_fit_the_queue_as_overloaded() -> None:
    db = FakeDatabase()
    committer = GroupCommitter(db.write, max_docs=64, max_wait_s=0, timeout_s=5, max_queued=2)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(committer.run_writer)
        results = await committer.commit_many([submission("E", f"Q-{i}") for i in range(3)])
        committer.close()
    assert [type(r) for r in results] == [Outcome, Outcome, Unavailable]
    assert db.batches == [["Q-0", "Q-1"]]


async def test_a_burst_fills_one_batch_instead_of_one_per_idle_writer() -> None:
    """Four idle writers and a burst of submissions: one writer fills its batch with the
    burst while the others wait their turn, instead of each taking one submission."""
    db = FakeDatabase()
    committer = GroupCommitter(db.write, max_docs=512, max_wait_s=0.001, timeout_s=5,
                               max_queued=1000)
    async with trio.open_nursery() as nursery:
        for _ in range(4):
            nursery.start_soon(committer.run_writer)
        await trio.sleep(0.01)  # every writer idle, waiting
        async with trio.open_nursery() as callers:
            for i in range(200):
                callers.start_soon(committer.commit, submission("E", f"B-{i}"))
        committer.close()
    assert [len(b) for b in db.batches] == [200]
