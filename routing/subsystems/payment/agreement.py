"""payment.agreement 三方协议: an enterprise, its bank and a customs office agree on
online payment of the enterprise's tax bills from one bank account.

The enterprise (signing with its legal card) may designate another enterprise
as payer (a broker paying for its client, a group's treasury): only the
agreement's payer may then instruct payments of the enterprise's bills. The
agreement is ``payment_agreement:<enterprise>/<doc id>``, active at once; the
bank and the customs office are notified.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from routing.ops import Create, Op, Require
from routing.registry import Decision, DocContext, DocSpec, Event
from routing.subsystems.dec.parties import CUSTOMS
from routing.subsystems.dec.types import CustomsCode, doc_key, recipients

BANK = {"type": "department", "department_kind": "bank"}
BankAccount = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{8,32}$")]


class Agreement(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    bank: CustomsCode  # the bank department that debits the account
    customs_office: CustomsCode
    account: BankAccount  # 缴款账号
    payer: CustomsCode | None = None  # a designated payer; the enterprise itself if absent


def agree(ctx: DocContext, body: Agreement) -> Decision:
    key = doc_key(ctx.sender, ctx.doc_id)
    payer = body.payer or ctx.sender
    ops: list[Op] = [
        Require("enterprise", ("active",), key=body.bank, contains=BANK,
                message=f"{body.bank} is not an active bank", path="$.body.bank"),
        Require("enterprise", ("active",), key=body.customs_office, contains=CUSTOMS,
                message=f"{body.customs_office} is not an active customs department",
                path="$.body.customs_office"),
    ]
    if payer != ctx.sender:
        ops.append(Require("enterprise", ("active",), key=payer, where='$.type != "department"',
                           message=f"{payer} is not an active enterprise", path="$.body.payer"))
    ops.append(Create("payment_agreement", key, "active", ctx.sender, {
        "enterprise": ctx.sender, "payer": payer, "bank": body.bank,
        "customs_office": body.customs_office, "account": body.account}))
    ref = {"agreement": key, "state": "active"}
    event = Event(recipients(ctx.sender, body.bank, body.customs_office, payer), ctx.sender,
                  ctx.doc_id, ctx.doc_type, ref)
    return Decision(ref, tuple(ops), event)


def _example() -> dict[str, Any]:
    return {"bank": "1100B00001", "customs_office": "2200C00001",
            "account": "6222020200112233445"}


SPEC: DocSpec[Any] = DocSpec(
    type="payment.agreement",
    body=Agreement,
    handler=agree,
    card_kinds=frozenset({"legal"}),
    description="三方协议: enterprise, bank and customs agree on online tax payment.",
    example=_example,
)
