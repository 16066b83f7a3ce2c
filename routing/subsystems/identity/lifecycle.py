"""Card status documents: one handler for every row of the card state table."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from routing.errors import FieldInvalid
from routing.ops import Require, Transition
from routing.registry import Decision, DocContext, DocSpec, Event
from routing.subsystems.identity.onboarding import CustomsCode
from routing.subsystems.identity.states import CARD_STATES, CARD_TRANSITIONS, CardTransition

Serial = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{1,40}$")]
Reason = Annotated[str, msgspec.Meta(max_length=500, pattern=r"^[^\x00-\x1f\x7f]*$")]


class CardAction(msgspec.Struct, forbid_unknown_fields=True):
    card: Serial
    # The card's enterprise; a department names it, a legal card acts on its own.
    enterprise: CustomsCode | None = None
    reason: Reason = ""


def _handler(doc_type: str, rule: CardTransition) -> Any:
    def handle(ctx: DocContext, body: CardAction) -> Decision:
        owner = ctx.sender if ctx.card.kind == "legal" else body.enterprise
        if owner is None:
            raise FieldInvalid("a department names the card's enterprise",
                               path="$.body.enterprise")
        ref = {"card": body.card, "state": rule.to_state}
        ops = (
            Require("card", CARD_STATES, key=body.card, where="$.enterprise == $e",
                    vars={"e": owner}, message=f"card {body.card} is not {owner}'s",
                    path="$.body.card"),
            Transition("card", body.card, rule.from_states, rule.to_state,
                       {"reason": body.reason, "by": ctx.card.serial}, path="$.body.card"),
        )
        event = None
        if owner != ctx.sender:
            event = Event((owner,), ctx.sender, ctx.doc_id, ctx.doc_type, ref)
        return Decision(ref=ref, ops=ops, event=event)

    handle.__name__ = doc_type.replace(".", "_")
    return handle


def _spec(doc_type: str, rule: CardTransition) -> DocSpec[Any]:
    kinds = {"department"} | ({"legal"} if rule.legal_card else set())
    return DocSpec(
        type=doc_type,
        body=CardAction,
        handler=_handler(doc_type, rule),
        card_kinds=frozenset(kinds),
        department_kinds=rule.departments,
        description=f"card: {', '.join(rule.from_states)} → {rule.to_state}",
        example=lambda: {"card": "76b113ed42ad73d1", "enterprise": "1101910123",
                         "reason": "reported lost"},
    )


SPECS: tuple[DocSpec[Any], ...] = tuple(
    _spec(doc_type, rule) for doc_type, rule in CARD_TRANSITIONS.items()
)
