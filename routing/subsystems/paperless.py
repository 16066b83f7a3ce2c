"""paperless 通关无纸化网上签约: an enterprise's agreement with one customs district.

    (sign, legal card) ──▶ pending ── approve (customs) ──▶ approved
                           pending ── refuse  (customs) ──▶ refused
    pending, approved ── terminate (the enterprise, no approval) ──▶ terminated

The agreement is ``paperless:<enterprise>/<sign doc id>``; its data names the
enterprise, the district and the customs office that decides. Paperless entry
types need an ``approved`` one with the declaring district (dec/parties.py).
"""

from __future__ import annotations

from typing import Annotated, Any, NamedTuple

import msgspec

from core_ext import fields
from routing.errors import FieldInvalid, RuleViolation
from routing.ops import Create, Require, Transition
from routing.registry import Decision, DocContext, DocSpec, Event
from routing.subsystems.dec.parties import CUSTOMS
from routing.subsystems.dec.types import CustomsCode, DocRef, doc_key, initiator

AGREEMENT_STATES = ("pending", "approved", "refused", "terminated")
District = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{4}$")]


class Sign(msgspec.Struct, forbid_unknown_fields=True):
    district: District  # 关区代码
    customs_office: CustomsCode  # the customs department that approves


class Decide(msgspec.Struct, forbid_unknown_fields=True):
    agreement: DocRef


class Terminate(msgspec.Struct, forbid_unknown_fields=True):
    agreement: DocRef
    customs_office: CustomsCode  # notified (checked in the commit)


class AgreementTransition(NamedTuple):
    from_states: tuple[str, ...]
    to_state: str
    by_customs: bool


AGREEMENT_TRANSITIONS = {
    "paperless.approve": AgreementTransition(("pending",), "approved", True),
    "paperless.refuse": AgreementTransition(("pending",), "refused", True),
    "paperless.terminate": AgreementTransition(("pending", "approved"), "terminated", False),
}


def district_is_known(body: Sign) -> None:
    try:
        fields.check_district_code(body.district)
    except fields.FieldError as exc:
        raise FieldInvalid(str(exc), path="$.body.district") from None


def sign(ctx: DocContext, body: Sign) -> Decision:
    key = doc_key(ctx.sender, ctx.doc_id)
    data = {"enterprise": ctx.sender, "district": body.district,
            "customs_office": body.customs_office}
    ops = (
        Require("enterprise", ("active",), key=body.customs_office, contains=CUSTOMS,
                message=f"{body.customs_office} is not an active customs department",
                path="$.body.customs_office"),
        Create("paperless", key, "pending", ctx.sender, data),
    )
    ref = {"agreement": key, "state": "pending"}
    return Decision(ref, ops, Event((body.customs_office,), ctx.sender, ctx.doc_id,
                                    ctx.doc_type, ref))


def _move(ctx: DocContext, agreement: str, rule: AgreementTransition, where: str,
          who: dict[str, str], notify: str) -> Decision:
    ops = (
        Require("paperless", AGREEMENT_STATES, key=agreement, where=where, vars=who,
                code="REFERENCE_UNKNOWN", message="no such agreement with this office",
                path="$.body.agreement"),
        Transition("paperless", agreement, rule.from_states, rule.to_state,
                   {"decided_by": ctx.sender}, path="$.body.agreement"),
    )
    ref = {"agreement": agreement, "state": rule.to_state}
    return Decision(ref, ops, Event((notify,), ctx.sender, ctx.doc_id, ctx.doc_type, ref))


def _customs_decision(rule: AgreementTransition) -> Any:
    def decide(ctx: DocContext, body: Decide) -> Decision:
        return _move(ctx, body.agreement, rule, "$.customs_office == $me", {"me": ctx.sender},
                     initiator(body.agreement))

    return decide


def terminate(ctx: DocContext, body: Terminate) -> Decision:
    if initiator(body.agreement) != ctx.sender:
        raise RuleViolation("an enterprise terminates only its own agreement",
                            path="$.body.agreement")
    return _move(ctx, body.agreement, AGREEMENT_TRANSITIONS["paperless.terminate"],
                 "$.customs_office == $office", {"office": body.customs_office},
                 body.customs_office)


EXAMPLE_AGREEMENT = "1101910123/PL-2026-0001"

SPECS: tuple[DocSpec[Any], ...] = (
    DocSpec(type="paperless.sign", body=Sign, handler=sign, rules=(district_is_known,),
            card_kinds=frozenset({"legal"}),
            description="通关无纸化签约: a legal card asks a district for paperless clearance.",
            example=lambda: {"district": "2200", "customs_office": "2200C00001"}),
    *(DocSpec(type=doc_type, body=Decide, handler=_customs_decision(rule),
              card_kinds=frozenset({"department"}), department_kinds=frozenset({"customs"}),
              description=f"agreement: {', '.join(rule.from_states)} → {rule.to_state}",
              example=lambda: {"agreement": EXAMPLE_AGREEMENT})
      for doc_type, rule in AGREEMENT_TRANSITIONS.items() if rule.by_customs),
    DocSpec(type="paperless.terminate", body=Terminate, handler=terminate,
            card_kinds=frozenset({"legal"}),
            description="agreement: pending, approved → terminated (no approval needed)",
            example=lambda: {"agreement": EXAMPLE_AGREEMENT, "customs_office": "2200C00001"}),
)
