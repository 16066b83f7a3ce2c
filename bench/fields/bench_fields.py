"""Micro-benchmark of core_ext.fields.

    python bench/fields/bench_fields.py [--quick]

Prints one JSON object:
- ``per_call_ns``: best-of-5 nanoseconds per call of each check, on a valid value;
- ``declaration``: decoding a 50-item dec.declaration with msgspec alone, and decoding
  plus validating every field (codes, check characters, amounts, line totals, dates),
  with their ratio. Both are measured in the same run, because machines are noisy.
The code tables are loaded before timing.
"""

from __future__ import annotations

import json
import sys
import timeit
from collections.abc import Callable

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


def sample_json(items: int = 50) -> bytes:
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


def best_ns(call: Callable[[], object], number: int) -> float:
    return min(timeit.repeat(call, number=number, repeat=5)) / number * 1e9


def per_call(number: int) -> dict[str, float]:
    checks: dict[str, Callable[[], object]] = {
        "check_uscc": lambda: fields.check_uscc("91350100M000100Y43"),
        "check_org_code": lambda: fields.check_org_code("771583283"),
        "check_customs_code": lambda: fields.check_customs_code("1101910123"),
        "check_entry_number": lambda: fields.check_entry_number("576020031603050000"),
        "check_district_code": lambda: fields.check_district_code("2300"),
        "check_hs_code": lambda: fields.check_hs_code("0101210010"),
        "check_code(countries_iso)": lambda: fields.check_code("countries_iso", "CHN"),
        "parse_fixed(str N19,5)": lambda: fields.parse_fixed("12345.678", 19, 5),
        "parse_fixed(Raw N19,5)": lambda: fields.parse_fixed(msgspec.Raw(b"12345.678"), 19, 5),
        "check_line_total": lambda: fields.check_line_total(300000, 5, 125001234, 4, 3750037, 2),
        "parse_rfc3339": lambda: fields.parse_rfc3339("2026-11-28T16:00:00.123+08:00"),
        "parse_date": lambda: fields.parse_date("2026-11-28"),
        "parse_customs_datetime": lambda: fields.parse_customs_datetime("20261128160000"),
        "format_rfc3339": lambda: fields.format_rfc3339(1795852800123000),
    }
    return {name: round(best_ns(call, number), 1) for name, call in checks.items()}


def declaration(number: int) -> dict[str, float]:
    data = sample_json()
    decoder = msgspec.json.Decoder(Declaration)
    validate(decoder.decode(data))  # warm up and prove the sample valid
    decode_us = best_ns(lambda: decoder.decode(data), number) / 1000
    both_us = best_ns(lambda: validate(decoder.decode(data)), number) / 1000
    return {
        "items": 50,
        "json_bytes": len(data),
        "decode_us": round(decode_us, 2),
        "decode_and_validate_us": round(both_us, 2),
        "validate_us": round(both_us - decode_us, 2),
        "ratio_decode_and_validate_to_decode": round(both_us / decode_us, 2),
    }


def main() -> None:
    quick = "--quick" in sys.argv[1:]
    fields.default_tables().load_all()
    result = {
        "per_call_ns": per_call(2_000 if quick else 100_000),
        "declaration": declaration(50 if quick else 2_000),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
