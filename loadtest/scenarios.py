"""The named scenarios: a corpus recipe and a load, scaled by ``--scale``.

Every scenario is bounded in count and in time, and targets loopback only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from loadtest.corpus import Shares
from loadtest.engine import Load
from loadtest.transport import DriverName


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    documents: int  # at scale 1
    shares: Shares
    driver: DriverName
    load: Load  # its count is replaced by the scaled corpus size
    connections: int = 16
    scale_duration: bool = False  # a rate-bound scenario: scale its duration too

    def scaled(self, scale: float) -> tuple[int, Load]:
        documents = max(10, round(self.documents * scale))
        load = replace(self.load, count=documents)
        if self.scale_duration and load.duration_s:
            load = replace(load, duration_s=max(2.0, load.duration_s * scale))
        return documents, load


SCENARIOS = {
    s.name: s for s in (
        Scenario("national-day-2011",
                 "1.3 M documents (a 2011 business day) replayed as fast as possible",
                 1_300_000, Shares(), "http1",
                 Load(count=0, concurrency=64, duration_s=4 * 3600.0, warmup_s=2.0),
                 connections=64),
        Scenario("single-window-2020",
                 "10 M documents in batches of 100, with some replays and conflicts",
                 10_000_000, Shares(invalid=0.001, replays=0.002, conflicts=0.0005), "batch",
                 Load(count=0, concurrency=8, batch_size=100, duration_s=8 * 3600.0,
                      warmup_s=2.0),
                 connections=8),
        Scenario("steady", "a fixed arrival rate (open loop) for latency",
                 12_000, Shares(), "http1",
                 Load(count=0, rate=100.0, duration_s=120.0, warmup_s=5.0, max_inflight=256),
                 connections=64, scale_duration=True),
        Scenario("bad-traffic",
                 "20% invalid signatures, 5% replays, 5% conflicts mixed in",
                 20_000, Shares(invalid=0.2, replays=0.05, conflicts=0.05), "http1",
                 Load(count=0, concurrency=32, duration_s=1800.0, warmup_s=1.0),
                 connections=32),
    )
}
