"""One group-commit transaction: many submissions, one COMMIT.

Runs on the store loop with one connection. In order:
  1. insert every distinct key into doc_keys (sorted, so concurrent batches
     lock keys in one order); a key that was not inserted already exists; in the
     same round trip, unless the batch has ops to run, allocate seqs for the
     sender and each notified enterprise of every new document
  2. read the stored receipt of every key that already existed
  3. evaluate the new documents' ops in one eport_apply_ops() round trip, then
     allocate their seqs (seq rows stay locked to COMMIT: taken after the ops,
     they do not make concurrent batches' ops wait for each other)
  4. call the sealer for each new document (signs its receipt and events)
  5. write documents and feed rows (one INSERT for a small batch, else COPY); COMMIT
Each step's wall time goes to ``eport_commit_stage_seconds``: the seq and counter
rows a batch locks stay locked from step 3 to COMMIT, so the later steps' times
are how long a hot enterprise or counter is held.
Within a batch the first submission of a key wins; the later ones are answered
like a resubmission (same bytes: replay, other bytes: conflict).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from gateway.metrics import commit_stage_seconds
from gateway.store import queries
from gateway.store.failures import CommitUnknown
from gateway.store.model import OpsResult, Outcome, Sealed, Sealer, Submission
from gateway.store.ops_encoding import (
    UNSTORABLE,
    decode_result,
    encode_document,
    json_array,
    storable,
)

Key = tuple[str, str]

_NO_OPS = OpsResult(ok=True)
# From this many new documents on, their rows go by COPY: two round trips per table
# instead of one statement for both, but less encoding per row (measured: below it, one
# INSERT ... unnest statement costs the store thread and PostgreSQL less per document).
COPY_FROM_DOCS = 32


@dataclass(frozen=True, slots=True)
class Stored:
    doc_sm3: bytes
    receipt: bytes
    status: str
    code: str
    seq: int


async def write_batch(
    conn: asyncpg.Connection,
    subs: Sequence[Submission],
    sealer: Sealer,
    earlier: Mapping[Key, bytes],
) -> tuple[list[Outcome], set[str]]:
    """Commit ``subs``; return their outcomes and the enterprises whose feed grew.

    ``earlier`` maps keys to receipts that an attempt whose COMMIT was lost had
    sealed: finding exactly that receipt stored means that attempt committed.
    """
    keys = [sub.key for sub in subs]
    first_index: dict[Key, int] = {}
    for i, key in enumerate(keys):
        first_index.setdefault(key, i)
    firsts = {key: subs[i] for key, i in first_index.items()}
    stored, new_keys, touched = await _transact(conn, firsts, sealer)
    outcomes = []
    for i, (sub, key) in enumerate(zip(subs, keys, strict=True)):
        found = stored[key]
        if i == first_index[key] and key in new_keys:
            outcomes.append(Outcome("new", found.receipt, found.status, found.code, found.seq))
        else:
            outcomes.append(_outcome(sub, found, earlier))
    return outcomes, touched


async def _transact(
    conn: asyncpg.Connection, firsts: dict[Key, Submission], sealer: Sealer
) -> tuple[dict[Key, Stored], set[Key], set[str]]:
    """The transaction; returns every key's stored receipt, the new keys, and the
    enterprises that were sent events (receipts reach their senders in the answer)."""
    sealed: dict[Key, bytes] = {}
    body_done = False
    stages = _Stages()
    try:
        async with conn.transaction():
            # Seq rows stay locked to COMMIT. With ops to run, seqs come after them, so
            # the ops of concurrent batches notifying the same enterprises (a shared
            # customs office, say) run side by side instead of one batch after another.
            ops_first = any(_runs_ops(sub) for sub in firsts.values())
            new_keys, next_seq = await _claim(conn, sorted(firsts.items()), not ops_first)
            stored = await fetch_stored(conn, [key for key in firsts if key not in new_keys])
            new_items = [(key, sub) for key, sub in firsts.items() if key in new_keys]
            new = [sub for _, sub in new_items]
            stages.done("claim")
            results = await _apply_ops(conn, new)
            stages.done("operations")
            if ops_first:
                next_seq = await _allocate_seqs(conn, new)
                stages.done("sequences")
            seqs = _seqs(new, next_seq)
            seals = sealer(new, results, seqs)
            sealed = {key: seal.receipt for (key, _), seal in zip(new_items, seals, strict=True)}
            stages.done("sealing")
            await _write_rows(conn, new, seqs, seals)
            stages.done("rows")
            body_done = True
        stages.done("commit")
    except Exception as exc:
        if body_done:
            raise CommitUnknown(sealed) from exc
        raise
    for (key, sub), seq, seal in zip(new_items, seqs, seals, strict=True):
        stored[key] = Stored(sub.doc_sm3, seal.receipt, seal.status, seal.code, seq[sub.sender])
    return stored, new_keys, {enterprise for sub in new for enterprise in sub.notify}


class _Stages:
    """Times the steps of one transaction, each from the end of the one before."""

    def __init__(self) -> None:
        self._last = time.perf_counter()

    def done(self, stage: str) -> None:
        now = time.perf_counter()
        commit_stage_seconds(stage).observe(now - self._last)
        self._last = now


def _outcome(sub: Submission, stored: Stored, earlier: Mapping[Key, bytes]) -> Outcome:
    """The outcome of a submission whose key this batch did not claim for it."""
    if sub.doc_sm3 != stored.doc_sm3:
        return Outcome("conflict", b"", stored.status, stored.code, stored.seq)
    ours = bool(stored.receipt) and earlier.get(sub.key) == stored.receipt
    return Outcome(
        "new" if ours else "replay", stored.receipt, stored.status, stored.code, stored.seq
    )


def _runs_ops(sub: Submission) -> bool:
    # A document rejected before its ops never runs them.
    return bool(sub.ops) and sub.status == "accepted"


async def _claim(
    conn: asyncpg.Connection, items: list[tuple[Key, Submission]], allocate: bool
) -> tuple[set[Key], dict[str, int]]:
    """Insert the keys; return the new ones and (if ``allocate``) the first seq
    allocated to each enterprise (the sender or a notified one) of a new document."""
    subs = [sub for _, sub in items]
    notified = [(i, e) for i, sub in enumerate(subs, 1) for e in sub.notify]
    rows = await conn.fetch(
        queries.CLAIM_KEYS_AND_SEQS,
        [sub.sender for sub in subs],
        [sub.doc_id for sub in subs],
        [sub.doc_sm3 for sub in subs],
        [sub.received_at for sub in subs],
        [i for i, _ in notified],
        [e for _, e in notified],
        allocate,
    )
    new_keys = {(row[0], row[1]) for row in rows if row[2] is None}
    wanted = _seqs_wanted([sub for key, sub in items if key in new_keys])
    next_seq = {row[0]: row[2] - wanted[row[0]] + 1 for row in rows if row[2] is not None}
    return new_keys, next_seq


async def fetch_stored(conn: asyncpg.Connection, keys: list[Key]) -> dict[Key, Stored]:
    if not keys:
        return {}
    rows = await conn.fetch(queries.STORED, [k[0] for k in keys], [k[1] for k in keys])
    return {
        (row["sender"], row["doc_id"]): Stored(
            row["doc_sm3"],
            row["body"] or b"",
            row["status"] or "",
            row["code"] or "",
            row["seq"] or 0,
        )
        for row in rows
    }


async def _apply_ops(conn: asyncpg.Connection, new: list[Submission]) -> list[OpsResult]:
    with_ops = [sub for sub in new if _runs_ops(sub)]
    if not with_ops:
        return [_NO_OPS] * len(new)
    encoded = {sub.key: encode_document(sub) for sub in with_ops}
    by_key = {key: UNSTORABLE for key, data in encoded.items() if not storable(data)}
    runnable = [sub for sub in with_ops if sub.key not in by_key]
    if runnable:
        payload = json_array([encoded[sub.key] for sub in runnable])
        raw: list[dict[str, Any]] = await conn.fetchval(queries.APPLY_OPS, payload)
        by_key.update((sub.key, decode_result(r)) for sub, r in zip(runnable, raw, strict=True))
    return [by_key.get(sub.key, _NO_OPS) for sub in new]


async def _allocate_seqs(conn: asyncpg.Connection, new: list[Submission]) -> dict[str, int]:
    """The first seq allocated to each enterprise (sender or notified) of ``new``."""
    wanted = _seqs_wanted(new)
    if not wanted:
        return {}
    enterprises = sorted(wanted)
    rows = await conn.fetch(queries.ALLOCATE_SEQS, enterprises, [wanted[e] for e in enterprises])
    return {row[0]: row[1] - wanted[row[0]] + 1 for row in rows}


def _seqs_wanted(new: list[Submission]) -> Counter[str]:
    """How many seqs each enterprise gets: one per new document it sent or is notified of."""
    return Counter(e for sub in new for e in (sub.sender, *sub.notify))


def _seqs(new: list[Submission], next_seq: dict[str, int]) -> list[dict[str, int]]:
    """Each new document's seq for its sender and each enterprise it notifies."""
    seqs = []
    for sub in new:
        seq = {}
        for enterprise in (sub.sender, *sub.notify):
            seq[enterprise] = next_seq[enterprise]
            next_seq[enterprise] += 1
        seqs.append(seq)
    return seqs


