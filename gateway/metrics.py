"""Prometheus metrics of one gateway process (PROTOCOL.md §4 ``GET /metrics``)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

REGISTRY = CollectorRegistry()

DOCUMENTS = Counter(
    "eport_documents_total", "Documents answered, by type and result code",
    ["type", "code"], registry=REGISTRY,
)
PROBLEMS = Counter(
    "eport_problems_total", "Requests refused without a receipt, by code",
    ["code"], registry=REGISTRY,
)
REQUEST_SECONDS = Histogram(
    "eport_request_seconds", "Time from request to answer, by route",
    ["route"], registry=REGISTRY,
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
VERIFY_SECONDS = Histogram(
    "eport_verify_batch_seconds", "Wall time of one signature verification batch",
    registry=REGISTRY, buckets=(0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5),
)
COMMIT_BATCH = Histogram(
    "eport_commit_batch_documents", "Documents per store transaction",
    registry=REGISTRY, buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024),
)
STORE_QUEUE = Gauge(
    "eport_store_queue_depth", "Documents waiting for the group-commit writer", registry=REGISTRY,
)
OPEN_STREAMS = Gauge("eport_open_streams", "Open WebSocket streams", registry=REGISTRY)


def exposition() -> bytes:
    return generate_latest(REGISTRY)
