"""An enterprise's record after it joined: change (变更) and cancel (注销).

Both are signed by platform department cards. A change patches the enterprise
entity; every change is a row of entity_history (the values it set, the document
and the time), so each earlier version stays queryable (``GET /v1/enterprises/
{code}``). The customs code and the USCC identify the enterprise and never change;
a department stays a department. A cancellation cancels every live card of the
enterprise (inside the same commit) and closes its legal-card slot; its records
stay, and its codes are not reused.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from routing.errors import FieldInvalid, RuleViolation
from routing.ops import Op, Require, Transition, TransitionAll
from routing.registry import Decision, DocContext, DocSpec, Event
from routing.subsystems.identity.lifecycle import Reason
from routing.subsystems.identity.onboarding import PLATFORM, CustomsCode, Name, Qualification
from routing.subsystems.identity.states import LIVE

BusinessType = Literal["trader", "broker", "processor"]


class EnterpriseChange(msgspec.Struct, forbid_unknown_fields=True):
    code: CustomsCode
    name: Name | None = None
    type: BusinessType | None = None
    qualifications: list[Qualification] | None = None
    reason: Reason = ""


class EnterpriseCancel(msgspec.Struct, forbid_unknown_fields=True):
    code: CustomsCode
    reason: Reason = ""


def changes_something(body: EnterpriseChange) -> None:
    if body.name is None and body.type is None and body.qualifications is None:
        raise FieldInvalid("name, type or qualifications must change", path="$.body")


def change_enterprise(ctx: DocContext, body: EnterpriseChange) -> Decision:
    patch = {name: value for name, value in msgspec.to_builtins(body).items()
             if name not in ("code", "reason") and value is not None}
    ops: list[Op] = []
    if body.type is not None:
        ops.append(Require("enterprise", ("active",), key=body.code,
                           where='$.type != "department"', path="$.body.type",
                           message="a department's type does not change"))
    ops.append(Transition("enterprise", body.code, ("active",), "active", patch,
                          path="$.body.code"))
    ref = {"enterprise": body.code, "state": "active", "changed": sorted(patch)}
    return Decision(ref=ref, ops=tuple(ops), event=notice(ctx, body.code, ref))


def cancel_enterprise(ctx: DocContext, body: EnterpriseCancel) -> Decision:
    if body.code == ctx.sender:
        raise RuleViolation("the platform does not cancel itself", path="$.body.code")
    at = ctx.received_at.isoformat()
    ops = (
        Transition("enterprise", body.code, ("active",), "cancelled",
                   {"reason": body.reason, "cancelled_at": at}, path="$.body.code"),
        TransitionAll("card", LIVE, "cancelled", owner=body.code,
                      patch={"reason": "enterprise cancelled", "by": ctx.card.serial,
                             "revoked_at": at}),
        TransitionAll("legal_card", ("active", "vacant"), "closed", owner=body.code),
    )
    ref = {"enterprise": body.code, "state": "cancelled"}
    return Decision(ref=ref, ops=ops, event=notice(ctx, body.code, ref))


def notice(ctx: DocContext, code: str, ref: dict[str, Any]) -> Event:
    return Event((code,), ctx.sender, ctx.doc_id, ctx.doc_type, ref)


SPECS: tuple[DocSpec[Any], ...] = (
    DocSpec(
        type="identity.enterprise_change",
        body=EnterpriseChange,
        handler=change_enterprise,
        rules=(changes_something,),
        card_kinds=frozenset({"department"}),
        department_kinds=PLATFORM,
        description="变更: name, type or qualifications change; every version is kept.",
        example=lambda: {"code": "1101910123", "name": "北京示例国际贸易有限公司",
                         "qualifications": ["express_operator"]},
    ),
    DocSpec(
        type="identity.enterprise_cancel",
        body=EnterpriseCancel,
        handler=cancel_enterprise,
        card_kinds=frozenset({"department"}),
        department_kinds=PLATFORM,
        description="注销: the enterprise and all its cards are cancelled; records stay.",
        example=lambda: {"code": "1101910123", "reason": "business closed"},
    ),
)
