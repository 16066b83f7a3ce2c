"""core_ext.sm2 / core_ext.sm3 timings, whichever implementation the selectors loaded."""

import importlib
import itertools
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol, cast

from bench.crypto.dataset import Signed, Signer
from bench.timing import rate

Item = tuple[bytes, bytes, bytes]
BatchVerify = Callable[[Sequence[Item]], list[bool]]


class Sm2(Signer, Protocol):
    """The part of the core_ext.sm2 selector the benchmark uses."""

    COMPILED: bool

    def verify(self, public_key: bytes, message: bytes, signature: bytes) -> bool: ...


class Sm3(Protocol):
    def digest(self, data: bytes) -> bytes: ...


@dataclass(frozen=True)
class Core:
    sm2: Sm2
    sm3: Sm3
    verify_batch: BatchVerify | None  # the pure twin may not offer it


def load() -> Core:
    """The core_ext selectors; ImportError (or AttributeError) if they are not there yet."""
    sm2 = cast(Sm2, importlib.import_module("core_ext.sm2"))
    sm3 = cast(Sm3, importlib.import_module("core_ext.sm3"))
    return Core(sm2, sm3, getattr(sm2, "verify_batch", None))


def verify_rate(sm2: Sm2, items: Sequence[Signed], seconds: float) -> float:
    """verify/s cycling through `items` in order; each chunk is one whole pass.

    With more distinct keys than the key cache holds, round-robin order means every
    call misses the cache (LRU evicts each key long before it comes round again).
    """

    def one_pass() -> int:
        accepted = 0
        for item in items:
            accepted += sm2.verify(item.public_key, item.message, item.signature)
        if accepted != len(items):
            raise RuntimeError("core_ext.sm2.verify rejected a valid signature")
        return len(items)

    return rate(one_pass, seconds)


def cached_verify_rate(sm2: Sm2, item: Signed, chunk: int, seconds: float) -> float:
    """verify/s with the same key every call, after a few calls let the cache fill."""
    for _ in range(3):
        sm2.verify(item.public_key, item.message, item.signature)
    return verify_rate(sm2, [item] * chunk, seconds)


def sign_rate(sm2: Sm2, message: bytes, seconds: float) -> float:
    private_key = sm2.generate_private_key()

    def signs() -> int:
        for _ in range(64):
            sm2.sign(private_key, message)
        return 64

    return rate(signs, seconds)


def sm3_mb_per_second(sm3: Sm3, size: int, seconds: float) -> float:
    """SM3 throughput over `size`-byte inputs in MB/s (10^6 bytes, as OpenSSL counts)."""
    data, calls = os.urandom(size), max(1, (1 << 20) // size)
    digest = sm3.digest

    def digests() -> int:
        for _ in range(calls):
            digest(data)
        return calls

    return rate(digests, seconds) * size / 1e6


def batch_rates(
    verify_batch: BatchVerify, items: Sequence[Signed], size: int, seconds: float
) -> tuple[float, float]:
    """Items/s of verify_batch on one thread, then on two threads each given half a batch.

    Batches of `size` are taken round-robin from `items`, so with enough distinct keys
    neither run is helped by the key cache.
    """
    tuples = [(item.public_key, item.message, item.signature) for item in items]
    batches = [tuples[start : start + size] for start in range(0, len(tuples) - size + 1, size)]
    halves = [(batch[: size // 2], batch[size // 2 :]) for batch in batches]

    def check(results: list[bool]) -> int:
        if not all(results):
            raise RuntimeError("core_ext.sm2.verify_batch rejected a valid signature")
        return len(results)

    one_thread = itertools.cycle(batches)
    single = rate(lambda: check(verify_batch(next(one_thread))), seconds)
    two_threads = itertools.cycle(halves)
    with ThreadPoolExecutor(max_workers=2) as pool:

        def both_halves() -> int:
            futures = [pool.submit(verify_batch, half) for half in next(two_threads)]
            return sum(check(future.result()) for future in futures)

        return single, rate(both_halves, seconds)
