"""Issue 6 scenarios through the HTTP API with real trader, broker and customs cards."""

from __future__ import annotations

import re

import pytest

from core_ext import fields
from tests.e2e.gateway import Gateway
from tests.e2e.trade import Party, Trade, outcome

ACCEPTED = ("accepted", "OK")


@pytest.fixture
def trade(gateway: Gateway) -> Trade:
    return Trade.onboard(gateway)


def test_own_declaration_accepted_released_closed(trade: Trade) -> None:
    key, receipt = trade.declare()
    assert outcome(receipt) == ACCEPTED and receipt["ref"] == {"declaration": key,
                                                               "state": "submitted"}
    accepted = trade.act("dec.accept", key)
    assert outcome(accepted) == ACCEPTED
    entry_id = accepted["ref"]["entry_id"]
    assert re.fullmatch(r"22002026" r"1[0-9]{9}", entry_id), entry_id
    assert fields.parse_entry_number(entry_id).is_import
    assert outcome(trade.act("dec.release", key)) == ACCEPTED
    closed = trade.act("dec.close", key)
    assert outcome(closed) == ACCEPTED and closed["ref"]["state"] == "closed"
    assert outcome(trade.act("dec.close", key)) == ("rejected", "STATE_CONFLICT")


def test_broker_needs_an_entrustment_that_covers_the_declaration(trade: Trade) -> None:
    _, unentrusted = trade.declare(trade.broker, entrustment=f"{trade.trader.code}/none")
    assert outcome(unentrusted) == ("rejected", "RULE_VIOLATION")
    assert unentrusted["path"] == "$.body.entrustment"
    exports_only = trade.entrust(direction="E")
    _, wrong_way = trade.declare(trade.broker, entrustment=exports_only)
    assert outcome(wrong_way) == ("rejected", "RULE_VIOLATION")

    entrustment = trade.entrust()
    key, receipt = trade.declare(trade.broker, entrustment=entrustment)
    assert outcome(receipt) == ACCEPTED
    accepted = trade.act("dec.accept", key)
    assert outcome(accepted) == ACCEPTED and len(accepted["ref"]["entry_id"]) == 18
    used = trade.send(trade.broker, "agent.revoke",
                      {"entrustment": entrustment, "counterpart": trade.trader.code})
    assert outcome(used) == ("rejected", "STATE_CONFLICT")


def test_one_shipment_entrustment_covers_one_declaration(trade: Trade) -> None:
    entrustment = trade.entrust(scope="shipment", bill_of_lading="COSU6281234560")
    _, first = trade.declare(trade.broker, entrustment=entrustment)
    _, second = trade.declare(trade.broker, entrustment=entrustment)
    assert (outcome(first), outcome(second)) == (ACCEPTED, ("rejected", "RULE_VIOLATION"))


def test_revoked_or_declined_entrustment_covers_nothing(trade: Trade) -> None:
    revoked = trade.entrust()
    assert outcome(trade.send(trade.trader, "agent.revoke",
                              {"entrustment": revoked, "counterpart": trade.broker.code})) == \
        ACCEPTED
    _, receipt = trade.declare(trade.broker, entrustment=revoked)
    assert outcome(receipt) == ("rejected", "RULE_VIOLATION")


def test_a_trader_cannot_declare_for_another_trader(trade: Trade, gateway: Gateway) -> None:
    other = Trade.onboard(gateway)
    _, receipt = trade.declare(other.trader, entrustment=f"{trade.trader.code}/x")
    assert outcome(receipt) == ("rejected", "RULE_VIOLATION") and receipt["path"] == "$.sender"


def test_processor_is_a_consignor_only_in_processing_trade(trade: Trade,
                                                          gateway: Gateway) -> None:
    code = gateway.enterprise("processor")
    processor = Party(code, gateway.card(code, "legal"))
    entrustment = trade.entrust(processor)
    general = trade.send(trade.broker, "dec.declaration", trade.declaration(
        consignor=processor.code, entrustment=entrustment))
    processing = trade.send(trade.broker, "dec.declaration", trade.declaration(
        consignor=processor.code, entrustment=entrustment, trade_mode="0214", levy_nature="502"))
    assert outcome(general) == ("rejected", "RULE_VIOLATION")
    assert general["path"] == "$.body.consignor"
    assert outcome(processing) == ACCEPTED


def test_paperless_entry_needs_an_approved_agreement(trade: Trade) -> None:
    _, without = trade.declare(entry_type="M")
    assert outcome(without) == ("rejected", "RULE_VIOLATION")
    assert without["path"] == "$.body.entry_type"
    signed = trade.send(trade.trader, "paperless.sign",
                        {"district": "2200", "customs_office": trade.customs.code})
    agreement = signed["ref"]["agreement"]
    _, pending = trade.declare(entry_type="M")
    assert outcome(pending) == ("rejected", "RULE_VIOLATION")
    approved = trade.send(trade.customs, "paperless.approve", {"agreement": agreement})
    assert approved["ref"]["state"] == "approved"
    key, receipt = trade.declare(entry_type="M")
    assert outcome(receipt) == ACCEPTED
    assert outcome(trade.act("dec.accept", key)) == ACCEPTED
    trade.send(trade.trader, "paperless.terminate",
               {"agreement": agreement, "customs_office": trade.customs.code})
    _, after = trade.declare(entry_type="M")
    assert outcome(after) == ("rejected", "RULE_VIOLATION")


def test_withdrawn_or_rejected_declarations_cannot_be_released(trade: Trade) -> None:
    withdrawn, _ = trade.declare()
    assert outcome(trade.act("dec.withdraw", withdrawn)) == ACCEPTED
    rejected, _ = trade.declare()
    assert outcome(trade.act("dec.reject", rejected, reason="申报要素不全")) == ACCEPTED
    for key in (withdrawn, rejected):
        release = trade.act("dec.release", key)
        assert outcome(release) == ("rejected", "STATE_CONFLICT")
        assert release["path"] == "$.body.declaration"


def test_tax_due_blocks_release_and_creates_bills(trade: Trade) -> None:
    key, _ = trade.declare()
    trade.act("dec.accept", key)
    due = trade.act("dec.tax_due", key, bills=[{"tax_type": "vat", "amount": "2600.00"}])
    assert outcome(due) == ACCEPTED and len(due["ref"]["tax_bills"]) == 1
    assert outcome(trade.act("dec.release", key)) == ("rejected", "STATE_CONFLICT")


def test_customs_actions_check_the_restated_parties(trade: Trade, gateway: Gateway) -> None:
    key, _ = trade.declare()
    other = Trade.onboard(gateway)
    stranger = other.act("dec.accept", key)
    assert outcome(stranger) == ("rejected", "REFERENCE_UNKNOWN")
    wrong = trade.act("dec.accept", key, declare_district="2201")
    assert outcome(wrong) == ("rejected", "REFERENCE_UNKNOWN")
