"""``python -m loadtest corpus``: plan a corpus of N documents (the mix, plus shares
of invalid signatures, replays and conflicts), sign it on all cores, store it.

A replay (the same bytes again) or a conflict (same id, other bytes) is scheduled
when its original is planned and lands up to ``REUSE_WINDOW`` documents (a tenth
of a small corpus) later, so
the pair is often in flight together. An original has at most one such
follower, which keeps the expected counts exact in any arrival order: of the
pair one gets the first answer (201, or 422 for a "receipt" type) and the other
200 (replay) or 409 (conflict).
"""

from __future__ import annotations

import heapq
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec

from loadtest.corpus_store import Card, CorpusWriter, DocEntry, Expect
from loadtest.mix import GENERATORS, BodyContext, MixEntry, available, body
from loadtest.signing import SignTask, envelope, sign, signing_pool
from routing.subsystems import REGISTRY

REUSE_WINDOW = 500
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


@dataclass(frozen=True)
class Planned:
    entry: DocEntry
    doc: dict[str, Any]
    card: int
    corrupt: bool = False
    copy_of: int | None = None  # a replay: the index whose bytes it repeats
    keep: bool = False  # a replay will repeat these bytes


class Planner:
    def __init__(self, roster: Roster, shares: Shares, seed: int | None) -> None:
        self._roster = roster
        self._shares = shares
        self._rng = random.Random(seed)
        self._entries = available(dict(REGISTRY.items()))
        if not self._entries:
            raise ValueError("no document type of the mix is registered")
        self._weights = [entry.weight for entry in self._entries]
        self._customs = [roster.cards[n].enterprise for n in roster.by_role.get("customs", [])]
        # Fresh ids on every build, even with a fixed seed: a rebuilt corpus must not
        # replay the previous one.
        self._tag = os.urandom(4).hex()
        self._window = REUSE_WINDOW
        self._ts = datetime.now(UTC)
        self._pending: list[tuple[int, int, Planned]] = []  # (due index, tie, planned)

    @property
    def mix(self) -> list[MixEntry]:
        return self._entries

    def plan(self, n: int) -> Iterator[Planned]:
        fresh = max(1e-9, 1.0 - self._shares.replays - self._shares.conflicts)
        self._window = max(1, min(REUSE_WINDOW, n // 10))
        for index in range(n):
            if self._pending and self._pending[0][0] <= index:
                yield heapq.heappop(self._pending)[2]
                continue
            planned = self._fresh(index)
            roll = self._rng.random()
            if planned.corrupt:
                pass
            elif roll < self._shares.replays / fresh:
                planned = replace(planned, keep=True)
                self._follow(index, replace(planned, entry=_expecting(planned, "replay"),
                                            copy_of=index, keep=False))
            elif roll < (self._shares.replays + self._shares.conflicts) / fresh:
                later = {**planned.doc, "ts": _ts(self._ts + timedelta(seconds=1))}
                self._follow(index, replace(planned, doc=later,
                                            entry=_expecting(planned, "conflict")))
            yield planned

    def _follow(self, index: int, planned: Planned) -> None:
        due = index + self._rng.randint(1, self._window)
        heapq.heappush(self._pending, (due, index, planned))

    def _fresh(self, index: int) -> Planned:
        entry = self._rng.choices(self._entries, self._weights)[0]
        card_no = self._rng.choice(self._roster.by_role[entry.role])
        sender = self._roster.cards[card_no].enterprise
        items = entry.items.draw(self._rng) if entry.items else None
        context = BodyContext(self._rng, sender, self._roster.traders, self._roster.public_keys,
                              self._customs, items)
        doc_id = f"LT-{self._tag}-{index:08d}"
        doc = {"id": doc_id, "type": entry.type, "sender": sender, "ts": _ts(self._ts),
               "body": body(entry, REGISTRY[entry.type], context)}
        corrupt = self._rng.random() < self._shares.invalid
        expect: Expect = "bad_signature" if corrupt else \
            "new" if entry.type in GENERATORS else "receipt"
        return Planned(DocEntry(sender, doc_id, expect), doc, card_no, corrupt)


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
