"""The Store's public surface, which the gateway codes against."""

from __future__ import annotations

import inspect

import gateway.store
from gateway.store import Store

from .helpers import enterprise, submission

STORE_METHODS = {
    "open", "aclose", "ping", "commit", "get", "feed", "entity", "entities", "listen",
    "listen_entities", "migrate", "maintain", "ensure_entity", "last_seq", "entities_in",
    "entities_after", "entities_with_keys",
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


async def test_entities_after_pages_through_one_kind_by_key(store: Store) -> None:
    kind = f"page-{enterprise()}"
    keys = sorted(f"K{n:02d}" for n in range(5))
    for key in keys:
        await store.ensure_entity(kind, key, "active", "owner", {})
    await store.ensure_entity(f"{kind}-other", "K00", "active", "owner", {})
    first = await store.entities_after(kind, "", 2)
    assert [e.key for e in first] == keys[:2]
    rest = await store.entities_after(kind, first[-1].key, 10)
    assert [e.key for e in rest] == keys[2:]
    assert await store.entities_after(kind, keys[-1], 10) == []
    assert await store.entities_after(kind, "", 0) == []
    assert await store.entities_after(kind, "\x00", 10) == []


async def test_entities_with_keys_reads_only_the_existing_ones_asked_for(store: Store) -> None:
    kind = f"keyed-{enterprise()}"
    for key in ("K1", "K2", "K3"):
        await store.ensure_entity(kind, key, "active", "owner", {})
    await store.ensure_entity(f"{kind}-other", "K2", "active", "owner", {})
    found = await store.entities_with_keys(kind, ["K3", "K1", "missing", "\x00"])
    assert [(e.kind, e.key) for e in found] == [(kind, "K1"), (kind, "K3")]
    assert await store.entities_with_keys(kind, []) == []
