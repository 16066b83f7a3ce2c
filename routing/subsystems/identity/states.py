"""The card lifecycle: the one table that decides every card transition.

    active  ⇄ locked     lock / unlock (解锁): the enterprise's legal card or the platform
    active  ⇄ frozen     freeze / unfreeze: the platform or customs enforcement
    active, locked, frozen → voided     void (作废, e.g. lost): legal card or platform
    active, locked, frozen → cancelled  cancel (注销): legal card or platform; also every
                                        live card of an enterprise that is cancelled
    active → renewed     cert_renew (证书到期办理): the platform, or a legal card for its
                         own certificate; the same key gets a new certificate, hence a new
                         serial, held by a new ``active`` card entity with the same grants
    active, locked → voided   card_reissue (补办): the platform; a new card (new serial,
                              new key) for the same holder, with the same grants

Expiry is by date (judged at receive time, not a state) and is cured by renewal.
A frozen card is neither renewed nor reissued: that would lift the freeze; unfreeze
first. ``voided``, ``cancelled`` and ``renewed`` are final. Anything not in the
table is STATE_CONFLICT.
"""

from __future__ import annotations

from typing import NamedTuple

CARD_STATES = ("active", "locked", "frozen", "voided", "cancelled", "renewed")
LIVE = ("active", "locked", "frozen")
FINAL = ("voided", "cancelled", "renewed")


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
    "identity.cert_renew": CardTransition(("active",), "renewed", PLATFORM, True),
    "identity.card_reissue": CardTransition(("active", "locked"), "voided", PLATFORM, False),
}

# The rows that only change a card's state (the others also create its successor).
STATUS_CHANGES = tuple(t for t in CARD_TRANSITIONS if t not in (
    "identity.cert_renew", "identity.card_reissue"))
