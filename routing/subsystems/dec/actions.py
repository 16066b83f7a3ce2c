"""Customs actions and the declarant's withdrawal, driven by the state table.

Every action names the declaration (``<declarant>/<doc id>``) and restates its
consignor and receiving customs office; one Require checks them against the
declaration's data inside the commit, so the handler knows every party to
notify without reading anything. Only the receiving customs office acts on a
declaration; only its declarant withdraws it.

Rejection, deletion and withdrawal give the declaration's licence write-offs
back (Restore); a release restates the VINs of a vehicle declaration and issues
their automobile import certificates (licence/vehicles.py).
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from routing.errors import RuleViolation
from routing.ops import Op, Require, Restore, Transition
from routing.registry import Decision, DocContext, DocSpec, Event
from routing.subsystems.dec.entry_numbers import assign_entry_number
from routing.subsystems.dec.parties import china_day
from routing.subsystems.dec.schema import Vin
from routing.subsystems.dec.states import (
    DECLARATION_STATES,
    DECLARATION_TRANSITIONS,
    DeclarationTransition,
)
from routing.subsystems.dec.tax import TaxBill, tax_bill_ops
from routing.subsystems.dec.types import CustomsCode, DocRef, Flag, initiator, recipients
from routing.subsystems.identity.lifecycle import Reason
from routing.subsystems.licence.kinds import LICENCE_LEDGER
from routing.subsystems.licence.vehicles import certificates, vins_are_declared

CUSTOMS = frozenset({"customs"})
# Ending a declaration without release gives its licence write-offs back.
RESTORING = frozenset({"dec.reject", "dec.delete", "dec.withdraw"})


class Action(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    declaration: DocRef
    consignor: CustomsCode
    customs_office: CustomsCode
    reason: Reason = ""


class Accept(Action, forbid_unknown_fields=True, kw_only=True):
    # Restated (and checked) because they make the entry number.
    declare_district: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{4}$")]
    import_export: Flag


class TaxDue(Action, forbid_unknown_fields=True, kw_only=True):
    bills: Annotated[list[TaxBill], msgspec.Meta(min_length=1, max_length=10)]


class Release(Action, forbid_unknown_fields=True, kw_only=True):
    # Restated (and checked against the declaration's digest): one automobile
    # import certificate is issued per VIN.
    vins: Annotated[list[Vin], msgspec.Meta(max_length=2500)] = []


def parties_match(body: Action, extra: dict[str, str]) -> Require:
    return Require(
        "declaration", DECLARATION_STATES, key=body.declaration,
        contains={"consignor": body.consignor, "customs_office": body.customs_office, **extra},
        code="REFERENCE_UNKNOWN", path="$.body.declaration",
        message=f"no declaration {body.declaration} with this consignor and customs office")


def actor_check(ctx: DocContext, body: Action, rule: DeclarationTransition) -> None:
    if rule.actor == "customs" and ctx.sender != body.customs_office:
        raise RuleViolation("only the declaration's receiving customs office acts on it",
                            path="$.body.customs_office")
    if rule.actor == "declarant" and ctx.sender != initiator(body.declaration):
        raise RuleViolation("only the declarant withdraws its declaration",
                            path="$.body.declaration")


def _handler(doc_type: str, rule: DeclarationTransition) -> Any:
    def handle(ctx: DocContext, body: Action) -> Decision:
        actor_check(ctx, body, rule)
        extra = ({"declare_district": body.declare_district, "import_export": body.import_export}
                 if isinstance(body, Accept) else {})
        ops: list[Op] = [
            parties_match(body, extra),
            Transition("declaration", body.declaration, rule.from_states, rule.to_state,
                       {"last_action": doc_type, "reason": body.reason, "by": ctx.sender},
                       path="$.body.declaration"),
        ]
        ref: dict[str, Any] = {"declaration": body.declaration, "state": rule.to_state}
        if isinstance(body, Accept):
            ops.append(assign_entry_number(body.declaration, body.declare_district,
                                           body.import_export, ctx.received_at))
        if isinstance(body, Release):
            ops.append(vins_are_declared(body.declaration, body.vins))
            ops += certificates(body.declaration, body.consignor, body.customs_office,
                                body.vins, china_day(ctx.received_at))
        if doc_type in RESTORING:
            ops.append(Restore(LICENCE_LEDGER, body.declaration, path="$.body.declaration"))
        if isinstance(body, TaxDue):
            bill_ops, ref["tax_bills"] = tax_bill_ops(ctx.sender, ctx.doc_id, body.declaration,
                                                      body.consignor, body.bills,
                                                      ctx.received_at)
            ops += bill_ops
        event = Event(recipients(ctx.sender, body.consignor, initiator(body.declaration),
                                 body.customs_office), ctx.sender, ctx.doc_id, ctx.doc_type, ref)
        return Decision(ref=ref, ops=tuple(ops), event=event)

    handle.__name__ = doc_type.replace(".", "_")
    return handle


BODIES: dict[str, type[Action]] = {"dec.accept": Accept, "dec.tax_due": TaxDue,
                                   "dec.release": Release}


def _example(doc_type: str) -> dict[str, Any]:
    example: dict[str, Any] = {"declaration": "1101910123/DEC-2026-000001",
                               "consignor": "1101910123", "customs_office": "2200C00001"}
    if doc_type == "dec.accept":
        example |= {"declare_district": "2200", "import_export": "I"}
    if doc_type == "dec.tax_due":
        example["bills"] = [{"tax_type": "duty", "amount": "1234.56"},
                            {"tax_type": "vat", "amount": "5678.90"}]
    return example


def _spec(doc_type: str, rule: DeclarationTransition) -> DocSpec[Any]:
    by_customs = rule.actor == "customs"
    return DocSpec(
        type=doc_type,
        body=BODIES.get(doc_type, Action),
        handler=_handler(doc_type, rule),
        card_kinds=frozenset({"department"} if by_customs
                             else {"legal", "operator", "declarant"}),
        department_kinds=CUSTOMS if by_customs else None,
        description=f"declaration: {', '.join(rule.from_states)} → {rule.to_state}",
        example=lambda: _example(doc_type),
    )


SPECS: tuple[DocSpec[Any], ...] = tuple(
    _spec(doc_type, rule) for doc_type, rule in DECLARATION_TRANSITIONS.items()
)
