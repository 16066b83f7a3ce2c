"""The per-document metric children are looked up once and still count in the exposition."""

from __future__ import annotations

from gateway import metrics


def _value(name: str, labels: dict[str, str]) -> float:
    found = metrics.REGISTRY.get_sample_value(name, labels)
    return 0.0 if found is None else found


def test_document_and_problem_children_count_in_the_registry() -> None:
    labels = {"type": "test.metrics", "code": "OK"}
    before = _value("eport_documents_total", labels)
    assert metrics.documents("test.metrics", "OK") is metrics.documents("test.metrics", "OK")
    metrics.documents("test.metrics", "OK").inc()
    metrics.documents("test.metrics", "OK").inc()
    assert _value("eport_documents_total", labels) == before + 2
    problem = {"code": "TEST_METRICS"}
    before = _value("eport_problems_total", problem)
    metrics.problems("TEST_METRICS").inc()
    assert _value("eport_problems_total", problem) == before + 1


def test_request_seconds_child_observes_into_its_route() -> None:
    route = {"route": "/test/metrics"}
    before = _value("eport_request_seconds_count", route)
    metrics.request_seconds("/test/metrics").observe(0.002)
    assert _value("eport_request_seconds_count", route) == before + 1
    assert b'eport_request_seconds_count{route="/test/metrics"}' in metrics.exposition()
