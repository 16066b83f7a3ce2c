"""routing/rights.py against DOMAIN.md's permission model, case by case."""

from __future__ import annotations

import pytest

from routing.rights import effective_rights

TRADER_OWN = {"dec", "agent", "paperless", "payment", "export_fx", "import_fx", "tax_refund",
              "smartlane", "archive", "identity"}


@pytest.mark.parametrize(
    ("card_kind", "enterprise_type", "department_kind", "grants", "qualifications", "expected"),
    [
        ("legal", "trader", None, (), (), TRADER_OWN),
        ("legal", "trader", None, (), ("express_operator", "road_carrier"),
         TRADER_OWN | {"express", "road"}),
        # a broker declares for others, never files forex or tax refunds as owner
        ("legal", "broker", None, (), (), {"dec", "agent", "paperless", "payment", "archive",
                                            "identity"}),
        ("legal", "broker", None, (), ("vessel_operator",),
         {"dec", "agent", "paperless", "payment", "archive", "identity", "vessel"}),
        # a processor has no import/export right, qualified or not
        ("legal", "processor", None, (), ("express_operator",), {"agent", "archive", "identity"}),
        ("declarant", "processor", None, (), (), {"agent"}),
        ("declarant", "trader", None, (), (), {"dec", "agent"}),
        ("operator", "trader", None, (), (), set()),
        ("operator", "trader", None, ("payment", "archive"), (), {"payment", "archive"}),
        # grants never exceed the enterprise's rights, and identity is never granted
        ("operator", "broker", None, ("export_fx", "dec", "identity"), (), {"dec"}),
        ("operator", "trader", None, ("express",), (), set()),
        ("operator", "trader", None, ("express",), ("express_operator",), {"express"}),
        ("department", "department", "customs", ("tax_refund",), (),
         {"dec", "paperless", "express", "vessel", "road", "smartlane", "identity"}),
        ("department", "department", "platform", (), (), {"identity"}),
        ("department", "department", "bank", (), (), {"payment", "import_fx"}),
        ("department", "department", "public_security", (), (), set()),
        ("department", "department", "unknown", (), (), set()),
        # a department card outside a department, or an unknown type, carries nothing
        ("department", "trader", None, (), (), set()),
        ("legal", "smuggler", None, ("dec",), (), set()),
    ],
)
def test_effective_rights(card_kind: str, enterprise_type: str, department_kind: str | None,
                          grants: tuple[str, ...], qualifications: tuple[str, ...],
                          expected: set[str]) -> None:
    assert effective_rights(card_kind, enterprise_type, department_kind, grants,
                            qualifications) == expected
