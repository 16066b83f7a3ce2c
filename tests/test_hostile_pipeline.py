"""Hostile bytes through the pure pipeline: refused cleanly, never an unexpected exception."""

import base64
from datetime import UTC, datetime, timedelta

from core_ext import sm2
from routing.cards import Card
from routing.errors import ProblemError
from routing.pipeline import admit, judge, verify
from routing.subsystems import REGISTRY
from tests.hostile import corpus

KEY = sm2.generate_private_key()
NOW = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
CARD = Card(serial="a1", enterprise="11000EPORT", enterprise_type="department",
            department_kind="platform", kind="department", holder="admin", status="active",
            not_before=NOW - timedelta(days=1), not_after=NOW + timedelta(days=1),
            public_key=sm2.public_key(KEY), rights=frozenset({"identity"}))
VALID = {"id": "H-1", "type": "identity.enterprise_register", "sender": "11000EPORT",
         "ts": "2026-11-28T07:59:00Z",
         "body": {"code": "1101910123", "uscc": "91110000600037341L", "name": "示例",
                  "type": "trader"}}


def sign(doc: bytes) -> bytes:
    return (b'{"doc":' + doc + b',"sig":"' + base64.b64encode(sm2.sign(KEY, doc))
            + b'","cert":"a1"}')


def test_at_least_2000_hostile_inputs_are_refused_cleanly() -> None:
    items = corpus(VALID, sign, envelope_limit=1 << 16)
    assert len(items) >= 2_000
    outcomes: dict[str, int] = {}
    for data in items:
        try:
            admitted = admit(data, {"a1": CARD}, REGISTRY, NOW)
            verify(admitted)
        except ProblemError as error:
            assert 400 <= error.status < 500
            outcomes[error.code] = outcomes.get(error.code, 0) + 1
            continue
        verdict = judge(admitted)
        key = verdict.code if verdict.status == "rejected" else "accepted"
        outcomes[key] = outcomes.get(key, 0) + 1
    assert "accepted" not in outcomes
    assert outcomes["ENVELOPE_INVALID"] > 1_000
    assert outcomes["SCHEMA_INVALID"] > 50
    assert outcomes["SIGNATURE_INVALID"] > 10
