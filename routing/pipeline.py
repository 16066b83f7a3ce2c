"""The sans-IO document pipeline: bytes in, a Verdict out.

    admit(bytes)      1 frame, time window, 2 identify (card, enterprise, right)
    verify            3 SM2 over the exact document bytes (batchable: see gateway)
    judge(admitted)   4 validate the body, 5 decide through the subsystem handler

``admit`` and ``verify`` failures are ProblemErrors: no receipt, nothing stored.
``judge`` never raises for a bad document: schema, field and rule failures become
a rejected Verdict, which is stored and answered with a signed receipt.
The clock is an argument; nothing here performs I/O.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import msgspec

from core_ext import sm2
from routing.cards import Card, CardLookup, identify
from routing.envelope import DECODE_FAILURES, Framed, frame, json_path_of, undecodable
from routing.errors import (
    EnvelopeInvalid,
    PermissionDenied,
    Rejection,
    SchemaInvalid,
    SignatureInvalid,
    TimestampOutOfWindow,
)
from routing.ops import Op
from routing.registry import CertificateIssuer, DocContext, DocSpec, Event, Registry
from routing.timestamps import parse_rfc3339


class Window(msgspec.Struct, frozen=True):
    max_future_skew: timedelta = timedelta(seconds=300)
    max_age: timedelta = timedelta(hours=24)


DEFAULT_WINDOW = Window()


class Admitted(msgspec.Struct, frozen=True):
    framed: Framed
    card: Card
    spec: DocSpec[Any]
    received_at: datetime


class Verdict(msgspec.Struct, frozen=True):
    status: str
    code: str
    message: str = ""
    path: str | None = None
    ref: dict[str, Any] = msgspec.field(default_factory=dict)
    ops: tuple[Op, ...] = ()
    event: Event | None = None


def admit(
    data: bytes | memoryview,
    cards: CardLookup,
    registry: Registry,
    received_at: datetime,
    window: Window = DEFAULT_WINDOW,
) -> Admitted:
    framed = frame(data)
    spec = registry.get(framed.doc_type)
    if spec is None:
        raise EnvelopeInvalid(f"unknown document type {framed.doc_type}", path="$.doc.type")
    signed_at = parse_rfc3339(framed.ts, "$.doc.ts")
    if signed_at > received_at + window.max_future_skew:
        raise TimestampOutOfWindow("ts is too far in the future")
    if signed_at < received_at - window.max_age:
        raise TimestampOutOfWindow("ts is too old")
    card = identify(cards.get(framed.cert), framed.sender, received_at)
    authorise(card, spec)
    return Admitted(framed, card, spec, received_at)


def authorise(card: Card, spec: DocSpec[Any]) -> None:
    if card.kind not in spec.card_kinds:
        raise PermissionDenied(f"a {card.kind} card may not sign {spec.type}")
    if (card.kind == "department" and spec.department_kinds is not None
            and card.department_kind not in spec.department_kinds):
        raise PermissionDenied(f"{spec.type} is for departments of kind "
                               f"{', '.join(sorted(spec.department_kinds))}")
    if spec.subsystem not in card.rights:
        raise PermissionDenied(f"card has no right for subsystem {spec.subsystem}")


def verify(admitted: Admitted) -> None:
    reason = sm2.verify_reason(admitted.card.public_key, admitted.framed.doc_bytes,
                               admitted.framed.sig)
    if reason is not None:
        raise SignatureInvalid(f"signature does not verify ({reason})")


def judge(
    admitted: Admitted,
    issuer: CertificateIssuer | None = None,
    cards: CardLookup | None = None,
) -> Verdict:
    spec = admitted.spec
    framed = admitted.framed
    try:
        body = spec.decoder.decode(framed.body)
        for rule in spec.rules:
            rule(body)
        context = DocContext(framed.sender, framed.doc_id, framed.doc_type,
                             admitted.received_at, admitted.card, issuer, cards)
        decision = spec.handler(context, body)
    except msgspec.ValidationError as exc:
        message, path = json_path_of(exc, "$.body")
        return rejected(SchemaInvalid(message, path=path))
    except msgspec.DecodeError as exc:
        return rejected(SchemaInvalid(str(exc), path="$.body"))
    except DECODE_FAILURES as exc:
        return rejected(SchemaInvalid(undecodable(exc), path="$.body"))
    except Rejection as exc:
        return rejected(exc)
    return Verdict("accepted", "OK", "", None, decision.ref, decision.ops, decision.event)


def rejected(error: Rejection) -> Verdict:
    return Verdict("rejected", error.code, error.message, error.path)
