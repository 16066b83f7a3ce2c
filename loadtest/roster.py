"""Who signs a corpus: enterprises and cards for every signer role of the mix.

``onboard`` registers them through the gateway as the platform admin
(``identity.enterprise_register`` then ``identity.card_issue``, as
``eport enterprise register`` / ``eport card issue`` do), then has every trader
sign its tri-party payment agreement (``payment.agreement``) with the bank for
each customs office, which the corpus's tax payments name; ``offline_roster``
invents all that, for servers that verify nothing (the echo baselines).
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import trio

from core_ext import sm2
from loadtest.chains import PaymentAgreement
from loadtest.corpus import Roster
from loadtest.corpus_store import Card
from loadtest.http1 import H11Connection
from loadtest.mix import MixEntry, customs_code, uscc
from loadtest.signing import envelope
from loadtest.transport import SINGLE, Target
from routing.subsystems import REGISTRY

BUSINESS_ROLES = ("trader", "broker", "processor")
PARALLEL = 8


class OnboardingError(Exception):
    """The gateway refused an onboarding document."""


@dataclass(frozen=True)
class Member:
    """An enterprise to create, and the card it signs with."""

    role: str
    code: str
    card_kind: str
    grants: tuple[str, ...] = ()


def members(mix: Sequence[MixEntry], enterprises: int, platform_code: str,
            platform_cards: int, rng: random.Random) -> list[Member]:
    roles = {entry.role for entry in mix} | {"trader"}  # card bodies name traders
    business = [role for role in BUSINESS_ROLES if role in roles]
    result = [Member(business[i % len(business)], customs_code(rng),
                     *_card_for(business[i % len(business)], mix))
              for i in range(max(enterprises, len(business)))]
    result += [Member(role, customs_code(rng), "department")
               for role in sorted(roles - set(BUSINESS_ROLES) - {"platform"})]
    if "platform" in roles:
        result += [Member("platform", platform_code, "department")] * platform_cards
    return result


def _card_for(role: str, mix: Sequence[MixEntry]) -> tuple[str, tuple[str, ...]]:
    """The card kind every type this role signs allows (legal if it can), and grants."""
    specs = [REGISTRY[entry.type] for entry in mix if entry.role == role]
    kinds = set.intersection(*(set(spec.card_kinds) for spec in specs)) if specs else set()
    kind = "legal" if not kinds or "legal" in kinds else sorted(kinds)[0]
    return kind, tuple(sorted({spec.subsystem for spec in specs}))


def _roster(members_: Sequence[Member], certs: Sequence[str], keys: Sequence[bytes]) -> Roster:
    cards = [Card(m.code, cert, key.hex()) for m, cert, key in zip(members_, certs, keys,
                                                                    strict=True)]
    by_role: dict[str, list[int]] = {}
    for number, member in enumerate(members_):
        by_role.setdefault(member.role, []).append(number)
    traders = sorted({m.code for m in members_ if m.role == "trader"})
    public_keys = [sm2.public_key(key).hex() for key in keys]
    return Roster(cards, by_role, traders, public_keys)


def payment_parties(roster: Roster) -> list[tuple[str, str, str]]:
    """(trader, customs office, bank): every trader pays every office's bills at one bank."""
    banks = roster.enterprises("bank")
    return [(trader, office, banks[0]) for trader in roster.enterprises("trader")
            for office in roster.enterprises("customs")] if banks else []


def offline_roster(members_: Sequence[Member], rng: random.Random) -> Roster:
    keys = [sm2.generate_private_key() for _ in members_]
    roster = _roster(members_, [f"{rng.getrandbits(63):x}" for _ in members_], keys)
    return replace(roster, payment_agreements={
        (trader, office): PaymentAgreement(f"{trader}/LT-OFFLINE-PAY-{number}", bank)
        for number, (trader, office, bank) in enumerate(payment_parties(roster))})


