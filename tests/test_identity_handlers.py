"""Identity handlers as pure functions: the decisions and ops they return, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core_ext import sm2
from routing.cards import Card
from routing.errors import FieldInvalid, ReferenceUnknown, RuleViolation
from routing.ops import Derive, EditList, Transition, TransitionAll
from routing.registry import DocContext
from routing.subsystems.identity import certificates, enterprises, permissions

NOW = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
KEY = bytes.fromhex("3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8")


class FakeIssuer:
    def __init__(self) -> None:
        self.issued: list[dict[str, Any]] = []

    def issue(self, **fields: Any) -> str:
        self.issued.append(fields)
        return "-----BEGIN CERTIFICATE-----\n"


def card(serial: str, kind: str = "legal", enterprise: str = "1101910123",
         **changes: Any) -> Card:
    base: dict[str, Any] = dict(
        serial=serial, enterprise=enterprise, enterprise_type="trader", department_kind=None,
        kind=kind, holder="张三", status="active", not_before=NOW - timedelta(days=1),
        not_after=NOW + timedelta(days=1), public_key=sm2.public_key(KEY),
        rights=frozenset({"dec", "archive", "identity"}))
    base.update(changes)
    return Card(**base)


PLATFORM = card("a0", "department", "11000EPORT", enterprise_type="department",
                department_kind="platform")


def context(signer: Card, cards: dict[str, Card] | None = None) -> DocContext:
    return DocContext(signer.enterprise, "D-1", "identity.x", NOW, signer, FakeIssuer(),
                      cards if cards is not None else {})


def test_renewal_derives_a_successor_with_the_same_key_then_retires_the_card() -> None:
    legal = card("b1")
    ctx = context(PLATFORM, {"b1": legal})
    decision = certificates.renew(ctx, certificates.CertRenew(card="b1", days=30))
    derive, retire, slot = decision.ops
    new = decision.ref["cert"]
    assert isinstance(derive, Derive) and (derive.key, derive.source) == (new, "b1")
    assert derive.patch["public_key"] == legal.public_key.hex()
    assert derive.patch["not_after"] == (NOW + timedelta(days=30)).isoformat()
    assert isinstance(retire, Transition)
    assert (retire.key, retire.from_states, retire.to_state) == ("b1", ("active",), "renewed")
    assert (retire.patch["renewed_to"], retire.patch["revoked_at"]) == (new, NOW.isoformat())
    assert slot == Transition("legal_card", "1101910123", ("active",), "active", {"cert": new},
                              "$.body.card")
    assert decision.event is not None and decision.event.recipients == ("1101910123",)


def test_renewal_and_reissue_need_the_card_in_the_registry_and_legal_renews_itself() -> None:
    with pytest.raises(ReferenceUnknown):
        certificates.renew(context(PLATFORM), certificates.CertRenew(card="b1"))
    with pytest.raises(RuleViolation):
        certificates.renew(context(card("b1"), {"c2": card("c2", "operator")}),
                           certificates.CertRenew(card="c2"))
    own = certificates.renew(context(card("b1")), certificates.CertRenew(card="b1"))
    assert own.event is None


def test_reissue_certifies_the_new_key_with_a_new_card_number() -> None:
    new_key = sm2.public_key(sm2.generate_private_key()).hex()
    ctx = context(PLATFORM, {"c2": card("c2", "operator")})
    decision = certificates.reissue(ctx, certificates.CardReissue(card="c2", public_key=new_key))
    derive, retire = decision.ops
    assert isinstance(derive, Derive)
    assert (derive.patch["public_key"], derive.patch["card_no"]) == (new_key, derive.key)
    assert isinstance(retire, Transition)
    assert (retire.from_states, retire.to_state) == (("active", "locked"), "voided")
    assert isinstance(ctx.issuer, FakeIssuer)
    assert ctx.issuer.issued[0]["public_key"] == bytes.fromhex(new_key)


def test_enterprise_cancel_cancels_every_live_card_and_closes_the_slot() -> None:
    decision = enterprises.cancel_enterprise(context(PLATFORM),
                                             enterprises.EnterpriseCancel(code="1101910123"))
    _, cards, slot = decision.ops
    assert isinstance(cards, TransitionAll) and isinstance(slot, TransitionAll)
    assert (cards.kind, cards.owner, cards.from_states, cards.to_state) == (
        "card", "1101910123", ("active", "locked", "frozen"), "cancelled")
    assert (slot.kind, slot.to_state) == ("legal_card", "closed")
    with pytest.raises(RuleViolation):
        enterprises.cancel_enterprise(context(PLATFORM),
                                      enterprises.EnterpriseCancel(code="11000EPORT"))


def test_a_change_must_change_something() -> None:
    with pytest.raises(FieldInvalid):
        enterprises.changes_something(enterprises.EnterpriseChange(code="1101910123"))


def test_grants_are_edited_member_by_member_within_the_signers_rights() -> None:
    handle = permissions.SPECS[0].handler
    decision = handle(context(card("b1")),
                      permissions.Permission(card="c2", subsystems=["dec", "archive", "dec"]))
    edit = decision.ops[1]
    assert edit == EditList("card", "c2", "grants", ("active", "locked", "frozen"),
                            add=("archive", "dec"), remove=(), path="$.body.card")
    with pytest.raises(FieldInvalid) as refused:
        handle(context(card("b1")), permissions.Permission(card="c2",
                                                           subsystems=["dec", "payment"]))
    assert refused.value.path == "$.body.subsystems[1]"
