"""gateway/cards.py: a full reload reads cards (and their enterprises) a page at a time and
keeps unchanged ones; a cached card shares what it has in common with others."""

from __future__ import annotations

import gc
import tracemalloc
from typing import cast

import pytest

from gateway import cards
from gateway.cards import CardCache
from gateway.store import Entity, Store

TRADER = Entity("enterprise", "1101910123", "active", "1101910123", {"type": "trader"}, 1)


def card_entity(serial: str, state: str = "active", grants: tuple[str, ...] = (),
                owner: str = TRADER.key) -> Entity:
    return Entity("card", serial, state, owner, {
        "kind": "operator", "holder": "操作员000001", "not_before": "2026-01-01T00:00:00+00:00",
        "not_after": "2027-01-01T00:00:00+00:00", "public_key": "04" + "00" * 64,
        "grants": list(grants),
    }, 1)


class FakeStore:
    """The reads a reload makes, over in-memory entities; counts the card pages and
    the most enterprises one read returned."""

    def __init__(self, entities: list[Entity]) -> None:
        self.entities_by_key = {(e.kind, e.key): e for e in entities}
        self.pages = 0
        self.most_enterprises = 0

    async def entities(self, kind: str) -> list[Entity]:
        return sorted((e for e in self.entities_by_key.values() if e.kind == kind),
                      key=lambda e: e.key)

    async def entities_after(self, kind: str, after: str, limit: int) -> list[Entity]:
        self.pages += 1
        return [e for e in await self.entities(kind) if e.key > after][:limit]

    async def entities_with_keys(self, kind: str, keys: list[str]) -> list[Entity]:
        found = [e for e in await self.entities(kind) if e.key in keys]
        if kind == "enterprise":
            self.most_enterprises = max(self.most_enterprises, len(found))
        return found


async def test_reload_pages_keeps_unchanged_replaces_changed_drops_gone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cards, "RELOAD_PAGE", 2)
    fake = FakeStore([TRADER, *(card_entity(f"C{n}") for n in range(5))])
    store = cast(Store, fake)
    cache = await CardCache.load(store)
    assert fake.pages == 4  # 2 + 2 + 1, then the empty page that ends the walk
    before = {serial: cache.get(serial) for serial in ("C0", "C1", "C2", "C3", "C4")}
    assert all(card is not None and card.status == "active" for card in before.values())

    fake.entities_by_key[("card", "C1")] = card_entity("C1", "revoked")
    del fake.entities_by_key[("card", "C4")]
    await cache.reload(store)
    assert cache.get("C0") is before["C0"]
    assert cache.get("C3") is before["C3"]
    revoked = cache.get("C1")
    assert revoked is not None and revoked.status == "revoked"
    assert cache.get("C4") is None


async def test_reload_reads_only_the_enterprises_of_each_page(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cards, "RELOAD_PAGE", 2)
    companies = [Entity("enterprise", f"11019101{n:02d}", "active", f"11019101{n:02d}",
                        {"type": "trader"}, 1) for n in range(5)]
    fake = FakeStore([*companies, *(card_entity(f"C{n}", owner=c.key)
                                    for n, c in enumerate(companies))])
    store = cast(Store, fake)
    cache = await CardCache.load(store)
    assert fake.most_enterprises == 2
    for n, company in enumerate(companies):
        card = cache.get(f"C{n}")
        assert card is not None and card.enterprise == company.key
        assert card.status == "active" and card.enterprise_type == "trader"


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


class OneCardStore(FakeStore):
    async def entity(self, kind: str, key: str) -> Entity | None:
        found = self.entities_by_key.get((kind, key))
        return row_like(found) if found is not None else None


async def test_reloading_an_unchanged_card_keeps_its_object_and_key() -> None:
    fake = OneCardStore([TRADER, card_entity("C1")])
    store = cast(Store, fake)
    cache = await CardCache.load(store)
    held = cache.get("C1")
    await cache.changed(store, "card", b"C1".decode())
    assert cache.get("C1") is held
    fake.entities_by_key[("card", "C2")] = card_entity("C2")
    await cache.changed(store, "card", b"C2".decode())
    added = cache.get("C2")
    assert added is not None
    assert next(k for k in cache._cards if k == "C2") is added.serial
