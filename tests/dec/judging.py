"""Run one registered document type's schema, rules and handler: no signature, no I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from routing.cards import Card
from routing.envelope import Framed
from routing.ops import Op, Require
from routing.pipeline import Admitted, Verdict, judge
from routing.subsystems import REGISTRY

NOW = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
TRADER = "1101910123"
BROKER = "2200980001"
CUSTOMS = "2200C00001"


def verdict(doc_type: str, body: Any, *, sender: str = TRADER, kind: str = "operator",
            doc_id: str = "DOC-1", at: datetime = NOW, department: str = "customs") -> Verdict:
    card = Card(serial="abc1", enterprise=sender, enterprise_type="trader",
                department_kind=department if kind == "department" else None, kind=kind,
                holder="张三", status="active", not_before=at - timedelta(days=1),
                not_after=at + timedelta(days=1), public_key=b"", rights=frozenset())
    raw = msgspec.json.encode(body)
    framed = Framed(doc_id, doc_type, sender, "", b"", msgspec.Raw(raw), b"", "abc1")
    return judge(Admitted(framed, card, REGISTRY[doc_type], at))


def rejection(doc_type: str, body: Any, **kwargs: Any) -> tuple[str, str | None]:
    result = verdict(doc_type, body, **kwargs)
    assert result.status == "rejected", result
    return result.code, result.path


def requires(result: Verdict, kind: str) -> list[Require]:
    return [op for op in result.ops if isinstance(op, Require) and op.kind == kind]


def ops_of(result: Verdict, cls: type[Op]) -> list[Any]:
    return [op for op in result.ops if isinstance(op, cls)]
