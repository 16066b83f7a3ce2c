"""Cards (电子口岸卡) as the pipeline sees them, and step 2: identify.

Only an ``active`` card inside its validity window at *receive* time may sign,
only for its own enterprise, and only for document types its rights cover.
The card lifecycle's transitions live in ``routing/subsystems/identity/states.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from routing.errors import CardInactive, CertUnknown, PermissionDenied

CARD_KINDS = ("legal", "operator", "declarant", "department")
ENTERPRISE_TYPES = ("trader", "broker", "processor", "department")
DEPARTMENT_KINDS = (
    "customs", "tax", "safe", "bank", "mofcom", "mee", "ccpit", "public_security", "platform",
)


@dataclass(frozen=True, slots=True)
class Card:
    serial: str
    enterprise: str
    enterprise_type: str
    department_kind: str | None
    kind: str
    holder: str
    status: str
    not_before: datetime
    not_after: datetime
    public_key: bytes
    rights: frozenset[str]


class CardLookup(Protocol):
    """What identify needs from the card registry (a plain dict will do): the card, or
    None if no card has this serial. A registry holding only some cards raises
    ``CardNotLoaded`` for a serial it cannot answer yet."""

    def get(self, serial: str, /) -> Card | None: ...


class CardNotLoaded(Exception):
    """The registry cannot answer for ``serial`` yet: the shell loads it and asks again
    (gateway/cards.py); the pipeline stays free of I/O."""

    def __init__(self, serial: str) -> None:
        super().__init__(serial)
        self.serial = serial


def signing_status(card: Card, at: datetime) -> str:
    """"active" if ``card`` may sign at ``at``; else its state, "not_yet_valid" or "expired"."""
    if card.status != "active":
        return card.status
    if at < card.not_before:
        return "not_yet_valid"
    if at >= card.not_after:
        return "expired"
    return "active"


def identify(card: Card | None, sender: str, received_at: datetime) -> Card:
    """The card that signed, or the reason it may not sign anything."""
    if card is None:
        raise CertUnknown("no certificate with this serial")
    status = signing_status(card, received_at)
    if status == "not_yet_valid":
        raise CardInactive("card is not yet valid")
    if status == "expired":
        raise CardInactive("card has expired")
    if status != "active":
        raise CardInactive(f"card is {status}")
    if card.enterprise != sender:
        raise PermissionDenied("card belongs to another enterprise than the sender")
    return card
