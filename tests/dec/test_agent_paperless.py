"""agent and paperless handlers: who may do what, and what the commit must check."""

from __future__ import annotations

from typing import Any

import pytest

from routing.ops import Create, Transition
from tests.dec.judging import BROKER, CUSTOMS, TRADER, ops_of, rejection, requires, verdict


def entrustment(**changes: Any) -> dict[str, Any]:
    return {"trader": TRADER, "broker": BROKER, "scope": "period", "direction": "I",
            "valid_from": "2026-11-01", "valid_to": "2027-10-31", **changes}


@pytest.mark.parametrize(("sender", "counterpart"), [(TRADER, BROKER), (BROKER, TRADER)])
def test_either_party_proposes_and_the_other_is_told(sender: str, counterpart: str) -> None:
    result = verdict("agent.entrust", entrustment(), sender=sender, doc_id="AG-1")
    (create,) = ops_of(result, Create)
    assert (create.key, create.state, create.data["used"]) == (f"{sender}/AG-1", "pending",
                                                               False)
    assert [r.key for r in requires(result, "enterprise")] == [TRADER, BROKER]
    assert result.event is not None and result.event.recipients == (counterpart,)


def test_trader_auto_confirm_makes_it_active_at_once() -> None:
    result = verdict("agent.entrust", entrustment(auto_confirm=True), sender=TRADER)
    assert ops_of(result, Create)[0].state == "active"
    assert rejection("agent.entrust", entrustment(auto_confirm=True), sender=BROKER) == (
        "RULE_VIOLATION", "$.body.auto_confirm")


@pytest.mark.parametrize(("body", "sender", "path"), [
    (entrustment(), "3300000001", "$.body.trader"),
    (entrustment(broker=TRADER), TRADER, "$.body.trader"),
    (entrustment(valid_to="2026-10-31"), TRADER, "$.body.valid_to"),
    (entrustment(valid_to="2027-12-31"), TRADER, "$.body.valid_to"),
    (entrustment(valid_from="2026-02-30"), TRADER, "$.body.valid_from"),
    (entrustment(scope="shipment"), TRADER, "$.body.bill_of_lading"),
    (entrustment(bill_of_lading="COSU1"), TRADER, "$.body.bill_of_lading"),
])
def test_entrustment_rules(body: dict[str, Any], sender: str, path: str) -> None:
    assert rejection("agent.entrust", body, sender=sender)[1] == path


def test_the_initiator_cannot_answer_its_own_proposal() -> None:
    assert rejection("agent.confirm", {"entrustment": f"{TRADER}/AG-1"}, sender=TRADER) == (
        "RULE_VIOLATION", "$.body.entrustment")
    result = verdict("agent.confirm", {"entrustment": f"{TRADER}/AG-1"}, sender=BROKER)
    (move,) = ops_of(result, Transition)
    assert (move.from_states, move.to_state) == (("pending",), "active")
    assert result.event is not None and result.event.recipients == (TRADER,)


def test_revoke_only_before_use() -> None:
    body = {"entrustment": f"{TRADER}/AG-1", "counterpart": BROKER}
    result = verdict("agent.revoke", body, sender=TRADER)
    unused = [r for r in requires(result, "entrustment") if r.where == "$.used == false"]
    assert unused and unused[0].code == "STATE_CONFLICT"
    (move,) = ops_of(result, Transition)
    assert (move.from_states, move.to_state) == (("pending", "active"), "revoked")


def test_paperless_sign_goes_to_the_customs_office() -> None:
    result = verdict("paperless.sign", {"district": "2200", "customs_office": CUSTOMS},
                     kind="legal", doc_id="PL-1")
    (create,) = ops_of(result, Create)
    assert (create.key, create.state, create.data["district"]) == (f"{TRADER}/PL-1",
                                                                   "pending", "2200")
    assert result.event is not None and result.event.recipients == (CUSTOMS,)
    assert rejection("paperless.sign", {"district": "9999", "customs_office": CUSTOMS},
                     kind="legal") == ("FIELD_INVALID", "$.body.district")


def test_customs_decides_and_the_enterprise_terminates_its_own() -> None:
    approve = verdict("paperless.approve", {"agreement": f"{TRADER}/PL-1"}, sender=CUSTOMS,
                      kind="department")
    assert requires(approve, "paperless")[0].vars == {"me": CUSTOMS}
    assert approve.event is not None and approve.event.recipients == (TRADER,)
    body = {"agreement": f"{TRADER}/PL-1", "customs_office": CUSTOMS}
    assert rejection("paperless.terminate", body, sender=BROKER, kind="legal") == (
        "RULE_VIOLATION", "$.body.agreement")
    ended = verdict("paperless.terminate", body, kind="legal")
    (move,) = ops_of(ended, Transition)
    assert (move.from_states, move.to_state) == (("pending", "approved"), "terminated")
