"""Tax bills that dec.tax_due creates: the hook for the payment subsystem (issue 7).

Each bill becomes an entity ``tax_bill:<customs>/<tax_due doc id>/<n>`` in state
``unpaid`` with its exact amount in CNY and its payer (the consignor). Payment
moves bills to ``paid`` and, when all are paid, the declaration from ``tax_due``
to ``tax_paid`` (see states.py); release waits for that.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from core_ext import fields
from routing.errors import FieldInvalid
from routing.subsystems.dec.rules import fixed
from routing.subsystems.dec.types import Amount

TAX_AMOUNT = fields.FixedSpec(16, 2)
# 关税, 增值税, 消费税, 反倾销税
TaxType = Literal["duty", "vat", "consumption", "anti_dumping"]


class TaxBill(msgspec.Struct, forbid_unknown_fields=True):
    tax_type: TaxType
    amount: Amount  # CNY, N16,2


def bill_amount(bill: TaxBill, path: str) -> int:
    cents = fixed(TAX_AMOUNT, bill.amount, path)
    if cents <= 0:
        raise FieldInvalid("a tax bill's amount is positive", path=path)
    return cents
