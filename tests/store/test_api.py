"""The Store's public surface, which the gateway codes against."""

from __future__ import annotations

import inspect
from pathlib import Path

import gateway.store
from gateway import metrics
from gateway.store import Outcome, Store
from routing.errors import Unavailable
from routing.ops import Create

from .helpers import enterprise, sealer, store_config, submission

STORE_METHODS = {
    "open", "aclose", "ping", "commit", "commit_many", "get", "feed", "entity", "entities",
    "listen", "listen_entities", "migrate", "maintain", "ensure_entity", "last_seq",
    "entities_in", "entities_with_keys",
    "history", "next_counter", "balances",
}  # fmt: skip


def test_exports_and_methods_are_the_documented_ones() -> None:
    assert set(gateway.store.__all__) == {
        "Change", "Entity", "OpsResult", "Outcome", "Sealed", "Sealer", "Store",
        "StoreMisconfigured", "Submission",
    }  # fmt: skip
    public = {name for name, _ in inspect.getmembers(Store) if not name.startswith("_")}
    assert public == STORE_METHODS
    assert all(inspect.iscoroutinefunction(getattr(Store, name)) for name in STORE_METHODS)


async def test_commit_then_get_and_feed(store: Store) -> None:
    sender, other = enterprise(), enterprise()
    outcome = await store.commit(submission(sender, "D-1", notify=(other,)))
    assert (outcome.kind, outcome.seq) == ("new", 1)
    stored = await store.get(sender, "D-1")
    assert stored is not None and stored.receipt == outcome.receipt
    assert await store.feed(sender, 0, 10) == [(1, outcome.receipt)]
    assert [seq for seq, _ in await store.feed(other, 0, 10)] == [1]
    assert await store.ping()


async def test_commit_many_answers_each_submission_in_order(store: Store) -> None:
    sender = enterprise()
    first = await store.commit(submission(sender, "M-0"))
    results = await store.commit_many([submission(sender, f"M-{i}") for i in (1, 0, 2)])
    assert all(isinstance(r, Outcome) for r in results)
    kinds = [(r.kind, r.seq) for r in results if isinstance(r, Outcome)]
    assert [kind for kind, _ in kinds] == ["new", "replay", "new"]
    assert kinds[1][1] == 1 and {kinds[0][1], kinds[2][1]} == {2, 3}
    assert isinstance(results[1], Outcome) and results[1].receipt == first.receipt


async def test_each_transaction_is_counted_with_its_documents(store: Store) -> None:
    def sample(name: str) -> float:
        return metrics.REGISTRY.get_sample_value(name) or 0.0

    count, total = (sample(f"eport_commit_batch_documents_{s}") for s in ("count", "sum"))
    sender = enterprise()
    await store.commit_many([submission(sender, f"B-{i}") for i in range(3)])
    assert sample("eport_commit_batch_documents_count") == count + 1
    assert sample("eport_commit_batch_documents_sum") == total + 3
    assert sample("eport_store_queue_depth") == 0


STAGES = ("claim", "operations", "sequences", "sealing", "rows", "commit")


async def test_each_step_of_a_transaction_is_timed(store: Store) -> None:
    def counts() -> dict[str, float]:
        return {stage: metrics.REGISTRY.get_sample_value(
            "eport_commit_stage_seconds_count", {"stage": stage}) or 0.0 for stage in STAGES}

    before = counts()
    sender = enterprise()
    await store.commit(submission(sender, "T-1"))
    plain = counts()
    # A batch with operations to run allocates its seqs after them: one step more.
    await store.commit(submission(sender, "T-2", ops=(Create("t", sender, "open", sender),)))
    after = counts()
    assert {s: plain[s] - before[s] for s in STAGES} == {**dict.fromkeys(STAGES, 1),
                                                          "sequences": 0}
    assert {s: after[s] - plain[s] for s in STAGES} == dict.fromkeys(STAGES, 1)


async def test_commit_many_on_a_closed_store_answers_unavailable_per_item(
    tmp_path: Path, database_url: str
) -> None:
    closed = await Store.open(store_config(tmp_path, database_url), sealer)
    await closed.aclose()
    results = await closed.commit_many([submission(enterprise(), "X"), submission("E", "Y")])
    assert [type(r) for r in results] == [Unavailable, Unavailable]


async def test_entities_with_keys_reads_only_the_existing_ones_asked_for(store: Store) -> None:
    kind = f"keyed-{enterprise()}"
    for key in ("K1", "K2", "K3"):
        await store.ensure_entity(kind, key, "active", "owner", {})
    await store.ensure_entity(f"{kind}-other", "K2", "active", "owner", {})
    found = await store.entities_with_keys(kind, ["K3", "K1", "missing", "\x00"])
    assert [(e.kind, e.key) for e in found] == [(kind, "K1"), (kind, "K3")]
    assert await store.entities_with_keys(kind, []) == []
