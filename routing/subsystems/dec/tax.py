"""Tax bills that dec.tax_due creates: the input of the payment subsystem.

Each bill becomes an entity ``tax_bill:<customs>/<tax_due doc id>/<n>`` in state
``unpaid`` with its exact amount in CNY, its payer (the consignor) and its due
date. The tax_due document also opens the ledger line ``tax_owed:<customs>/<tax_due
doc id>`` with the bills' total: each confirmed payment debits its bill's amount,
and the payment that brings it to zero moves the declaration from ``tax_due`` to
``tax_paid`` (payment/bills.py); release waits for that.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

import msgspec

from core_ext import fields
from routing.errors import FieldInvalid
from routing.ops import Create, Op, Open
from routing.subsystems.dec.parties import CHINA
from routing.subsystems.dec.rules import fixed
from routing.subsystems.dec.types import Amount, doc_key

TAX_AMOUNT = fields.FixedSpec(16, 2)
# 关税, 增值税, 消费税, 反倾销税
TaxType = Literal["duty", "vat", "consumption", "anti_dumping"]
TAX_OWED = "tax_owed"
# Customs Law art. 60: duties are paid within 15 days of the payment notice.
PAYMENT_DAYS = 15


class TaxBill(msgspec.Struct, forbid_unknown_fields=True):
    tax_type: TaxType
    amount: Amount  # CNY, N16,2


def bill_amount(bill: TaxBill, path: str) -> int:
    cents = fixed(TAX_AMOUNT, bill.amount, path)
    if cents <= 0:
        raise FieldInvalid("a tax bill's amount is positive", path=path)
    return cents


def cny(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-TAX_AMOUNT.scale)


def due_date(issued_at: datetime) -> str:
    """The last day to pay, a calendar day in China."""
    return (issued_at.astimezone(CHINA).date() + timedelta(days=PAYMENT_DAYS)).isoformat()


def tax_bill_ops(customs: str, doc_id: str, declaration: str, consignor: str,
                 bills: list[TaxBill], issued_at: datetime) -> tuple[list[Op], list[str]]:
    """One ``unpaid`` tax_bill per bill and the ``tax_owed`` line of their total; the keys.

    A bill is named by the tax_due document and its position, so a second tax_due
    (after an inspection) creates new bills rather than colliding with paid ones.
    """
    notice = doc_key(customs, doc_id)
    ops: list[Op] = []
    keys = []
    total = 0
    for index, bill in enumerate(bills):
        key = f"{notice}/{index + 1}"
        cents = bill_amount(bill, f"$.body.bills[{index}].amount")
        total += cents
        ops.append(Create("tax_bill", key, "unpaid", consignor, {
            "declaration": declaration, "tax_type": bill.tax_type,
            "amount": TAX_AMOUNT.format(cents), "currency": "CNY", "payer": consignor,
            "due_date": due_date(issued_at), "instruction": None},
            path=f"$.body.bills[{index}]"))
        keys.append(key)
    ops.append(Open(TAX_OWED, notice, cny(total), consignor, path="$.body.bills"))
    return ops, keys
