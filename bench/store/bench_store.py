"""Group-commit throughput of the store vs a raw COPY loop, on the same database.

    python bench/store/bench_store.py [--url URL] [--seconds S] [--callers 1,64,1024]

Each caller is a trio task committing 1 KB documents one after another, with a
trivial sealer (fixed bytes), so this measures the store, not signing. The
reference writes the same rows (doc_keys, documents, feed; same sizes) with
``copy_records_to_table``, one transaction of ``batch_max_docs`` documents per
COMMIT, on one connection: the cost of just storing them durably. Prints JSON
with documents per second and the ratio store / reference for each caller count.

Store settings (pool_size, batch_max_docs, batch_max_wait_ms) come from the
usual EPORT_* variables. Without --url (or EPORT_DATABASE_URL) it starts a pgserver in a temporary
directory. Either way it works in a fresh database that it drops at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import trio

from gateway.config import Config
from gateway.store import OpsResult, Sealed, Store, Submission

DOC_BYTES = 1024
RECEIPT = b"r" * 600  # about the size of a signed receipt envelope
SIG = b"s" * 64


def sealer(sub: Submission, result: OpsResult, seqs: dict[str, int]) -> Sealed:
    return Sealed(receipt=RECEIPT, events=(), status=sub.status, code=sub.code)


def document(sender: str, doc_id: str) -> Submission:
    body = os.urandom(DOC_BYTES)
    return Submission(
        sender=sender, doc_id=doc_id, doc_type="bench.doc", doc_bytes=body,
        doc_sm3=os.urandom(32), sig=SIG, cert="c0ffee", received_at=datetime.now(UTC),
        ops=(), notify=(), status="accepted", code="OK",
    )  # fmt: skip


async def store_throughput(config: Config, callers: int, seconds: float) -> float:
    store = await Store.open(config, sealer)
    done = 0
    try:
        deadline = trio.current_time() + seconds

        async def caller(c: int) -> None:
            nonlocal done
            sender, n = f"C{c:08d}{secrets.token_hex(1)}", 0
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
    conn = await asyncpg.connect(url)
    done = 0
    try:
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            subs = [document("RAW", f"R-{done + i}") for i in range(batch)]
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


@contextmanager
def fresh_database(server_url: str | None) -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="eport-bench-") as tmp:
        server = None
        if server_url is None:
            from pgserver import get_server

            server = get_server(Path(tmp) / "pgdata", cleanup_mode="delete")
            server_url = server.get_uri()
        name = f"eport_bench_{secrets.token_hex(4)}"
        asyncio.run(_admin(server_url, f"CREATE DATABASE {name}"))
        try:
            yield urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))
        finally:
            asyncio.run(_admin(server_url, f"DROP DATABASE {name} WITH (FORCE)"))
            if server is not None:
                server.cleanup()


async def _admin(url: str, statement: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("EPORT_DATABASE_URL"))
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--callers", default="1,64,1024")
    args = parser.parse_args()
    with fresh_database(args.url) as url, tempfile.TemporaryDirectory() as home:
        # Store settings come from EPORT_* variables (EPORT_POOL_SIZE=8 ...).
        config = replace(Config.load(), home=Path(home), database_url=url)
        # Migrations and partitions first, so the reference has its tables.
        trio.run(store_throughput, config, 1, 0.0)
        raw = asyncio.run(raw_copy_throughput(url, config.batch_max_docs, args.seconds))
        results = {}
        for callers in (int(c) for c in args.callers.split(",")):
            rate = trio.run(store_throughput, config, callers, args.seconds)
            results[str(callers)] = {"docs_per_s": round(rate), "ratio": round(rate / raw, 3)}
    print(json.dumps({
        "doc_bytes": DOC_BYTES, "batch_max_docs": config.batch_max_docs,
        "pool_size": config.pool_size, "seconds": args.seconds,
        "raw_copy_docs_per_s": round(raw), "store": results,
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
