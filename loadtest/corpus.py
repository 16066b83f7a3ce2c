"""``python -m loadtest corpus``: plan a corpus of N documents (the mix, plus shares
of invalid signatures, replays and conflicts), sign it on all cores, store it.

Documents come from one heap of pending documents, each due at a corpus index;
where none is due, a fresh root document is drawn from the mix.

- A root starts a business thread (chains.py) whose next document is scheduled
  ``FOLLOW_DISTANCE`` documents later (2,000 to 4,000, a tenth to a fifth of a
  small corpus), and so on down its path: far more than a run has in flight
  (batches of 100, up to 8 at a time), so the antecedent is committed first. A
  follow-up still expects a "receipt" (201 or 422): a driver may reorder (one
  stream per enterprise), and a corpus may end or a run stop mid-thread.
- A replay (the same bytes again) or a conflict (same id, other bytes) is
  scheduled when its original is planned and lands up to ``REUSE_WINDOW``
  documents (a tenth of a small corpus) later, so the pair is often in flight
  together. An original has at most one such follower, which keeps the expected
  counts exact in any arrival order: of the pair one gets the first answer (201,
  or 422 for a "receipt" type) and the other 200 (replay) or 409 (conflict).
  Threads go on from an original whatever its copies; never from a document with
  a bad signature.
"""

from __future__ import annotations

import heapq
import itertools
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec

from loadtest.chains import FOLLOW_UPS, PaymentAgreement, Step, start
from loadtest.corpus_store import Card, CorpusWriter, DocEntry, Expect
from loadtest.mix import BodyContext, MixEntry, available, body, missing_generators
from loadtest.signing import SignTask, envelope, sign, signing_pool
from routing.subsystems import REGISTRY
from routing.subsystems.dec.parties import CHINA
from routing.subsystems.dec.types import doc_key

REUSE_WINDOW = 500
FOLLOW_DISTANCE = (2000, 4000)
BLOCK = 4096


@dataclass(frozen=True)
class Shares:
    invalid: float = 0.0  # signature does not verify: 401
    replays: float = 0.0
    conflicts: float = 0.0


@dataclass(frozen=True)
class Roster:
    """The cards a corpus signs with, by signer role, and what bodies may name."""

    cards: list[Card]
    by_role: dict[str, list[int]]  # role -> card numbers
    traders: list[str]
    public_keys: list[str]
    # (trader, customs office) -> the agreement its tax payments name (made at onboarding)
    payment_agreements: dict[tuple[str, str], PaymentAgreement] = field(default_factory=dict)

    def enterprises(self, role: str) -> list[str]:
        """The enterprises holding a card of ``role``, each once."""
        return sorted({self.cards[number].enterprise for number in self.by_role.get(role, [])})


@dataclass(frozen=True)
class Planned:
    entry: DocEntry
    doc: dict[str, Any]
    card: int
    corrupt: bool = False
    copy_of: int | None = None  # a replay: the index whose bytes it repeats
    keep: bool = False  # a replay will repeat these bytes


