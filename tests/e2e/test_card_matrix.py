"""Card status x document type: every decision as PROTOCOL.md §4 and DOMAIN.md say.

An inactive or unknown card is refused before anything else (CARD_INACTIVE with
the reason, CERT_UNKNOWN), whatever it signs; an active card signs exactly the
identity types its kind, its department and its rights allow (else
PERMISSION_DENIED), and what it may sign is admitted (a receipt, 201 or 422).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from core_ext import sm2
from gateway.client import Signer
from routing.subsystems import REGISTRY
from tests.e2e.gateway import Gateway, batch

PLATFORM = {"platform"}
PLATFORM_OR_LEGAL = {"platform", "legal"}
# DOMAIN.md's signers for each identity type, written out independently of the specs.
SIGNERS: dict[str, set[str]] = {
    "identity.enterprise_register": PLATFORM,
    "identity.enterprise_change": PLATFORM,
    "identity.enterprise_cancel": PLATFORM,
    "identity.card_issue": PLATFORM,
    "identity.card_reissue": PLATFORM,
    "identity.cert_renew": PLATFORM_OR_LEGAL,
    "identity.card_lock": PLATFORM_OR_LEGAL,
    "identity.card_unlock": PLATFORM_OR_LEGAL,
    "identity.card_void": PLATFORM_OR_LEGAL,
    "identity.card_cancel": PLATFORM_OR_LEGAL,
    "identity.card_freeze": {"platform", "customs"},
    "identity.card_unfreeze": {"platform", "customs"},
    "identity.permission_grant": {"legal"},
    "identity.permission_revoke": {"legal"},
}
INACTIVE_DETAIL = {"locked": "card is locked", "frozen": "card is frozen",
                   "voided": "card is voided", "cancelled": "card is cancelled",
                   "expired": "card has expired", "not_yet_valid": "card is not yet valid"}
STATE_CHANGE = {"locked": "identity.card_lock", "frozen": "identity.card_freeze",
                "voided": "identity.card_void", "cancelled": "identity.card_cancel"}


def document(signer: Signer, sender: str, doc_type: str) -> bytes:
    return signer.document(doc_type, sender, REGISTRY[doc_type].example())


def platform_cards(gateway: Gateway) -> dict[str, Signer]:
    """A platform department card in each status (active, it could sign anything)."""
    code, now = gateway.platform_code, datetime.now(UTC)
    cards = {status: gateway.card(code, "department") for status in STATE_CHANGE}
    changes = [gateway.admin.document(doc_type, code, {"card": cards[status].cert,
                                                       "enterprise": code})
               for status, doc_type in STATE_CHANGE.items()]
    assert [r["status"] for r in batch(gateway, changes)] == [201] * len(changes)
    cards["expired"] = gateway.card(code, "department", not_before=now - timedelta(days=3),
                                    days=1)
    cards["not_yet_valid"] = gateway.card(code, "department", not_before=now + timedelta(days=3))
    cards["unknown"] = Signer(sm2.generate_private_key(), "7e57000000000001")
    return cards


def outcome(result: dict[str, Any]) -> tuple[int, str, str]:
    if "problem" in result:
        return result["status"], result["problem"]["code"], result["problem"]["detail"]
    return result["status"], "receipt", ""


def test_inactive_and_unknown_cards_sign_nothing(gateway: Gateway) -> None:
    cards = platform_cards(gateway)
    cases = [(status, doc_type) for status in cards for doc_type in sorted(REGISTRY)]
    results = batch(gateway, [document(cards[status], gateway.platform_code, doc_type)
                              for status, doc_type in cases])
    seen = {case: outcome(r) for case, r in zip(cases, results, strict=True)}
    expected = {(status, doc_type): (401, "CERT_UNKNOWN", "no certificate with this serial")
                if status == "unknown" else (403, "CARD_INACTIVE", INACTIVE_DETAIL[status])
                for status, doc_type in cases}
    assert seen == expected
    assert len(cases) == 7 * len(REGISTRY)


def test_active_cards_sign_what_their_kind_and_department_allow(gateway: Gateway) -> None:
    customs = gateway.enterprise("department", department_kind="customs")
    trader = gateway.enterprise()
    signers = {
        "platform": (gateway.admin, gateway.platform_code),
        "customs": (gateway.card(customs, "department"), customs),
        "legal": (gateway.card(trader, "legal"), trader),
        "operator": (gateway.card(trader, "operator", grants=["dec", "agent"]), trader),
        "declarant": (gateway.card(trader, "declarant"), trader),
    }
    cases = [(who, doc_type) for who in signers for doc_type in sorted(SIGNERS)]
    results = batch(gateway, [document(*signers[who], doc_type) for who, doc_type in cases])
    seen = {case: outcome(r)[:2] for case, r in zip(cases, results, strict=True)}
    admitted = {case for case, (_, code) in seen.items() if code == "receipt"}
    assert admitted == {(who, doc_type) for who, doc_type in cases if who in SIGNERS[doc_type]}
    assert {seen[case] for case in set(cases) - admitted} == {(403, "PERMISSION_DENIED")}
    assert {status for status, _ in (seen[case] for case in admitted)} <= {201, 422}
    assert set(SIGNERS) == {t for t in REGISTRY if t.startswith("identity.")}
