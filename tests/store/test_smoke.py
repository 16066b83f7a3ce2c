from gateway.store import Store

from .helpers import enterprise, submission


async def test_commit_then_get_and_feed(store: Store) -> None:
    sender, other = enterprise(), enterprise()
    outcome = await store.commit(submission(sender, "D-1", notify=(other,)))
    assert outcome.kind == "new"
    assert outcome.seq == 1
    stored = await store.get(sender, "D-1")
    assert stored is not None and stored.receipt == outcome.receipt
    assert await store.feed(sender, 0, 10) == [(1, outcome.receipt)]
    assert [seq for seq, _ in await store.feed(other, 0, 10)] == [1]
    assert await store.ping()
