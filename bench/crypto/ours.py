"""core_ext.sm2 / core_ext.sm3 timings, whichever implementation the selectors loaded."""

import importlib
import itertools
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol, cast

from bench.crypto.dataset import Signed, Signer
from bench.timing import rate

Item = tuple[bytes, bytes, bytes]
REFILL = 256  # nonces per Presigner.prepare call
BatchVerify = Callable[[Sequence[Item]], list[bool]]


class NoncePool(Protocol):
    """The part of core_ext.sm2.Presigner the benchmark uses."""

    def prepare(self, count: int) -> int: ...


class Sm2(Signer, Protocol):
    """The part of the core_ext.sm2 selector the benchmark uses."""

    COMPILED: bool

    def verify(self, public_key: bytes, message: bytes, signature: bytes) -> bool: ...

    def Presigner(self, private_key: bytes, capacity: int) -> NoncePool: ...


class Sm3(Protocol):
    def digest(self, data: bytes) -> bytes: ...


@dataclass(frozen=True)
class Core:
    sm2: Sm2
    sm3: Sm3
    verify_batch: BatchVerify | None  # the pure twin may not offer it


def load() -> Core:
    """The core_ext selectors; ImportError if they are not there yet."""
    sm2 = cast(Sm2, importlib.import_module("core_ext.sm2"))
    sm3 = cast(Sm3, importlib.import_module("core_ext.sm3"))
    return Core(sm2, sm3, getattr(sm2, "verify_batch", None))


def verify_rate(sm2: Sm2, items: Sequence[Signed], seconds: float) -> float:
    """verify/s cycling through `items` in order.

    With more distinct keys than the key cache holds, round-robin order means every
    call misses the cache (LRU evicts each key long before it comes round again).
    """
    pending = itertools.cycle(items)

    def verify(n: int) -> None:
        accepted = 0
        for item in itertools.islice(pending, n):
            accepted += sm2.verify(item.public_key, item.message, item.signature)
        if accepted != n:
            raise RuntimeError("core_ext.sm2.verify rejected a valid signature")

    return rate(verify, seconds)


def cached_verify_rate(sm2: Sm2, item: Signed, seconds: float) -> float:
    """verify/s with the same key every call, after a few calls let the cache fill."""
    for _ in range(3):
        sm2.verify(item.public_key, item.message, item.signature)
    return verify_rate(sm2, [item], seconds)


def sign_rate(sm2: Sm2, message: bytes, seconds: float) -> float:
    private_key = sm2.generate_private_key()

    def sign(n: int) -> None:
        for _ in range(n):
            sm2.sign(private_key, message)

    return rate(sign, seconds)


def presign_rate(sm2: Sm2, seconds: float) -> float:
    """Nonces prepared per second (Presigner.prepare), in refills of REFILL as the
    gateway's sealer makes them; each is the costly half of a signature."""
    private_key = sm2.generate_private_key()

    def prepare(n: int) -> None:
        for start in range(0, n, REFILL):
            count = min(REFILL, n - start)
            if sm2.Presigner(private_key, count).prepare(count) != count:
                raise RuntimeError("core_ext.sm2.Presigner kept fewer nonces than it had room for")

    return rate(prepare, seconds)


def sm3_mb_per_second(sm3: Sm3, size: int, seconds: float) -> float:
    """SM3 throughput over `size`-byte inputs in MB/s (10^6 bytes, as OpenSSL counts)."""
    data, digest = os.urandom(size), sm3.digest

    def digests(n: int) -> None:
        for _ in range(n):
            digest(data)

    return rate(digests, seconds) * size / 1e6


def batch_rates(
    verify_batch: BatchVerify, items: Sequence[Signed], size: int, seconds: float
) -> tuple[float, float]:
    """Items/s of verify_batch on one thread, then on two threads each given half a batch.

    Batches of `size` are taken round-robin from `items`, so with enough distinct keys
    neither run is helped by the key cache. Both are timed by the wall clock: the point
    is how much sooner two threads finish, which CPU time cannot show.
    """
    tuples = [(item.public_key, item.message, item.signature) for item in items]
    batches = [tuples[start : start + size] for start in range(0, len(tuples) - size + 1, size)]
    halves = [(batch[: size // 2], batch[size // 2 :]) for batch in batches]

    def check(results: list[bool]) -> None:
        if not all(results):
            raise RuntimeError("core_ext.sm2.verify_batch rejected a valid signature")

    whole = itertools.cycle(batches)

    def one_thread(n: int) -> None:
        for batch in itertools.islice(whole, n):
            check(verify_batch(batch))

    split = itertools.cycle(halves)
    with ThreadPoolExecutor(max_workers=2) as pool:

        def two_threads(n: int) -> None:
            for pair in itertools.islice(split, n):
                for future in [pool.submit(verify_batch, half) for half in pair]:
                    check(future.result())

        single = rate(one_thread, seconds, time.perf_counter)
        return single * size, rate(two_threads, seconds, time.perf_counter) * size
