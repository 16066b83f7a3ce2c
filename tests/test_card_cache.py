"""gateway/cards.py: a full reload reads cards a page at a time and keeps unchanged ones."""

from __future__ import annotations

from typing import cast

import pytest

from gateway import cards
from gateway.cards import CardCache
from gateway.store import Entity, Store

TRADER = Entity("enterprise", "1101910123", "active", "1101910123", {"type": "trader"}, 1)


def card_entity(serial: str, state: str = "active") -> Entity:
    return Entity("card", serial, state, TRADER.key, {
        "kind": "operator", "holder": "操作员000001", "not_before": "2026-01-01T00:00:00+00:00",
        "not_after": "2027-01-01T00:00:00+00:00", "public_key": "04" + "00" * 64,
    }, 1)


class FakeStore:
    """The two reads a reload makes, over in-memory entities; counts the card pages."""

    def __init__(self, entities: list[Entity]) -> None:
        self.entities_by_key = {(e.kind, e.key): e for e in entities}
        self.pages = 0

    async def entities(self, kind: str) -> list[Entity]:
        return sorted((e for e in self.entities_by_key.values() if e.kind == kind),
                      key=lambda e: e.key)

    async def entities_after(self, kind: str, after: str, limit: int) -> list[Entity]:
        self.pages += 1
        return [e for e in await self.entities(kind) if e.key > after][:limit]


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
