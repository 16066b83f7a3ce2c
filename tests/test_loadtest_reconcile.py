"""Reconciliation finds lost and extra rows (embedded PostgreSQL, a minimal table)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from loadtest.reconcile import reconcile
from tests.databases import scratch_database


@pytest.fixture
def scratch_url(database_url: str) -> Iterator[str]:
    """A database of its own: the session database has the gateway's real tables."""
    with scratch_database(database_url, "eport_reconcile") as url:
        yield url


async def _fill(database_url: str, now: datetime) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute("CREATE TABLE documents (sender text, doc_id text,"
                                 " received_at timestamptz)")
        await connection.executemany("INSERT INTO documents VALUES ($1, $2, $3)", [
            ("A", "LT-x-1", now), ("A", "LT-x-2", now), ("B", "LT-x-3", now),
            ("B", "LT-x-4", now),  # in flight when the run stopped: unknown, not extra
            ("B", "LT-x-9", now),  # nobody holds a receipt for it: extra
            ("B", "OTHER-1", now),  # another corpus: ignored
            ("A", "LT-x-0", now - timedelta(hours=1)),  # an earlier run, replayed now
        ])
    finally:
        await connection.close()


def test_lost_and_extra_rows_are_reported(scratch_url: str) -> None:
    now = datetime.now(UTC)
    asyncio.run(_fill(scratch_url, now))
    held = {("A", "LT-x-0"), ("A", "LT-x-1"), ("A", "LT-x-2"), ("B", "LT-x-3"),
            ("B", "LT-x-5")}
    result = reconcile(scratch_url, held, {("B", "LT-x-4")}, "LT-x-", now, now)
    assert result["lost"] == 1 and result["lost_examples"] == ["B/LT-x-5"]
    assert result["extra"] == 1 and result["extra_examples"] == ["B/LT-x-9"]
    assert result["rows_found"] == 4 and not result["ok"]
    clean = reconcile(scratch_url, held - {("B", "LT-x-5")} | {("B", "LT-x-9")},
                            {("B", "LT-x-4")}, "LT-x-", now, now)
    assert clean["ok"] and clean["lost"] == clean["extra"] == 0
