"""Everything one gateway process holds while it serves, opened and closed together."""

from __future__ import annotations

import gc
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import trio

from core_ext import sm2, sm3
from core_ext.code_tables import default_tables
from gateway.cards import CardCache
from gateway.config import Config
from gateway.hub import Hub
from gateway.ingest import Ingest
from gateway.metrics import SEALER_NONCES
from gateway.platform import Platform
from gateway.ratelimit import RateLimiter
from gateway.sealer import Sealer
from gateway.store import Store
from gateway.verifier import Verifier
from routing.pipeline import Window
from routing.subsystems import REGISTRY


def utc_now() -> datetime:
    return datetime.now(UTC)


# Next to nothing the gateway allocates per document is cyclic garbage (a batch run of
# 30 000 documents left about 3 000 objects for the collector), yet at CPython's default
# threshold of 700 allocations it scanned the requests in flight over a thousand times
# and the whole heap now and then: about a tenth of the process's CPU.
GC_YOUNG_THRESHOLD = 50_000


def settle_garbage_collector() -> None:
    """Exempt what start-up loaded from collections, and collect young objects rarely."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)


@dataclass(slots=True)
class Runtime:
    config: Config
    platform: Platform
    store: Store
    cards: CardCache
    verifier: Verifier
    ingest: Ingest
    hub: Hub

    @classmethod
    async def open(cls, config: Config, nursery: trio.Nursery) -> Runtime:
        sm2.require_compiled()
        sm3.require_compiled()
        default_tables().load_all()  # a damaged code table stops the start, not a document
        platform = Platform.load(config.home)
        sealer = Sealer(platform.receipt_key, platform.receipt_cert)
        SEALER_NONCES.set_function(lambda: sealer.nonces_ready)
        store = await Store.open(config, sealer)
        try:
            await platform.bootstrap(store)
            cards = CardCache(store, config.card_cache)
        except BaseException:
            await store.aclose()
            raise
        verifier = Verifier()
        window = Window(timedelta(seconds=config.max_future_skew_s),
                        timedelta(seconds=config.max_age_s))
        ingest = Ingest(store, cards, REGISTRY, verifier, platform.authority, window, utc_now,
                        RateLimiter(config.rate_per_cert, config.rate_burst))
        hub = Hub(store)
        nursery.start_soon(verifier.run)
        nursery.start_soon(sealer.keep_nonces_ready)
        nursery.start_soon(cards.follow)
        nursery.start_soon(hub.run)
        settle_garbage_collector()
        return cls(config, platform, store, cards, verifier, ingest, hub)

    def verify_one(self, public_key: bytes, message: bytes, signature: bytes) -> bool:
        return sm2.verify(public_key, message, signature)

    async def aclose(self) -> None:
        await self.store.aclose()
