"""The timing loop shared by the Python-side measurements."""

import time
from collections.abc import Callable


def rate(chunk: Callable[[], int], seconds: float) -> float:
    """Operations per second of `chunk` (which returns how many it did), run for `seconds`.

    The chunk runs at least once, so a tiny `seconds` (quick mode) still measures
    something; the clock is read between chunks only, so make a chunk long enough
    (many operations) for the clock's cost not to count.
    """
    done = 0
    start = time.perf_counter()
    while True:
        done += chunk()
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return done / elapsed
