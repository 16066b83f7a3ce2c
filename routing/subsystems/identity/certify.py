"""Certificates for cards: issued by the platform CA, the handler's one capability.

A certificate's serial is derived from the document that asked for it, so a
replay can never mint a second certificate, and every certificate (a card's
first, a renewal, a reissue) has a serial of its own, as X.509 requires.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from core_ext import sm3
from routing.errors import FieldInvalid
from routing.registry import DocContext


def certify(ctx: DocContext, card: CardFacts, not_before: datetime, days: int,
            path: str) -> tuple[str, dict[str, Any]]:
    """A new certificate for ``card`` with a serial derived from this document:
    (serial hex, the card entity's certificate members)."""
    if ctx.issuer is None:
        raise RuntimeError(f"{ctx.doc_type} needs the platform CA")
    serial = card_serial(ctx.sender, ctx.doc_id)
    start = not_before.astimezone(UTC).replace(microsecond=0)
    try:
        pem = ctx.issuer.issue(serial=serial, enterprise=card.enterprise, kind=card.kind,
                               holder=card.holder, public_key=bytes.fromhex(card.public_key),
                               not_before=start, days=days)
    except ValueError as exc:
        raise FieldInvalid(f"cannot certify: {exc}", path=path) from None
    return format(serial, "x"), {
        "public_key": card.public_key,
        "not_before": start.isoformat(),
        "not_after": (start + timedelta(days=days)).isoformat(),
        "certificate": pem,
    }


class CardFacts(msgspec.Struct, frozen=True):
    """What never changes for a card, and what its certificate says."""

    enterprise: str
    kind: str
    holder: str
    public_key: str


def card_serial(sender: str, doc_id: str) -> int:
    """64-bit positive serial derived from the issuing document (top bit clear)."""
    digest = sm3.digest(f"{sender}\n{doc_id}".encode())
    return int.from_bytes(digest[:8], "big") >> 1 or 1
