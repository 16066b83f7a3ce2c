"""The card registry every worker keeps in memory, kept fresh through the database.

Cards and enterprises are entities in the store. A worker holds the cards that
signed something it received lately, at most ``capacity`` of them (least recently
used first out), and remembers which serials it looked up and found missing. The
pipeline asks synchronously (``get``); a serial the registry has no answer for
raises ``CardNotLoaded``, and the shell loads it (``load``, one query for all the
serials of a batch) and asks again (``resolving``). So memory follows the cards
in use, not every card ever issued.

The registry follows the store's entity notifications (``NOTIFY`` on every
change, from any worker): a held card that changed, or whose enterprise changed,
is read again, and a serial remembered missing is forgotten when a card of that
serial appears, so a status change reaches every worker well within a second.
The LISTEN connection is checked twice a second and every reconnect rereads
every held card; so does a reload every ``SAFETY_RELOAD_S``, which repairs what a
dropped notice (a subscriber that fell behind) would leave stale. Effective
rights are derived here from the card kind, the enterprise type and
qualifications, and the legal card's grants.
"""

from __future__ import annotations

import logging
import sys
from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import lru_cache
from typing import TypeVar

import trio

from gateway.store import Entity, Store
from gateway.store.notify import EVERYTHING
from routing.cards import Card, CardNotLoaded
from routing.errors import Unavailable
from routing.rights import effective_rights

log = logging.getLogger(__name__)

SAFETY_RELOAD_S = 30.0
RELOAD_PAGE = 500  # card rows read per round trip
CAPACITY = 100_000  # cards held per worker (about 500 bytes each)
MOST_LOADS_PER_ASK = 4  # loads for one request's asks; then the registry is busy (503)
T = TypeVar("T")
RIGHTS_VARIANTS = 1024  # distinct rights derivations remembered (a handful in practice)


@lru_cache(maxsize=RIGHTS_VARIANTS)
def _rights(kind: str, enterprise_type: str, department_kind: str | None,
            grants: tuple[str, ...], qualifications: tuple[str, ...]) -> frozenset[str]:
    return effective_rights(kind, enterprise_type, department_kind, grants, qualifications)


