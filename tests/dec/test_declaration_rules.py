"""dec.declaration's schema and field rules: each mutation names its code and path."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from routing.subsystems.dec.example import example_declaration
from routing.subsystems.dec.rules import iso6346_check_digit_ok
from tests.dec.judging import rejection, verdict

Mutation = Callable[[dict[str, Any]], object]


def item(index: int, **changes: Any) -> Mutation:
    return lambda body: body["items"][index].update(changes)


def head(**changes: Any) -> Mutation:
    return lambda body: body.update(changes)


def container(**changes: Any) -> Mutation:
    return lambda body: body["containers"][0].update(changes)


def test_example_is_accepted_at_every_size() -> None:
    for items in (1, 8, 50):
        assert verdict("dec.declaration", example_declaration(items)).status == "accepted"


def test_numeric_and_iso_forms_of_countries_and_currencies_are_both_accepted() -> None:
    body = example_declaration(trade_country="502", currency="USD")
    body["items"][0].update(currency="502", origin_country="502", destination_country="142")
    assert verdict("dec.declaration", body).status == "accepted"


@pytest.mark.parametrize(("mutate", "code", "path"), [
    (head(declare_district="9999"), "FIELD_INVALID", "$.body.declare_district"),
    (head(port_district="22A1"), "FIELD_INVALID", "$.body.port_district"),
    (head(trade_mode="0111"), "FIELD_INVALID", "$.body.trade_mode"),
    (head(levy_nature="100"), "FIELD_INVALID", "$.body.levy_nature"),
    (head(transport_mode="Q"), "FIELD_INVALID", "$.body.transport_mode"),
    (head(transaction_terms="8"), "FIELD_INVALID", "$.body.transaction_terms"),
    (head(wrap_type="05"), "FIELD_INVALID", "$.body.wrap_type"),
    (head(trade_country="XXX"), "FIELD_INVALID", "$.body.trade_country"),
    (head(trade_country="998"), "FIELD_INVALID", "$.body.trade_country"),
    (head(currency="999"), "FIELD_INVALID", "$.body.currency"),
    (head(currency="ABC"), "FIELD_INVALID", "$.body.currency"),
    (head(net_weight="1250.50001"), "RULE_VIOLATION", "$.body.net_weight"),
    (head(gross_weight="0"), "RULE_VIOLATION", "$.body.gross_weight"),
    (head(gross_weight="1.123456"), "FIELD_INVALID", "$.body.gross_weight"),
    (head(gross_weight=1250.5), "SCHEMA_INVALID", "$.body.gross_weight"),
    (head(packages=0), "SCHEMA_INVALID", "$.body.packages"),
    (head(items=[]), "SCHEMA_INVALID", "$.body.items"),
    (head(import_export="X"), "SCHEMA_INVALID", "$.body.import_export"),
    (head(entry_type="Z"), "SCHEMA_INVALID", "$.body.entry_type"),
    (head(surprise=1), "SCHEMA_INVALID", "$.body"),
    (item(1, seq=3), "RULE_VIOLATION", "$.body.items[1].seq"),
    (item(0, hs_code="9999999999"), "FIELD_INVALID", "$.body.items[0].hs_code"),
    (item(0, unit="000"), "FIELD_INVALID", "$.body.items[0].unit"),
    (item(0, duty_mode="0"), "FIELD_INVALID", "$.body.items[0].duty_mode"),
    (item(0, currency="XYZ"), "FIELD_INVALID", "$.body.items[0].currency"),
    (item(0, origin_country="000"), "FIELD_INVALID", "$.body.items[0].origin_country"),
    (item(0, destination_country="QQQ"), "FIELD_INVALID",
     "$.body.items[0].destination_country"),
    (item(0, legal_unit="035"), "FIELD_INVALID", "$.body.items[0].legal_unit"),
    (item(0, legal_quantity="-1"), "FIELD_INVALID", "$.body.items[0].legal_quantity"),
    (item(0, second_unit=None), "FIELD_INVALID", "$.body.items[0].second_unit"),
    (item(0, second_quantity=None), "FIELD_INVALID", "$.body.items[0].second_quantity"),
    (item(0, total="19999.49"), "FIELD_INVALID", "$.body.items[0].total"),
    (item(0, total="19999.5"), "OK", None),
    (item(0, unit_price="199.99501"), "FIELD_INVALID", "$.body.items[0].unit_price"),
    (item(0, quantity="0", total="0"), "FIELD_INVALID", "$.body.items[0].quantity"),
    (item(0, quantity="1e2"), "FIELD_INVALID", "$.body.items[0].quantity"),
    (item(0, vins=["LSVAU2180N2183294"]), "RULE_VIOLATION", "$.body.items[0].vins"),
    (container(number="CSQU3054384"), "FIELD_INVALID", "$.body.containers[0].number"),
    (container(type="99"), "FIELD_INVALID", "$.body.containers[0].type"),
    (container(goods_seqs=[3]), "RULE_VIOLATION", "$.body.containers[0].goods_seqs"),
    (lambda body: body["containers"].append(dict(body["containers"][0])), "RULE_VIOLATION",
     "$.body.containers[1].number"),
    (head(packages=1, containers=[{"number": "CSQU3054383", "type": "21"},
                                  {"number": "MSKU1234565", "type": "21"}]),
     "RULE_VIOLATION", "$.body.packages"),
])
def test_each_rule_names_its_code_and_path(mutate: Mutation, code: str, path: str | None) -> None:
    body = example_declaration()
    mutate(body)
    result = verdict("dec.declaration", body)
    assert (result.code, result.path) == (code, path), result.message


def vehicle(quantity: int, vins: list[str]) -> dict[str, Any]:
    body = example_declaration(1)
    body["items"][0].update(hs_code="8703234100", name="小轿车", unit="003", legal_unit="003",
                            second_quantity=str(1500 * quantity), second_unit="035",
                            quantity=str(quantity), legal_quantity=str(quantity),
                            unit_price="20000", total=str(20000 * quantity), vins=vins)
    return body


def test_vehicles_need_one_distinct_vin_each() -> None:
    two = ["LSVAU2180N2183294", "LSVAU2180N2183295"]
    assert verdict("dec.declaration", vehicle(2, two)).status == "accepted"
    assert rejection("dec.declaration", vehicle(2, two[:1])) == (
        "RULE_VIOLATION", "$.body.items[0].vins")
    assert rejection("dec.declaration", vehicle(2, [two[0], two[0]])) == (
        "RULE_VIOLATION", "$.body.items[0].vins")


def test_iso6346_check_digit() -> None:
    assert iso6346_check_digit_ok("CSQU3054383")
    assert not iso6346_check_digit_ok("CSQU3054380")
