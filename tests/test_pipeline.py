"""The sans-IO pipeline driven with plain values: no event loop, no database."""

import base64
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import msgspec
import pytest

from core_ext import sm2
from routing.cards import Card
from routing.errors import (
    CardInactive,
    CertUnknown,
    EnvelopeInvalid,
    FieldInvalid,
    PermissionDenied,
    ProblemError,
    SignatureInvalid,
    TimestampOutOfWindow,
)
from routing.ops import Require
from routing.pipeline import admit, judge, verify
from routing.registry import Decision, DocContext, DocSpec, Registry

NOW = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
KEY = bytes.fromhex("3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8")


class Body(msgspec.Struct, forbid_unknown_fields=True):
    qty: Annotated[int, msgspec.Meta(ge=1)]
    items: list[str] = []


def no_x_items(body: Body) -> None:
    for index, item in enumerate(body.items):
        if item == "x":
            raise FieldInvalid("x is not an item", path=f"$.body.items[{index}]")


def handler(ctx: DocContext, body: Body) -> Decision:
    return Decision(ref={"qty": body.qty, "by": ctx.card.serial},
                    ops=(Require("thing", ("active",), key=ctx.sender),))


REGISTRY = Registry([DocSpec(type="test.thing", body=Body, handler=handler,
                             card_kinds=frozenset({"operator"}), rules=(no_x_items,),
                             example=lambda: {"qty": 1})])


def card(**changes: Any) -> Card:
    base = dict(serial="abc1", enterprise="1101910123", enterprise_type="trader",
                department_kind=None, kind="operator", holder="张三", status="active",
                not_before=NOW - timedelta(days=1), not_after=NOW + timedelta(days=1),
                public_key=sm2.public_key(KEY), rights=frozenset({"test"}))
    base.update(changes)
    return Card(**base)


def envelope(doc: dict[str, Any] | None = None, *, key: bytes = KEY, cert: str = "abc1",
             tamper: bool = False) -> bytes:
    doc = doc or {}
    full = {"id": "T-1", "type": "test.thing", "sender": "1101910123",
            "ts": "2026-11-28T07:59:00Z", "body": {"qty": 2}, **doc}
    doc_bytes = msgspec.json.encode(full)
    sig = sm2.sign(key, doc_bytes)
    if tamper:
        doc_bytes = doc_bytes.replace(b'"qty":2', b'"qty":3')
    return (b'{"doc":' + doc_bytes + b',"sig":"' + base64.b64encode(sig) + b'","cert":"'
            + cert.encode() + b'"}')


def run(data: bytes, cards: dict[str, Card] | None = None) -> Any:
    lookup = cards if cards is not None else {"abc1": card()}
    admitted = admit(data, lookup, REGISTRY, NOW)
    verify(admitted)
    return judge(admitted)


def test_accepted_document_carries_ref_and_ops() -> None:
    verdict = run(envelope())
    assert (verdict.status, verdict.code) == ("accepted", "OK")
    assert verdict.ref == {"qty": 2, "by": "abc1"}
    assert verdict.ops == (Require("thing", ("active",), key="1101910123"),)


def test_signed_bytes_are_exactly_the_doc_bytes_as_sent() -> None:
    spaced = (b'{ "doc" : {"id":"T-1",  "type":"test.thing","sender":"1101910123",'
              b'"ts":"2026-11-28T07:59:00Z","body":{"qty":2}} ,"sig":"SIG","cert":"abc1"}')
    doc_bytes = spaced[spaced.index(b"{", 1):spaced.index(b"} ,") + 1]
    sig = base64.b64encode(sm2.sign(KEY, doc_bytes))
    admitted = admit(spaced.replace(b"SIG", sig), {"abc1": card()}, REGISTRY, NOW)
    assert admitted.framed.doc_bytes == doc_bytes
    verify(admitted)


