"""A log-bucketed latency histogram (HdrHistogram-like): constant memory, ~1% error.

A value v (seconds) lands in bucket ``floor(log(v / FLOOR) / log(1 + PRECISION))``;
a percentile reports its bucket's upper bound, so it never understates latency.
"""

from __future__ import annotations

import math
from collections import Counter

FLOOR = 1e-6  # 1 µs: anything faster is recorded as 1 µs
PRECISION = 0.01
_LOG_STEP = math.log1p(PRECISION)
PERCENTILES = (("p50", 50.0), ("p90", 90.0), ("p99", 99.0), ("p99_9", 99.9))


class LogHistogram:
    def __init__(self) -> None:
        self._buckets: Counter[int] = Counter()
        self.count = 0
        self.total = 0.0
        self.max = 0.0

    def record(self, seconds: float) -> None:
        value = max(seconds, FLOOR)
        self._buckets[int(math.log(value / FLOOR) / _LOG_STEP)] += 1
        self.count += 1
        self.total += value
        self.max = max(self.max, value)

    def merge(self, other: LogHistogram) -> None:
        self._buckets.update(other._buckets)
        self.count += other.count
        self.total += other.total
        self.max = max(self.max, other.max)

    def percentile(self, percent: float) -> float:
        """The smallest bucket bound at or below which ``percent`` % of values lie."""
        if not self.count:
            return 0.0
        rank = math.ceil(self.count * percent / 100.0)
        seen = 0
        for bucket in sorted(self._buckets):
            seen += self._buckets[bucket]
            if seen >= rank:
                return min(FLOOR * math.exp((bucket + 1) * _LOG_STEP), self.max)
        return self.max

    def summary_ms(self) -> dict[str, float]:
        """count, mean, p50/p90/p99/p99.9 and max, in milliseconds (count as is)."""
        result = {"count": float(self.count),
                  "mean": round(1000 * self.total / self.count, 3) if self.count else 0.0}
        for name, percent in PERCENTILES:
            result[name] = round(1000 * self.percentile(percent), 3)
        result["max"] = round(1000 * self.max, 3)
        return result
