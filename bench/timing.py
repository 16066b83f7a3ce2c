"""The timing loop shared by the Python-side measurements."""

import itertools
import time
from collections.abc import Callable

# Long enough that reading the clock between chunks costs nothing measurable.
MIN_CHUNK_SECONDS = 0.01


def rate(
    run: Callable[[int], object],
    seconds: float,
    clock: Callable[[], float] = time.process_time,
) -> float:
    """Calls per second of `run(n)`, which makes n calls of the operation being timed.

    The default clock is the process's CPU time, the divisor `openssl speed` uses too
    (CPU user time unless -elapsed): on a shared machine, time the scheduler gives to
    other processes counts against neither side. Multi-threaded figures must pass a
    wall clock (time.perf_counter) instead, since CPU time adds up the threads.

    n doubles from 1 until a chunk lasts MIN_CHUNK_SECONDS, so fast operations are
    timed in long chunks while a slow one (the pure twin, gmssl) runs only a few times
    when `seconds` is tiny (quick mode). At least one call is always made.
    """
    done, n = 0, 1
    start = now = clock()
    while True:
        chunk_start = now
        run(n)
        done += n
        now = clock()
        if now - start >= seconds:
            return done / (now - start)
        if now - chunk_start < MIN_CHUNK_SECONDS:
            n *= 2


def calls_per_second(call: Callable[[], object], seconds: float) -> float:
    """`rate` of a call that takes no arguments, made over and over."""
    def run(n: int) -> None:
        for _ in itertools.repeat(None, n):
            call()

    return rate(run, seconds)
