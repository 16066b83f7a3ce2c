"""A 50-item customs declaration (dec.declaration) and every field check it needs.

The benchmark's workload: `sample_json()` is the encoded document, `Declaration` its
msgspec schema, and `validate` runs the checks core_ext.fields offers on each field
(codes, check characters, amounts, line totals, dates) as a subsystem rule would.
"""

from __future__ import annotations

import msgspec

from core_ext import fields
from core_ext.fields import FixedSpec

WEIGHT = FixedSpec(19, 5)
QUANTITY = FixedSpec(19, 5)
PRICE = FixedSpec(19, 4)
TOTAL = FixedSpec(19, 2)


class Item(msgspec.Struct):
    hs_code: str
    name: str
    quantity: str
    unit: str
    legal_quantity: str
    legal_unit: str
    unit_price: str
    total: str
    currency: str
    origin: str
    destination: str
    duty_mode: str


class Head(msgspec.Struct):
    consignee_code: str
    consignee_uscc: str
    declarant_code: str
    declarant_uscc: str
    customs: str
    port: str
    trade_mode: str
    levy_nature: str
    transport_mode: str
    transaction_terms: str
    trade_country: str
    currency: str
    wrap_type: str
    gross_weight: str
    net_weight: str
    packages: int
    signed_at: str
    declared_on: str


class Declaration(msgspec.Struct):
    head: Head
    items: list[Item]


ITEMS = 50


def sample_json(items: int = ITEMS) -> bytes:
    head = Head(
        "1101910123",
        "91350100M000100Y43",
        "4404140001",
        "91110105771583283D",
        "2300",
        "2201",
        "0110",
        "101",
        "2",
        "1",
        "USA",
        "USD",
        "22",
        "12345.678",
        "12000.5",
        40,
        "2026-11-28T16:00:00+08:00",
        "20261128",
    )
    item = Item(
        "0101210010",
        "改良种用马",
        "3",
        "035",
        "3",
        "035",
        "12500.1234",
        "37500.37",
        "USD",
        "USA",
        "CHN",
        "1",
    )
    return msgspec.json.encode(Declaration(head, [item] * items))


def validate(decl: Declaration) -> None:
    """Raises core_ext.fields.FieldError on the first invalid field."""
    h = decl.head
    fields.check_customs_code(h.consignee_code)
    fields.check_uscc(h.consignee_uscc)
    fields.check_customs_code(h.declarant_code)
    fields.check_uscc(h.declarant_uscc)
    fields.check_district_code(h.customs)
    fields.check_district_code(h.port)
    fields.check_code("trade_modes", h.trade_mode)
    fields.check_code("levy_natures", h.levy_nature)
    fields.check_code("transport_modes", h.transport_mode)
    fields.check_code("transaction_terms", h.transaction_terms)
    fields.check_code("countries_iso", h.trade_country)
    fields.check_code("currencies_iso", h.currency)
    fields.check_code("wrap_types", h.wrap_type)
    WEIGHT.parse(h.gross_weight)
    WEIGHT.parse(h.net_weight)
    fields.parse_rfc3339(h.signed_at)
    fields.parse_compact_date(h.declared_on)
    for item in decl.items:
        fields.check_hs_code(item.hs_code)
        fields.check_code("units", item.unit)
        fields.check_code("units", item.legal_unit)
        QUANTITY.parse(item.legal_quantity)
        quantity = QUANTITY.parse(item.quantity)
        price = PRICE.parse(item.unit_price)
        total = TOTAL.parse(item.total)
        fields.check_line_total(quantity, 5, price, 4, total, 2)
        fields.check_code("currencies_iso", item.currency)
        fields.check_code("countries_iso", item.origin)
        fields.check_code("countries_iso", item.destination)
        fields.check_code("duty_modes", item.duty_mode)
