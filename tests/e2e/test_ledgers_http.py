"""Issue 7 scenarios through the HTTP API with real trader, customs, bank, mofcom, ccpit
and public security cards: tax payment, licence write-offs, VIN certificates."""

from __future__ import annotations

from typing import Any

import pytest

from routing.subsystems.dec.example import example_vehicle_declaration
from tests.e2e.gateway import Gateway
from tests.e2e.ledgers import Ledgers, department, random_vin, validity
from tests.e2e.trade import outcome

ACCEPTED = ("accepted", "OK")


@pytest.fixture
def desk(gateway: Gateway) -> Ledgers:
    return Ledgers.onboard(gateway)


def test_tax_due_then_payment_then_release(desk: Ledgers) -> None:
    trade = desk.trade
    key, (duty, vat) = desk.taxed("1000.00", "2600.50")
    assert outcome(trade.act("dec.release", key)) == ("rejected", "STATE_CONFLICT")
    agreement = desk.agreement()
    wrong = desk.instruct(key, duty, "999.99", agreement)
    assert outcome(wrong) == ("rejected", "RULE_VIOLATION") and wrong["path"] == "$.body.amount"
    assert outcome(desk.pay(key, duty, "1000", agreement)) == ACCEPTED
    assert outcome(trade.act("dec.release", key)) == ("rejected", "STATE_CONFLICT")
    confirmed = desk.pay(key, vat, "2600.5", agreement)
    assert outcome(confirmed) == ACCEPTED and confirmed["ref"]["state"] == "paid"
    again = desk.instruct(key, duty, "1000.00", agreement)
    assert outcome(again) == ("rejected", "STATE_CONFLICT")
    assert outcome(desk.confirm(key, vat, confirmed["ref"]["instruction"], "2600.50")) == (
        "rejected", "STATE_CONFLICT")
    released = trade.act("dec.release", key)
    assert outcome(released) == ACCEPTED and released["ref"]["state"] == "released"


def test_a_failed_payment_can_be_instructed_again(desk: Ledgers) -> None:
    key, (bill,) = desk.taxed("88.80")
    agreement = desk.agreement()
    first = desk.instruct(key, bill, "88.80", agreement)
    instruction = first["ref"]["instruction"]
    assert outcome(desk.instruct(key, bill, "88.80", agreement)) == (
        "rejected", "STATE_CONFLICT")
    failed = desk.trade.send(desk.bank, "payment.bank_fail", {
        "bill": bill, "declaration": key, "consignor": desk.trade.trader.code,
        "instruction": instruction, "reason": "余额不足"})
    assert outcome(failed) == ACCEPTED and failed["ref"]["state"] == "unpaid"
    stale = desk.confirm(key, bill, instruction, "88.80")
    assert outcome(stale) == ("rejected", "REFERENCE_UNKNOWN")
    assert outcome(desk.pay(key, bill, "88.80", agreement)) == ACCEPTED
    assert outcome(desk.trade.act("dec.release", key)) == ACCEPTED


def test_only_the_designated_payer_or_the_agreements_bank_acts(desk: Ledgers,
                                                               gateway: Gateway) -> None:
    trade = desk.trade
    key, (bill,) = desk.taxed("10.00")
    designated = desk.agreement(payer=trade.broker)
    own = desk.instruct(key, bill, "10.00", designated)
    assert outcome(own) == ("rejected", "RULE_VIOLATION") and own["path"] == "$.body.agreement"
    instructed = desk.instruct(key, bill, "10.00", designated, payer=trade.broker)
    assert outcome(instructed) == ACCEPTED
    other_bank = department(gateway, "bank")
    stranger = trade.send(other_bank, "payment.bank_confirm", {
        "bill": bill, "declaration": key, "consignor": trade.trader.code,
        "instruction": instructed["ref"]["instruction"], "amount": "10.00",
        "bank_reference": "X"})
    assert outcome(stranger) == ("rejected", "REFERENCE_UNKNOWN")
    assert outcome(desk.confirm(key, bill, instructed["ref"]["instruction"], "10")) == ACCEPTED


def write_off(licence: str, quantity: str, line: int = 1) -> dict[str, Any]:
    return {"licence": licence, "line": line, "quantity": quantity, "unit": "001"}


