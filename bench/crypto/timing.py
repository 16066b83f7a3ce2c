"""Quick figures for core_ext SM2/SM3, next to OpenSSL's from the same run.

    python bench/crypto/timing.py [--openssl]

Prints verify/s (fresh key: every key new; cached key: one key, table built),
sign/s, verify_batch on 1 vs 2 threads, SM3 MB/s at 64 B, 1 KB and 16 KB. Rates are
per CPU second of this process, as `openssl speed` counts, except verify_batch,
which is per wall second (with the CPU/wall ratio: 2.0 means both cores were used). With
--openssl it also runs `openssl speed -seconds 3 sm2` and `openssl speed -evp sm3
-seconds 2` and prints their summary lines.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable

from core_ext import _sm2, _sm3

SECONDS = 1.0


def rate(function: Callable[[int], object], per_call: int = 1) -> float:
    """Calls per CPU second of function(i), over about SECONDS of CPU time (process time,
    like `openssl speed`, so that other load on the machine does not count)."""
    calls, start = 0, time.process_time()
    while (elapsed := time.process_time() - start) < SECONDS:
        for _ in range(50):
            function(calls)
            calls += 1
    return calls * per_call / elapsed


def fresh_keys(count: int) -> list[tuple[bytes, bytes, bytes]]:
    items = []
    for _ in range(count):
        key = _sm2.generate_private_key()
        message = os.urandom(200)
        items.append((_sm2.public_key(key), message, _sm2.sign(key, message)))
    return items


def threaded_batch(items: list[tuple[bytes, bytes, bytes]], threads: int) -> tuple[float, float]:
    """verify_batch over `threads` threads: (items per wall second, CPU seconds per wall
    second). The second figure shows the threads running in parallel even when other
    load on the machine keeps the first from doubling."""
    chunks = [items[i::threads] for i in range(threads)]
    workers = [threading.Thread(target=_sm2.verify_batch, args=(chunk,)) for chunk in chunks]
    start, cpu_start = time.perf_counter(), time.process_time()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    wall = time.perf_counter() - start
    return len(items) / wall, (time.process_time() - cpu_start) / wall


def main() -> None:
    fresh = fresh_keys(6000)
    print(f"verify fresh key   {rate(lambda i: _sm2.verify(*fresh[i % len(fresh)])):10.0f} /s")
    cached = fresh[0]
    print(f"verify cached key  {rate(lambda i: _sm2.verify(*cached)):10.0f} /s")
    key, message = _sm2.generate_private_key(), os.urandom(200)
    print(f"sign               {rate(lambda i: _sm2.sign(key, message)):10.0f} /s")
    batch = [cached] * 8000
    (one, one_cpu), (two, two_cpu) = threaded_batch(batch, 1), threaded_batch(batch, 2)
    print(
        f"verify_batch 1 thread {one:8.0f} /s (cpu/wall {one_cpu:.2f}), "
        f"2 threads {two:8.0f} /s (cpu/wall {two_cpu:.2f}): x{two / one:.2f}"
    )
    for size in (64, 1024, 16384):
        data = os.urandom(size)
        mb = rate(lambda i, data=data: _sm3.digest(data), size) / 1e6
        print(f"sm3 {size:6d} B         {mb:10.1f} MB/s")
    if "--openssl" in sys.argv:
        for command in (
            ["openssl", "speed", "-seconds", "3", "sm2"],
            ["openssl", "speed", "-evp", "sm3", "-seconds", "2"],
        ):
            output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
            print(" ".join(command), "\n", "\n".join(output.strip().splitlines()[-2:]))


if __name__ == "__main__":
    main()
