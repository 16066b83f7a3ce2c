"""Business threads: the documents that follow a root document, as the gateway's rules
want them (routing/subsystems).

A root document (a declaration, an entrustment, a paperless agreement) starts a
thread; ``THREADS`` gives, per root type, the paths its thread may take, each
weighted in mix units: of the declaration's weight 25, a weight of 2.5 goes
through acceptance, tax, payment, release and close, and so on; whatever weight
no path takes stays a bare root. The follow-up types' weights in the mix are
exactly what these paths add up to (tests/test_loadtest_mix.py checks it), so
drawing only roots keeps the mix's split. Declaration paths follow the state
table (dec/states.py): withdraw or reject before acceptance; inspection from
``accepted``; tax bills paid (bank confirmation) before release; close after it.

``FOLLOW_UPS`` says, per follow-up type, which fact of the thread names its
signer and how its body is built from the facts. Every follow-up restates what
its handler checks against the antecedent (consignor, customs office, district,
direction, bill and amount, instruction), and may learn new facts (the bill a
tax_due creates, the instruction a payment makes) for the steps after it.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass
from itertools import takewhile
from typing import Any

Facts = Mapping[str, str]


@dataclass(frozen=True)
class PaymentAgreement:
    """A trader's standing agreement to pay one customs office's tax bills at a bank."""

    key: str  # "<trader>/<doc id>"
    bank: str


@dataclass(frozen=True)
class Path:
    """The follow-ups one root document gets, in order."""

    weight: float  # in mix units, out of the root type's weight
    types: tuple[str, ...]


@dataclass(frozen=True)
class Thread:
    """What may follow a root type, and the facts of the root its follow-ups need."""

    key_as: str  # the fact naming the root document, "<sender>/<doc id>"
    sender_as: str  # the fact naming the root's sender
    restated: tuple[str, ...]  # root body fields that follow-ups restate
    paths: tuple[Path, ...]

    def draw(self, rng: random.Random, root_weight: float) -> tuple[str, ...]:
        roll = rng.uniform(0.0, root_weight)
        for path in self.paths:
            if roll < path.weight:
                return path.types
            roll -= path.weight
        return ()


PAID = ("dec.tax_due", "payment.instruct", "payment.bank_confirm")

THREADS: dict[str, Thread] = {
    # Of the declaration's 25: accept 6, release 6, tax_due, instruct, bank_confirm and
    # close 4 each, inspect 1, reject 0.5, withdraw 0.2 (the mix's weights).
    "dec.declaration": Thread(
        "declaration", "declarant",
        ("consignor", "customs_office", "declare_district", "import_export"), (
            Path(2.5, ("dec.accept", *PAID, "dec.release", "dec.close")),
            Path(1.0, ("dec.accept", *PAID, "dec.release")),
            Path(0.5, ("dec.accept", "dec.inspect", *PAID, "dec.release", "dec.close")),
            Path(1.0, ("dec.accept", "dec.release", "dec.close")),
            Path(0.5, ("dec.accept", "dec.inspect", "dec.release")),
            Path(0.5, ("dec.accept", "dec.release")),
            Path(0.5, ("dec.reject",)),
            Path(0.2, ("dec.withdraw",)),
        )),
    "agent.entrust": Thread("entrustment", "trader", ("broker",),
                            (Path(3.0, ("agent.confirm",)),)),
    "paperless.sign": Thread("paperless", "enterprise", ("customs_office",),
                             (Path(0.2, ("paperless.approve",)),)),
}


@dataclass(frozen=True)
class StepContext:
    facts: Facts
    key: str  # this document's "<sender>/<doc id>"
    rng: random.Random
    payment_agreements: Mapping[tuple[str, str], PaymentAgreement]


Built = tuple[dict[str, Any], dict[str, str]]  # the body, and the facts it adds


def declaration_action(ctx: StepContext) -> Built:
    """The declaration and the parties its handler checks it against."""
    facts = ctx.facts
    return {"declaration": facts["declaration"], "consignor": facts["consignor"],
            "customs_office": facts["customs_office"]}, {}


def accept(ctx: StepContext) -> Built:
    body, _ = declaration_action(ctx)
    return body | {"declare_district": ctx.facts["declare_district"],
                   "import_export": ctx.facts["import_export"]}, {}


def reject(ctx: StepContext) -> Built:
    body, _ = declaration_action(ctx)
    return body | {"reason": "随附单证不齐"}, {}


def tax_due(ctx: StepContext) -> Built:
    """One import VAT bill, so that each tax_due has one payment (the mix's 4:4:4)."""
    cents = ctx.rng.randrange(10_00, 500_000_00)
    amount = f"{cents // 100}.{cents % 100:02d}"
    body, _ = declaration_action(ctx)
    return body | {"bills": [{"tax_type": "vat", "amount": amount}]}, {
        "bill": f"{ctx.key}/1", "amount": amount}


def bill_action(facts: Facts) -> dict[str, Any]:
    return {"bill": facts["bill"], "declaration": facts["declaration"],
            "consignor": facts["consignor"], "amount": facts["amount"]}


def instruct(ctx: StepContext) -> Built:
    agreement = ctx.payment_agreements[(ctx.facts["consignor"], ctx.facts["customs_office"])]
    return bill_action(ctx.facts) | {"agreement": agreement.key, "bank": agreement.bank}, {
        "instruction": ctx.key, "bank": agreement.bank}


def bank_confirm(ctx: StepContext) -> Built:
    return bill_action(ctx.facts) | {
        "instruction": ctx.facts["instruction"],
        "bank_reference": f"LT{ctx.rng.randrange(10**12):012d}"}, {}


def confirm_entrustment(ctx: StepContext) -> Built:
    return {"entrustment": ctx.facts["entrustment"]}, {}


def approve_paperless(ctx: StepContext) -> Built:
    return {"agreement": ctx.facts["paperless"]}, {}


@dataclass(frozen=True)
class FollowUp:
    signer: str  # the fact naming the signing enterprise
    build: Callable[[StepContext], Built]


FOLLOW_UPS: dict[str, FollowUp] = {
    "dec.accept": FollowUp("customs_office", accept),
    "dec.tax_due": FollowUp("customs_office", tax_due),
    "dec.inspect": FollowUp("customs_office", declaration_action),
    "dec.release": FollowUp("customs_office", declaration_action),
    "dec.close": FollowUp("customs_office", declaration_action),
    "dec.reject": FollowUp("customs_office", reject),
    "dec.withdraw": FollowUp("declarant", declaration_action),
    "payment.instruct": FollowUp("consignor", instruct),
    "payment.bank_confirm": FollowUp("bank", bank_confirm),
    "agent.confirm": FollowUp("broker", confirm_entrustment),
    "paperless.approve": FollowUp("customs_office", approve_paperless),
}


@dataclass(frozen=True)
class Step:
    """A thread's next document: ``types[0]``, then the rest of its path."""

    types: tuple[str, ...]
    facts: Facts

    @property
    def type(self) -> str:
        return self.types[0]

    @property
    def signer(self) -> str:
        return self.facts[FOLLOW_UPS[self.type].signer]

    def build(self, key: str, rng: random.Random,
              payment_agreements: Mapping[tuple[str, str], PaymentAgreement],
              ) -> tuple[dict[str, Any], Step | None]:
        """This document's body (``key`` names it), and the thread's step after it."""
        body, learned = FOLLOW_UPS[self.type].build(
            StepContext(self.facts, key, rng, payment_agreements))
        rest = self.types[1:]
        return body, Step(rest, {**self.facts, **learned}) if rest else None


def start(doc_type: str, root_weight: float, sender: str, key: str, body: dict[str, Any],
          rng: random.Random, registered: Container[str]) -> Step | None:
    """The first follow-up of the root document ``key``, if its drawn path has one.

    A path stops before its first type the registry does not know: what comes after
    would depend on it.
    """
    thread = THREADS.get(doc_type)
    if thread is None:
        return None
    types = tuple(takewhile(registered.__contains__, thread.draw(rng, root_weight)))
    if not types:
        return None
    facts = {thread.sender_as: sender, thread.key_as: key,
             **{name: body[name] for name in thread.restated}}
    return Step(types, facts)
