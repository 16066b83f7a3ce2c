"""What dec handlers ask the commit to check and do: parties, entrustment, paperless,
the state table, entry numbers, tax bills and who is notified."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from routing.ops import Create, NextSerial, Transition
from routing.subsystems.dec.example import example_declaration
from routing.subsystems.dec.states import DECLARATION_TRANSITIONS
from tests.dec.judging import BROKER, CUSTOMS, TRADER, ops_of, rejection, requires, verdict

DECLARATION = f"{BROKER}/DEC-7"


def test_own_declaration_checks_consignor_and_customs_office_only() -> None:
    result = verdict("dec.declaration", example_declaration())
    (consignor,) = requires(result, "enterprise")[:1]
    assert (consignor.key, consignor.contains) == (TRADER, {"type": "trader"})
    assert requires(result, "enterprise")[1].key == CUSTOMS
    assert not requires(result, "entrustment") and not requires(result, "paperless")
    (create,) = ops_of(result, Create)
    assert (create.key, create.state, create.data["declarant"]) == (
        f"{TRADER}/DOC-1", "submitted", TRADER)
    assert result.event is not None and result.event.recipients == (CUSTOMS,)


def test_processor_may_be_consignor_only_in_processing_trade() -> None:
    ordinary = requires(verdict("dec.declaration", example_declaration()), "enterprise")[0]
    processing = requires(verdict("dec.declaration", example_declaration(trade_mode="0214")),
                          "enterprise")[0]
    assert (ordinary.contains, ordinary.where) == ({"type": "trader"}, None)
    assert processing.where == '$.type == "trader" || $.type == "processor"'


def test_broker_declaration_names_an_entrustment() -> None:
    assert rejection("dec.declaration", example_declaration(), sender=BROKER) == (
        "RULE_VIOLATION", "$.body.entrustment")


def test_broker_declaration_requires_broker_type_and_covering_entrustment() -> None:
    body = example_declaration(entrustment=f"{TRADER}/AG-1")
    result = verdict("dec.declaration", body, sender=BROKER,
                     at=datetime(2026, 12, 31, 17, 0, tzinfo=UTC))
    broker = [r for r in requires(result, "enterprise") if r.key == BROKER]
    assert broker and broker[0].contains == {"type": "broker"}
    (covers,) = requires(result, "entrustment")
    assert covers.key == f"{TRADER}/AG-1"
    # 17:00 UTC on 31 December is already 1 January in China.
    assert covers.vars == {"trader": TRADER, "broker": BROKER, "day": "2027-01-01",
                           "flag": "I", "bl": "COSU6281234560"}
    (used,) = ops_of(result, Transition)
    assert (used.from_states, used.to_state, used.patch) == (("active",), "active",
                                                            {"used": True})
    assert result.event is not None and result.event.recipients == (TRADER, CUSTOMS)


@pytest.mark.parametrize(("entry_type", "paperless"), [("0", False), ("L", False),
                                                      ("W", True), ("D", True), ("M", True)])
def test_paperless_entry_types_require_an_approved_agreement(entry_type: str,
                                                             paperless: bool) -> None:
    result = verdict("dec.declaration", example_declaration(entry_type=entry_type))
    found = requires(result, "paperless")
    assert bool(found) == paperless
    if found:
        assert (found[0].states, found[0].owner, found[0].contains) == (
            ("approved",), TRADER, {"district": "2200"})


def action(doc_type: str, **extra: Any) -> dict[str, Any]:
    body = {"declaration": DECLARATION, "consignor": TRADER, "customs_office": CUSTOMS, **extra}
    if doc_type == "dec.accept":
        body |= {"declare_district": "2200", "import_export": "E"}
    if doc_type == "dec.tax_due":
        body["bills"] = [{"tax_type": "duty", "amount": "10.5"}]
    return body


@pytest.mark.parametrize("doc_type", sorted(DECLARATION_TRANSITIONS))
def test_every_action_follows_the_table_and_notifies_the_other_parties(doc_type: str) -> None:
    rule = DECLARATION_TRANSITIONS[doc_type]
    sender = CUSTOMS if rule.actor == "customs" else BROKER
    result = verdict(doc_type, action(doc_type), sender=sender,
                     kind="department" if rule.actor == "customs" else "operator")
    assert result.status == "accepted", result
    (move,) = [t for t in ops_of(result, Transition) if t.kind == "declaration"]
    assert (move.key, move.from_states, move.to_state) == (DECLARATION, rule.from_states,
                                                          rule.to_state)
    parties = requires(result, "declaration")[0]
    assert parties.contains["consignor"] == TRADER and parties.contains["customs_office"] == CUSTOMS
    everyone = {TRADER, BROKER, CUSTOMS}
    assert result.event is not None and set(result.event.recipients) == everyone - {sender}


def test_only_the_receiving_customs_office_acts() -> None:
    assert rejection("dec.release", action("dec.release"), sender="3100C00001",
                     kind="department") == ("RULE_VIOLATION", "$.body.customs_office")


def test_only_the_declarant_withdraws() -> None:
    assert rejection("dec.withdraw", action("dec.withdraw"), sender=TRADER) == (
        "RULE_VIOLATION", "$.body.declaration")


def test_accept_assigns_the_entry_number_in_the_commit() -> None:
    result = verdict("dec.accept", action("dec.accept"), sender=CUSTOMS, kind="department")
    (serial,) = ops_of(result, NextSerial)
    assert (serial.counter, serial.prefix, serial.width) == ("entry:220020260", "220020260", 9)
    assert serial.stamp == ("declaration", DECLARATION)
    (parties,) = requires(result, "declaration")
    assert parties.contains["declare_district"] == "2200"
    assert parties.contains["import_export"] == "E"


def test_tax_due_creates_unpaid_bills_with_exact_amounts() -> None:
    body = action("dec.tax_due")
    body["bills"].append({"tax_type": "vat", "amount": "1234567.89"})
    result = verdict("dec.tax_due", body, sender=CUSTOMS, kind="department", doc_id="TAX-1")
    bills = ops_of(result, Create)
    assert [(b.key, b.state, b.owner, b.data["amount"]) for b in bills] == [
        (f"{CUSTOMS}/TAX-1/1", "unpaid", TRADER, "10.5"),
        (f"{CUSTOMS}/TAX-1/2", "unpaid", TRADER, "1234567.89")]
    assert result.ref["tax_bills"] == [b.key for b in bills]


@pytest.mark.parametrize("amount", ["0", "-1", "1.234", "12345678901234567"])
def test_tax_bill_amounts_are_positive_cents(amount: str) -> None:
    body = action("dec.tax_due")
    body["bills"][0]["amount"] = amount
    assert rejection("dec.tax_due", body, sender=CUSTOMS, kind="department") == (
        "FIELD_INVALID", "$.body.bills[0].amount")