async def onboard(url: str, home: Path, members_: Sequence[Member],
                  rng: random.Random) -> Roster:
    from core_ext.pki import load_private_key

    admin = json.loads((home / "admin.json").read_text("utf-8"))
    admin_key = load_private_key((home / "admin.key").read_bytes())
    sender = Sender(Target(url, PARALLEL), admin["enterprise"], admin_key, admin["cert"])
    new = {m.code: m for m in members_ if m.code != admin["enterprise"]}
    await sender.all([("identity.enterprise_register", _register_body(m, rng))
                      for m in new.values()])
    keys = [sm2.generate_private_key() for _ in members_]
    receipts = await sender.all([
        ("identity.card_issue", {"enterprise": m.code, "kind": m.card_kind,
                                 "holder": f"负载测试 {m.role}",
                                 "public_key": sm2.public_key(key).hex(),
                                 "grants": list(m.grants)})
        for m, key in zip(members_, keys, strict=True)])
    roster = _roster(members_, [r["ref"]["cert"] for r in receipts], keys)
    return replace(roster, payment_agreements=await agree_payments(url, roster, rng))


async def agree_payments(url: str, roster: Roster,
                         rng: random.Random) -> dict[tuple[str, str], PaymentAgreement]:
    """Each trader signs its payment agreements with its own (legal) card."""
    cards = {card.enterprise: card for card in roster.cards}
    agreements = {}
    for trader, office, bank in payment_parties(roster):
        card = cards[trader]
        sender = Sender(Target(url, 1), trader, bytes.fromhex(card.private_key), card.cert)
        receipt = await sender.submit("payment.agreement", {
            "bank": bank, "customs_office": office,
            "account": f"6222{rng.randrange(10**15):015d}"})
        agreements[(trader, office)] = PaymentAgreement(receipt["ref"]["agreement"], bank)
    return agreements


def _register_body(member: Member, rng: random.Random) -> dict[str, Any]:
    body: dict[str, Any] = {"code": member.code, "uscc": uscc(rng),
                            "name": f"负载测试 {member.role} {member.code}"}
    if member.role in BUSINESS_ROLES:
        return {**body, "type": member.role}
    return {**body, "type": "department", "department_kind": member.role}


class Sender:
    """Signs documents as one card and submits them, ``PARALLEL`` at a time."""

    def __init__(self, target: Target, enterprise: str, key: bytes, cert: str) -> None:
        self._target = target
        self._enterprise = enterprise
        self._key = key
        self._cert = cert
        self._serial = 0

    async def all(self, documents: Sequence[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
        receipts: list[dict[str, Any]] = [{}] * len(documents)
        refused: list[OnboardingError] = []
        limit = trio.CapacityLimiter(PARALLEL)

        async def one(index: int, doc_type: str, body: dict[str, Any]) -> None:
            async with limit:
                try:
                    receipts[index] = await self.submit(doc_type, body)
                except OnboardingError as exc:
                    refused.append(exc)

        async with trio.open_nursery() as nursery:
            for index, (doc_type, body) in enumerate(documents):
                nursery.start_soon(one, index, doc_type, body)
        if refused:
            raise OnboardingError(f"{len(refused)} of {len(documents)} refused; {refused[0]}")
        return receipts

    async def submit(self, doc_type: str, body: dict[str, Any]) -> dict[str, Any]:
        doc = msgspec.json.encode({
            "id": f"LT-ONBOARD-{os.urandom(8).hex()}", "type": doc_type,
            "sender": self._enterprise,
            "ts": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "body": body})
        connection = await H11Connection.open(self._target)
        try:
            status, answer = await connection.post(
                SINGLE, envelope(doc, sm2.sign(self._key, doc), self._cert))
        finally:
            await connection.aclose()
        decoded: dict[str, Any] = msgspec.json.decode(answer)
        receipt = decoded.get("receipt") or {}
        if status not in (200, 201) or receipt.get("status") != "accepted":
            raise OnboardingError(f"{doc_type} refused: HTTP {status} {answer[:300]!r}")
        return dict(receipt)