@pytest.mark.parametrize(
    ("data", "error", "path"),
    [
        (b"not json", EnvelopeInvalid, None),
        (b'{"doc": {}, "sig": "", "cert": "abc1"}', EnvelopeInvalid, None),
        (b'{"doc": 1, "sig": "", "cert": "abc1"}', EnvelopeInvalid, None),
        (envelope({"id": "bad id!"}), EnvelopeInvalid, "$.doc.id"),
        (envelope({"id": "x" * 65}), EnvelopeInvalid, "$.doc.id"),
        (envelope({"type": "Test.Thing"}), EnvelopeInvalid, "$.doc.type"),
        (envelope({"type": "test.unknown"}), EnvelopeInvalid, "$.doc.type"),
        (envelope({"sender": "short"}), EnvelopeInvalid, "$.doc.sender"),
        (envelope({"ts": "yesterday"}), EnvelopeInvalid, "$.doc.ts"),
        (envelope({"ts": "2026-02-30T00:00:00Z"}), EnvelopeInvalid, "$.doc.ts"),
        (envelope({"ts": "2026-11-28T08:05:01Z"}), TimestampOutOfWindow, None),
        (envelope({"ts": "2026-11-27T07:59:59Z"}), TimestampOutOfWindow, None),
        (envelope(cert="ABC1"), EnvelopeInvalid, "$.cert"),
        (envelope(cert="dead"), CertUnknown, None),
        (envelope().replace(b'"sig":"', b'"sig":"!'), EnvelopeInvalid, "$.sig"),
        (envelope(tamper=True), SignatureInvalid, None),
        (envelope(key=bytes(31) + b"\x07"), SignatureInvalid, None),
    ],
)
def test_refusals_without_receipt(data: bytes, error: type[ProblemError],
                                  path: str | None) -> None:
    with pytest.raises(error) as caught:
        run(data)
    assert type(caught.value) is error
    if path is not None:
        assert caught.value.path == path


def test_malformed_signature_bytes_are_signature_invalid() -> None:
    data = envelope().replace(b'"sig":"', b'"sig":"AAAA', 1)
    with pytest.raises((SignatureInvalid, EnvelopeInvalid)):
        run(data)
    short = envelope()
    start = short.index(b'"sig":"') + 7
    end = short.index(b'"', start)
    with pytest.raises(SignatureInvalid):
        run(short[:start] + base64.b64encode(b"\x30\x00") + short[end:])


@pytest.mark.parametrize(
    ("changes", "error", "detail"),
    [
        ({"status": "locked"}, CardInactive, "locked"),
        ({"status": "frozen"}, CardInactive, "frozen"),
        ({"status": "voided"}, CardInactive, "voided"),
        ({"status": "cancelled"}, CardInactive, "cancelled"),
        ({"not_after": NOW}, CardInactive, "expired"),
        ({"not_before": NOW + timedelta(seconds=1)}, CardInactive, "not yet valid"),
        ({"enterprise": "1101910124"}, PermissionDenied, "another enterprise"),
        ({"kind": "legal"}, PermissionDenied, "legal"),
        ({"rights": frozenset({"dec"})}, PermissionDenied, "no right"),
    ],
)
def test_card_checks_at_receive_time(changes: dict[str, Any], error: type[ProblemError],
                                     detail: str) -> None:
    with pytest.raises(error, match=detail):
        run(envelope(), {"abc1": card(**changes)})


@pytest.mark.parametrize(
    ("body", "code", "path"),
    [
        ({"qty": 0}, "SCHEMA_INVALID", "$.body.qty"),
        ({"qty": "2"}, "SCHEMA_INVALID", "$.body.qty"),
        ({}, "SCHEMA_INVALID", "$.body"),
        ({"qty": 1, "extra": 1}, "SCHEMA_INVALID", "$.body"),
        ({"qty": 1, "items": ["a", 5]}, "SCHEMA_INVALID", "$.body.items[1]"),
        ({"qty": 1, "items": ["a", "x"]}, "FIELD_INVALID", "$.body.items[1]"),
        ([1, 2], "SCHEMA_INVALID", "$.body"),
    ],
)
def test_body_errors_become_rejected_verdicts_with_path(body: Any, code: str,
                                                         path: str) -> None:
    verdict = run(envelope({"body": body}))
    assert (verdict.status, verdict.code, verdict.path) == ("rejected", code, path)
    assert verdict.message
    assert verdict.ops == ()
