"""The JSON report of one target: throughput, latency, codes, expectations, timeline."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from loadtest.corpus_store import EXPECT_STATUSES, Corpus
from loadtest.engine import Load
from loadtest.recorder import Recorder

# Expected-outcome buckets, compared as totals: in a replay or conflict pair either
# document may arrive first, so only the counts per bucket are fixed.
_BUCKETS = {"new": "first", "receipt": "first", "replay": "replay", "conflict": "conflict",
            "bad_signature": "bad_signature"}
_STATUS_BUCKET = {201: "first", 422: "first", 200: "replay", 409: "conflict",
                  401: "bad_signature"}


def summary(recorder: Recorder, load: Load, driver: str, wall_s: float,
            abandoned: int) -> dict[str, Any]:
    measured = recorder.measured
    return {
        "driver": driver,
        "mode": load.mode,
        "load": {"count": load.count, "concurrency": load.concurrency, "rate": load.rate,
                 "duration_s": load.duration_s, "warmup_s": load.warmup_s,
                 "batch_size": load.batch_size},
        "wall_s": round(wall_s, 3),
        "documents": {"sent": recorder.sent, "answered": recorder.completed,
                      "measured": measured.documents, "abandoned": abandoned,
                      "failed": recorder.failures()},
        "warmup_ignored": recorder.warmup_ignored,
        "throughput_docs_per_s": round(measured.throughput(), 1),
        "requests_per_s": round(measured.requests / measured.seconds, 1)
        if measured.seconds else 0.0,
        "latency_ms": measured.latency.summary_ms(),
        "service_time_ms": measured.service.summary_ms(),
        "codes": dict(recorder.codes.most_common()),
        "timeline": [
            {"t": second, "docs": s.documents, "errors": s.errors,
             "p50_ms": round(1000 * s.latency.percentile(50), 3),
             "p99_ms": round(1000 * s.latency.percentile(99), 3)}
            for second, s in sorted(recorder.timeline.items())
        ],
    }


def cpu_per_document(busy_s: dict[str, float], documents: int) -> dict[str, float | None]:
    """CPU microseconds per answered document of each sampled group, and in all: what
    a document costs, comparable across machines of different speed where docs/s
    is not (the gateway, its database and the client share the cores)."""
    if not documents:
        return {name: None for name in (*busy_s, "total")}
    per = {name: round(1e6 * seconds / documents, 1) for name, seconds in busy_s.items()}
    return {**per, "total": round(1e6 * sum(busy_s.values()) / documents, 1)}


def expectations(corpus: Corpus, recorder: Recorder,
                 answered: Iterable[int]) -> dict[str, Any]:
    """Expected against observed outcome counts over the corpus prefix that was answered."""
    expected: Counter[str] = Counter(
        _BUCKETS[corpus.entry(i).expect] for i in answered)
    observed: Counter[str] = Counter()
    for status, count in recorder.statuses.items():
        observed[_STATUS_BUCKET.get(status, f"other_{status}")] += count
    return {"expected": dict(expected), "observed": dict(observed),
            "allowed_statuses": EXPECT_STATUSES, "ok": expected == observed}


def relative(target: dict[str, Any], baselines: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The target's throughput as a fraction of each baseline's under the same load."""
    mine = target["throughput_docs_per_s"]
    return {name: round(mine / base["throughput_docs_per_s"], 4)
            if base["throughput_docs_per_s"] else None for name, base in baselines.items()}
