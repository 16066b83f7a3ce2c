"""Who may declare what: the cross-entity rules of a declaration, as ops.

A handler never reads the database, so every fact about another enterprise or
agreement is stated as a Require that the store checks inside the commit:

- the consignor is an active trader; a processor (no import/export right) only
  in processing trade, whose trade modes are those of 来料/进料 processing;
- the declaring enterprise is the consignor itself, or a broker holding an active
  entrustment from that consignor that covers the declaration (direction, date,
  and for a one-shipment entrustment its bill of lading, unused);
- the receiving office is a customs department;
- a paperless entry type needs the declarant's approved paperless agreement with
  the declaring district.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import cache

from core_ext import fields
from routing.errors import RuleViolation
from routing.ops import Op, Require, Transition
from routing.subsystems.dec.schema import PAPERLESS_ENTRY_TYPES, Declaration

CHINA = timezone(timedelta(hours=8))
# Equalities go in `contains` rather than a jsonpath, which the store parses on every check.
CUSTOMS = {"type": "department", "department_kind": "customs"}
COVERS = (
    '$.trader == $trader && $.broker == $broker'
    ' && $.valid_from <= $day && $.valid_to >= $day'
    ' && ($.direction == "B" || $.direction == $flag)'
    ' && ($.scope == "period" || ($.used == false && $.bill_of_lading == $bl))'
)


@cache
def processing_trade_modes() -> frozenset[str]:
    """来料/进料 processing modes, read from the trade mode table's names once."""
    table = fields.default_tables()["trade_modes"]
    return frozenset(code for code in table.codes
                     if any(word in (table.name(code) or "") for word in ("来料", "进料")))


def china_day(moment: datetime) -> str:
    """Validity dates are calendar days in China, whatever the gateway's zone."""
    return moment.astimezone(CHINA).date().isoformat()


def declaration_parties(body: Declaration, declarant: str, received_at: datetime) -> list[Op]:
    ops: list[Op] = [consignor_may_trade(body), Require(
        "enterprise", ("active",), key=body.customs_office, contains=CUSTOMS,
        message=f"{body.customs_office} is not an active customs department",
        path="$.body.customs_office")]
    if declarant != body.consignor:
        ops += broker_is_entrusted(body, declarant, china_day(received_at))
    if body.entry_type in PAPERLESS_ENTRY_TYPES:
        ops.append(Require(
            "paperless", ("approved",), owner=declarant,
            contains={"district": body.declare_district},
            message=f"no approved paperless agreement with district {body.declare_district}",
            path="$.body.entry_type"))
    return ops


def consignor_may_trade(body: Declaration) -> Require:
    if body.trade_mode in processing_trade_modes():
        return Require("enterprise", ("active",), key=body.consignor,
                       where='$.type == "trader" || $.type == "processor"',
                       message="the consignor must be an active trader or processor",
                       path="$.body.consignor")
    return Require("enterprise", ("active",), key=body.consignor, contains={"type": "trader"},
                   message="the consignor must be an active trader (processors only in "
                           "processing trade)", path="$.body.consignor")


def broker_is_entrusted(body: Declaration, declarant: str, day: str) -> list[Op]:
    if body.entrustment is None:
        raise RuleViolation("a declaration for another enterprise names its entrustment",
                            path="$.body.entrustment")
    return [
        Require("enterprise", ("active",), key=declarant, contains={"type": "broker"},
                message="only the consignor itself or a broker may declare", path="$.sender"),
        Require("entrustment", ("active",), key=body.entrustment, where=COVERS,
                vars={"trader": body.consignor, "broker": declarant, "day": day,
                      "flag": body.import_export, "bl": body.bill_of_lading},
                message="no active entrustment from the consignor covers this declaration",
                path="$.body.entrustment"),
        # Used once: a one-shipment entrustment is spent, and none can be revoked now.
        Transition("entrustment", body.entrustment, ("active",), "active", {"used": True},
                   path="$.body.entrustment"),
    ]
