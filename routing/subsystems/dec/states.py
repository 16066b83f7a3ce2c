"""The declaration lifecycle: the one table that decides every declaration transition.

    submitted  ── accept ──────────────▶ accepted   (entry number assigned)
    submitted  ── withdraw (declarant) ▶ withdrawn
    accepted, inspecting ── tax_due ───▶ tax_due    (tax bills created)
    tax_due    ── (payment.bank_confirm of the last bill) ▶ tax_paid
    accepted, tax_paid ── inspect ─────▶ inspecting
    accepted, inspecting, tax_paid ── release ▶ released
    released   ── close ───────────────▶ closed
    submitted … tax_paid ── reject (退单) ▶ rejected
    accepted … tax_paid ── delete (删单) ▶ deleted

A declaration with unpaid tax bills (``tax_due``) cannot be released: release
waits for ``tax_paid``, which only the payment subsystem sets (a Settle op, when
the tax_due document's ``tax_owed`` line reaches zero; payment/bills.py). ``withdrawn``,
``rejected``, ``deleted`` and ``closed`` are final. Anything not in the table is
STATE_CONFLICT, decided inside the commit.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

DECLARATION_STATES = ("submitted", "accepted", "tax_due", "tax_paid", "inspecting",
                      "released", "closed", "withdrawn", "rejected", "deleted")
IN_CUSTOMS = ("accepted", "tax_due", "tax_paid", "inspecting")

Actor = Literal["customs", "declarant"]


class DeclarationTransition(NamedTuple):
    from_states: tuple[str, ...]
    to_state: str
    actor: Actor


DECLARATION_TRANSITIONS: dict[str, DeclarationTransition] = {
    "dec.accept": DeclarationTransition(("submitted",), "accepted", "customs"),
    "dec.tax_due": DeclarationTransition(("accepted", "inspecting"), "tax_due", "customs"),
    "dec.inspect": DeclarationTransition(("accepted", "tax_paid"), "inspecting", "customs"),
    "dec.release": DeclarationTransition(("accepted", "inspecting", "tax_paid"), "released",
                                         "customs"),
    "dec.close": DeclarationTransition(("released",), "closed", "customs"),
    "dec.reject": DeclarationTransition(("submitted", *IN_CUSTOMS), "rejected", "customs"),
    "dec.delete": DeclarationTransition(IN_CUSTOMS, "deleted", "customs"),
    "dec.withdraw": DeclarationTransition(("submitted",), "withdrawn", "declarant"),
}
