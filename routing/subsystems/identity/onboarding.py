"""Onboarding: enterprises join the platform and receive IC cards.

Onboarding is signed by platform department cards. A card's certificate is
issued by the platform CA (the handler's one capability); its serial is derived
from the issuing document, so a replay can never mint a second certificate.

Each trader, broker or processor has one legal card: registration opens its
``legal_card`` slot ``vacant``, issuing a legal card fills it (``active``, naming
the card), voiding or cancelling that card empties it again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from core_ext import fields
from routing.errors import FieldInvalid
from routing.ops import Create, Require, Transition
from routing.registry import Decision, DocContext, DocSpec
from routing.rules import check
from routing.subsystems.identity.certify import CardFacts, certify

CustomsCode = Annotated[str, msgspec.Meta(pattern=r"^[0-9A-Z]{10}$")]
Uscc = Annotated[str, msgspec.Meta(pattern=r"^[0-9A-HJ-NP-RT-UW-Y]{18}$")]
# Printable text: no control characters (they hide in names and break reports).
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")]
PublicKeyHex = Annotated[str, msgspec.Meta(pattern=r"^04[0-9a-f]{128}$")]
Days = Annotated[int, msgspec.Meta(ge=1, le=3650)]
GrantName = Annotated[str, msgspec.Meta(pattern=r"^[a-z_]{1,32}$")]

EnterpriseType = Literal["trader", "broker", "processor", "department"]
DepartmentKind = Literal[
    "customs", "tax", "safe", "bank", "mofcom", "mee", "ccpit", "public_security", "platform"
]
Qualification = Literal["express_operator", "vessel_operator", "road_carrier"]
CardKind = Literal["legal", "operator", "declarant", "department"]

PLATFORM = frozenset({"platform"})
# The GB/T 32918.5 Annex A public key: a valid point, for examples only.
EXAMPLE_PUBLIC_KEY = (
    "0409f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020"
    "ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13"
)


class EnterpriseRegister(msgspec.Struct, forbid_unknown_fields=True):
    code: CustomsCode
    uscc: Uscc
    name: Name
    type: EnterpriseType
    department_kind: DepartmentKind | None = None
    qualifications: list[Qualification] = []


def codes_are_valid(body: EnterpriseRegister) -> None:
    check(fields.check_customs_code, body.code, "$.body.code")
    check(fields.check_uscc, body.uscc, "$.body.uscc")


def department_kind_matches_type(body: EnterpriseRegister) -> None:
    if (body.type == "department") != (body.department_kind is not None):
        raise FieldInvalid("department_kind is required for, and only for, departments",
                           path="$.body.department_kind")


def register_enterprise(ctx: DocContext, body: EnterpriseRegister) -> Decision:
    data = msgspec.to_builtins(body)
    ops: list[Any] = [
        Create("enterprise", body.code, "active", body.code, data, path="$.body.code"),
        Create("uscc", body.uscc, "active", body.code, {"code": body.code}, path="$.body.uscc"),
    ]
    if body.type != "department":
        ops.append(Create("legal_card", body.code, "vacant", body.code, {"cert": None}))
    return Decision(ref={"enterprise": body.code}, ops=tuple(ops))


class CardIssue(msgspec.Struct, forbid_unknown_fields=True):
    enterprise: CustomsCode
    kind: CardKind
    holder: Name
    public_key: PublicKeyHex
    days: Days = 730
    # First grants of an operator or declarant card; what its enterprise has no
    # business right to is ignored (routing/rights.py).
    grants: list[GrantName] = []
    # Default: the time of receipt. Signed only by the platform (a backdated or
    # post-dated certificate, e.g. a card prepared for a start date).
    not_before: Annotated[datetime, msgspec.Meta(tz=True)] | None = None


def issue_card(ctx: DocContext, body: CardIssue) -> Decision:
    facts = CardFacts(body.enterprise, body.kind, body.holder, body.public_key)
    serial_hex, certificate = certify(ctx, facts, body.not_before or ctx.received_at,
                                      body.days, "$.body.not_before")
    data: dict[str, Any] = {
        "enterprise": body.enterprise,
        "kind": body.kind,
        "holder": body.holder,
        "card_no": serial_hex,
        **certificate,
        "grants": sorted(set(body.grants)),
    }
    is_department = "$.type == \"department\"" if body.kind == "department" else \
        "$.type != \"department\""
    ops: list[Any] = [
        Require("enterprise", ("active",), key=body.enterprise, code="REFERENCE_UNKNOWN",
                message="no active enterprise with this code", path="$.body.enterprise"),
        Require("enterprise", ("active",), key=body.enterprise, where=is_department,
                message=f"a {body.kind} card does not fit this enterprise's type",
                path="$.body.kind"),
    ]
    if body.kind == "legal":
        ops.append(Transition("legal_card", body.enterprise, ("vacant",), "active",
                              {"cert": serial_hex}, path="$.body.kind"))
    ops.append(Create("card", serial_hex, "active", body.enterprise, data))
    return Decision(ref={"cert": serial_hex, "certificate": certificate["certificate"]},
                    ops=tuple(ops))


SPECS: tuple[DocSpec[Any], ...] = (
    DocSpec(
        type="identity.enterprise_register",
        body=EnterpriseRegister,
        handler=register_enterprise,
        rules=(codes_are_valid, department_kind_matches_type),
        card_kinds=frozenset({"department"}),
        department_kinds=PLATFORM,
        description="入网: an enterprise joins the platform.",
        example=lambda: {"code": "1101910123", "uscc": "91110000600037341L",
                         "name": "北京示例进出口有限公司", "type": "trader"},
    ),
    DocSpec(
        type="identity.card_issue",
        body=CardIssue,
        handler=issue_card,
        card_kinds=frozenset({"department"}),
        department_kinds=PLATFORM,
        description="新增: a new IC card and its X.509 certificate.",
        example=lambda: {"enterprise": "1101910123", "kind": "operator", "holder": "张三",
                         "public_key": EXAMPLE_PUBLIC_KEY},
    ),
)
