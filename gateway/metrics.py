"""Prometheus metrics of one gateway process (PROTOCOL.md §4 ``GET /metrics``)."""

from __future__ import annotations

from functools import lru_cache

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
COMMIT_STAGE_SECONDS = Histogram(
    "eport_commit_stage_seconds",
    "Wall time of each step of a store transaction: claim (keys, earlier receipts),"
    " operations (entity and ledger operations, serials included), sequences,"
    " sealing (receipts and events signed), rows (documents and feed written), commit",
    ["stage"], registry=REGISTRY,
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
STORE_QUEUE = Gauge(
    "eport_store_queue_depth", "Documents waiting for the group-commit writer", registry=REGISTRY,
)
SEALER_NONCES = Gauge(
    "eport_sealer_nonces_ready",
    "Signing nonces prepared for receipts and events (with none, sealing signs slower)",
    registry=REGISTRY,
)
OPEN_STREAMS = Gauge("eport_open_streams", "Open WebSocket streams", registry=REGISTRY)


# ``labels()`` takes a lock and validates its arguments: about 8 us a call, paid per
# document. The children, once made, live as long as their metric: look them up once.
@lru_cache(maxsize=4096)
def documents(doc_type: str, code: str) -> Counter:
    """The ``eport_documents_total`` child of one type and result code."""
    return DOCUMENTS.labels(doc_type, code)


@lru_cache(maxsize=256)
def problems(code: str) -> Counter:
    """The ``eport_problems_total`` child of one problem code."""
    return PROBLEMS.labels(code)


@lru_cache(maxsize=16)
def request_seconds(route: str) -> Histogram:
    """The ``eport_request_seconds`` child of one route."""
    return REQUEST_SECONDS.labels(route)


@lru_cache(maxsize=8)
def commit_stage_seconds(stage: str) -> Histogram:
    """The ``eport_commit_stage_seconds`` child of one step of a transaction."""
    return COMMIT_STAGE_SECONDS.labels(stage)


def exposition() -> bytes:
    return generate_latest(REGISTRY)
