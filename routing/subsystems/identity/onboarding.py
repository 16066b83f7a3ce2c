"""Onboarding: enterprises join the platform and receive IC cards.

Onboarding is signed by platform department cards. A card's certificate is
issued by the platform CA (the handler's one capability); its serial is derived
from the issuing document, so a replay can never mint a second certificate.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

import msgspec

from core_ext import fields, sm3
from routing.errors import FieldInvalid
from routing.ops import Create, Require
from routing.registry import Decision, DocContext, DocSpec
from routing.rules import check

CustomsCode = Annotated[str, msgspec.Meta(pattern=r"^[0-9A-Z]{10}$")]
Uscc = Annotated[str, msgspec.Meta(pattern=r"^[0-9A-HJ-NP-RT-UW-Y]{18}$")]
# Printable text: no control characters (they hide in names and break reports).
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")]
PublicKeyHex = Annotated[str, msgspec.Meta(pattern=r"^04[0-9a-f]{128}$")]

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
    return Decision(
        ref={"enterprise": body.code},
        ops=(
            Create("enterprise", body.code, "active", body.code, data, path="$.body.code"),
            Create("uscc", body.uscc, "active", body.code, {"code": body.code},
                   path="$.body.uscc"),
        ),
    )


class CardIssue(msgspec.Struct, forbid_unknown_fields=True):
    enterprise: CustomsCode
    kind: CardKind
    holder: Name
    public_key: PublicKeyHex
    days: Annotated[int, msgspec.Meta(ge=1, le=3650)] = 730
    grants: list[str] = []


def issue_card(ctx: DocContext, body: CardIssue) -> Decision:
    if ctx.issuer is None:
        raise RuntimeError("identity.card_issue needs the platform CA")
    serial = card_serial(ctx.sender, ctx.doc_id)
    not_after = ctx.received_at + timedelta(days=body.days)
    public_key = bytes.fromhex(body.public_key)
    pem = ctx.issuer.issue(serial=serial, enterprise=body.enterprise, kind=body.kind,
                           holder=body.holder, public_key=public_key,
                           not_before=ctx.received_at, days=body.days)
    serial_hex = format(serial, "x")
    data: dict[str, Any] = {
        "enterprise": body.enterprise,
        "kind": body.kind,
        "holder": body.holder,
        "public_key": body.public_key,
        "not_before": ctx.received_at.isoformat(),
        "not_after": not_after.isoformat(),
        "grants": sorted(set(body.grants)),
        "certificate": pem,
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
        ops.append(Create("legal_card", body.enterprise, "active", body.enterprise,
                          {"cert": serial_hex}, path="$.body.kind"))
    ops.append(Create("card", serial_hex, "active", body.enterprise, data))
    return Decision(ref={"cert": serial_hex, "certificate": pem}, ops=tuple(ops))


def card_serial(sender: str, doc_id: str) -> int:
    """64-bit positive serial derived from the issuing document (top bit clear)."""
    digest = sm3.digest(f"{sender}\n{doc_id}".encode())
    return int.from_bytes(digest[:8], "big") >> 1 or 1


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
