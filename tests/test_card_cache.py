"""gateway/cards.py: cards are loaded when first asked for and held up to a capacity; a
reload reads the held cards (and their enterprises) a page at a time and keeps unchanged
ones; a cached card shares what it has in common with others."""

from __future__ import annotations

import gc
import tracemalloc
from typing import cast

import pytest
import trio
import trio.testing

from gateway import cards
from gateway.cards import CardCache
from gateway.store import Entity, Store
from routing.cards import CardNotLoaded
from routing.errors import Unavailable

TRADER = Entity("enterprise", "1101910123", "active", "1101910123", {"type": "trader"}, 1)


def card_entity(serial: str, state: str = "active", grants: tuple[str, ...] = (),
                owner: str = TRADER.key) -> Entity:
    return Entity("card", serial, state, owner, {
        "kind": "operator", "holder": "操作员000001", "not_before": "2026-01-01T00:00:00+00:00",
        "not_after": "2027-01-01T00:00:00+00:00", "public_key": "04" + "00" * 64,
        "grants": list(grants),
    }, 1)


class FakeStore:
    """The reads the registry makes, over in-memory entities; counts the card pages and
    the most enterprises one read returned."""

    def __init__(self, entities: list[Entity]) -> None:
        self.entities_by_key = {(e.kind, e.key): e for e in entities}
        self.pages = 0
        self.most_enterprises = 0

    async def entities_with_keys(self, kind: str, keys: list[str]) -> list[Entity]:
        found = sorted((e for (k, key), e in self.entities_by_key.items()
                        if k == kind and key in keys), key=lambda e: e.key)
        if kind == "card":
            self.pages += 1
        else:
            self.most_enterprises = max(self.most_enterprises, len(found))
        return [row_like(e) for e in found]

    async def entity(self, kind: str, key: str) -> Entity | None:
        found = self.entities_by_key.get((kind, key))
        return row_like(found) if found is not None else None


def cache_of(fake: FakeStore, capacity: int = 100) -> CardCache:
    return CardCache(cast(Store, fake), capacity)


async def test_a_card_is_read_when_first_asked_for_and_a_missing_one_remembered() -> None:
    fake = FakeStore([TRADER, card_entity("C1")])
    cache = cache_of(fake)
    for serial in ("C1", "C2"):
        with pytest.raises(CardNotLoaded):
            cache.get(serial)
    await cache.load(["C1", "C2"])
    assert fake.pages == 1
    card = cache.get("C1")
    assert card is not None and card.status == "active" and card.enterprise_type == "trader"
    assert cache.get("C2") is None
    await cache.load(["C1", "C2"])
    assert fake.pages == 1  # both answered without reading again

    fake.entities_by_key[("card", "C2")] = card_entity("C2")
    await cache.changed("card", "C2")  # issued meanwhile: the notice forgets the absence
    with pytest.raises(CardNotLoaded):
        cache.get("C2")
    assert await cache.resolving(lambda: cache.get("C2")) is not None


async def test_the_least_recently_used_cards_go_beyond_capacity() -> None:
    fake = FakeStore([TRADER, *(card_entity(f"C{n}") for n in range(5))])
    cache = cache_of(fake, capacity=3)
    await cache.load(["C0", "C1", "C2"])
    cache.get("C0")  # used: C1 is now the oldest
    await cache.load(["C3", "C4"])
    assert len(cache) == 3
    assert cache.get("C0") is not None and cache.get("C4") is not None
    with pytest.raises(CardNotLoaded):
        cache.get("C1")
    fresh = cache_of(fake, capacity=3)
    await fresh.load([f"C{n}" for n in range(5)])  # one load keeps all it read
    assert len(fresh) == 5 and all(fresh.get(f"C{n}") is not None for n in range(5))


async def test_reload_pages_keeps_unchanged_replaces_changed_drops_gone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cards, "RELOAD_PAGE", 2)
    fake = FakeStore([TRADER, *(card_entity(f"C{n}") for n in range(5))])
    cache = cache_of(fake)
    await cache.load([f"C{n}" for n in range(5)])
    assert fake.pages == 3  # 2 + 2 + 1
    before = {serial: cache.get(serial) for serial in ("C0", "C1", "C2", "C3", "C4")}
    assert all(card is not None and card.status == "active" for card in before.values())

    fake.entities_by_key[("card", "C1")] = card_entity("C1", "revoked")
    del fake.entities_by_key[("card", "C4")]
    await cache.reload()
    assert fake.pages == 6
    assert cache.get("C0") is before["C0"]
    assert cache.get("C3") is before["C3"]
    revoked = cache.get("C1")
    assert revoked is not None and revoked.status == "revoked"
    with pytest.raises(CardNotLoaded):
        cache.get("C4")


async def test_reads_take_only_the_enterprises_of_each_page(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cards, "RELOAD_PAGE", 2)
    companies = [Entity("enterprise", f"11019101{n:02d}", "active", f"11019101{n:02d}",
                        {"type": "trader"}, 1) for n in range(5)]
    fake = FakeStore([*companies, *(card_entity(f"C{n}", owner=c.key)
                                    for n, c in enumerate(companies))])
    cache = cache_of(fake)
    await cache.load([f"C{n}" for n in range(5)])
    assert fake.most_enterprises == 2
    for n, company in enumerate(companies):
        card = cache.get(f"C{n}")
        assert card is not None and card.enterprise == company.key
        assert card.status == "active" and card.enterprise_type == "trader"


