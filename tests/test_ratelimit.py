import pytest

from gateway.ratelimit import RateLimiter
from routing.errors import RateLimited


def test_burst_then_refill_at_the_rate() -> None:
    limiter = RateLimiter(rate=10.0, burst=3)
    for _ in range(3):
        limiter.take("a", 0.0)
    with pytest.raises(RateLimited) as refused:
        limiter.take("a", 0.0)
    assert refused.value.retry_after == pytest.approx(0.1)
    assert refused.value.status == 429
    limiter.take("a", 0.1)
    with pytest.raises(RateLimited):
        limiter.take("a", 0.1)


def test_buckets_are_per_certificate_and_capped_at_the_burst() -> None:
    limiter = RateLimiter(rate=1.0, burst=2)
    limiter.take("a", 0.0)
    limiter.take("a", 0.0)
    limiter.take("b", 0.0)
    limiter.take("a", 100.0)
    limiter.take("a", 100.0)
    with pytest.raises(RateLimited):
        limiter.take("a", 100.0)


def test_zero_rate_means_unlimited() -> None:
    limiter = RateLimiter(rate=0.0, burst=0)
    for _ in range(1000):
        limiter.take("a", 0.0)
