"""The corpus's business threads, planned offline with a fixed seed: every follow-up
comes a safe distance after its antecedent, names a planned document, restates its
parties, follows the declaration state table, and passes its type's schema, rules
and handler; the threads add up to the mix's weights."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import pytest

from loadtest import mix
from loadtest.chains import FOLLOW_UPS, THREADS
from loadtest.corpus import Planned, Planner, Roster, Shares, follow_distance
from loadtest.mix import MIX, available
from loadtest.roster import members, offline_roster
from routing.subsystems import REGISTRY
from routing.subsystems.dec.states import DECLARATION_TRANSITIONS
from tests.dec.judging import verdict

N = 20_000
WEIGHTS = {entry.type: entry.weight for entry in MIX}


@pytest.fixture(scope="module")
def roster() -> Roster:
    rng = random.Random(4)
    return offline_roster(members(available(dict(REGISTRY.items())), 10, "PLATFORM00", 2, rng),
                          rng)


@pytest.fixture(scope="module")
def corpus(roster: Roster) -> list[Planned]:
    return list(Planner(roster, Shares(), seed=11).plan(N))


def test_threads_add_up_to_the_weights_of_the_mix() -> None:
    implied: defaultdict[str, float] = defaultdict(float)
    for root, thread in THREADS.items():
        assert sum(path.weight for path in thread.paths) <= WEIGHTS[root]
        for path in thread.paths:
            for doc_type in path.types:
                implied[doc_type] += path.weight
    assert set(implied) == set(FOLLOW_UPS)
    for doc_type, weight in implied.items():
        assert weight == pytest.approx(WEIGHTS[doc_type]), doc_type


def test_every_trader_may_pay_every_customs_office_at_the_bank(roster: Roster) -> None:
    (bank,) = roster.enterprises("bank")
    pairs = {(t, c) for t in roster.enterprises("trader") for c in roster.enterprises("customs")}
    assert pairs and set(roster.payment_agreements) == pairs
    assert all(agreement.bank == bank and agreement.key.startswith(f"{trader}/")
               for (trader, _), agreement in roster.payment_agreements.items())


def test_a_root_type_without_a_body_generator_is_refused(
    roster: Roster, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A body made from a type's example names documents and parties that do not
    exist: the corpus refuses the type rather than fill the mix with rejections."""
    assert Planner(roster, Shares(), seed=1)  # every registered root has one today
    monkeypatch.delitem(mix.GENERATORS, "licence.issue")
    with pytest.raises(ValueError, match=r"no body generator for licence\.issue"):
        Planner(roster, Shares(), seed=1)


