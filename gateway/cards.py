"""The card registry every worker keeps in memory, kept fresh through the database.

Cards and enterprises are entities in the store. The cache loads them all at
start, then follows the store's entity notifications (``NOTIFY`` on every
change, from any worker) and reloads what changed, so a status change reaches
every worker well within a second. The LISTEN connection is checked twice a
second and every reconnect reloads everything (see gateway/store/notify.py); a
full reload every ``SAFETY_RELOAD_S`` also repairs what a dropped notice (a
subscriber that fell behind) would leave stale. Effective rights are derived
here from the card kind, the enterprise type and qualifications, and the legal
card's grants.
"""

from __future__ import annotations

import logging
import sys
from datetime import datetime
from functools import lru_cache

import trio

from gateway.store import Entity, Store
from gateway.store.notify import EVERYTHING
from routing.cards import Card
from routing.rights import effective_rights

log = logging.getLogger(__name__)

SAFETY_RELOAD_S = 30.0
RELOAD_PAGE = 500  # card rows read per round trip by a full reload
RIGHTS_VARIANTS = 1024  # distinct rights derivations remembered (a handful in practice)


@lru_cache(maxsize=RIGHTS_VARIANTS)
def _rights(kind: str, enterprise_type: str, department_kind: str | None,
            grants: tuple[str, ...], qualifications: tuple[str, ...]) -> frozenset[str]:
    return effective_rights(kind, enterprise_type, department_kind, grants, qualifications)


def to_card(card: Entity, enterprise: Entity | None) -> Card:
    """The registry's Card for a card entity and its enterprise's entity.

    Every worker holds every card, so a card's size is paid per card and per
    worker: the rights set and the strings most cards have in common (kind,
    status, enterprise type and code) are shared objects, not copies of the row's.
    """
    data = card.data
    company = enterprise.data if enterprise is not None else {}
    enterprise_type = sys.intern(str(company.get("type", "")))
    department_kind = company.get("department_kind")
    department = sys.intern(str(department_kind)) if department_kind else None
    kind = sys.intern(str(data["kind"]))
    status = sys.intern(card.state)
    if enterprise is None or enterprise.state != "active":
        status = "cancelled"
    grants = tuple(sorted(str(g) for g in data.get("grants", [])))  # type: ignore[attr-defined]
    qualifications = tuple(sorted(
        str(q) for q in company.get("qualifications", [])))  # type: ignore[attr-defined]
    return Card(
        serial=card.key,
        enterprise=sys.intern(card.owner),
        enterprise_type=enterprise_type,
        department_kind=department,
        kind=kind,
        holder=str(data["holder"]),
        status=status,
        not_before=datetime.fromisoformat(str(data["not_before"])),
        not_after=datetime.fromisoformat(str(data["not_after"])),
        public_key=bytes.fromhex(str(data["public_key"])),
        rights=_rights(kind, enterprise_type, department, grants, qualifications),
    )


class CardCache:
    def __init__(self, cards: dict[str, Card]) -> None:
        self._cards = cards

    def get(self, serial: str, /) -> Card | None:
        return self._cards.get(serial)

    @classmethod
    async def load(cls, store: Store) -> CardCache:
        cache = cls({})
        await cache.reload(store)
        return cache

    async def reload(self, store: Store) -> None:
        """Reread every card, a page at a time with its enterprises; unchanged cards
        keep their objects.

        Both matter for memory: reading every card (or enterprise) row at once
        made a burst of small objects that grew with the registry and pushed
        pymalloc to new arenas, and replacing every Card made long-lived objects
        among the request traffic's short-lived ones; arenas holding one survivor
        stay mapped, so RSS grew with cards x reloads (bench/memory/probe.py).
        """
        seen: set[str] = set()
        after = ""
        while page := await store.entities_after("card", after, RELOAD_PAGE):
            owners = sorted({entity.owner for entity in page})
            enterprises = {e.key: e for e in await store.entities_with_keys("enterprise", owners)}
            for entity in page:
                card = to_card(entity, enterprises.get(entity.owner))
                seen.add(card.serial)
                self._keep(card)
            after = page[-1].key
        for serial in self._cards.keys() - seen:
            del self._cards[serial]

    async def follow(self, store: Store) -> None:
        """Apply every card or enterprise change announced by any worker."""
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._reload_every, store, SAFETY_RELOAD_S)
            async with await store.listen_entities() as changes:
                async for change in changes:
                    kind, _, key = change.partition(":")
                    await self.changed(store, kind, key)
            nursery.cancel_scope.cancel()

    async def _reload_every(self, store: Store, interval: float) -> None:
        while True:
            await trio.sleep(interval)
            try:
                await self.reload(store)
            except Exception:
                log.warning("card registry reload failed; next try in %s s", interval,
                            exc_info=True)

    async def changed(self, store: Store, kind: str, key: str) -> None:
        """Entity (kind, key) changed (key "*": any of that kind; kind "*": anything)."""
        if kind == EVERYTHING or (key == EVERYTHING and kind in ("card", "enterprise")):
            await self.reload(store)
        elif kind == "card":
            await self._reload_card(store, key)
        elif kind == "enterprise":
            for serial in [c.serial for c in self._cards.values() if c.enterprise == key]:
                await self._reload_card(store, serial)

    async def _reload_card(self, store: Store, serial: str) -> None:
        card = await store.entity("card", serial)
        if card is None:
            self._cards.pop(serial, None)
            return
        self._keep(to_card(card, await store.entity("enterprise", card.owner)))

    def _keep(self, card: Card) -> None:
        """Store ``card`` unless an equal one is held: a card this worker changed is
        reloaded twice (its own write, then the store's notice), and an unchanged
        card keeps its object, keyed by its own serial (not the caller's copy)."""
        if self._cards.get(card.serial) != card:
            self._cards[card.serial] = card
