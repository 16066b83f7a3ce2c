"""Field rules of dec.declaration: codes, exact arithmetic, items and containers.

Each rule raises on the first problem it finds, naming the field's JSON path:
FIELD_INVALID for a value that is wrong by itself (an unknown code, a total that
is not quantity x unit price), RULE_VIOLATION for values that contradict each
other (net weight above gross weight). Decimals are parsed to scaled integers by
core_ext.fields; no float is ever involved.
"""

from __future__ import annotations

from core_ext import fields
from core_ext.field_error import FieldError
from routing.errors import FieldInvalid, RuleViolation
from routing.subsystems.dec.schema import Declaration, Goods

QUANTITY = fields.FixedSpec(19, 5)
UNIT_PRICE = fields.FixedSpec(19, 4)
TOTAL = fields.FixedSpec(19, 2)
WEIGHT = fields.FixedSpec(19, 5)
VEHICLE_HEADING = "8703"
_ISO_6346_LETTERS = {
    letter: value
    for letter, value in zip(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        [v for v in range(10, 39) if v % 11], strict=True)
}


def code(table: fields.TableName, value: str, path: str) -> None:
    try:
        fields.check_code(table, value)
    except FieldError as exc:
        raise FieldInvalid(str(exc), path=path) from None


def country(value: str, path: str) -> None:
    code("countries_numeric" if value.isdigit() else "countries_iso", value, path)


def currency(value: str, path: str) -> None:
    code("currencies_numeric" if value.isdigit() else "currencies_iso", value, path)


def fixed(spec: fields.FixedSpec, value: str, path: str) -> int:
    try:
        return spec.parse(value)
    except FieldError as exc:
        raise FieldInvalid(f"{exc} (expected {spec})", path=path) from None


def head_codes_are_known(body: Declaration) -> None:
    for field_name in ("declare_district", "port_district"):
        value = getattr(body, field_name)
        try:
            fields.check_district_code(value)
        except FieldError as exc:
            raise FieldInvalid(str(exc), path=f"$.body.{field_name}") from None
    code("trade_modes", body.trade_mode, "$.body.trade_mode")
    code("levy_natures", body.levy_nature, "$.body.levy_nature")
    code("transport_modes", body.transport_mode, "$.body.transport_mode")
    code("transaction_terms", body.transaction_terms, "$.body.transaction_terms")
    code("wrap_types", body.wrap_type, "$.body.wrap_type")
    country(body.trade_country, "$.body.trade_country")
    currency(body.currency, "$.body.currency")


def weights_are_consistent(body: Declaration) -> None:
    gross = fixed(WEIGHT, body.gross_weight, "$.body.gross_weight")
    net = fixed(WEIGHT, body.net_weight, "$.body.net_weight")
    if gross <= 0:
        raise RuleViolation("gross weight must be positive", path="$.body.gross_weight")
    if net > gross:
        raise RuleViolation(f"net weight {body.net_weight} exceeds gross weight "
                            f"{body.gross_weight}", path="$.body.net_weight")


def items_are_valid(body: Declaration) -> None:
    for index, item in enumerate(body.items):
        path = f"$.body.items[{index}]"
        if item.seq != index + 1:
            raise RuleViolation(f"items are numbered 1..n in order; expected {index + 1}",
                                path=f"{path}.seq")
        item_codes_are_known(item, path)
        legal_units_match_hs(item, path)
        total_is_quantity_times_price(item, path)
        vehicles_have_vins(item, path)


def item_codes_are_known(item: Goods, path: str) -> None:
    code("units", item.unit, f"{path}.unit")
    code("duty_modes", item.duty_mode, f"{path}.duty_mode")
    currency(item.currency, f"{path}.currency")
    country(item.origin_country, f"{path}.origin_country")
    country(item.destination_country, f"{path}.destination_country")


def legal_units_match_hs(item: Goods, path: str) -> None:
    try:
        first, second = fields.hs_legal_units(item.hs_code)
    except FieldError as exc:
        raise FieldInvalid(str(exc), path=f"{path}.hs_code") from None
    if item.legal_unit != first:
        raise FieldInvalid(f"HS {item.hs_code[:8]}'s first legal unit is {first}",
                           path=f"{path}.legal_unit")
    fixed(QUANTITY, item.legal_quantity, f"{path}.legal_quantity")
    if item.second_unit != second:
        raise FieldInvalid(f"HS {item.hs_code[:8]}'s second legal unit is {second or 'none'}",
                           path=f"{path}.second_unit")
    if (item.second_quantity is None) != (second is None):
        raise FieldInvalid("a second legal quantity is given exactly when the HS line "
                           "has a second unit", path=f"{path}.second_quantity")
    if item.second_quantity is not None:
        fixed(QUANTITY, item.second_quantity, f"{path}.second_quantity")


def total_is_quantity_times_price(item: Goods, path: str) -> None:
    quantity = fixed(QUANTITY, item.quantity, f"{path}.quantity")
    price = fixed(UNIT_PRICE, item.unit_price, f"{path}.unit_price")
    total = fixed(TOTAL, item.total, f"{path}.total")
    if quantity <= 0:
        raise FieldInvalid("quantity must be positive", path=f"{path}.quantity")
    try:
        fields.check_line_total(quantity, QUANTITY.scale, price, UNIT_PRICE.scale,
                                total, TOTAL.scale)
    except FieldError as exc:
        raise FieldInvalid(str(exc), path=f"{path}.total") from None


def vehicles_have_vins(item: Goods, path: str) -> None:
    """One VIN per vehicle: the automobile import certificate is issued per VIN."""
    if not item.hs_code.startswith(VEHICLE_HEADING):
        if item.vins:
            raise RuleViolation("VINs are for vehicles (HS 8703) only", path=f"{path}.vins")
        return
    vehicles = QUANTITY.parse(item.quantity)
    if len(item.vins) * 10**QUANTITY.scale != vehicles:
        raise RuleViolation(f"{item.quantity} vehicles need as many VINs, "
                            f"got {len(item.vins)}", path=f"{path}.vins")
    if len(set(item.vins)) != len(item.vins):
        raise RuleViolation("a VIN appears twice", path=f"{path}.vins")


def containers_are_valid(body: Declaration) -> None:
    seen: set[str] = set()
    for index, container in enumerate(body.containers):
        path = f"$.body.containers[{index}]"
        code("container_types", container.type, f"{path}.type")
        if not iso6346_check_digit_ok(container.number):
            raise FieldInvalid(f"{container.number}: ISO 6346 check digit is wrong",
                               path=f"{path}.number")
        if container.number in seen:
            raise RuleViolation("container declared twice", path=f"{path}.number")
        seen.add(container.number)
        for seq in container.goods_seqs:
            if not 1 <= seq <= len(body.items):
                raise RuleViolation(f"no goods item {seq}", path=f"{path}.goods_seqs")
    if len(body.containers) > body.packages:
        raise RuleViolation(f"{len(body.containers)} containers cannot hold "
                            f"{body.packages} packages", path="$.body.packages")


def iso6346_check_digit_ok(number: str) -> bool:
    """Owner code, serial and check digit: the weighted sum mod 11 mod 10."""
    total = sum((_ISO_6346_LETTERS.get(char) or int(char)) << position
                for position, char in enumerate(number[:10]))
    return total % 11 % 10 == int(number[10])


RULES = (head_codes_are_known, weights_are_consistent, items_are_valid, containers_are_valid)
