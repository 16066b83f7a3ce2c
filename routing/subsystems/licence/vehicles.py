"""Automobile import certificates 汽车进口证明书: one per VIN, issued by the release.

A declaration records the SM3 digest of its sorted VINs (``vin_digest``); the
release restates the VINs, a Require checks them against that digest inside the
commit (so customs can neither skip nor add a vehicle), and one
``automobile_certificate:<VIN>`` entity is created per VIN in the same commit. A
VIN is certified once: a second certificate for it is STATE_CONFLICT. Public
security reads them with a signed ``GET /v1/licences/vehicle/<VIN>``.
"""

from __future__ import annotations

from collections.abc import Iterable

from core_ext import sm3
from routing.ops import Create, Op, Require
from routing.subsystems.dec.states import DECLARATION_STATES
from routing.subsystems.licence.kinds import AUTOMOBILE_CERTIFICATE


def vin_digest(vins: Iterable[str]) -> str:
    return sm3.digest("\n".join(sorted(vins)).encode()).hex()


def vins_are_declared(declaration: str, vins: list[str]) -> Require:
    """The restated VINs are exactly the declaration's (none, for a declaration without)."""
    where, bound = ("$.vin_digest == $vd", {"vd": vin_digest(vins)}) if vins else (
        "!(exists($.vin_digest))", {})
    return Require("declaration", DECLARATION_STATES, key=declaration, where=where, vars=bound,
                   message="the release restates exactly the declaration's VINs",
                   path="$.body.vins")


def certificates(declaration: str, consignor: str, customs: str, vins: list[str],
                 day: str) -> list[Op]:
    return [Create(AUTOMOBILE_CERTIFICATE, vin, "issued", consignor, {
        "vin": vin, "declaration": declaration, "consignor": consignor,
        "customs_office": customs, "issued_on": day}, path=f"$.body.vins[{index}]")
        for index, vin in enumerate(vins)]
