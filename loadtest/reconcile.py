"""Reconciliation: the receipts the client holds against the gateway's ``documents``
rows. Every (sender, id) answered with a receipt must have a row (0 lost), and
every row of this corpus (ids starting with its prefix) received during the run
must be one of them or a document whose answer never came (0 extra).
asyncpg is fine here: this is a test tool, not the gateway. It runs on asyncio,
so reconciliation runs outside the trio run, after the load.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import asyncpg

SLACK = timedelta(seconds=5)  # clock and commit-time margin around the run
EXAMPLES = 5


def reconcile(database_url: str, held: set[tuple[str, str]], unknown: set[tuple[str, str]],
              id_prefix: str, started: datetime, finished: datetime) -> dict[str, Any]:
    keys = sorted(held)
    found, window = asyncio.run(_fetch(database_url, keys, id_prefix, started - SLACK,
                                       finished + SLACK))
    stored = {(row["sender"], row["doc_id"]) for row in found}
    lost = held - stored
    extra = {(row["sender"], row["doc_id"]) for row in window} - held - unknown
    return {
        "held_receipts": len(held),
        "rows_found": len(stored),
        "rows_in_window": len(window),
        "senders": len({sender for sender, _ in held}),
        "lost": len(lost),
        "extra": len(extra),
        "unknown_outcome": len(unknown),
        "lost_examples": _examples(lost),
        "extra_examples": _examples(extra),
        "ok": not lost and not extra,
    }


async def _fetch(database_url: str, keys: list[tuple[str, str]], id_prefix: str,
                 since: datetime, until: datetime) -> tuple[list[Any], list[Any]]:
    connection = await asyncpg.connect(database_url)
    try:
        found = await connection.fetch(
            "SELECT d.sender, d.doc_id FROM documents d JOIN unnest($1::text[], $2::text[])"
            " AS k(sender, doc_id) ON d.sender = k.sender AND d.doc_id = k.doc_id",
            [sender for sender, _ in keys], [doc_id for _, doc_id in keys])
        window = await connection.fetch(
            "SELECT sender, doc_id FROM documents WHERE received_at BETWEEN $1 AND $2"
            " AND starts_with(doc_id, $3)", since, until, id_prefix)
    finally:
        await connection.close()
    return list(found), list(window)


def _examples(keys: Iterable[tuple[str, str]]) -> list[str]:
    return [f"{sender}/{doc_id}" for sender, doc_id in sorted(keys)[:EXAMPLES]]
