"""Which subsystems a card may sign for.

A card's effective rights are derived, never stored whole: the rights of its
enterprise (its type, plus the subsystems its operator qualifications open; for a
department, its department kind) intersected with what its card kind carries,
plus the grants the legal card made (themselves limited to the enterprise's own
rights). So a broker never files forex or tax-refund data as the owner of goods,
a processor (no import/export right) never declares, only a qualified express
operator files express manifests, and a department card follows its department.
Whether a declaration names the broker as consignor is the dec subsystem's rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, get_args

# The business subsystems a legal card may grant to its operator and declarant cards.
Grantable = Literal[
    "dec", "agent", "paperless", "payment", "export_fx", "import_fx", "tax_refund",
    "express", "vessel", "road", "smartlane", "archive",
]
BUSINESS: frozenset[str] = frozenset(get_args(Grantable))

ENTERPRISE_RIGHTS: dict[str, frozenset[str]] = {
    "trader": frozenset({"dec", "agent", "paperless", "payment", "export_fx", "import_fx",
                         "tax_refund", "smartlane", "archive"}),
    "broker": frozenset({"dec", "agent", "paperless", "payment", "archive"}),
    # No import/export right: it entrusts a broker or trader and keeps its archive.
    "processor": frozenset({"agent", "archive"}),
}

# Operator qualifications open their subsystem to traders and brokers (not processors).
QUALIFICATION_RIGHTS: dict[str, str] = {
    "express_operator": "express",
    "vessel_operator": "vessel",
    "road_carrier": "road",
}

DEPARTMENT_RIGHTS: dict[str, frozenset[str]] = {
    "platform": frozenset({"identity"}),
    # identity: customs enforcement freezes and unfreezes cards.
    "customs": frozenset({"dec", "paperless", "express", "vessel", "road", "smartlane",
                          "identity"}),
    "tax": frozenset({"tax_refund"}),
    "safe": frozenset({"export_fx"}),
    "bank": frozenset({"payment", "import_fx"}),
    "mofcom": frozenset({"licence"}),
    "mee": frozenset({"licence"}),
    "ccpit": frozenset({"licence"}),
    # Public security only queries automobile import certificates; it signs nothing.
    "public_security": frozenset(),
}

# What each card kind carries without any grant.
KIND_DEFAULTS: dict[str, frozenset[str]] = {
    "legal": BUSINESS | {"identity"},
    "operator": frozenset(),
    "declarant": frozenset({"dec", "agent"}),
}


def enterprise_rights(
    enterprise_type: str, department_kind: str | None, qualifications: Iterable[str] = ()
) -> frozenset[str]:
    if enterprise_type == "department":
        return DEPARTMENT_RIGHTS.get(department_kind or "", frozenset())
    own = ENTERPRISE_RIGHTS.get(enterprise_type)
    if own is None:
        return frozenset()
    if enterprise_type != "processor":
        own |= {QUALIFICATION_RIGHTS[q] for q in qualifications if q in QUALIFICATION_RIGHTS}
    return own | {"identity"}


def effective_rights(
    card_kind: str,
    enterprise_type: str,
    department_kind: str | None,
    grants: Iterable[str] = (),
    qualifications: Iterable[str] = (),
) -> frozenset[str]:
    allowed = enterprise_rights(enterprise_type, department_kind, qualifications)
    if card_kind == "department":
        return allowed if enterprise_type == "department" else frozenset()
    own = KIND_DEFAULTS.get(card_kind, frozenset()) | (frozenset(grants) & BUSINESS)
    return own & allowed
