"""Collects what a run saw: outcomes by code, latency (from the intended send time)
and service time (from the actual send), a per-second timeline, and the corpus
indices answered with a receipt (for reconciliation).

Everything counts toward correctness; only units whose intended send time falls
after the warm-up count toward latency and throughput, unless the whole run
ended within the warm-up (a tiny run): then all of it is measured, and the
report says so.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from loadtest.histogram import LogHistogram
from loadtest.outcomes import RECEIPT_STATUSES, Outcome


@dataclass
class Second:
    documents: int = 0
    errors: int = 0
    latency: LogHistogram = field(default_factory=LogHistogram)


@dataclass
class Window:
    """Latency, service time and throughput over a span of the run."""

    latency: LogHistogram = field(default_factory=LogHistogram)
    service: LogHistogram = field(default_factory=LogHistogram)
    documents: int = 0
    requests: int = 0
    first: float | None = None
    last: float = 0.0

    def add(self, documents: int, intended: float, sent: float, done: float) -> None:
        self.latency.record(done - intended)
        self.service.record(done - sent)
        self.documents += documents
        self.requests += 1
        if self.first is None:
            self.first = intended
        self.last = max(self.last, done)

    @property
    def seconds(self) -> float:
        return self.last - self.first if self.first is not None else 0.0

    def throughput(self) -> float:
        return self.documents / self.seconds if self.seconds > 0 else 0.0


@dataclass
class Recorder:
    origin: float  # trio.current_time() at the start of the run
    warmup_s: float
    codes: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    after_warmup: Window = field(default_factory=Window)
    whole_run: Window = field(default_factory=Window)
    timeline: dict[int, Second] = field(default_factory=dict)
    receipts: list[int] = field(default_factory=list)
    sent: int = 0
    completed: int = 0

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
        self.whole_run.add(len(outcomes), intended, sent, done)
        if intended - self.origin >= self.warmup_s:
            self.after_warmup.add(len(outcomes), intended, sent, done)

    @property
    def warmup_ignored(self) -> bool:
        return self.after_warmup.documents == 0 and self.whole_run.documents > 0

    @property
    def measured(self) -> Window:
        return self.whole_run if self.warmup_ignored else self.after_warmup

    def failures(self) -> int:
        """Documents with no answer (transport failure) or a server error (5xx)."""
        return sum(n for status, n in self.statuses.items() if status == 0 or status >= 500)


def joined(turns: Sequence[Recorder]) -> Recorder:
    """One recorder for turns run one after another (``run --rounds``): counts add up,
    throughput is over the turns' measured seconds only, not the time between them,
    and the timeline runs the turns end to end."""
    whole = Recorder(turns[0].origin, turns[0].warmup_s)
    whole.after_warmup = _joined([turn.measured for turn in turns])
    whole.whole_run = _joined([turn.whole_run for turn in turns])
    offset = 0
    for turn in turns:
        whole.codes.update(turn.codes)
        whole.statuses.update(turn.statuses)
        whole.receipts.extend(turn.receipts)
        whole.sent += turn.sent
        whole.completed += turn.completed
        for second, seen in turn.timeline.items():
            whole.timeline[offset + second] = seen
        offset += max(turn.timeline, default=-1) + 1
    return whole


def _joined(windows: Sequence[Window]) -> Window:
    whole = Window()
    for window in windows:
        whole.latency.merge(window.latency)
        whole.service.merge(window.service)
        whole.documents += window.documents
        whole.requests += window.requests
    if whole.requests:
        whole.first, whole.last = 0.0, sum(window.seconds for window in windows)
    return whole
