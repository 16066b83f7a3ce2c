"""`python -m bench.store.bench_store [--quick] [--url URL] [--seconds S] [--callers 1,64,1024]`.

Group-commit throughput of the store against a raw COPY loop on the same database.

Each caller is a trio task committing 1 KiB documents one after another, with a
trivial sealer (fixed bytes), so this measures the store, not signing. The reference
writes the same rows (doc_keys, documents, feed; same sizes) with
`copy_records_to_table`, one transaction of `batch_max_docs` documents per COMMIT,
on one connection: the cost of just storing them durably.

Both sides are timed by the wall clock: the work happens in PostgreSQL's processes,
which this process's CPU time would not see. Store settings (pool_size,
batch_max_docs, batch_max_wait_ms) come from the usual EPORT_* variables. The
database is a fresh one on the server at --url (default: $EPORT_BENCH_DATABASE_URL),
else on an embedded pgserver; it is dropped at the end.
"""

import argparse
import asyncio
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import trio

from bench.result import Metric, emit, metric
from bench.store.database import fresh_database
from gateway.config import Config
from gateway.store import OpsResult, Sealed, Store, Submission

DOC_BYTES = 1024
BODY = os.urandom(DOC_BYTES)
RECEIPT = b"r" * 600  # about the size of a signed receipt envelope
SIG = b"s" * 64
FULL_SECONDS = 3.0  # per figure
QUICK_SECONDS = 0.2
TARGETS = {1024: 0.5}  # callers -> the project's goal for store / raw COPY


def sealer(
    subs: Sequence[Submission], results: Sequence[OpsResult], seqs: Sequence[Mapping[str, int]]
) -> list[Sealed]:
    return [Sealed(receipt=RECEIPT, events=(), status=sub.status, code=sub.code) for sub in subs]


def document(sender: str, doc_id: str) -> Submission:
    return Submission(
        sender=sender, doc_id=doc_id, doc_type="bench.doc", doc_bytes=BODY,
        doc_sm3=os.urandom(32), sig=SIG, cert="c0ffee", received_at=datetime.now(UTC),
        ops=(), notify=(), status="accepted", code="OK",
    )  # fmt: skip


async def store_throughput(config: Config, callers: int, seconds: float) -> float:
    """Documents per second committed by `callers` concurrent tasks through one Store."""
    store = await Store.open(config, sealer)
    done = 0
    try:
        deadline = trio.current_time() + seconds

        async def caller(c: int) -> None:
            nonlocal done
            sender, n = f"C{c:07d}{secrets.token_hex(1)}", 0
            while trio.current_time() < deadline:
                await store.commit(document(sender, f"D-{n}"))
                n += 1
                done += 1

        start = trio.current_time()
        async with trio.open_nursery() as nursery:
            for c in range(callers):
                nursery.start_soon(caller, c)
        return done / (trio.current_time() - start)
    finally:
        await store.aclose()


async def raw_copy_throughput(url: str, batch: int, seconds: float) -> float:
    """Documents per second written by COPY, `batch` per transaction, on one connection."""
    conn = await asyncpg.connect(url)
    done = 0
    try:
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            subs = [document("RAW0000000", f"R-{done + i}") for i in range(batch)]
            async with conn.transaction():
                await conn.copy_records_to_table(
                    "doc_keys",
                    records=[(s.sender, s.doc_id, s.doc_sm3, s.received_at) for s in subs],
                )
                await conn.copy_records_to_table(
                    "documents",
                    records=[
                        (s.sender, s.doc_id, s.doc_type, s.received_at, s.doc_bytes, s.sig,
                         s.cert, s.doc_sm3, s.status, s.code, done + i + 1)
                        for i, s in enumerate(subs)
                    ],
                )  # fmt: skip
                await conn.copy_records_to_table(
                    "feed",
                    records=[
                        (s.sender, done + i + 1, "receipt", s.sender, s.doc_id, s.received_at,
                         RECEIPT)
                        for i, s in enumerate(subs)
                    ],
                )  # fmt: skip
            done += batch
        return done / (time.perf_counter() - start)
    finally:
        await conn.close()


def _metric_name(callers: int) -> str:
    return f"group_commit_{callers}_caller{'s' if callers > 1 else ''}/raw_copy"


def _callers(text: str) -> list[int]:
    try:
        counts = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of counts: {text}") from None
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError("caller counts must be at least 1")
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.store.bench_store", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny durations")
    parser.add_argument("--url", default=os.environ.get("EPORT_BENCH_DATABASE_URL") or None)
    parser.add_argument("--seconds", type=float, help="per figure (default 3, quick 0.2)")
    parser.add_argument("--callers", type=_callers, default=[1, 64, 1024])
    args = parser.parse_args(argv)
    seconds = QUICK_SECONDS if args.quick else FULL_SECONDS
    if args.seconds is not None:
        seconds = args.seconds

    with fresh_database(args.url) as url, tempfile.TemporaryDirectory() as home:
        config = replace(Config.load(), home=Path(home), database_url=url)
        # Migrations and partitions first, so the reference has its tables.
        trio.run(store_throughput, config, 1, 0.0)
        print("store: raw COPY", file=sys.stderr, flush=True)
        raw = asyncio.run(raw_copy_throughput(url, config.batch_max_docs, seconds))
        results: dict[str, Metric] = {}
        for callers in args.callers:
            print(f"store: {callers} caller(s)", file=sys.stderr, flush=True)
            rate = trio.run(store_throughput, config, callers, seconds)
            results[_metric_name(callers)] = metric(
                rate, "docs/s", f"raw COPY, {config.batch_max_docs} docs per transaction", raw,
                TARGETS.get(callers),
            )  # fmt: skip
    emit(
        "store",
        results,
        settings={"doc_bytes": DOC_BYTES, "batch_max_docs": config.batch_max_docs,
                  "pool_size": config.pool_size, "batch_max_wait_ms": config.batch_max_wait_ms,
                  "seconds": seconds, "quick": args.quick, "embedded": args.url is None},
    )  # fmt: skip


if __name__ == "__main__":
    main()