class RacingStore(FakeStore):
    """A store where card C1 is frozen, and its notice delivered, while the first read of
    it is under way: that read returns the card as it was."""

    def __init__(self, entities: list[Entity]) -> None:
        super().__init__(entities)
        self.cache: CardCache | None = None

    async def entities_with_keys(self, kind: str, keys: list[str]) -> list[Entity]:
        read = await super().entities_with_keys(kind, keys)
        if kind == "card" and self.pages == 1 and self.cache is not None:
            self.entities_by_key[("card", "C1")] = card_entity("C1", "frozen")
            await self.cache.changed("card", "C1")
        return read


async def test_a_load_that_crossed_a_notice_reads_the_card_again() -> None:
    fake = RacingStore([TRADER, card_entity("C1")])
    cache = fake.cache = cache_of(fake)
    await cache.load(["C1"])
    card = cache.get("C1")
    assert card is not None and card.status == "frozen" and fake.pages == 2


class SlowStore(FakeStore):
    """Card reads that wait until the test lets each one finish."""

    def __init__(self, entities: list[Entity]) -> None:
        super().__init__(entities)
        self.release: dict[str, trio.Event] = {}

    async def entities_with_keys(self, kind: str, keys: list[str]) -> list[Entity]:
        if kind == "card":
            await self.release.setdefault(keys[0], trio.Event()).wait()
        return await super().entities_with_keys(kind, keys)


async def test_loads_in_flight_together_each_keep_their_own_notices() -> None:
    fake = SlowStore([TRADER, card_entity("C1"), card_entity("C2")])
    cache = cache_of(fake)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(cache.load, ["C1"])
        nursery.start_soon(cache.load, ["C2"])
        await trio.testing.wait_all_tasks_blocked()
        fake.release.setdefault("C2", trio.Event()).set()  # the later load ends first
        await trio.testing.wait_all_tasks_blocked()
        fake.entities_by_key[("card", "C1")] = card_entity("C1", "frozen")
        await cache.changed("card", "C1")
        fake.release["C1"].set()
    card = cache.get("C1")
    assert card is not None and card.status == "frozen"  # read again after the notice
    assert cache.get("C2") is not None


async def test_a_request_needing_more_cards_than_the_registry_can_hold_is_refused() -> None:
    fake = FakeStore([TRADER, *(card_entity(f"C{n}") for n in range(9))])
    cache = cache_of(fake, capacity=1)
    with pytest.raises(Unavailable):
        await cache.resolving(lambda: [cache.get(f"C{n}") for n in range(9)])


def row_like(entity: Entity) -> Entity:
    """The entity with every string a new object, as asyncpg decodes each row."""

    def fresh(value: object) -> object:
        if isinstance(value, str):
            return value.encode().decode()
        if isinstance(value, list):
            return [fresh(v) for v in value]
        if isinstance(value, dict):
            return {fresh(k): fresh(v) for k, v in value.items()}
        return value

    def text(value: str) -> str:
        return value.encode().decode()

    return Entity(text(entity.kind), text(entity.key), text(entity.state), text(entity.owner),
                  cast(dict[str, object], fresh(entity.data)), entity.version)


def test_cards_share_their_rights_and_common_strings() -> None:
    first = cards.to_card(row_like(card_entity("C1", grants=("dec", "payment"))),
                          row_like(TRADER))
    second = cards.to_card(row_like(card_entity("C2", grants=("payment", "dec"))),
                           row_like(TRADER))
    assert first.rights == second.rights == {"dec", "payment"}
    assert first.rights is second.rights
    for name in ("enterprise", "enterprise_type", "kind", "status"):
        assert getattr(first, name) is getattr(second, name), name


def test_a_cached_card_keeps_little_more_than_its_own_fields() -> None:
    count = 2000
    company = row_like(TRADER)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        rows = [row_like(card_entity(f"{n:032x}", grants=("dec", "payment")))
                for n in range(count)]
        held = {card.serial: card for card in (cards.to_card(row, company) for row in rows)}
        del rows  # what a card keeps of its row counts, the rest is freed
        gc.collect()
        per_card = (tracemalloc.get_traced_memory()[0] - before) / count
    finally:
        tracemalloc.stop()
    assert len(held) == count
    assert per_card < 700  # 1008 when every card had its own rights set and strings


async def test_reloading_an_unchanged_card_keeps_its_object_and_key() -> None:
    fake = FakeStore([TRADER, card_entity("C1")])
    cache = cache_of(fake)
    await cache.load(["C1"])
    held = cache.get("C1")
    await cache.changed("card", b"C1".decode())
    assert cache.get("C1") is held
    assert next(k for k in cache._cards if k == "C1") is held.serial
    fake.entities_by_key[("card", "C1")] = card_entity("C1", "frozen")
    await cache.changed("card", "C1")
    changed = cache.get("C1")
    assert changed is not None and changed.status == "frozen"
