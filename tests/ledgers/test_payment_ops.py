"""What tax_due and the payment handlers ask the commit to check and do (unit level)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from routing.ops import Create, Debit, Open, Settle, Transition
from routing.subsystems.payment.states import BILL_TRANSITIONS
from tests.dec.judging import CUSTOMS, TRADER, ops_of, rejection, requires, verdict

DECLARATION = f"{TRADER}/DEC-7"
BILL = f"{CUSTOMS}/TAX-1/2"
BANK = "1100B00001"
PAYER = "1101920456"
INSTRUCTION = f"{TRADER}/PAY-1"


def bank(doc_type: str, body: dict[str, Any]) -> Any:
    return verdict(doc_type, body, sender=BANK, kind="department", department="bank")


def bill_body(**extra: Any) -> dict[str, Any]:
    return {"bill": BILL, "declaration": DECLARATION, "consignor": TRADER, **extra}


def instruct_body(**extra: Any) -> dict[str, Any]:
    return bill_body(**{"amount": "2600", "agreement": f"{TRADER}/AG-1", "bank": BANK, **extra})


def confirm_body(**extra: Any) -> dict[str, Any]:
    return bill_body(**{"instruction": INSTRUCTION, "amount": "2600.00", "bank_reference": "B-1",
                        **extra})


def test_tax_due_opens_the_owed_total_and_dates_each_bill() -> None:
    body = {"declaration": DECLARATION, "consignor": TRADER, "customs_office": CUSTOMS,
            "bills": [{"tax_type": "duty", "amount": "10.5"},
                      {"tax_type": "vat", "amount": "0.01"}]}
    result = verdict("dec.tax_due", body, sender=CUSTOMS, kind="department", doc_id="TAX-1")
    (owed,) = ops_of(result, Open)
    assert (owed.ledger, owed.key, owed.amount, owed.owner) == (
        "tax_owed", f"{CUSTOMS}/TAX-1", Decimal("10.51"), TRADER)
    # 08:00 UTC on 28 November is the 28th in China too; 15 days later.
    assert {bill.data["due_date"] for bill in ops_of(result, Create)} == {"2026-12-13"}


def test_agreement_checks_bank_customs_and_a_designated_payer() -> None:
    body = {"bank": BANK, "customs_office": CUSTOMS, "account": "6222020200112233445"}
    own = verdict("payment.agreement", body, kind="legal")
    assert [r.key for r in requires(own, "enterprise")] == [BANK, CUSTOMS]
    assert requires(own, "enterprise")[0].contains["department_kind"] == "bank"
    (created,) = ops_of(own, Create)
    assert (created.data["enterprise"], created.data["payer"]) == (TRADER, TRADER)
    designated = verdict("payment.agreement", body | {"payer": PAYER}, kind="legal")
    assert [r.key for r in requires(designated, "enterprise")] == [BANK, CUSTOMS, PAYER]
    assert ops_of(designated, Create)[0].data["payer"] == PAYER
    assert designated.event is not None and set(designated.event.recipients) == {
        BANK, CUSTOMS, PAYER}


def test_instruction_checks_bill_amount_agreement_and_declaration_state() -> None:
    result = verdict("payment.instruct", instruct_body(), sender=PAYER, doc_id="PAY-9")
    identity, amount = requires(result, "tax_bill")
    assert identity.vars == {"d": DECLARATION, "c": TRADER}
    assert identity.code == "REFERENCE_UNKNOWN"
    # The bill stores the canonical text of its amount; "2600" is compared as that.
    assert (amount.vars, amount.path) == ({"amount": "2600"}, "$.body.amount")
    (agreement,) = requires(result, "payment_agreement")
    assert agreement.contains == {"enterprise": TRADER, "payer": PAYER, "bank": BANK,
                                  "customs_office": CUSTOMS}
    (waiting,) = requires(result, "declaration")
    assert (waiting.states, waiting.code) == (("tax_due",), "STATE_CONFLICT")
    (move,) = ops_of(result, Transition)
    assert (move.from_states, move.to_state) == (("unpaid",), "instructed")
    assert move.patch == {"instruction": f"{PAYER}/PAY-9", "bank": BANK, "paid_by": PAYER}
    assert result.event is not None and result.event.recipients == (BANK, TRADER)


@pytest.mark.parametrize("amount", ["0", "-5", "1.234", "abc"])
def test_amounts_are_positive_cents(amount: str) -> None:
    assert rejection("payment.instruct", instruct_body(amount=amount)) == (
        "FIELD_INVALID", "$.body.amount")
    assert bank("payment.bank_confirm", confirm_body(amount=amount)).path == "$.body.amount"


def test_confirmation_debits_the_owed_line_and_settles_the_declaration() -> None:
    result = bank("payment.bank_confirm", confirm_body())
    answered, amount = requires(result, "tax_bill")
    assert answered.vars == {"d": DECLARATION, "c": TRADER, "me": BANK, "i": INSTRUCTION}
    assert amount.vars == {"amount": "2600"}
    (debit,) = ops_of(result, Debit)
    assert (debit.ledger, debit.key, debit.amount) == ("tax_owed", f"{CUSTOMS}/TAX-1",
                                                        Decimal("2600.00"))
    (settle,) = ops_of(result, Settle)
    assert (settle.kind, settle.key, settle.from_states, settle.to_state) == (
        "declaration", DECLARATION, ("tax_due",), "tax_paid")
    assert (settle.ledger, settle.ledger_key) == ("tax_owed", f"{CUSTOMS}/TAX-1")
    ordered = [type(op) for op in result.ops]
    assert ordered.index(Debit) < ordered.index(Settle)
    assert result.event is not None and set(result.event.recipients) == {TRADER, CUSTOMS}


def test_failure_returns_the_bill_to_unpaid_and_forgets_the_instruction() -> None:
    result = bank("payment.bank_fail", bill_body(instruction=INSTRUCTION, reason="余额不足"))
    (move,) = ops_of(result, Transition)
    assert (move.to_state, move.patch["instruction"], move.patch["bank"]) == (
        "unpaid", None, None)
    assert not ops_of(result, Debit) and not ops_of(result, Settle)


@pytest.mark.parametrize("doc_type", sorted(BILL_TRANSITIONS))
def test_every_payment_document_moves_the_bill_by_the_table(doc_type: str) -> None:
    rule = BILL_TRANSITIONS[doc_type]
    if rule.actor == "payer":
        result = verdict(doc_type, instruct_body())
    else:
        extra = {"amount": "2600", "bank_reference": "R"} if doc_type.endswith("confirm") \
            else {"reason": "x"}
        result = bank(doc_type, bill_body(instruction=INSTRUCTION, **extra))
    (move,) = [t for t in ops_of(result, Transition) if t.kind == "tax_bill"]
    assert (move.key, move.from_states, move.to_state) == (BILL, rule.from_states,
                                                          rule.to_state)


def test_bill_references_name_a_tax_due_document_and_position() -> None:
    assert rejection("payment.instruct", instruct_body(bill=f"{CUSTOMS}/TAX-1")) == (
        "SCHEMA_INVALID", "$.body.bill")