def declare_with(desk: Ledgers, *write_offs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A declaration whose first item (100 phones) carries ``write_offs``."""
    body = desk.trade.declaration(items=1)
    body["items"][0]["licences"] = list(write_offs)
    key = f"{desk.trade.trader.code}/DEC-{random_vin()}"
    receipt = desk.trade.send(desk.trade.trader, "dec.declaration", body,
                              key.split("/", 1)[1])
    return key, receipt


def test_licence_exhausted_then_reject_restores_the_balance(desk: Ledgers) -> None:
    licence = desk.issue(desk.mofcom, "import_licence", ("100", "001"), ("5", "001"))
    first, receipt = declare_with(desk, write_off(licence, "60"), write_off(licence, "5", 2))
    assert outcome(receipt) == ACCEPTED
    assert desk.balances(licence) == ["40", "0"]
    _, exhausted = declare_with(desk, write_off(licence, "60"))
    assert outcome(exhausted) == ("rejected", "LEDGER_INSUFFICIENT")
    assert exhausted["path"] == "$.body.items[0].licences[0].quantity"
    assert desk.balances(licence) == ["40", "0"]
    assert outcome(desk.trade.act("dec.accept", first)) == ACCEPTED
    assert outcome(desk.trade.act("dec.reject", first, reason="单证不符")) == ACCEPTED
    assert desk.balances(licence) == ["100", "5"]
    _, retried = declare_with(desk, write_off(licence, "60"))
    assert outcome(retried) == ACCEPTED
    assert desk.balances(licence) == ["40", "5"]


def test_a_write_off_needs_a_licence_of_the_consignor_with_that_line_and_unit(
        desk: Ledgers) -> None:
    own = desk.issue(desk.mofcom, "import_licence", ("100", "001"), ("100", "035"))
    brokers = desk.issue(desk.mofcom, "import_licence", ("100", "001"),
                         holder=desk.trade.broker.code)
    for entry in (write_off(own, "1", line=2), write_off(brokers, "1")):
        _, refused = declare_with(desk, entry)
        assert outcome(refused) == ("rejected", "RULE_VIOLATION")
        assert refused["path"] == "$.body.items[0].licences[0].licence"
    _, accepted = declare_with(desk, write_off(own, "1"))
    assert outcome(accepted) == ACCEPTED
    assert desk.balances(own) == ["99", "100"]


def test_licence_amend_revoke_and_who_reads_it(desk: Ledgers) -> None:
    licence = desk.issue(desk.mofcom, "import_licence", ("50", "001"))
    declare_with(desk, write_off(licence, "30"))
    amend: dict[str, Any] = {"licence": licence, "holder": desk.trade.trader.code}
    too_far = desk.trade.send(desk.mofcom, "licence.amend", amend | {"changes": [
        {"line": 1, "change": "decrease", "quantity": "21"}]})
    assert outcome(too_far) == ("rejected", "LEDGER_INSUFFICIENT")
    assert outcome(desk.trade.send(desk.mofcom, "licence.amend", amend | {"changes": [
        {"line": 1, "change": "increase", "quantity": "10"}]})) == ACCEPTED
    assert desk.balances(licence) == ["30"]
    assert desk.licence(licence, desk.trade.customs)[0] == 200
    assert desk.licence(licence, desk.mofcom)[0] == 200
    assert desk.licence(licence, desk.trade.broker)[0] == 404
    assert outcome(desk.trade.send(desk.ccpit, "licence.revoke", amend | {"reason": "x"})) == (
        "rejected", "REFERENCE_UNKNOWN")
    assert outcome(desk.trade.send(desk.mofcom, "licence.revoke", amend | {"reason": "撤销"})) \
        == ACCEPTED
    _, revoked = declare_with(desk, write_off(licence, "1"))
    assert outcome(revoked) == ("rejected", "RULE_VIOLATION")
    assert desk.balances(licence) == ["30"]


def test_only_the_kinds_department_issues(desk: Ledgers) -> None:
    wrong = desk.trade.send(desk.ccpit, "licence.issue", {
        "kind": "import_licence", "holder": desk.trade.trader.code, "number": "N", **validity(),
        "lines": [{"hs_code": "8517130000", "quantity": "1", "unit": "001"}]})
    assert outcome(wrong) == ("rejected", "RULE_VIOLATION") and wrong["path"] == "$.body.kind"


def test_certificate_of_origin_is_checked_item_by_item(desk: Ledgers) -> None:
    certificate = desk.issue(desk.ccpit, "origin_certificate", ("1000", "001"),
                             origin_country="USA")
    body = desk.trade.declaration(items=2)
    body["items"][1]["origin_certificates"] = [certificate]
    assert outcome(desk.trade.send(desk.trade.trader, "dec.declaration", body)) == ACCEPTED
    body["items"][1]["origin_country"] = "JPN"
    mismatch = desk.trade.send(desk.trade.trader, "dec.declaration", body)
    assert outcome(mismatch) == ("rejected", "RULE_VIOLATION")
    assert mismatch["path"] == "$.body.items[1].origin_certificates[0]"


def test_vehicle_release_issues_one_certificate_per_vin(desk: Ledgers) -> None:
    trade = desk.trade
    vins = [random_vin(), random_vin()]
    body = example_vehicle_declaration(vins, consignor=trade.trader.code,
                                       customs_office=trade.customs.code)
    key = f"{trade.trader.code}/DEC-{random_vin()}"
    assert outcome(trade.send(trade.trader, "dec.declaration", body, key.split("/")[1])) == \
        ACCEPTED
    trade.act("dec.accept", key)
    skipped = trade.act("dec.release", key, vins=vins[:1])
    assert outcome(skipped) == ("rejected", "RULE_VIOLATION") and skipped["path"] == "$.body.vins"
    assert desk.vehicle(vins[0], desk.police)[0] == 404
    assert outcome(trade.act("dec.release", key, vins=vins[::-1])) == ACCEPTED
    status, found = desk.vehicle(vins[1], desk.police)
    assert status == 200 and found["declaration"] == key and found["state"] == "issued"
    assert desk.vehicle(vins[0], trade.trader)[0] == 403
    assert desk.vehicle(random_vin(), desk.police)[0] == 404
