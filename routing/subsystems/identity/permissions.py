"""Grants: a legal card gives its own operator and declarant cards rights.

Grants live in the card entity's ``data["grants"]``, edited member by member in
the commit (EditList), so two grants racing never lose one. A legal card grants
only what it has itself (its enterprise's business rights); the card's effective
rights are derived in ``routing/rights.py``. A card that is no longer live
(voided, cancelled, renewed) is STATE_CONFLICT.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from routing.errors import FieldInvalid
from routing.ops import EditList, Require
from routing.registry import Decision, DocContext, DocSpec
from routing.rights import Grantable
from routing.subsystems.identity.lifecycle import Serial
from routing.subsystems.identity.states import CARD_STATES, LIVE


class Permission(msgspec.Struct, forbid_unknown_fields=True):
    card: Serial
    subsystems: Annotated[list[Grantable], msgspec.Meta(min_length=1, max_length=32)]


def held_by_signer(ctx: DocContext, body: Permission) -> None:
    for index, subsystem in enumerate(body.subsystems):
        if subsystem not in ctx.card.rights:
            raise FieldInvalid(f"this enterprise has no {subsystem} right to grant",
                               path=f"$.body.subsystems[{index}]")


def _handler(granting: bool) -> Any:
    def handle(ctx: DocContext, body: Permission) -> Decision:
        held_by_signer(ctx, body)
        subsystems = tuple(sorted(set(body.subsystems)))
        ops = (
            Require("card", CARD_STATES, key=body.card,
                    where='$.enterprise == $e && ($.kind == "operator" || $.kind == "declarant")',
                    vars={"e": ctx.sender}, path="$.body.card",
                    message=f"card {body.card} is not an operator or declarant card of "
                            f"{ctx.sender}"),
            EditList("card", body.card, "grants", LIVE, add=subsystems if granting else (),
                     remove=() if granting else subsystems, path="$.body.card"),
        )
        ref = {"card": body.card, "granted" if granting else "revoked": list(subsystems)}
        return Decision(ref=ref, ops=ops)

    handle.__name__ = "grant" if granting else "revoke"
    return handle


def _spec(doc_type: str, granting: bool, description: str) -> DocSpec[Any]:
    return DocSpec(
        type=doc_type,
        body=Permission,
        handler=_handler(granting),
        card_kinds=frozenset({"legal"}),
        description=description,
        example=lambda: {"card": "76b113ed42ad73d1", "subsystems": ["dec", "payment"]},
    )


SPECS: tuple[DocSpec[Any], ...] = (
    _spec("identity.permission_grant", True, "A legal card grants its own card rights."),
    _spec("identity.permission_revoke", False, "A legal card revokes its own card's rights."),
)
