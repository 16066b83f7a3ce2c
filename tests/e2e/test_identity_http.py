"""Certificates, the CRL, enterprises and grants through the HTTP API, checked with OpenSSL."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx

from core_ext.pki import parse_crl
from tests.e2e.gateway import Gateway, batch
from tests.openssl_cli import DISTID, openssl


def crl_der(gateway: Gateway) -> bytes:
    reply = httpx.get(f"{gateway.url}/v1/platform/crl")
    assert (reply.status_code, reply.headers["content-type"]) == (200, "application/pkix-crl")
    return reply.content


def admin(gateway: Gateway, doc_type: str, body: dict[str, Any]) -> dict[str, Any]:
    return gateway.admin_submit(doc_type, body)


def test_certificates_verify_and_the_crl_lists_ended_cards(gateway: Gateway,
                                                           tmp_path: Path) -> None:
    enterprise = gateway.enterprise()
    cards = {name: gateway.card(enterprise, "legal" if name == "legal" else "operator")
             for name in ("legal", "lost", "quit", "renewed", "locked")}
    for name, doc_type in (("lost", "card_void"), ("quit", "card_cancel"),
                           ("renewed", "cert_renew"), ("locked", "card_lock")):
        admin(gateway, f"identity.{doc_type}", {"card": cards[name].cert,
                                                "enterprise": enterprise}
              if doc_type != "cert_renew" else {"card": cards[name].cert})
    (tmp_path / "ca.pem").write_bytes(httpx.get(f"{gateway.url}/v1/platform/cert").content)
    for name, card in cards.items():
        (tmp_path / f"{name}.pem").write_bytes(
            httpx.get(f"{gateway.url}/v1/certs/{card.cert}").content)
        assert f"{name}.pem: OK" in openssl(
            f"verify -vfyopt {DISTID} -CAfile ca.pem {name}.pem", cwd=tmp_path)

    first, second = crl_der(gateway), crl_der(gateway)
    (tmp_path / "crl.der").write_bytes(second)
    text = openssl("crl -inform DER -in crl.der -noout -text", cwd=tmp_path)
    assert "verify OK" in openssl("crl -inform DER -in crl.der -noout -verify -CAfile ca.pem",
                                  cwd=tmp_path)
    assert parse_crl(second).number > parse_crl(first).number  # type: ignore[operator]
    reasons = dict(re.findall(r"Serial Number: ([0-9A-F]+)\s+Revocation Date: [^\n]+\s+"
                              r"CRL entry extensions:\s+X509v3 CRL Reason Code:\s+(.+)", text))
    listed = {serial.lower().lstrip("0"): reason.strip() for serial, reason in reasons.items()}
    assert listed[cards["lost"].cert] == "Key Compromise"
    assert listed[cards["quit"].cert] == "Cessation Of Operation"
    assert listed[cards["renewed"].cert] == "Superseded"
    assert cards["locked"].cert not in listed and cards["legal"].cert not in listed

    openssl("crl -inform DER -in crl.der -out crl.pem", cwd=tmp_path)
    check = f"verify -crl_check -CRLfile crl.pem -vfyopt {DISTID} -CAfile ca.pem"
    assert "certificate revoked" in openssl(f"{check} lost.pem", cwd=tmp_path, check=False)
    assert "legal.pem: OK" in openssl(f"{check} legal.pem", cwd=tmp_path)


def test_card_status_is_public_and_says_why_a_card_cannot_sign(gateway: Gateway) -> None:
    enterprise = gateway.enterprise("broker", qualifications=["express_operator"])
    operator = gateway.card(enterprise, "operator", grants=["dec", "export_fx"])
    view = httpx.get(f"{gateway.url}/v1/cards/{operator.cert}").json()
    assert {k: view[k] for k in ("state", "status", "can_sign", "enterprise", "kind")} == {
        "state": "active", "status": "active", "can_sign": True, "enterprise": enterprise,
        "kind": "operator"}
    assert (view["grants"], view["rights"]) == (["dec", "export_fx"], ["dec"])
    admin(gateway, "identity.card_freeze", {"card": operator.cert, "enterprise": enterprise})
    view = httpx.get(f"{gateway.url}/v1/cards/{operator.cert}").json()
    assert (view["state"], view["status"], view["can_sign"]) == ("frozen", "frozen", False)
    assert httpx.get(f"{gateway.url}/v1/cards/0bad").status_code == 404


def test_grants_are_the_legal_cards_for_its_own_cards_only(gateway: Gateway) -> None:
    broker, other = gateway.enterprise("broker"), gateway.enterprise()
    legal = gateway.card(broker)
    operator, declarant = gateway.card(broker, "operator"), gateway.card(broker, "declarant")
    stranger = gateway.card(other, "operator")

    def grant(card: str, *subsystems: str, doc_type: str = "permission_grant") -> tuple[Any, ...]:
        (result,) = batch(gateway, [legal.document(f"identity.{doc_type}", broker,
                                                   {"card": card, "subsystems": subsystems})])
        receipt = result["receipt"]["receipt"]
        return result["status"], receipt["code"], receipt.get("path")

    assert grant(operator.cert, "payment", "archive") == (201, "OK", None)
    assert grant(declarant.cert, "paperless") == (201, "OK", None)
    assert grant(operator.cert, "archive", doc_type="permission_revoke") == (201, "OK", None)
    assert grant(operator.cert, "dec", "export_fx") == (
        422, "FIELD_INVALID", "$.body.subsystems[1]")
    assert grant(stranger.cert, "dec")[1] == "RULE_VIOLATION"
    assert grant(legal.cert, "dec")[1] == "RULE_VIOLATION"
    assert grant(operator.cert, "identity")[:2] == (422, "SCHEMA_INVALID")
    rights = {card.cert: httpx.get(f"{gateway.url}/v1/cards/{card.cert}").json()["rights"]
              for card in (operator, declarant)}
    assert rights == {operator.cert: ["payment"],
                      declarant.cert: ["agent", "dec", "paperless"]}


def test_enterprise_change_keeps_history_and_cancel_ends_every_card(gateway: Gateway) -> None:
    code = gateway.enterprise()
    legal, operator = gateway.card(code), gateway.card(code, "operator")
    locked = gateway.card(code, "declarant")
    admin(gateway, "identity.card_lock", {"card": locked.cert, "enterprise": code})
    admin(gateway, "identity.enterprise_change", {"code": code, "name": "新名字有限公司",
                                                  "qualifications": ["road_carrier"]})
    admin(gateway, "identity.enterprise_change", {"code": code, "type": "broker"})
    rights = httpx.get(f"{gateway.url}/v1/cards/{legal.cert}").json()["rights"]
    assert "road" in rights and "export_fx" not in rights  # a road carrier, now a broker
    admin(gateway, "identity.enterprise_cancel", {"code": code, "reason": "closed"})
    with gateway.client() as client:
        record = client.get(f"/v1/enterprises/{code}", gateway.admin).json()
        refused = client.submit(legal.document("identity.card_lock", code,
                                               {"card": operator.cert}))
    assert (refused.status, refused.json()["detail"]) == (403, "card is cancelled")
    assert record["state"] == "cancelled"
    names = [version["data"]["name"] for version in record["history"]]
    assert names == [f"企业 {code}", "新名字有限公司", "新名字有限公司", "新名字有限公司"]
    assert [v["data"]["type"] for v in record["history"]] == ["trader", "trader", "broker",
                                                              "broker"]
    assert [v["to"] for v in record["history"]] == ["active", "active", "active", "cancelled"]
    for card in (legal, operator, locked):
        view = httpx.get(f"{gateway.url}/v1/cards/{card.cert}").json()
        assert (view["state"], view["enterprise_state"]) == ("cancelled", "cancelled")
    again = batch(gateway, [gateway.admin.document(doc_type, gateway.platform_code, body)
                            for doc_type, body in (
                                ("identity.enterprise_cancel", {"code": code}),
                                ("identity.enterprise_change", {"code": code, "name": "x"}),
                                ("identity.card_unlock", {"card": locked.cert,
                                                          "enterprise": code}))])
    assert [r["receipt"]["receipt"]["code"] for r in again] == ["STATE_CONFLICT"] * 3


def test_enterprise_history_is_for_the_enterprise_and_departments(gateway: Gateway) -> None:
    code, other = gateway.enterprise(), gateway.enterprise()
    own, foreign = gateway.card(code), gateway.card(other)
    with gateway.client() as client:
        assert client.get(f"/v1/enterprises/{code}", own).status == 200
        assert client.get(f"/v1/enterprises/{code}", foreign).status == 404
        assert client.get(f"/v1/enterprises/{code}").status == 401
