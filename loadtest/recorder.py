"""Collects what a run saw: outcomes by code, latency (from the intended send time)
and service time (from the actual send), a per-second timeline, and the corpus
indices answered with a receipt (for reconciliation).

Everything counts toward correctness; only units whose intended send time falls
after the warm-up count toward latency and throughput.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from loadtest.histogram import LogHistogram
from loadtest.outcomes import RECEIPT_STATUSES, Outcome


@dataclass
class Second:
    documents: int = 0
    errors: int = 0
    latency: LogHistogram = field(default_factory=LogHistogram)


@dataclass
class Recorder:
    origin: float  # trio.current_time() at the start of the run
    warmup_s: float
    codes: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    latency: LogHistogram = field(default_factory=LogHistogram)
    service: LogHistogram = field(default_factory=LogHistogram)
    timeline: dict[int, Second] = field(default_factory=dict)
    receipts: list[int] = field(default_factory=list)
    sent: int = 0
    completed: int = 0
    measured_documents: int = 0
    measured_requests: int = 0
    first_measured: float | None = None
    last_measured: float = 0.0

    def record(self, start: int, outcomes: list[Outcome], intended: float, sent: float,
               done: float) -> None:
        errors = 0
        for offset, (status, code) in enumerate(outcomes):
            self.codes[f"{status} {code}"] += 1
            self.statuses[status] += 1
            if status in RECEIPT_STATUSES:
                self.receipts.append(start + offset)
            elif status == 0 or status >= 500:
                errors += 1
        self.completed += len(outcomes)
        second = self.timeline.setdefault(int(done - self.origin), Second())
        second.documents += len(outcomes)
        second.errors += errors
        second.latency.record(done - intended)
        if intended - self.origin < self.warmup_s:
            return
        self.latency.record(done - intended)
        self.service.record(done - sent)
        self.measured_documents += len(outcomes)
        self.measured_requests += 1
        if self.first_measured is None:
            self.first_measured = intended
        self.last_measured = done

    @property
    def measured_seconds(self) -> float:
        return self.last_measured - self.first_measured if self.first_measured else 0.0

    def throughput(self) -> float:
        seconds = self.measured_seconds
        return self.measured_documents / seconds if seconds > 0 else 0.0

    def failures(self) -> int:
        """Documents with no answer (transport failure) or a server error (5xx)."""
        return sum(n for status, n in self.statuses.items() if status == 0 or status >= 500)
