"""Renewal (证书到期办理) and reissue (补办): a card's successor takes over.

Both issue a new certificate, so a new serial (X.509 serials are unique per CA);
the successor is a new ``card`` entity derived inside the commit from the old
one, so it keeps the grants the old card has at that moment, and it records
``renewed_from`` / ``reissued_from``. The old card ends ``renewed`` / ``voided``
and names its successor. Renewal keeps the key and the card number (``card_no``);
reissue has a new key and a new card number. Both start their validity at receipt,
which cures expiry. A renewed or reissued legal card keeps the legal-card slot.
"""

from __future__ import annotations

from typing import Any

import msgspec

from routing.errors import ReferenceUnknown, RuleViolation
from routing.ops import Derive, Op, Transition
from routing.registry import Decision, DocContext, DocSpec
from routing.subsystems.identity.certify import CardFacts, certify
from routing.subsystems.identity.lifecycle import (
    Reason,
    Serial,
    card_kinds,
    change_patch,
    event_for,
)
from routing.subsystems.identity.onboarding import EXAMPLE_PUBLIC_KEY, Days, PublicKeyHex
from routing.subsystems.identity.states import CARD_TRANSITIONS, CardTransition

RENEW = CARD_TRANSITIONS["identity.cert_renew"]
REISSUE = CARD_TRANSITIONS["identity.card_reissue"]


class CertRenew(msgspec.Struct, forbid_unknown_fields=True):
    card: Serial
    days: Days = 730
    reason: Reason = ""


class CardReissue(msgspec.Struct, forbid_unknown_fields=True):
    card: Serial
    public_key: PublicKeyHex
    days: Days = 730
    reason: Reason = ""


def facts_of(ctx: DocContext, serial: str) -> CardFacts:
    """The immutable facts of card ``serial``: the signer's own, or from the registry."""
    card = ctx.card if ctx.card.serial == serial else (
        ctx.cards.get(serial) if ctx.cards is not None else None)
    if card is None:
        raise ReferenceUnknown(f"no card {serial}", path="$.body.card")
    return CardFacts(card.enterprise, card.kind, card.holder, card.public_key.hex())


def succession(ctx: DocContext, old: str, new: str, facts: CardFacts, rule: CardTransition,
               successor: dict[str, Any], link: str, reason: str) -> tuple[Op, ...]:
    """Derive the successor from the old card, then move the old card to its final state
    (``link``: "renewed" or "reissued", naming the pair ``<link>_from`` / ``<link>_to``)."""
    ops: list[Op] = [
        Derive("card", new, old, "active",
               {**successor, f"{link}_from": old, "reason": reason, "by": ctx.card.serial},
               path="$.body.card"),
        Transition("card", old, rule.from_states, rule.to_state,
                   {**change_patch(ctx, reason, rule.to_state), f"{link}_to": new},
                   path="$.body.card"),
    ]
    if facts.kind == "legal":
        ops.append(Transition("legal_card", facts.enterprise, ("active",), "active",
                              {"cert": new}, path="$.body.card"))
    return tuple(ops)


def renew(ctx: DocContext, body: CertRenew) -> Decision:
    if ctx.card.kind == "legal" and body.card != ctx.card.serial:
        raise RuleViolation("a legal card renews its own certificate only", path="$.body.card")
    facts = facts_of(ctx, body.card)
    serial, certificate = certify(ctx, facts, ctx.received_at, body.days, "$.body.days")
    ops = succession(ctx, body.card, serial, facts, RENEW, certificate, "renewed", body.reason)
    ref = {"card": body.card, "state": RENEW.to_state, "cert": serial,
           "certificate": certificate["certificate"]}
    return Decision(ref=ref, ops=ops, event=event_for(ctx, facts.enterprise, ref))


def reissue(ctx: DocContext, body: CardReissue) -> Decision:
    old = facts_of(ctx, body.card)
    facts = CardFacts(old.enterprise, old.kind, old.holder, body.public_key)
    serial, certificate = certify(ctx, facts, ctx.received_at, body.days, "$.body.days")
    ops = succession(ctx, body.card, serial, facts, REISSUE,
                     {**certificate, "card_no": serial}, "reissued", body.reason)
    ref = {"card": body.card, "state": REISSUE.to_state, "cert": serial,
           "certificate": certificate["certificate"]}
    return Decision(ref=ref, ops=ops, event=event_for(ctx, facts.enterprise, ref))


SPECS: tuple[DocSpec[Any], ...] = (
    DocSpec(
        type="identity.cert_renew",
        body=CertRenew,
        handler=renew,
        card_kinds=card_kinds(RENEW),
        department_kinds=RENEW.departments,
        description="证书到期办理: a new certificate (new serial) for the same card key.",
        example=lambda: {"card": "76b113ed42ad73d1", "days": 730},
    ),
    DocSpec(
        type="identity.card_reissue",
        body=CardReissue,
        handler=reissue,
        card_kinds=card_kinds(REISSUE),
        department_kinds=REISSUE.departments,
        description="补办: the old card is voided; a new card and key for the same holder.",
        example=lambda: {"card": "76b113ed42ad73d1", "public_key": EXAMPLE_PUBLIC_KEY,
                         "reason": "card lost"},
    ),
)