def to_card(card: Entity, enterprise: Entity | None) -> Card:
    """The registry's Card for a card entity and its enterprise's entity.

    A worker holds up to ``capacity`` cards, so a card's size is paid per card and
    per worker: the rights set and the strings most cards have in common (kind,
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


def registry_busy() -> Unavailable:
    """The answer when the cards a request needs could not all be held at once."""
    return Unavailable("the card registry is busy", retry_after=1.0)


class CardCache:
    def __init__(self, store: Store, capacity: int = CAPACITY) -> None:
        self._store = store
        self._capacity = capacity
        self._cards: OrderedDict[str, Card] = OrderedDict()
        self._missing: OrderedDict[str, None] = OrderedDict()
        # Per load in flight, by a number of its own: the "kind:key" noticed meanwhile.
        self._watchers: dict[int, set[str]] = {}
        self._loads = 0

    def get(self, serial: str, /) -> Card | None:
        """The card, None if it does not exist; ``CardNotLoaded`` if not known yet."""
        card = self._cards.get(serial)
        if card is not None:
            self._cards.move_to_end(serial)
            return card
        if serial in self._missing:
            return None
        raise CardNotLoaded(serial)

    def __len__(self) -> int:
        return len(self._cards)

    async def resolving(self, ask: Callable[[], T]) -> T:
        """``ask()``, loading each card it finds missing and asking again."""
        answered = await self.resolving_all(1, lambda _: ask())
        if 0 not in answered:
            raise registry_busy()
        return answered[0]

    async def resolving_all(self, count: int, ask: Callable[[int], T]) -> dict[int, T]:
        """``ask(i)`` for each i in range(count), by i; those that found a card missing
        are asked again once the cards all of them missed are loaded (one ``load``), up
        to ``MOST_LOADS_PER_ASK`` loads. An i still missing a card is left out."""
        answered: dict[int, T] = {}
        pending: Iterable[int] = range(count)
        for loads in range(MOST_LOADS_PER_ASK + 1):
            missing: dict[int, str] = {}
            for index in pending:
                try:
                    answered[index] = ask(index)
                except CardNotLoaded as miss:
                    missing[index] = miss.serial
            if not missing or loads == MOST_LOADS_PER_ASK:
                break
            await self.load(missing.values())
            pending = list(missing)
        return answered

    async def load(self, serials: Iterable[str]) -> None:
        """Read the cards among ``serials`` the registry has no answer for, with their
        enterprises (one query each a page), and remember the serials that do not exist.

        A notice about one of them (or its enterprise) arriving during the read may
        mean the read is older than the change: those are read again.
        """
        wanted = sorted({s for s in serials if s not in self._cards and s not in self._missing})
        for attempt in range(MOST_LOADS_PER_ASK):
            if not wanted:
                return
            self._loads += 1
            watch = self._loads
            noticed = self._watchers[watch] = set()
            try:
                found = await self._read(wanted)
            finally:
                del self._watchers[watch]
            last = attempt == MOST_LOADS_PER_ASK - 1
            stale = set() if last else {
                card.serial for card in found
                if EVERYTHING in noticed or f"card:{card.serial}" in noticed
                or f"enterprise:{card.enterprise}" in noticed}
            for card in found:
                if card.serial not in stale:
                    self._hold(card, keep_at_least=len(found))
            present = {card.serial for card in found}
            for serial in wanted:
                if serial not in present and (last or not noticed & {EVERYTHING, f"card:{serial}"}):
                    self._missing[serial] = None
                    if len(self._missing) > self._capacity:
                        self._missing.popitem(last=False)
            wanted = [s for s in wanted if s not in self._cards and s not in self._missing]

    async def _read(self, serials: list[str]) -> list[Card]:
        read: list[Card] = []
        for start in range(0, len(serials), RELOAD_PAGE):
            page = await self._store.entities_with_keys("card", serials[start:start + RELOAD_PAGE])
            owners = sorted({entity.owner for entity in page})
            enterprises = {e.key: e for e in await self._store.entities_with_keys("enterprise",
                                                                                  owners)}
            read += [to_card(entity, enterprises.get(entity.owner)) for entity in page]
        return read

    async def reload(self) -> None:
        """Reread every held card, a page at a time with its enterprises; unchanged cards
        keep their objects, and serials remembered missing are asked again.

        Both matter for memory: replacing every Card made long-lived objects among
        the request traffic's short-lived ones; arenas holding one survivor stay
        mapped, so RSS grew with cards x reloads (bench/memory/probe.py).
        """
        self._missing.clear()
        held = sorted(self._cards)
        found = {card.serial: card for card in await self._read(held)}
        for serial in held:
            if serial in found:
                self._keep(found[serial])
            else:
                self._cards.pop(serial, None)

    async def follow(self) -> None:
        """Apply every card or enterprise change announced by any worker."""
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._reload_every, SAFETY_RELOAD_S)
            async with await self._store.listen_entities() as changes:
                async for change in changes:
                    kind, _, key = change.partition(":")
                    await self.changed(kind, key)
            nursery.cancel_scope.cancel()

    async def _reload_every(self, interval: float) -> None:
        while True:
            await trio.sleep(interval)
            try:
                await self.reload()
            except Exception:
                log.warning("card registry reload failed; next try in %s s", interval,
                            exc_info=True)

    async def changed(self, kind: str, key: str) -> None:
        """Entity (kind, key) changed (key "*": any of that kind; kind "*": anything)."""
        everything = kind == EVERYTHING or (key == EVERYTHING and kind in ("card", "enterprise"))
        for noticed in self._watchers.values():
            noticed.add(EVERYTHING if everything else f"{kind}:{key}")
        if everything:
            await self.reload()
        elif kind == "card":
            self._missing.pop(key, None)
            if key in self._cards:
                await self._reload_card(key)
        elif kind == "enterprise":
            for serial in [c.serial for c in self._cards.values() if c.enterprise == key]:
                await self._reload_card(serial)

    async def _reload_card(self, serial: str) -> None:
        card = await self._store.entity("card", serial)
        if card is None:
            self._cards.pop(serial, None)
            return
        self._keep(to_card(card, await self._store.entity("enterprise", card.owner)))

    def _keep(self, card: Card) -> None:
        """Replace a held card unless an equal one is held: a card this worker changed is
        reloaded twice (its own write, then the store's notice), and an unchanged
        card keeps its object, keyed by its own serial (not the caller's copy)."""
        if card.serial in self._cards and self._cards[card.serial] != card:
            self._cards[card.serial] = card

    def _hold(self, card: Card, keep_at_least: int) -> None:
        """Hold a card just read; the least recently used go beyond capacity (but never
        the ``keep_at_least`` most recent: one load's cards are all there afterwards)."""
        self._cards[card.serial] = card
        self._cards.move_to_end(card.serial)
        while len(self._cards) > max(self._capacity, keep_at_least):
            self._cards.popitem(last=False)
