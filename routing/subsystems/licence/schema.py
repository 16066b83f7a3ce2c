"""Bodies of licence.issue, licence.amend and licence.revoke, and their field rules.

Quantities are N19,5 decimals in the line's unit (a code of the units table);
HS codes must be in the HS table, countries in either country table.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from core_ext import fields
from routing.errors import FieldInvalid, RuleViolation
from routing.subsystems.dec.rules import QUANTITY, code, country, fixed
from routing.subsystems.dec.schema import Code, CountryOrCurrency
from routing.subsystems.dec.types import Amount, CustomsCode, DocRef, IsoDate, Text
from routing.subsystems.licence.kinds import ORIGIN_CERTIFICATE, IssuedKind

LineNumber = Annotated[int, msgspec.Meta(ge=1, le=50)]


class LicenceLine(msgspec.Struct, forbid_unknown_fields=True):
    hs_code: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{10}$")]
    quantity: Amount
    unit: Code


class Issue(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    kind: IssuedKind
    holder: CustomsCode  # the enterprise the licence is issued to
    number: Text  # the licence number printed on it
    valid_from: IsoDate
    valid_to: IsoDate
    origin_country: CountryOrCurrency | None = None  # certificates of origin only
    lines: Annotated[list[LicenceLine], msgspec.Meta(min_length=1, max_length=50)]


class LineChange(msgspec.Struct, forbid_unknown_fields=True):
    line: LineNumber
    change: Literal["increase", "decrease"]
    quantity: Amount


class Amend(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    licence: DocRef
    holder: CustomsCode  # restated, checked in the commit, notified
    valid_to: IsoDate | None = None
    changes: Annotated[list[LineChange], msgspec.Meta(max_length=50)] = []


class Revoke(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    licence: DocRef
    holder: CustomsCode
    reason: Text


def positive_quantity(value: str, path: str) -> int:
    scaled = fixed(QUANTITY, value, path)
    if scaled <= 0:
        raise FieldInvalid("a quantity is positive", path=path)
    return scaled


def date(value: str, path: str) -> str:
    try:
        return fields.parse_date(value).isoformat()
    except fields.FieldError as exc:
        raise FieldInvalid(str(exc), path=path) from None


def issue_is_sound(body: Issue) -> None:
    if date(body.valid_to, "$.body.valid_to") < date(body.valid_from, "$.body.valid_from"):
        raise RuleViolation("valid_to is before valid_from", path="$.body.valid_to")
    if (body.kind == ORIGIN_CERTIFICATE) != (body.origin_country is not None):
        raise FieldInvalid("a certificate of origin, and only one, names its origin country",
                           path="$.body.origin_country")
    if body.origin_country is not None:
        country(body.origin_country, "$.body.origin_country")
    for index, line in enumerate(body.lines):
        path = f"$.body.lines[{index}]"
        try:
            fields.check_hs_code(line.hs_code)
        except fields.FieldError as exc:
            raise FieldInvalid(str(exc), path=f"{path}.hs_code") from None
        code("units", line.unit, f"{path}.unit")
        positive_quantity(line.quantity, f"{path}.quantity")


def amendment_is_sound(body: Amend) -> None:
    if body.valid_to is None and not body.changes:
        raise RuleViolation("an amendment changes the validity or a line", path="$.body")
    if body.valid_to is not None:
        date(body.valid_to, "$.body.valid_to")
    lines = [change.line for change in body.changes]
    if len(set(lines)) != len(lines):
        raise RuleViolation("a line is changed twice", path="$.body.changes")
    for index, change in enumerate(body.changes):
        positive_quantity(change.quantity, f"$.body.changes[{index}].quantity")
