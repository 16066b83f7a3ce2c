"""Closed-loop (fixed concurrency) and open-loop (fixed arrival rate) load.

Open loop: unit i is due at ``origin + i / rate``; its latency runs from that
intended time, so a stalled server is charged for every request it delayed
(coordinated omission corrected). The in-flight cap bounds memory; waiting for
it is part of the latency too.

A run stops issuing at the deadline or at the end of its count, then lets what is
in flight finish (up to ``grace_s``); what is still unanswered is "abandoned",
and reconciliation treats those documents as unknown.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import trio

from loadtest.corpus_store import DocEntry
from loadtest.progress import Progress
from loadtest.recorder import Recorder
from loadtest.transport import Transport, Unit


@dataclass(frozen=True)
class Load:
    count: int  # documents: the corpus up to this index
    concurrency: int = 16  # closed loop: requests in flight
    rate: float | None = None  # open loop: documents per second
    max_inflight: int = 1000  # open loop: requests in flight at most
    duration_s: float | None = None
    warmup_s: float = 0.0
    batch_size: int = 1
    grace_s: float = 30.0
    first: int = 0  # the corpus index the run starts at (a later turn of the same run)

    @property
    def mode(self) -> str:
        return "open" if self.rate else "closed"


class Documents(Protocol):
    """What the engine reads from a corpus."""

    def __len__(self) -> int: ...

    def envelope(self, index: int) -> bytes: ...

    def entry(self, index: int) -> DocEntry: ...


def units(corpus: Documents, count: int, batch_size: int, first: int = 0) -> Iterator[Unit]:
    for start in range(first, min(count, len(corpus)), batch_size):
        stop = min(start + batch_size, count, len(corpus))
        yield Unit(start, [corpus.envelope(i) for i in range(start, stop)],
                   corpus.entry(start).sender)


class Engine:
    def __init__(self, transport: Transport, corpus: Documents, load: Load,
                 progress: Progress | None = None) -> None:
        self._transport = transport
        self._corpus = corpus
        self._load = load
        self._progress = progress
        self._inflight: dict[int, int] = {}  # unit start -> its document count
        self.abandoned: list[range] = []

    async def run(self) -> Recorder:
        load = self._load
        recorder = Recorder(trio.current_time(), load.warmup_s)
        deadline = recorder.origin + load.duration_s if load.duration_s else float("inf")
        work = units(self._corpus, load.count, load.batch_size, load.first)
        async with trio.open_nursery() as outer:
            if self._progress:
                outer.start_soon(self._progress.run, recorder)
            with trio.move_on_at(deadline + load.grace_s):
                if load.rate:
                    await self._open(work, recorder, deadline)
                else:
                    await self._closed(work, recorder, deadline)
            outer.cancel_scope.cancel()
        self.abandoned = [range(start, start + n) for start, n in self._inflight.items()]
        if self._progress:
            self._progress.finish(recorder)
        return recorder

    async def _one(self, unit: Unit, recorder: Recorder, intended: float) -> None:
        self._inflight[unit.start] = len(unit.envelopes)
        recorder.sent += len(unit.envelopes)
        sent = trio.current_time()
        result = await self._transport.submit(unit)
        del self._inflight[unit.start]
        recorder.record(unit.start, result, intended, sent, trio.current_time())

    async def _closed(self, work: Iterator[Unit], recorder: Recorder, deadline: float) -> None:
        async def worker() -> None:
            # Every worker pulls from the one iterator: trio never preempts next().
            for unit in work:
                if trio.current_time() >= deadline:
                    return
                await self._one(unit, recorder, trio.current_time())

        async with trio.open_nursery() as nursery:
            for _ in range(self._load.concurrency):
                nursery.start_soon(worker)

    async def _open(self, work: Iterator[Unit], recorder: Recorder, deadline: float) -> None:
        assert self._load.rate
        interval = self._load.batch_size / self._load.rate
        slots = trio.Semaphore(self._load.max_inflight)

        async def one(unit: Unit, intended: float) -> None:
            try:
                await self._one(unit, recorder, intended)
            finally:
                slots.release()

        async with trio.open_nursery() as nursery:
            for index, unit in enumerate(work):
                intended = recorder.origin + index * interval
                if intended >= deadline:
                    return
                await trio.sleep_until(intended)
                await slots.acquire()
                nursery.start_soon(one, unit, intended)