@dataclass
class Referee:
    """Follows the planned corpus in order as the gateway's rules would: the state of
    every declaration and what each business object named, by its key."""

    roster: Roster
    distance: int
    index_of: dict[str, int] = field(default_factory=dict)  # key -> where it was planned
    bodies: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> body
    senders: dict[str, str] = field(default_factory=dict)  # key -> sender
    states: dict[str, str] = field(default_factory=dict)  # declaration -> state
    last: dict[str, int] = field(default_factory=dict)  # thread root -> its latest document
    latest: dict[tuple[str, str], str] = field(default_factory=dict)  # (root, type) -> key

    def see(self, index: int, planned: Planned) -> None:
        doc = planned.doc
        key = f"{doc['sender']}/{doc['id']}"
        self.index_of[key], self.bodies[key], self.senders[key] = index, doc["body"], doc["sender"]
        if doc["type"] in DECLARATION_TRANSITIONS:
            self.declaration_action(index, doc["sender"], doc["body"], key, doc["type"])
        elif not doc["type"].startswith("identity."):  # the platform's: nothing follows
            getattr(self, doc["type"].replace(".", "_"))(index, doc["sender"], doc["body"], key)

    def follows(self, root: str, index: int, key: str, doc_type: str) -> dict[str, Any]:
        """The root's body, after checking this document comes far enough after the
        thread's previous one."""
        assert root in self.bodies, f"{key} names {root}, never planned before it"
        assert index - self.last.get(root, self.index_of[root]) >= self.distance, key
        self.last[root], self.latest[(root, doc_type)] = index, key
        return self.bodies[root]

    def dec_declaration(self, index: int, sender: str, body: dict[str, Any], key: str) -> None:
        assert body["consignor"] == sender
        assert body["customs_office"] in self.roster.enterprises("customs")
        self.states[key] = "submitted"

    def declaration_action(self, index: int, sender: str, body: dict[str, Any], key: str,
                           doc_type: str) -> None:
        root = body["declaration"]
        declared = self.follows(root, index, key, doc_type)
        assert (body["consignor"], body["customs_office"]) == (
            declared["consignor"], declared["customs_office"])
        rule = DECLARATION_TRANSITIONS[doc_type]
        assert sender == (body["customs_office"] if rule.actor == "customs"
                          else self.senders[root])
        assert self.states[root] in rule.from_states, (doc_type, self.states[root])
        self.states[root] = rule.to_state
        if doc_type == "dec.accept":
            assert (body["declare_district"], body["import_export"]) == (
                declared["declare_district"], declared["import_export"])

    def payment_instruct(self, index: int, sender: str, body: dict[str, Any], key: str) -> None:
        root = body["declaration"]
        notice = self.latest[(root, "dec.tax_due")]
        self.follows(root, index, key, "payment.instruct")
        assert self.states[root] == "tax_due"
        assert (body["bill"], body["amount"]) == (f"{notice}/1",
                                                  self.bodies[notice]["bills"][0]["amount"])
        agreement = self.roster.payment_agreements[(sender, self.senders[notice])]
        assert sender == body["consignor"]
        assert (body["agreement"], body["bank"]) == (agreement.key, agreement.bank)

    def payment_bank_confirm(self, index: int, sender: str, body: dict[str, Any],
                             key: str) -> None:
        root = body["declaration"]
        instruction = self.latest[(root, "payment.instruct")]
        self.follows(root, index, key, "payment.bank_confirm")
        assert body["instruction"] == instruction
        assert sender == self.bodies[instruction]["bank"]
        assert {name: body[name] for name in ("bill", "amount", "consignor")} == {
            name: self.bodies[instruction][name] for name in ("bill", "amount", "consignor")}
        self.states[root] = "tax_paid"

    def agent_entrust(self, index: int, sender: str, body: dict[str, Any], key: str) -> None:
        assert body["trader"] == sender and body["broker"] in self.roster.enterprises("broker")

    def agent_confirm(self, index: int, sender: str, body: dict[str, Any], key: str) -> None:
        assert sender == self.follows(body["entrustment"], index, key, "agent.confirm")["broker"]

    def paperless_sign(self, index: int, sender: str, body: dict[str, Any], key: str) -> None:
        assert body["customs_office"] in self.roster.enterprises("customs")

    def paperless_approve(self, index: int, sender: str, body: dict[str, Any],
                          key: str) -> None:
        signed = self.follows(body["agreement"], index, key, "paperless.approve")
        assert sender == signed["customs_office"]

    def licence_issue(self, index: int, sender: str, body: dict[str, Any], key: str) -> None:
        assert sender in self.roster.enterprises("mofcom")
        assert body["holder"] in self.roster.enterprises("trader")


def test_every_follow_up_comes_after_its_antecedent_and_restates_its_parties(
        roster: Roster, corpus: list[Planned]) -> None:
    low, _ = follow_distance(N)
    assert low == 2000
    referee = Referee(roster, low)
    for index, planned in enumerate(corpus):
        referee.see(index, planned)
    counts = Counter(planned.doc["type"] for planned in corpus)
    assert set(counts) >= set(FOLLOW_UPS) | set(THREADS), counts
    assert counts["payment.bank_confirm"] > 100 and counts["dec.close"] > 100
    assert Counter(referee.states.values())["closed"] > 100


def test_roots_expect_201_and_follow_ups_a_receipt(corpus: list[Planned]) -> None:
    for planned in corpus:
        follow_up = planned.doc["type"] in FOLLOW_UPS
        assert planned.entry.expect == ("receipt" if follow_up else "new"), planned.doc["type"]


def test_every_body_passes_its_schema_rules_and_handler(roster: Roster,
                                                        corpus: list[Planned]) -> None:
    department = {roster.cards[number].enterprise: role
                  for role, numbers in roster.by_role.items() for number in numbers
                  if role not in ("trader", "broker")}
    seen: Counter[str] = Counter()
    for planned in corpus:
        doc = planned.doc
        # Judging a card issue needs the platform CA; identity bodies are not threaded.
        if seen[doc["type"]] >= 200 or doc["type"].startswith("identity."):
            continue
        seen[doc["type"]] += 1
        kind = "department" if doc["sender"] in department else "legal"
        result = verdict(doc["type"], doc["body"], sender=doc["sender"], kind=kind,
                         doc_id=doc["id"], department=department.get(doc["sender"], ""))
        assert result.status == "accepted", (doc, result)
