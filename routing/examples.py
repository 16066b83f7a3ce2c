"""``eport example TYPE``: a complete, valid document of every registered type."""

from __future__ import annotations

from typing import Any

from routing.subsystems import REGISTRY


def example_document(doc_type: str) -> dict[str, Any]:
    spec = REGISTRY[doc_type]
    return {
        "id": f"EXAMPLE-{doc_type.replace('.', '-').upper()}-0001",
        "type": doc_type,
        "sender": "1101910123",
        "ts": "2026-11-28T08:00:00Z",
        "body": spec.example(),
    }
