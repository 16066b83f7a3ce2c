"""agent 代理报关委托: a trader entrusts a broker with its declarations.

    pending ── confirm (the other party) ──▶ active ── (declared under) ──▶ active, used
    pending ── decline (the other party) ──▶ declined
    pending, active (unused) ── revoke (either party) ──▶ revoked

Either party initiates (``agent.entrust``); the other confirms or declines. A
trader initiating may set ``auto_confirm``: the entrustment is active at once
and the broker can still decline it before using it. An entrustment covers one
shipment (its bill of lading, used once) or a period, for imports, exports or
both (B), between its validity dates (calendar days in China). Declarations
check all of that inside the commit (dec/parties.py).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, NamedTuple

import msgspec

from core_ext import fields
from routing.errors import FieldInvalid, RuleViolation
from routing.ops import Create, Require, Transition
from routing.registry import Decision, DocContext, DocSpec, Event
from routing.subsystems.dec.types import CustomsCode, DocRef, IsoDate, Text, doc_key, initiator

MAX_VALIDITY_DAYS = 366
ENTRUSTMENT_STATES = ("pending", "active", "declined", "revoked")
TRADER_TYPES = '$.type == "trader" || $.type == "processor"'
CARDS = frozenset({"legal", "operator", "declarant"})


class Entrust(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    trader: CustomsCode  # 委托方: the consignor (a trader, or a processor)
    broker: CustomsCode  # 被委托方
    scope: Literal["shipment", "period"]
    direction: Literal["I", "E", "B"]
    valid_from: IsoDate
    valid_to: IsoDate
    bill_of_lading: Annotated[str, msgspec.Meta(min_length=1, max_length=32,
                                                pattern=r"^[^\x00-\x1f\x7f]+$")] | None = None
    goods: Text | None = None  # description of the goods entrusted
    auto_confirm: bool = False


class Answer(msgspec.Struct, forbid_unknown_fields=True):
    entrustment: DocRef


class Revoke(msgspec.Struct, forbid_unknown_fields=True):
    entrustment: DocRef
    counterpart: CustomsCode  # the other party, notified (checked in the commit)


def validity_is_sound(body: Entrust) -> None:
    try:
        start, end = fields.parse_date(body.valid_from), fields.parse_date(body.valid_to)
    except fields.FieldError as exc:
        raise FieldInvalid(str(exc), path="$.body.valid_from") from None
    if not 0 <= (end - start).days <= MAX_VALIDITY_DAYS:
        raise FieldInvalid(f"valid_to is 0 to {MAX_VALIDITY_DAYS} days after valid_from",
                           path="$.body.valid_to")
    if (body.scope == "shipment") != (body.bill_of_lading is not None):
        raise FieldInvalid("a shipment entrustment, and only one, names its bill of lading",
                           path="$.body.bill_of_lading")


def entrust(ctx: DocContext, body: Entrust) -> Decision:
    if ctx.sender not in (body.trader, body.broker) or body.trader == body.broker:
        raise RuleViolation("the sender is the trader or the broker, not both",
                            path="$.body.trader")
    if body.auto_confirm and ctx.sender != body.trader:
        raise RuleViolation("only the trader's own entrustment confirms itself",
                            path="$.body.auto_confirm")
    key = doc_key(ctx.sender, ctx.doc_id)
    state = "active" if body.auto_confirm else "pending"
    data = {**msgspec.to_builtins(body), "initiator": ctx.sender, "used": False}
    ops = (
        Require("enterprise", ("active",), key=body.trader, where=TRADER_TYPES,
                message="the trader must be an active trader or processor", path="$.body.trader"),
        Require("enterprise", ("active",), key=body.broker, where='$.type == "broker"',
                message="the broker must be an active broker", path="$.body.broker"),
        Create("entrustment", key, state, body.trader, data),
    )
    ref = {"entrustment": key, "state": state}
    counterpart = body.broker if ctx.sender == body.trader else body.trader
    return Decision(ref, ops, Event((counterpart,), ctx.sender, ctx.doc_id, ctx.doc_type, ref))


class Answering(NamedTuple):
    from_states: tuple[str, ...]
    to_state: str


ANSWERS = {
    "agent.confirm": Answering(("pending",), "active"),
    "agent.decline": Answering(("pending", "active"), "declined"),
}


def _answer(rule: Answering) -> Any:
    def answer(ctx: DocContext, body: Answer) -> Decision:
        by = initiator(body.entrustment)
        if by == ctx.sender:
            raise RuleViolation("the other party answers an entrustment",
                                path="$.body.entrustment")
        ops = (
            Require("entrustment", ENTRUSTMENT_STATES, key=body.entrustment,
                    where="($.trader == $me || $.broker == $me) && $.used == false",
                    vars={"me": ctx.sender}, code="REFERENCE_UNKNOWN",
                    message="no unused entrustment with this enterprise",
                    path="$.body.entrustment"),
            Transition("entrustment", body.entrustment, rule.from_states, rule.to_state,
                       {"answered_by": ctx.sender}, path="$.body.entrustment"),
        )
        ref = {"entrustment": body.entrustment, "state": rule.to_state}
        return Decision(ref, ops, Event((by,), ctx.sender, ctx.doc_id, ctx.doc_type, ref))

    return answer


def revoke(ctx: DocContext, body: Revoke) -> Decision:
    ops = (
        Require("entrustment", ENTRUSTMENT_STATES, key=body.entrustment,
                where="(($.trader == $me && $.broker == $other) || "
                      "($.broker == $me && $.trader == $other))",
                vars={"me": ctx.sender, "other": body.counterpart}, code="REFERENCE_UNKNOWN",
                message="no entrustment between these parties", path="$.body.entrustment"),
        Require("entrustment", ENTRUSTMENT_STATES, key=body.entrustment, where="$.used == false",
                message="an entrustment already declared under cannot be revoked",
                code="STATE_CONFLICT", path="$.body.entrustment"),
        Transition("entrustment", body.entrustment, ("pending", "active"), "revoked",
                   {"revoked_by": ctx.sender}, path="$.body.entrustment"),
    )
    ref = {"entrustment": body.entrustment, "state": "revoked"}
    return Decision(ref, ops, Event((body.counterpart,), ctx.sender, ctx.doc_id, ctx.doc_type,
                                    ref))


EXAMPLE_REF = {"entrustment": "1101910123/AG-2026-0001"}

SPECS: tuple[DocSpec[Any], ...] = (
    DocSpec(type="agent.entrust", body=Entrust, handler=entrust, rules=(validity_is_sound,),
            card_kinds=CARDS, description="代理报关委托: either party proposes an entrustment.",
            example=lambda: {"trader": "1101910123", "broker": "2200980001", "scope": "period",
                             "direction": "B", "valid_from": "2026-11-28",
                             "valid_to": "2027-11-27", "goods": "手机及配件"}),
    *(DocSpec(type=doc_type, body=Answer, handler=_answer(rule), card_kinds=CARDS,
              description=f"entrustment: {', '.join(rule.from_states)} → {rule.to_state}",
              example=lambda: dict(EXAMPLE_REF)) for doc_type, rule in ANSWERS.items()),
    DocSpec(type="agent.revoke", body=Revoke, handler=revoke, card_kinds=CARDS,
            description="entrustment: pending, active (unused) → revoked",
            example=lambda: {**EXAMPLE_REF, "counterpart": "2200980001"}),
)
