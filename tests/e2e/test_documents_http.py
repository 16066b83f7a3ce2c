"""PROTOCOL.md §2-4 over real sockets: HTTP/1.1 and HTTP/2 against `eport serve`."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from core_ext import sm2
from core_ext.pki import load_private_key
from gateway.client import Client, Reply, Signer, verify_receipt
from gateway.sealer import NONCES
from tests.e2e.gateway import Gateway, random_customs_code, random_uscc
from tests.openssl_cli import DISTID, openssl

HTTP_VERSIONS = pytest.mark.parametrize("http2", [False, True], ids=["http1.1", "http2"])


def register_body() -> dict[str, Any]:
    code = random_customs_code()
    return {"code": code, "uscc": random_uscc(), "name": f"企业 {code}", "type": "trader"}


def document(gateway: Gateway, doc_type: str, body: dict[str, Any], **head: Any) -> bytes:
    doc = {"id": f"T-{random_customs_code()}", "type": doc_type, "sender": gateway.platform_code,
           "ts": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "body": body, **head}
    return msgspec.json.encode(doc)


def submit(gateway: Gateway, envelope: bytes, *, http2: bool = False) -> Reply:
    with Client(gateway.url, http2=http2) as client:
        return client.submit(envelope)


def problem(reply: Reply) -> dict[str, Any]:
    body: dict[str, Any] = reply.json()
    assert body["status"] == reply.status
    return body


def test_openssl_signed_document_accepted_and_receipt_verifies_with_openssl(
    gateway: Gateway, tmp_path: Path
) -> None:
    openssl("genpkey -algorithm SM2 -out card.key", cwd=tmp_path)
    signer = gateway.card(gateway.platform_code, "department",
                          key=load_private_key((tmp_path / "card.key").read_bytes()))
    doc = document(gateway, "identity.enterprise_register", register_body())
    (tmp_path / "doc.json").write_bytes(doc)
    openssl(f"pkeyutl -sign -rawin -digest sm3 -pkeyopt {DISTID} -inkey card.key "
            "-in doc.json -out doc.sig", cwd=tmp_path)
    der = (tmp_path / "doc.sig").read_bytes()
    envelope = (b'{"doc":' + doc + b',"sig":"' + base64.b64encode(der) + b'","cert":"'
                + signer.cert.encode() + b'"}')

    reply = submit(gateway, envelope)
    assert reply.status == 201, reply.body
    opened = open_receipt(gateway, reply.body)
    assert opened.body.status == "accepted" and opened.body.code == "OK"
    assert opened.body.doc_sm3 == sm3_hex(doc)
    assert opened.body.cert == signer.cert

    certificate = httpx.get(f"{gateway.url}/v1/certs/{opened.cert}").content
    (tmp_path / "receipt.pem").write_bytes(certificate)
    (tmp_path / "ca.pem").write_bytes(httpx.get(f"{gateway.url}/v1/platform/cert").content)
    assert "receipt.pem: OK" in openssl(f"verify -vfyopt {DISTID} -CAfile ca.pem receipt.pem",
                                        cwd=tmp_path)
    (tmp_path / "receipt.body").write_bytes(opened.body_bytes)
    (tmp_path / "receipt.sig").write_bytes(sm2.sig_to_der(opened.signature))
    out = openssl(f"pkeyutl -verify -rawin -digest sm3 -pkeyopt {DISTID} -certin "
                  "-inkey receipt.pem -in receipt.body -sigfile receipt.sig", cwd=tmp_path)
    assert "Signature Verified Successfully" in out


def sm3_hex(data: bytes) -> str:
    from core_ext import sm3

    return sm3.digest(data).hex()


def open_receipt(gateway: Gateway, envelope: bytes) -> Any:
    serial = json.loads(envelope)["cert"]
    certificate = httpx.get(f"{gateway.url}/v1/certs/{serial}").content
    return verify_receipt(envelope, certificate)


@HTTP_VERSIONS
def test_replay_conflict_and_tampering(gateway: Gateway, http2: bool) -> None:
    doc = document(gateway, "identity.enterprise_register", register_body())
    envelope = gateway.admin.envelope(doc)
    first = submit(gateway, envelope, http2=http2)
    assert first.status == 201 and not first.replay
    again = submit(gateway, envelope, http2=http2)
    assert (again.status, again.replay, again.body) == (200, True, first.body)

    other = json.loads(doc)
    other["body"]["name"] = "另一个名字"
    conflict = submit(gateway, gateway.admin.envelope(msgspec.json.encode(other)), http2=http2)
    assert conflict.status == 409 and problem(conflict)["code"] == "ID_CONFLICT"

    flipped = bytearray(envelope)
    flipped[envelope.index(b'"name"') + 10] ^= 0x01
    tampered = submit(gateway, bytes(flipped), http2=http2)
    assert tampered.status == 401 and problem(tampered)["code"] == "SIGNATURE_INVALID"


@HTTP_VERSIONS
# ts is written in whole seconds and checked a moment later: 10 s past each edge of
# the window (300 s ahead, 24 h behind) keeps a slow machine from landing inside it.
@pytest.mark.parametrize("skew", [timedelta(seconds=310), timedelta(hours=-24, seconds=-10)])
def test_timestamp_outside_the_window(gateway: Gateway, http2: bool, skew: timedelta) -> None:
    ts = (datetime.now(UTC) + skew).strftime("%Y-%m-%dT%H:%M:%SZ")
    doc = document(gateway, "identity.enterprise_register", register_body(), ts=ts)
    reply = submit(gateway, gateway.admin.envelope(doc), http2=http2)
    assert reply.status == 400 and problem(reply)["code"] == "TIMESTAMP_OUT_OF_WINDOW"


def test_unknown_certificate(gateway: Gateway) -> None:
    stranger = Signer(sm2.generate_private_key(), "1234abcd")
    reply = submit(gateway, stranger.envelope(
        document(gateway, "identity.enterprise_register", register_body())))
    assert reply.status == 401 and problem(reply)["code"] == "CERT_UNKNOWN"


def test_locked_card_is_refused_until_unlocked(gateway: Gateway) -> None:
    enterprise = gateway.enterprise()
    legal = gateway.card(enterprise, "legal")
    operator = gateway.card(enterprise, "operator")
    lock = legal.document("identity.card_lock", enterprise, {"card": legal.cert})
    assert submit(gateway, lock).status == 201
    refused = submit(gateway, legal.document("identity.card_unlock", enterprise,
                                             {"card": legal.cert}))
    assert refused.status == 403
    assert problem(refused)["code"] == "CARD_INACTIVE"
    assert "locked" in problem(refused)["detail"]
    unlock = gateway.admin.document("identity.card_unlock", gateway.platform_code,
                                    {"card": legal.cert, "enterprise": enterprise})
    assert submit(gateway, unlock).status == 201
    again = submit(gateway, legal.document("identity.card_lock", enterprise,
                                           {"card": operator.cert}))
    assert again.status == 201


def test_card_may_not_sign_for_another_enterprise_or_without_the_right(gateway: Gateway) -> None:
    enterprise = gateway.enterprise()
    operator = gateway.card(enterprise, "operator")
    foreign = submit(gateway, operator.document("identity.card_lock", gateway.platform_code,
                                                {"card": operator.cert}))
    assert foreign.status == 403 and problem(foreign)["code"] == "PERMISSION_DENIED"
    own = submit(gateway, operator.document("identity.card_lock", enterprise,
                                            {"card": operator.cert}))
    assert own.status == 403 and problem(own)["code"] == "PERMISSION_DENIED"


def test_schema_error_gets_a_signed_rejection_receipt_with_path(gateway: Gateway) -> None:
    body = {**register_body(), "type": "smuggler"}
    doc = document(gateway, "identity.enterprise_register", body)
    envelope = gateway.admin.envelope(doc)
    reply = submit(gateway, envelope)
    assert reply.status == 422
    opened = open_receipt(gateway, reply.body)
    assert (opened.body.status, opened.body.code, opened.body.path) == (
        "rejected", "SCHEMA_INVALID", "$.body.type")
    assert submit(gateway, envelope).body == reply.body
    bad_uscc = {**register_body(), "uscc": "91110000600037341X"}
    reply = submit(gateway, gateway.admin.envelope(
        document(gateway, "identity.enterprise_register", bad_uscc)))
    receipt = reply.json()["receipt"]
    assert (reply.status, receipt["code"], receipt["path"]) == (422, "FIELD_INVALID",
                                                                 "$.body.uscc")


def test_batch_answers_in_request_order(gateway: Gateway) -> None:
    good = gateway.admin.envelope(document(gateway, "identity.enterprise_register",
                                           register_body()))
    stranger = Signer(sm2.generate_private_key(), "1234abcd").envelope(
        document(gateway, "identity.enterprise_register", register_body()))
    with gateway.client() as client:
        reply = client.submit_batch([good, b'{"doc":1}', stranger, good])
    assert reply.status == 200
    results = reply.json()["results"]
    assert [r["status"] for r in results] == [201, 400, 401, 200]
    assert results[1]["problem"]["code"] == "ENVELOPE_INVALID"
    assert results[0]["receipt"] == results[3]["receipt"]


def test_media_type_and_size_limits(gateway: Gateway) -> None:
    envelope = gateway.admin.envelope(document(gateway, "identity.enterprise_register",
                                               register_body()))
    wrong = httpx.post(f"{gateway.url}/v1/documents", content=envelope,
                       headers={"content-type": "text/plain"})
    assert wrong.status_code == 415 and wrong.json()["code"] == "UNSUPPORTED_MEDIA_TYPE"
    huge = httpx.post(f"{gateway.url}/v1/documents", content=b" " * (1 << 20 + 1),
                      headers={"content-type": "application/json"})
    assert huge.status_code == 413 and huge.json()["code"] == "TOO_LARGE"
    assert huge.headers["content-type"] == "application/problem+json"


def test_queries_need_a_signed_request(gateway: Gateway) -> None:
    enterprise = gateway.enterprise()
    legal = gateway.card(enterprise, "legal")
    lock = legal.document("identity.card_lock", enterprise, {"card": legal.cert},
                          doc_id="Q-LOCK-1")
    assert submit(gateway, lock).status == 201
    with gateway.client() as client:
        unsigned = client.get(f"/v1/documents/{enterprise}/Q-LOCK-1")
        assert unsigned.status == 401
        # the card is locked now: queries by it are refused too
        assert client.get(f"/v1/documents/{enterprise}/Q-LOCK-1", legal).status == 403
        operator_doc = gateway.admin.document("identity.card_unlock", gateway.platform_code,
                                              {"card": legal.cert, "enterprise": enterprise})
        assert client.submit(operator_doc).status == 201
        found = client.get(f"/v1/documents/{enterprise}/Q-LOCK-1", legal)
        assert found.status == 200
        assert found.json()["receipt"]["receipt"]["doc_id"] == "Q-LOCK-1"
        feed = client.get("/v1/receipts?after=0&limit=10", legal)
        assert feed.status == 200
        items = feed.json()["items"]
        assert [item["receipt"]["doc_id"] for item in items] == ["Q-LOCK-1",
                                                                  operator_doc_id(operator_doc)]
        assert [item["receipt"]["status"] for item in items] == ["accepted", "event"]
        assert items[1]["receipt"]["ref"] == {"card": legal.cert, "state": "active"}
        assert feed.json()["next"] == items[-1]["receipt"]["seq"]
        missing = client.get(f"/v1/documents/{enterprise}/NOPE", legal)
        assert missing.status == 404


def operator_doc_id(envelope: bytes) -> str:
    return str(json.loads(envelope)["doc"]["id"])


def test_schemas_examples_health_and_metrics(gateway: Gateway) -> None:
    schemas = httpx.get(f"{gateway.url}/v1/schemas").json()
    assert "identity.enterprise_register" in schemas
    one = httpx.get(f"{gateway.url}/v1/schemas/identity.card_issue").json()
    assert one["title"] == "identity.card_issue"
    assert httpx.get(f"{gateway.url}/v1/schemas/no.such").status_code == 404
    assert httpx.get(f"{gateway.url}/healthz").status_code == 200
    assert httpx.get(f"{gateway.url}/readyz").status_code == 200
    metrics = httpx.get(f"{gateway.url}/metrics").text
    assert "eport_documents_total" in metrics


def test_the_sealer_makes_up_the_nonces_its_receipts_used(gateway: Gateway) -> None:
    def ready() -> float:
        metrics = httpx.get(f"{gateway.url}/metrics").text
        (line,) = [x for x in metrics.splitlines() if x.startswith("eport_sealer_nonces_ready ")]
        return float(line.split()[1])

    enterprise = gateway.enterprise()
    legal = gateway.card(enterprise, "legal")
    with gateway.client() as client:
        reply = client.submit_batch(
            [legal.document("identity.card_lock", enterprise, {"card": "ab"}) for _ in range(50)])
    assert reply.status == 200
    deadline = time.monotonic() + 10
    while ready() < NONCES and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ready() == NONCES


def test_rate_limit_per_certificate(tight_gateway: Gateway) -> None:
    enterprise = tight_gateway.enterprise()
    legal = tight_gateway.card(enterprise, "legal")
    with tight_gateway.client() as client:
        envelopes = [legal.document("identity.card_lock", enterprise, {"card": "ab"})
                     for _ in range(40)]
        reply = client.submit_batch(envelopes)
    statuses = [r["status"] for r in reply.json()["results"]]
    assert 429 in statuses and statuses.index(429) >= 19
    limited = next(r for r in reply.json()["results"] if r["status"] == 429)
    assert limited["problem"]["code"] == "RATE_LIMITED"
