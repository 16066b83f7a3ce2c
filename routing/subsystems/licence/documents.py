"""licence.issue, licence.amend, licence.revoke: by the issuing department's card.

A licence is ``licence:<issuer>/<doc id>``, owned by its holder; each line ``n``
opens the ledger line ``licence:<licence>#<n>`` with its quantity. Only a
department of the kind's issuer (kinds.py) issues it, and only the department
that issued it amends or revokes it. An amendment moves a line's balance by its
change: a decrease below what declarations have written off already is
LEDGER_INSUFFICIENT.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from routing.errors import RuleViolation
from routing.ops import Create, Credit, Debit, Op, Open, Require, Transition
from routing.registry import Decision, DocContext, DocSpec, Event
from routing.subsystems.dec.rules import QUANTITY
from routing.subsystems.dec.types import doc_key, recipients
from routing.subsystems.licence.kinds import ISSUERS, KINDS, LICENCE_LEDGER, line_key
from routing.subsystems.licence.schema import (
    Amend,
    Issue,
    Revoke,
    amendment_is_sound,
    issue_is_sound,
    positive_quantity,
)
from routing.subsystems.licence.states import LICENCE_STATES, LICENCE_TRANSITIONS

DEPARTMENT = frozenset({"department"})


def quantity(scaled: int) -> Decimal:
    return Decimal(scaled).scaleb(-QUANTITY.scale)


def issue(ctx: DocContext, body: Issue) -> Decision:
    issuer = KINDS[body.kind].issuer
    if ctx.card.department_kind != issuer:
        raise RuleViolation(f"a {body.kind} is issued by a {issuer} department",
                            path="$.body.kind")
    key = doc_key(ctx.sender, ctx.doc_id)
    lines = [{"line": n, "hs_code": line.hs_code, "unit": line.unit, "issued": line.quantity}
             for n, line in enumerate(body.lines, 1)]
    ops: list[Op] = [
        Require("enterprise", ("active",), key=body.holder, where='$.type != "department"',
                message=f"{body.holder} is not an active enterprise", path="$.body.holder"),
        Create("licence", key, "valid", body.holder, {
            "kind": body.kind, "number": body.number, "holder": body.holder,
            "issuer": ctx.sender, "valid_from": body.valid_from, "valid_to": body.valid_to,
            "origin_country": body.origin_country, "lines": lines}),
    ]
    ops += [Open(LICENCE_LEDGER, line_key(key, n), quantity(positive_quantity(
        line.quantity, f"$.body.lines[{n - 1}].quantity")), body.holder,
        path=f"$.body.lines[{n - 1}]") for n, line in enumerate(body.lines, 1)]
    ref = {"licence": key, "state": "valid", "lines": len(lines)}
    return Decision(ref, tuple(ops), to_holder(ctx, body.holder, ref))


def to_holder(ctx: DocContext, holder: str, ref: dict[str, Any]) -> Event:
    """The holder hears of its licence (unless it is the sender: hostile bodies say so)."""
    return Event(recipients(ctx.sender, holder), ctx.sender, ctx.doc_id, ctx.doc_type, ref)


def issued_by_sender(ctx: DocContext, licence: str, holder: str) -> Require:
    return Require("licence", LICENCE_STATES, key=licence,
                   where="$.issuer == $me && $.holder == $holder",
                   vars={"me": ctx.sender, "holder": holder}, code="REFERENCE_UNKNOWN",
                   message="no licence of this holder issued by the sender",
                   path="$.body.licence")


def amend(ctx: DocContext, body: Amend) -> Decision:
    rule = LICENCE_TRANSITIONS[ctx.doc_type]
    patch: dict[str, Any] = {"amended_by": doc_key(ctx.sender, ctx.doc_id)}
    ops: list[Op] = [issued_by_sender(ctx, body.licence, body.holder)]
    if body.valid_to is not None:
        patch["valid_to"] = body.valid_to
        ops.append(Require("licence", LICENCE_STATES, key=body.licence,
                           where="$.valid_from <= $to", vars={"to": body.valid_to},
                           message="valid_to would be before valid_from",
                           path="$.body.valid_to"))
    ops.append(Transition("licence", body.licence, rule.from_states, rule.to_state, patch,
                          path="$.body.licence"))
    for index, change in enumerate(body.changes):
        path = f"$.body.changes[{index}]"
        amount = quantity(positive_quantity(change.quantity, f"{path}.quantity"))
        move = Credit if change.change == "increase" else Debit
        ops.append(move(LICENCE_LEDGER, line_key(body.licence, change.line), amount,
                        path=f"{path}.quantity"))
    ref = {"licence": body.licence, "state": rule.to_state}
    return Decision(ref, tuple(ops), to_holder(ctx, body.holder, ref))


def revoke(ctx: DocContext, body: Revoke) -> Decision:
    rule = LICENCE_TRANSITIONS[ctx.doc_type]
    ops = (issued_by_sender(ctx, body.licence, body.holder),
           Transition("licence", body.licence, rule.from_states, rule.to_state,
                      {"revoked_by": doc_key(ctx.sender, ctx.doc_id), "reason": body.reason},
                      path="$.body.licence"))
    ref = {"licence": body.licence, "state": rule.to_state}
    return Decision(ref, ops, to_holder(ctx, body.holder, ref))


EXAMPLE_LICENCE = "1100M00001/LIC-2026-000001"


def _issue_example() -> dict[str, Any]:
    return {"kind": "import_licence", "holder": "1101910123", "number": "26-AA-000123",
            "valid_from": "2026-01-01", "valid_to": "2026-12-31",
            "lines": [{"hs_code": "8517130000", "quantity": "10000", "unit": "001"}]}


SPECS: tuple[DocSpec[Any], ...] = (
    DocSpec(type="licence.issue", body=Issue, handler=issue, rules=(issue_is_sound,),
            card_kinds=DEPARTMENT, department_kinds=ISSUERS,
            description="签发监管证件: a licence and its lines (the ledger declarations "
                        "write off).", example=_issue_example),
    DocSpec(type="licence.amend", body=Amend, handler=amend, rules=(amendment_is_sound,),
            card_kinds=DEPARTMENT, department_kinds=ISSUERS,
            description="licence: valid → valid (validity, line quantities)",
            example=lambda: {"licence": EXAMPLE_LICENCE, "holder": "1101910123",
                             "changes": [{"line": 1, "change": "increase",
                                          "quantity": "500"}]}),
    DocSpec(type="licence.revoke", body=Revoke, handler=revoke,
            card_kinds=DEPARTMENT, department_kinds=ISSUERS,
            description="licence: valid → revoked",
            example=lambda: {"licence": EXAMPLE_LICENCE, "holder": "1101910123",
                             "reason": "申请人撤回"}),
)