def follow_distance(n: int) -> tuple[int, int]:
    """How far after its antecedent a follow-up lands, clipped for small corpora."""
    low = max(1, min(FOLLOW_DISTANCE[0], n // 10))
    return low, max(low, min(FOLLOW_DISTANCE[1], n // 5))


class Planner:
    def __init__(self, roster: Roster, shares: Shares, seed: int | None) -> None:
        self._roster = roster
        self._shares = shares
        self._rng = random.Random(seed)
        self._entries = available(dict(REGISTRY.items()))
        self._roots = [entry for entry in self._entries if entry.type not in FOLLOW_UPS]
        if not self._roots:
            raise ValueError("no root document type of the mix is registered")
        if missing := missing_generators(self._roots):
            raise ValueError(f"no body generator for {', '.join(missing)}: add one to "
                             "loadtest/mix.py GENERATORS, or a thread in loadtest/chains.py")
        self._weights = [entry.weight for entry in self._roots]
        self._registered = {entry.type for entry in self._entries}
        self._customs = roster.enterprises("customs")
        self._brokers = roster.enterprises("broker")
        self._cards_of: dict[str, list[int]] = {}
        for number, card in enumerate(roster.cards):
            self._cards_of.setdefault(card.enterprise, []).append(number)
        # Fresh ids on every build, even with a fixed seed: a rebuilt corpus must not
        # replay the previous one.
        self._tag = os.urandom(4).hex()
        self._window = REUSE_WINDOW
        self._distance = FOLLOW_DISTANCE
        self._ts = datetime.now(UTC)
        self._order = itertools.count()  # ties in the heap: first scheduled, first out
        self._pending: list[tuple[int, int, Planned | Step]] = []  # (due index, order, …)

    @property
    def mix(self) -> list[MixEntry]:
        return self._entries

    def plan(self, n: int) -> Iterator[Planned]:
        self._window = max(1, min(REUSE_WINDOW, n // 10))
        self._distance = follow_distance(n)
        for index in range(n):
            due = heapq.heappop(self._pending)[2] \
                if self._pending and self._pending[0][0] <= index else None
            if isinstance(due, Planned):  # a replay or a conflict
                yield due
                continue
            planned, step = self._fresh(index) if due is None else self._follow_up(index, due)
            if step is not None and not planned.corrupt:
                self._schedule(index + self._rng.randint(*self._distance), step)
            yield self._reuse(index, planned)

    def _schedule(self, due: int, pending: Planned | Step) -> None:
        heapq.heappush(self._pending, (due, next(self._order), pending))

    def _reuse(self, index: int, planned: Planned) -> Planned:
        """Schedule a replay or a conflict of ``planned`` by the shares; returns it."""
        if planned.corrupt:
            return planned
        fresh = max(1e-9, 1.0 - self._shares.replays - self._shares.conflicts)
        roll = self._rng.random()
        if roll < self._shares.replays / fresh:
            replay = replace(planned, entry=_expecting(planned, "replay"), copy_of=index)
            self._schedule(self._soon(index), replay)
            return replace(planned, keep=True)
        if roll < (self._shares.replays + self._shares.conflicts) / fresh:
            later = {**planned.doc, "ts": _ts(self._ts + timedelta(seconds=1))}
            conflict = replace(planned, doc=later, entry=_expecting(planned, "conflict"))
            self._schedule(self._soon(index), conflict)
        return planned

    def _soon(self, index: int) -> int:
        return index + self._rng.randint(1, self._window)

    def _fresh(self, index: int) -> tuple[Planned, Step | None]:
        """A root document drawn from the mix, and the first follow-up of its thread."""
        entry = self._rng.choices(self._roots, self._weights)[0]
        card_no = self._rng.choice(self._roster.by_role[entry.role])
        sender = self._roster.cards[card_no].enterprise
        items = entry.items.draw(self._rng) if entry.items else None
        context = BodyContext(self._rng, sender, self._roster.traders, self._roster.public_keys,
                              self._customs, self._brokers, self._ts.astimezone(CHINA).date(),
                              items)
        doc_body = body(entry, context)
        planned = self._planned(index, entry.type, card_no, doc_body, "new")
        step = start(entry.type, entry.weight, sender, doc_key(sender, planned.entry.id),
                     doc_body, self._rng, self._registered)
        return planned, step

    def _follow_up(self, index: int, step: Step) -> tuple[Planned, Step | None]:
        """The thread's next document, signed by the party its facts name."""
        card_no = self._rng.choice(self._cards_of[step.signer])
        doc_body, after = step.build(doc_key(step.signer, self._doc_id(index)), self._rng,
                                     self._roster.payment_agreements)
        return self._planned(index, step.type, card_no, doc_body, "receipt"), after

    def _planned(self, index: int, doc_type: str, card_no: int, doc_body: dict[str, Any],
                 expect: Expect) -> Planned:
        sender = self._roster.cards[card_no].enterprise
        doc_id = self._doc_id(index)
        doc = {"id": doc_id, "type": doc_type, "sender": sender, "ts": _ts(self._ts),
               "body": doc_body}
        corrupt = self._rng.random() < self._shares.invalid
        return Planned(DocEntry(sender, doc_id, "bad_signature" if corrupt else expect), doc,
                       card_no, corrupt)

    def _doc_id(self, index: int) -> str:
        return f"LT-{self._tag}-{index:08d}"


def _expecting(planned: Planned, expect: Expect) -> DocEntry:
    return msgspec.structs.replace(planned.entry, expect=expect)


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def build_corpus(n: int, out: Path, roster: Roster, shares: Shares, *, seed: int | None = None,
                 processes: int | None = None, offline: bool = False) -> Path:
    """Write the corpus to ``out``; returns the manifest's path."""
    planner = Planner(roster, shares, seed)
    keys = [bytes.fromhex(card.private_key) for card in roster.cards]
    kept: dict[int, bytes] = {}
    with CorpusWriter(out) as writer, signing_pool(keys, processes or _cores()) as pool:
        planned_docs = planner.plan(n)
        while block := [p for _, p in zip(range(BLOCK), planned_docs, strict=False)]:
            docs = [msgspec.json.encode(p.doc) for p in block]
            tasks: list[SignTask] = [(doc, p.card, p.corrupt)
                                     for doc, p in zip(docs, block, strict=True)
                                     if p.copy_of is None]
            signatures = iter(pool.map(sign, tasks, chunksize=max(1, len(tasks) // 64)))
            for doc, planned in zip(docs, block, strict=True):
                if planned.copy_of is not None:
                    signed = kept.pop(planned.copy_of)
                else:
                    cert = roster.cards[planned.card].cert
                    signed = envelope(doc, next(signatures), cert)
                if planned.keep:
                    kept[len(writer.documents)] = signed
                writer.add(signed, planned.entry)
        return writer.finish(created_at=_ts(datetime.now(UTC)), offline=offline,
                             mix=[msgspec.to_builtins(e) for e in planner.mix],
                             cards=roster.cards)


def _cores() -> int:
    return len(os.sched_getaffinity(0))
