"""The tax bill lifecycle: the one table that decides every bill transition.

    (dec.tax_due) ──▶ unpaid ── instruct (the payer) ──────────▶ instructed
    instructed ── bank_confirm (the instructed bank) ──▶ paid   (final)
    instructed ── bank_fail (the instructed bank) ─────▶ unpaid (may be instructed again)

A bill is paid once: ``paid`` has no way out, and a second instruction or
confirmation of it is STATE_CONFLICT, decided inside the commit. Payment
agreements are ``active`` from signature (see agreement.py).
"""

from __future__ import annotations

from typing import Literal, NamedTuple

BILL_STATES = ("unpaid", "instructed", "paid")
AGREEMENT_STATES = ("active",)


class BillTransition(NamedTuple):
    from_states: tuple[str, ...]
    to_state: str
    actor: Literal["payer", "bank"]


BILL_TRANSITIONS: dict[str, BillTransition] = {
    "payment.instruct": BillTransition(("unpaid",), "instructed", "payer"),
    "payment.bank_confirm": BillTransition(("instructed",), "paid", "bank"),
    "payment.bank_fail": BillTransition(("instructed",), "unpaid", "bank"),
}