async def _write_rows(
    conn: asyncpg.Connection, new: list[Submission], seqs: list[dict[str, int]], seals: list[Sealed]
) -> None:
    if not new:
        return
    documents = [
        (sub.sender, sub.doc_id, sub.doc_type, sub.received_at, sub.doc_bytes, sub.sig, sub.cert,
         sub.doc_sm3, seal.status, seal.code, seq[sub.sender])
        for sub, seq, seal in zip(new, seqs, seals, strict=True)
    ]  # fmt: skip
    feed = [row for sub, seq, seal in zip(new, seqs, seals, strict=True)
            for row in _feed_rows(sub, seq, seal)]  # fmt: skip
    if len(new) < COPY_FROM_DOCS:
        await conn.execute(queries.WRITE_ROWS, *_columns(documents), *_columns(feed))
        return
    await conn.copy_records_to_table(
        "documents", records=documents, columns=queries.DOCUMENT_COLUMNS
    )
    await conn.copy_records_to_table("feed", records=feed, columns=queries.FEED_COLUMNS)


def _columns(rows: list[tuple[Any, ...]]) -> list[list[Any]]:
    return [list(column) for column in zip(*rows, strict=True)]


def _feed_rows(sub: Submission, seq: dict[str, int], seal: Sealed) -> list[tuple[Any, ...]]:
    """The receipt for the sender and one event per notified enterprise that gets one."""
    rows: list[tuple[Any, ...]] = [
        (sub.sender, seq[sub.sender], "receipt", sub.sender, sub.doc_id, sub.received_at,
         seal.receipt)
    ]  # fmt: skip
    if not seal.events:
        return rows
    recipients = [e for e, _ in seal.events]
    if len(set(recipients)) != len(recipients) or not set(recipients) <= set(sub.notify):
        # One seq per notified enterprise was allocated; anything else is a sealer bug.
        raise ValueError(f"sealer events {recipients} do not match notify {list(sub.notify)}")
    for enterprise, body in seal.events:
        rows.append(
            (enterprise, seq[enterprise], "event", sub.sender, sub.doc_id, sub.received_at, body)
        )
    return rows
