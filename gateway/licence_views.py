"""Signed licence queries: who may read a licence or a VIN's certificate, and the JSON.

    GET /v1/licences/<issuer>/<doc id>   the licence and each line's balance:
                                         its holder, its issuer, any customs card
    GET /v1/licences/vehicle/<VIN>       an automobile import certificate:
                                         public security and customs cards

Another enterprise asking for a licence gets 404, as if it did not exist (no
probing for other enterprises' licences); a card of any other kind asking for a
VIN gets 403.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

import msgspec

from gateway.store import Entity
from routing.cards import Card
from routing.errors import NotFound, PermissionDenied
from routing.subsystems.dec.rules import QUANTITY
from routing.subsystems.licence.kinds import line_key

VEHICLE_READERS = frozenset({"public_security", "customs"})


def department(card: Card) -> str | None:
    return card.department_kind if card.enterprise_type == "department" else None


def vehicle_reader(card: Card) -> None:
    if department(card) not in VEHICLE_READERS:
        raise PermissionDenied("automobile import certificates are read by public security "
                               "and customs")


def vehicle_certificate(entity: Entity | None) -> bytes:
    if entity is None:
        raise NotFound("no automobile import certificate for this VIN")
    return msgspec.json.encode({"state": entity.state, **entity.data})


def lines_of(entity: Entity) -> list[dict[str, Any]]:
    return cast(list[dict[str, Any]], entity.data["lines"])


def licence_lines(entity: Entity) -> list[str]:
    """The ledger keys of the licence's lines."""
    return [line_key(entity.key, line["line"]) for line in lines_of(entity)]


def readable(card: Card, entity: Entity | None) -> Entity:
    if entity is None or not (card.enterprise in (entity.owner, entity.data.get("issuer"))
                              or department(card) == "customs"):
        raise NotFound("no such licence for this enterprise")
    return entity


def quantity(balance: Decimal) -> str:
    """In the declaration's N19,5 text form; every change to a line is in that scale."""
    return QUANTITY.format(int(balance.scaleb(QUANTITY.scale)))


def licence(entity: Entity, balances: dict[str, Decimal]) -> bytes:
    shown = [{**line, "balance": quantity(balances[line_key(entity.key, line["line"])])}
             for line in lines_of(entity)]
    return msgspec.json.encode({"licence": entity.key, "state": entity.state,
                                **entity.data, "lines": shown})
