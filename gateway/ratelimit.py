"""Per-certificate token buckets (429 RATE_LIMITED with Retry-After).

Checked when a document is admitted, before its signature is verified, so a
flood costs no verification time. The key is the certificate the envelope
names: a forger can spend another card's budget only by sending traffic that
fails verification, which a global connection limit in front bounds anyway.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from routing.errors import RateLimited

MAX_TRACKED = 100_000


@dataclass(slots=True)
class Bucket:
    tokens: float
    stamp: float


class RateLimiter:
    def __init__(self, rate: float, burst: int) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._buckets: OrderedDict[str, Bucket] = OrderedDict()

    def take(self, key: str, now: float) -> None:
        """Spend one token of ``key``'s bucket at time ``now`` (seconds), or raise."""
        if self._rate <= 0:
            return
        bucket = self._buckets.pop(key, None) or Bucket(self._burst, now)
        bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.stamp) * self._rate)
        bucket.stamp = now
        self._buckets[key] = bucket
        if len(self._buckets) > MAX_TRACKED:
            self._buckets.popitem(last=False)
        if bucket.tokens < 1.0:
            raise RateLimited(f"over {self._rate:g} documents/s for this certificate",
                              retry_after=(1.0 - bucket.tokens) / self._rate)
        bucket.tokens -= 1.0
