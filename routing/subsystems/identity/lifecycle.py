"""Card status documents: one handler for every status row of the card state table.

A legal card acts on its own enterprise's cards; a department names the card's
enterprise. Voiding or cancelling a legal card empties its enterprise's legal-card
slot, so the platform can issue a new one.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from routing.errors import FieldInvalid
from routing.ops import Op, Require, Transition, TransitionAll
from routing.registry import Decision, DocContext, DocSpec, Event
from routing.subsystems.identity.onboarding import CustomsCode
from routing.subsystems.identity.states import (
    CARD_STATES,
    CARD_TRANSITIONS,
    FINAL,
    STATUS_CHANGES,
    CardTransition,
)

Serial = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{1,40}$")]
Reason = Annotated[str, msgspec.Meta(max_length=500, pattern=r"^[^\x00-\x1f\x7f]*$")]


class CardAction(msgspec.Struct, forbid_unknown_fields=True):
    card: Serial
    # The card's enterprise; a department names it, a legal card acts on its own.
    enterprise: CustomsCode | None = None
    reason: Reason = ""


def card_owner(ctx: DocContext, enterprise: str | None) -> str:
    """Whose card a document acts on: the legal card's own enterprise, or as named."""
    owner = ctx.sender if ctx.card.kind == "legal" else enterprise
    if owner is None:
        raise FieldInvalid("a department names the card's enterprise", path="$.body.enterprise")
    return owner


def owned_by(card: str, owner: str) -> Require:
    return Require("card", CARD_STATES, key=card, where="$.enterprise == $e", vars={"e": owner},
                   message=f"card {card} is not {owner}'s", path="$.body.card")


def change_patch(ctx: DocContext, reason: str, to_state: str) -> dict[str, Any]:
    """What a state change records on the card; a final state records when it ended."""
    patch: dict[str, Any] = {"reason": reason, "by": ctx.card.serial}
    if to_state in FINAL:
        patch["revoked_at"] = ctx.received_at.isoformat()
    return patch


def release_legal_slot(owner: str, card: str) -> TransitionAll:
    """The enterprise's legal-card slot is vacant again if ``card`` held it."""
    return TransitionAll("legal_card", ("active",), "vacant", owner=owner, where="$.cert == $c",
                         vars={"c": card}, patch={"cert": None})


def event_for(ctx: DocContext, owner: str, ref: dict[str, Any]) -> Event | None:
    """The card's enterprise hears of what someone else did to its card."""
    if owner == ctx.sender:
        return None
    return Event((owner,), ctx.sender, ctx.doc_id, ctx.doc_type, ref)


def _handler(doc_type: str, rule: CardTransition) -> Any:
    def handle(ctx: DocContext, body: CardAction) -> Decision:
        owner = card_owner(ctx, body.enterprise)
        ref = {"card": body.card, "state": rule.to_state}
        ops: list[Op] = [
            owned_by(body.card, owner),
            Transition("card", body.card, rule.from_states, rule.to_state,
                       change_patch(ctx, body.reason, rule.to_state), path="$.body.card"),
        ]
        if rule.to_state in FINAL:
            ops.append(release_legal_slot(owner, body.card))
        return Decision(ref=ref, ops=tuple(ops), event=event_for(ctx, owner, ref))

    handle.__name__ = doc_type.replace(".", "_")
    return handle


def card_kinds(rule: CardTransition) -> frozenset[str]:
    return frozenset({"department"} | ({"legal"} if rule.legal_card else set()))


def _spec(doc_type: str, rule: CardTransition) -> DocSpec[Any]:
    return DocSpec(
        type=doc_type,
        body=CardAction,
        handler=_handler(doc_type, rule),
        card_kinds=card_kinds(rule),
        department_kinds=rule.departments,
        description=f"card: {', '.join(rule.from_states)} → {rule.to_state}",
        example=lambda: {"card": "76b113ed42ad73d1", "enterprise": "1101910123",
                         "reason": "reported lost"},
    )


SPECS: tuple[DocSpec[Any], ...] = tuple(
    _spec(doc_type, CARD_TRANSITIONS[doc_type]) for doc_type in STATUS_CHANGES
)
