"""Serve the gateway in this process and log where its memory is, every few seconds.

    EPORT_HOME=... EPORT_DATABASE_URL=... EPORT_BIND=127.0.0.1:8091 \\
        python -m bench.memory.probe [--interval 30] [--trace]

then drive it with ``python -m loadtest run ... --url http://127.0.0.1:8091`` and stop it
with Ctrl-C. Each line: RSS; glibc's heap (``mallinfo2``: bytes in use and bytes free
but kept); pymalloc's arenas (1 MiB each), the bytes of live small objects and the free
bytes inside those arenas. RSS growing while live bytes stay flat is the allocator
holding memory (fragmentation), not a leak. ``--trace`` starts tracemalloc (slows the
gateway about twofold; pymalloc's figures are then unavailable) and adds the
allocation sites that grew most since the first sample.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import re
import sys
import tempfile
import time
import tracemalloc
from typing import Any

import trio
from hypercorn.trio import serve as serve_trio

from gateway.app import create_app
from gateway.config import Config
from gateway.server import hypercorn_config, until_signalled

MIB = float(1 << 20)
TOP_SITES = 12


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]


def rss_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def glibc_heap() -> str:
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallinfo2 = libc.mallinfo2
    except (OSError, AttributeError):  # not glibc, or glibc < 2.33
        return "glibc heap: n/a"
    mallinfo2.restype = _MallInfo2
    info = mallinfo2()
    return (f"glibc heap {info.arena / MIB:.1f} MiB (in use {info.uordblks / MIB:.1f}, "
            f"free {info.fordblks / MIB:.1f}) + mmap {info.hblkhd / MIB:.1f}")


def pymalloc() -> str:
    # sys._debugmallocstats writes to the C-level stderr: borrow fd 2 for a moment.
    with tempfile.TemporaryFile() as capture:
        saved = os.dup(2)
        os.dup2(capture.fileno(), 2)
        try:
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        capture.seek(0)
        text = capture.read().decode("ascii", "replace")

    def figure(label: str) -> int:
        found = re.search(re.escape(label) + r"\s*=\s*([\d,]+)", text)
        return int(found.group(1).replace(",", "")) if found else -1

    if figure("# arenas allocated current") < 0:
        return "pymalloc: n/a (tracemalloc hooks the allocator, or no pymalloc)"
    return (f"pymalloc {figure('# arenas allocated current')} arenas "
            f"(live {figure('# bytes in allocated blocks') / MIB:.1f} MiB, "
            f"free {figure('# bytes in available blocks') / MIB:.1f})")


async def sample_every(interval: float, trace: bool) -> None:
    started = time.monotonic()
    first: tracemalloc.Snapshot | None = None
    while True:
        await trio.sleep(interval)
        print(f"[memory] t={time.monotonic() - started:.0f}s rss {rss_mib():.1f} MiB | "
              f"{glibc_heap()} | {pymalloc()}", flush=True)
        if not trace:
            continue
        snapshot = tracemalloc.take_snapshot()
        if first is None:
            first = snapshot
            continue
        for stat in snapshot.compare_to(first, "lineno")[:TOP_SITES]:
            print(f"[grew] {stat}", flush=True)


async def serve(interval: float, trace: bool) -> None:
    config = Config.load()
    app: Any = create_app(config)  # our plain ASGI callable against hypercorn's precise types
    async with trio.open_nursery() as nursery:
        nursery.start_soon(sample_every, interval, trace)
        await serve_trio(app, hypercorn_config(config), mode="asgi",
                         shutdown_trigger=until_signalled)
        nursery.cancel_scope.cancel()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.memory.probe",
                                     description=__doc__.split("\n", 1)[0])
    parser.add_argument("--interval", type=float, default=30.0, help="seconds between samples")
    parser.add_argument("--trace", action="store_true", help="tracemalloc growth by line")
    args = parser.parse_args(argv)
    if args.trace:
        tracemalloc.start()
    trio.run(serve, args.interval, args.trace)


if __name__ == "__main__":
    main()
