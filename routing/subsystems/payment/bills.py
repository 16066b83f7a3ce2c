"""Paying tax bills: the payer instructs its bank, the bank confirms or reports failure.

Every body restates the bill's declaration and consignor (checked against the
bill inside the commit, else REFERENCE_UNKNOWN), so the handler knows whom to
notify without reading anything. Amounts are exact: an instruction or a
confirmation for any other amount than the bill's is RULE_VIOLATION at
``$.body.amount``. The confirmation debits the bill's amount from the tax_due
document's ``tax_owed`` line and, when that reaches zero, settles the declaration
(``tax_due`` -> ``tax_paid``) in the same commit.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from routing.ops import Debit, Op, Require, Settle, Transition
from routing.registry import Decision, DocContext, DocSpec, Event
from routing.subsystems.dec.parties import china_day
from routing.subsystems.dec.tax import TAX_AMOUNT, TAX_OWED, TaxBill, bill_amount, cny
from routing.subsystems.dec.types import (
    Amount,
    CustomsCode,
    DocRef,
    Text,
    doc_key,
    initiator,
    recipients,
)
from routing.subsystems.payment.states import AGREEMENT_STATES, BILL_STATES, BILL_TRANSITIONS

# <customs>/<tax_due doc id>/<n>: see dec/tax.py.
BillRef = Annotated[str, msgspec.Meta(pattern=r"^[0-9A-Z]{10}/[A-Za-z0-9._:-]{1,64}/[0-9]{1,2}$")]


class BillAction(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    bill: BillRef
    declaration: DocRef
    consignor: CustomsCode


class Instruct(BillAction, forbid_unknown_fields=True, kw_only=True):
    amount: Amount  # CNY, exactly the bill's
    agreement: DocRef  # the payment agreement naming the sender as payer
    bank: CustomsCode  # the agreement's bank, notified


class BankAnswer(BillAction, forbid_unknown_fields=True, kw_only=True):
    instruction: DocRef  # the payer's payment.instruct, as "<payer>/<doc id>"


class Confirm(BankAnswer, forbid_unknown_fields=True, kw_only=True):
    amount: Amount  # CNY debited, exactly the bill's
    bank_reference: Text  # the bank's transaction number


class Fail(BankAnswer, forbid_unknown_fields=True, kw_only=True):
    reason: Text


def notice_of(bill: str) -> str:
    """The tax_due document that created the bill: its ``tax_owed`` line's key."""
    return bill.rsplit("/", 1)[0]


def exact_amount(value: str) -> tuple[str, int]:
    """The amount as the bill stores it (canonical text) and in cents."""
    cents = bill_amount(TaxBill("duty", value), "$.body.amount")
    return TAX_AMOUNT.format(cents), cents


def bill_is(body: BillAction, where: str = "", message: str = "", **extra: str) -> Require:
    condition = " && ".join(["$.declaration == $d && $.payer == $c", *filter(None, [where])])
    return Require("tax_bill", BILL_STATES, key=body.bill, where=condition,
                   vars={"d": body.declaration, "c": body.consignor, **extra},
                   code="REFERENCE_UNKNOWN", path="$.body.bill",
                   message=message or "no such bill of this declaration and consignor")


def amount_is(bill: str, amount: str) -> Require:
    return Require("tax_bill", BILL_STATES, key=bill, where="$.amount == $amount",
                   vars={"amount": amount}, path="$.body.amount",
                   message=f"the bill is not for exactly {amount} CNY")


def instruct(ctx: DocContext, body: Instruct) -> Decision:
    amount, _ = exact_amount(body.amount)
    rule = BILL_TRANSITIONS[ctx.doc_type]
    instruction = doc_key(ctx.sender, ctx.doc_id)
    ops: tuple[Op, ...] = (
        bill_is(body),
        amount_is(body.bill, amount),
        Require("payment_agreement", AGREEMENT_STATES, key=body.agreement,
                contains={"enterprise": body.consignor, "payer": ctx.sender, "bank": body.bank,
                          "customs_office": initiator(body.bill)},
                message="no active payment agreement lets the sender pay this consignor's "
                        "bills at this bank", path="$.body.agreement"),
        Transition("tax_bill", body.bill, rule.from_states, rule.to_state,
                   {"instruction": instruction, "bank": body.bank, "paid_by": ctx.sender},
                   path="$.body.bill"),
        Require("declaration", ("tax_due",), key=body.declaration, code="STATE_CONFLICT",
                message="the declaration is not awaiting tax payment",
                path="$.body.declaration"),
    )
    ref = {"bill": body.bill, "instruction": instruction, "state": rule.to_state}
    return Decision(ref, ops, Event(recipients(ctx.sender, body.bank, body.consignor),
                                    ctx.sender, ctx.doc_id, ctx.doc_type, ref))


