"""The read side of identity: a card's status, the CRL, an enterprise's history.

Everything is read from the store (not from the worker's card cache), so an
answer reflects every commit that finished before the request.

The CRL lists every certificate that may no longer sign for good: voided cards
(``key_compromise``: a lost card's key may be in other hands), cancelled cards
(``cessation_of_operation``) and certificates replaced by a renewal
(``superseded``); each at the time its card left the live states. Locked and
frozen cards are not listed: they are temporary, and judged at receipt by the
gateway. The CRL number comes from a store counter, so it increases across every
process; each request signs a fresh CRL (thisUpdate now, nextUpdate a day later).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from core_ext.pki import CertificateAuthority, RevocationReason, RevokedCertificate
from gateway.cards import to_card
from gateway.store import Entity, Store
from routing.cards import signing_status

REVOCATION_REASONS: dict[str, RevocationReason] = {
    "voided": RevocationReason.KEY_COMPROMISE,
    "cancelled": RevocationReason.CESSATION_OF_OPERATION,
    "renewed": RevocationReason.SUPERSEDED,
}
HEX = re.compile(r"[0-9a-f]{1,40}")
LINKS = ("renewed_from", "renewed_to", "reissued_from", "reissued_to", "revoked_at")


async def card_status(store: Store, serial: str, now: datetime) -> dict[str, Any] | None:
    """What anyone may know of card ``serial`` (its certificate is public anyway)."""
    entity = await store.entity("card", serial)
    if entity is None:
        return None
    enterprise = await store.entity("enterprise", entity.owner)
    card = to_card(entity, enterprise)
    data = entity.data
    status = signing_status(card, now)
    view: dict[str, Any] = {
        "cert": serial,
        "card_no": str(data.get("card_no", serial)),
        "state": entity.state,
        "status": status,
        "can_sign": status == "active",
        "enterprise": card.enterprise,
        "enterprise_state": enterprise.state if enterprise is not None else None,
        "kind": card.kind,
        "holder": card.holder,
        "not_before": card.not_before.isoformat(),
        "not_after": card.not_after.isoformat(),
        "rights": sorted(card.rights),
        "grants": sorted(str(g) for g in data.get("grants", [])),  # type: ignore[attr-defined]
    }
    view.update({link: data[link] for link in LINKS if data.get(link) is not None})
    return view


async def revocation_list(store: Store, ca: CertificateAuthority, now: datetime) -> bytes:
    """The platform CRL, DER."""
    ended = await store.entities_in("card", tuple(REVOCATION_REASONS))
    number = await store.next_counter("crl_number")
    this_update = now.replace(microsecond=0)
    # Card keys are certificate serials (hex); anything else names no certificate.
    revoked = [revoked_entry(card, this_update) for card in ended if HEX.fullmatch(card.key)]
    return ca.issue_crl(revoked, number=number, this_update=this_update).der


def revoked_entry(card: Entity, fallback: datetime) -> RevokedCertificate:
    at = card.data.get("revoked_at")
    revoked_at = datetime.fromisoformat(str(at)).replace(microsecond=0) if at else fallback
    return RevokedCertificate(int(card.key, 16), min(revoked_at, fallback),
                              REVOCATION_REASONS[card.state])


async def enterprise_record(store: Store, code: str) -> dict[str, Any] | None:
    """The enterprise as it is, and every version it had, oldest first."""
    entity = await store.entity("enterprise", code)
    if entity is None:
        return None
    versions: list[dict[str, Any]] = []
    data: dict[str, Any] = {}
    for change in await store.history("enterprise", code):
        data = {**data, **change.patch}
        versions.append({"at": change.at.isoformat(), "sender": change.sender,
                         "doc_id": change.doc_id, "from": change.from_state,
                         "to": change.to_state, "set": change.patch, "data": data})
    return {"code": code, "state": entity.state, "data": entity.data, "history": versions}
