"""Signed envelopes of every registered identity document type, and their signers.

Built before any clock starts. Each card is a platform department card with a key
of its own (department cards may sign every identity document); document i is of
type i mod the number of types and is signed by card i mod the number of cards,
with the type's example body. identity.card_issue is left out: its handler asks the
platform CA for a certificate, which is the CA's cost, not the pipeline's.
"""

import base64
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from core_ext import sm2
from routing.cards import Card
from routing.examples import example_document
from routing.pipeline import admit, judge
from routing.registry import DocSpec
from routing.subsystems import REGISTRY

RECEIVED_AT = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
SIGNED_AT = "2026-11-28T07:59:30Z"  # inside the window: half a minute before receipt
EXCLUDED_TYPES = frozenset({"identity.card_issue"})


@dataclass(frozen=True)
class Signed:
    """One envelope and what the bare verify reference needs of it."""

    envelope: bytes
    public_key: bytes
    doc_bytes: bytes
    signature: bytes


@dataclass(frozen=True)
class Workload:
    cards: dict[str, Card]  # serial -> card: the lookup admit takes
    documents: list[Signed]
    types: tuple[str, ...]


def _card(serial: str, enterprise: str, public_key: bytes) -> Card:
    return Card(
        serial=serial, enterprise=enterprise, enterprise_type="department",
        department_kind="platform", kind="department", holder="bench", status="active",
        not_before=RECEIVED_AT - timedelta(days=1), not_after=RECEIVED_AT + timedelta(days=365),
        public_key=public_key, rights=frozenset({"identity"}),
    )  # fmt: skip


def platform_may_sign(spec: DocSpec[Any]) -> bool:
    """The workload's signers are platform department cards."""
    return "department" in spec.card_kinds and (
        spec.department_kinds is None or "platform" in spec.department_kinds)


def build(cards: int, documents: int) -> Workload:
    """`documents` envelopes signed by `cards` distinct keys."""
    keys = [sm2.generate_private_key() for _ in range(cards)]
    lookup = {
        f"{index + 1:x}": _card(f"{index + 1:x}", f"P{index:09d}", sm2.public_key(key))
        for index, key in enumerate(keys)
    }
    serials = list(lookup)

    def sign(index: int, doc_type: str) -> Signed:
        serial = serials[index % cards]
        card = lookup[serial]
        doc = example_document(doc_type)
        doc.update(id=f"BENCH-{index}", sender=card.enterprise, ts=SIGNED_AT)
        doc_bytes = msgspec.json.encode(doc)
        signature = sm2.sign(keys[index % cards], doc_bytes)
        envelope = msgspec.json.encode(
            {"doc": msgspec.Raw(doc_bytes), "sig": base64.b64encode(signature).decode(),
             "cert": serial}
        )  # fmt: skip
        return Signed(envelope, card.public_key, doc_bytes, signature)

    # Only types whose example is accepted as it stands: a rejection would time a
    # shorter path (examples that name cards or documents the workload lacks).
    types = tuple(sorted(
        t for t in set(REGISTRY) - EXCLUDED_TYPES
        if platform_may_sign(REGISTRY[t])
        and judge(admit(sign(0, t).envelope, lookup, REGISTRY, RECEIVED_AT)).status == "accepted"
    ))
    signed = [sign(index, types[index % len(types)]) for index in range(documents)]
    return Workload(lookup, signed, types)