def answered(ctx: DocContext, body: BankAnswer) -> Require:
    return bill_is(body, "$.bank == $me && $.instruction == $i",
                   "no bill of this declaration instructed at this bank by this instruction",
                   me=ctx.sender, i=body.instruction)


def confirm(ctx: DocContext, body: Confirm) -> Decision:
    amount, cents = exact_amount(body.amount)
    rule = BILL_TRANSITIONS[ctx.doc_type]
    notice = notice_of(body.bill)
    ops: tuple[Op, ...] = (
        answered(ctx, body),
        amount_is(body.bill, amount),
        Transition("tax_bill", body.bill, rule.from_states, rule.to_state,
                   {"bank_reference": body.bank_reference, "paid_on": china_day(ctx.received_at)},
                   path="$.body.bill"),
        Debit(TAX_OWED, notice, cny(cents), path="$.body.amount"),
        Settle("declaration", body.declaration, ("tax_due",), "tax_paid", TAX_OWED, notice,
               {"last_action": ctx.doc_type, "by": ctx.sender}, path="$.body.declaration"),
    )
    return _answer(ctx, body, rule.to_state, ops, initiator(body.bill))


def fail(ctx: DocContext, body: Fail) -> Decision:
    rule = BILL_TRANSITIONS[ctx.doc_type]
    ops: tuple[Op, ...] = (
        answered(ctx, body),
        Transition("tax_bill", body.bill, rule.from_states, rule.to_state,
                   {"instruction": None, "bank": None, "failure": body.reason},
                   path="$.body.bill"),
    )
    return _answer(ctx, body, rule.to_state, ops)


def _answer(ctx: DocContext, body: BankAnswer, state: str, ops: tuple[Op, ...],
            *also: str) -> Decision:
    ref = {"bill": body.bill, "instruction": body.instruction, "state": state}
    event = Event(recipients(ctx.sender, initiator(body.instruction), body.consignor, *also),
                  ctx.sender, ctx.doc_id, ctx.doc_type, ref)
    return Decision(ref, ops, event)


def _example(doc_type: str) -> dict[str, Any]:
    example: dict[str, Any] = {"bill": "2200C00001/TAX-2026-000001/1",
                               "declaration": "1101910123/DEC-2026-000001",
                               "consignor": "1101910123"}
    if doc_type == "payment.instruct":
        return example | {"amount": "1234.56", "agreement": "1101910123/PAY-AGREEMENT-1",
                          "bank": "1100B00001"}
    example["instruction"] = "1101910123/PAY-2026-000001"
    if doc_type == "payment.bank_confirm":
        return example | {"amount": "1234.56", "bank_reference": "ICBC20261128000123"}
    return example | {"reason": "余额不足"}


def _bank_spec(doc_type: str, body: type[BankAnswer], handler: Any) -> DocSpec[Any]:
    rule = BILL_TRANSITIONS[doc_type]
    return DocSpec(type=doc_type, body=body, handler=handler,
                   card_kinds=frozenset({"department"}), department_kinds=frozenset({"bank"}),
                   description=f"tax bill: {', '.join(rule.from_states)} → {rule.to_state}",
                   example=lambda: _example(doc_type))


SPECS: tuple[DocSpec[Any], ...] = (
    DocSpec(type="payment.instruct", body=Instruct, handler=instruct,
            card_kinds=frozenset({"legal", "operator"}),
            description="缴款指令: the payer instructs its bank to pay one tax bill.",
            example=lambda: _example("payment.instruct")),
    _bank_spec("payment.bank_confirm", Confirm, confirm),
    _bank_spec("payment.bank_fail", Fail, fail),
)
