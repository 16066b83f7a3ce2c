"""The card state table over HTTP: every (state, action) pair, renewal and reissue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from core_ext.pki import KeyPair, public_key_to_hex
from gateway.client import Signer
from tests.e2e.gateway import Gateway, batch

LIVE = {"active", "locked", "frozen"}
# DOMAIN.md's card lifecycle, written out independently of routing's table.
ALLOWED: dict[str, set[str]] = {
    "card_lock": {"active"},
    "card_unlock": {"locked"},
    "card_freeze": {"active"},
    "card_unfreeze": {"frozen"},
    "card_void": LIVE,
    "card_cancel": LIVE,
    "cert_renew": {"active"},
    "card_reissue": {"active", "locked"},
    "permission_grant": LIVE,
}
SETUP = {"active": None, "locked": "card_lock", "frozen": "card_freeze", "voided": "card_void",
         "cancelled": "card_cancel", "renewed": "cert_renew"}


def new_key_hex() -> str:
    return public_key_to_hex(KeyPair.generate().public_key)


def issue_many(gateway: Gateway, enterprise: str, count: int) -> list[str]:
    body = {"enterprise": enterprise, "kind": "operator", "holder": "王五",
            "public_key": new_key_hex()}
    results = batch(gateway, [gateway.admin.document("identity.card_issue", gateway.platform_code,
                                                     body) for _ in range(count)])
    assert all(r["status"] == 201 for r in results), results
    return [r["receipt"]["receipt"]["ref"]["cert"] for r in results]


def action(gateway: Gateway, legal: Signer, enterprise: str, name: str, card: str) -> bytes:
    if name == "permission_grant":
        return legal.document("identity.permission_grant", enterprise,
                              {"card": card, "subsystems": ["archive"]})
    body: dict[str, Any] = {"card": card, "enterprise": enterprise}
    if name == "cert_renew":
        body = {"card": card}
    elif name == "card_reissue":
        body = {"card": card, "public_key": new_key_hex()}
    return gateway.admin.document(f"identity.{name}", gateway.platform_code, body)


def test_every_pair_of_state_and_action_follows_the_table(gateway: Gateway) -> None:
    enterprise = gateway.enterprise()
    legal = gateway.card(enterprise)
    pairs = [(state, name) for state in SETUP for name in ALLOWED]
    cards = issue_many(gateway, enterprise, len(pairs))
    setup = [action(gateway, legal, enterprise, SETUP[state], card)  # type: ignore[arg-type]
             for (state, _), card in zip(pairs, cards, strict=True) if SETUP[state]]
    assert all(r["status"] == 201 for r in batch(gateway, setup))
    results = batch(gateway, [action(gateway, legal, enterprise, name, card)
                              for (_, name), card in zip(pairs, cards, strict=True)])
    seen = {pair: (r["status"], r["receipt"]["receipt"]["code"])
            for pair, r in zip(pairs, results, strict=True)}
    expected = {(state, name): (201, "OK") if state in ALLOWED[name] else (422, "STATE_CONFLICT")
                for state, name in pairs}
    assert seen == expected
    assert sum(code == "STATE_CONFLICT" for _, code in seen.values()) == 54 - 16


def card_view(gateway: Gateway, serial: str) -> dict[str, Any]:
    reply = httpx.get(f"{gateway.url}/v1/cards/{serial}")
    assert reply.status_code == 200, reply.text
    view: dict[str, Any] = reply.json()
    return view


def lock_doc(signer: Signer, enterprise: str, card: str) -> bytes:
    return signer.document("identity.card_lock", enterprise, {"card": card})


def test_renewal_cures_expiry_with_a_new_serial_and_the_same_key(gateway: Gateway) -> None:
    enterprise = gateway.enterprise()
    legal = gateway.card(enterprise, not_before=datetime.now(UTC) - timedelta(days=3), days=1)
    operator = gateway.card(enterprise, "operator")
    with gateway.client() as client:
        expired = client.submit(lock_doc(legal, enterprise, operator.cert))
        assert (expired.status, expired.json()["detail"]) == (403, "card has expired")
        renewal = client.submit(gateway.admin.document(
            "identity.cert_renew", gateway.platform_code, {"card": legal.cert, "days": 30}))
        assert renewal.status == 201, renewal.body
        ref = renewal.json()["receipt"]["ref"]
        renewed = Signer(legal.private_key, ref["cert"])
        assert ref["cert"] != legal.cert
        assert client.submit(lock_doc(renewed, enterprise, operator.cert)).status == 201
        old = client.submit(lock_doc(legal, enterprise, operator.cert))
        assert (old.status, old.json()["detail"]) == (403, "card is renewed")
        own = client.submit(renewed.document("identity.cert_renew", enterprise,
                                             {"card": renewed.cert}))
        assert own.status == 201, own.body
        other = client.submit(Signer(legal.private_key, own.json()["receipt"]["ref"]["cert"])
                              .document("identity.cert_renew", enterprise,
                                        {"card": operator.cert}))
        assert other.json()["receipt"]["code"] == "RULE_VIOLATION"
    first, second = card_view(gateway, legal.cert), card_view(gateway, ref["cert"])
    assert (first["state"], first["renewed_to"]) == ("renewed", ref["cert"])
    assert (second["renewed_from"], second["card_no"]) == (legal.cert, first["card_no"])
    assert (second["state"], second["holder"], second["kind"]) == ("renewed", "测试持卡人", "legal")


def test_reissue_voids_the_old_card_and_keeps_holder_and_rights(gateway: Gateway) -> None:
    enterprise = gateway.enterprise()
    legal = gateway.card(enterprise)
    operator = gateway.card(enterprise, "operator", grants=["payment"])
    with gateway.client() as client:
        grant = client.submit(legal.document("identity.permission_grant", enterprise,
                                             {"card": operator.cert, "subsystems": ["archive"]}))
        assert grant.status == 201, grant.body
        replaced = {}
        for card in (operator, legal):
            pair = KeyPair.generate()
            reply = client.submit(gateway.admin.document(
                "identity.card_reissue", gateway.platform_code,
                {"card": card.cert, "public_key": public_key_to_hex(pair.public_key),
                 "reason": "card lost"}))
            assert reply.status == 201, reply.body
            replaced[card.cert] = Signer(pair.private_key, reply.json()["receipt"]["ref"]["cert"])
        new_legal, new_operator = replaced[legal.cert], replaced[operator.cert]
        refused = client.submit(lock_doc(legal, enterprise, new_operator.cert))
        assert (refused.status, refused.json()["detail"]) == (403, "card is voided")
        assert client.get("/v1/receipts", operator).status == 403
        assert client.get("/v1/receipts", new_operator).status == 200
        assert client.submit(lock_doc(new_legal, enterprise, new_operator.cert)).status == 201
    old, new = card_view(gateway, operator.cert), card_view(gateway, new_operator.cert)
    assert (old["state"], old["reissued_to"], new["reissued_from"]) == (
        "voided", new_operator.cert, operator.cert)
    assert new["card_no"] == new_operator.cert != old["card_no"]
    for member in ("holder", "kind", "enterprise", "grants"):
        assert new[member] == old[member]
    assert new["rights"] == old["rights"] == ["archive", "payment"]
    assert new["state"] == "locked"
    # the legal-card slot follows the reissued legal card: no second legal card
    extra = gateway.admin.document("identity.card_issue", gateway.platform_code, {
        "enterprise": enterprise, "kind": "legal", "holder": "赵六", "public_key": new_key_hex()})
    with gateway.client() as client:
        assert client.submit(extra).json()["receipt"]["code"] == "STATE_CONFLICT"


def test_a_voided_legal_card_can_be_replaced_by_a_new_one(gateway: Gateway) -> None:
    enterprise = gateway.enterprise()
    legal = gateway.card(enterprise)
    with gateway.client() as client:
        assert client.submit(legal.document("identity.card_void", enterprise,
                                            {"card": legal.cert})).status == 201
    successor = gateway.card(enterprise)
    with gateway.client() as client:
        operator = gateway.card(enterprise, "operator")
        assert client.submit(lock_doc(successor, enterprise, operator.cert)).status == 201
