"""Which subsystems a card may sign for.

A card's effective rights are derived, never stored whole: the defaults of its
enterprise type (or department kind) intersected with what its card kind may do,
plus the grants the legal card made (themselves limited to the enterprise's own
rights). A broker therefore can never act as consignor, a processor has no
import/export right of its own, and a department card follows its department.
"""

from __future__ import annotations

from collections.abc import Iterable

BUSINESS = frozenset({
    "dec", "agent", "paperless", "payment", "export_fx", "import_fx", "tax_refund",
    "express", "vessel", "road", "smartlane", "archive",
})

ENTERPRISE_RIGHTS: dict[str, frozenset[str]] = {
    "trader": BUSINESS,
    "broker": frozenset({"dec", "agent", "paperless", "payment", "archive"}),
    "processor": frozenset({"agent", "archive"}),
}

DEPARTMENT_RIGHTS: dict[str, frozenset[str]] = {
    "platform": frozenset({"identity"}),
    "customs": frozenset({"dec", "paperless", "express", "vessel", "road", "smartlane",
                          "identity"}),
    "tax": frozenset({"tax_refund"}),
    "safe": frozenset({"export_fx"}),
    "bank": frozenset({"payment", "import_fx"}),
    "mofcom": frozenset({"licence"}),
    "mee": frozenset({"licence"}),
    "ccpit": frozenset({"licence"}),
    "public_security": frozenset({"licence"}),
}

# What each card kind carries without any grant.
KIND_DEFAULTS: dict[str, frozenset[str]] = {
    "legal": BUSINESS | {"identity"},
    "operator": frozenset(),
    "declarant": frozenset({"dec", "agent"}),
}


def enterprise_rights(enterprise_type: str, department_kind: str | None) -> frozenset[str]:
    if enterprise_type == "department":
        return DEPARTMENT_RIGHTS.get(department_kind or "", frozenset())
    return ENTERPRISE_RIGHTS.get(enterprise_type, frozenset()) | {"identity"}


def effective_rights(
    card_kind: str,
    enterprise_type: str,
    department_kind: str | None,
    grants: Iterable[str] = (),
) -> frozenset[str]:
    allowed = enterprise_rights(enterprise_type, department_kind)
    if card_kind == "department":
        return allowed if enterprise_type == "department" else frozenset()
    own = KIND_DEFAULTS.get(card_kind, frozenset()) | frozenset(grants)
    return own & allowed
