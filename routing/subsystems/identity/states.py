"""The card lifecycle: the one table that decides every card transition.

    active  ⇄ locked     lock / unlock (解锁): the enterprise's legal card or the platform
    active  ⇄ frozen     freeze / unfreeze: the platform or customs enforcement
    active, locked, frozen → voided     void (作废, e.g. lost): legal card or platform
    active, locked, frozen → cancelled  cancel (注销): legal card or platform

Expiry is by date (judged at receive time, not a state). ``voided`` and
``cancelled`` are final. Anything not in the table is STATE_CONFLICT.
"""

from __future__ import annotations

from typing import NamedTuple

CARD_STATES = ("active", "locked", "frozen", "voided", "cancelled")
LIVE = ("active", "locked", "frozen")


class CardTransition(NamedTuple):
    from_states: tuple[str, ...]
    to_state: str
    # department kinds whose department cards may sign it (legal cards: own enterprise only)
    departments: frozenset[str]
    legal_card: bool


PLATFORM = frozenset({"platform"})
ENFORCEMENT = frozenset({"platform", "customs"})

CARD_TRANSITIONS: dict[str, CardTransition] = {
    "identity.card_lock": CardTransition(("active",), "locked", PLATFORM, True),
    "identity.card_unlock": CardTransition(("locked",), "active", PLATFORM, True),
    "identity.card_freeze": CardTransition(("active",), "frozen", ENFORCEMENT, False),
    "identity.card_unfreeze": CardTransition(("frozen",), "active", ENFORCEMENT, False),
    "identity.card_void": CardTransition(LIVE, "voided", PLATFORM, True),
    "identity.card_cancel": CardTransition(LIVE, "cancelled", PLATFORM, True),
}
