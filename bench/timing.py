"""The timing loop shared by the Python-side measurements."""

import time
from collections.abc import Callable

# Long enough that reading the clock between chunks costs nothing measurable.
MIN_CHUNK_SECONDS = 0.01


def rate(run: Callable[[int], object], seconds: float) -> float:
    """Calls per second of `run(n)`, which makes n calls of the operation being timed.

    n doubles from 1 until a chunk lasts MIN_CHUNK_SECONDS, so fast operations are
    timed in long chunks while a slow one (the pure twin, gmssl) runs only a few times
    when `seconds` is tiny (quick mode). At least one call is always made.
    """
    done, n = 0, 1
    start = time.perf_counter()
    while True:
        chunk_start = time.perf_counter()
        run(n)
        done += n
        now = time.perf_counter()
        if now - start >= seconds:
            return done / (now - start)
        if now - chunk_start < MIN_CHUNK_SECONDS:
            n *= 2
