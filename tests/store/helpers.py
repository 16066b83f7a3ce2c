"""Helpers for the store tests: a test sealer, submissions, raw SQL."""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from gateway.config import Config
from gateway.store import OpsResult, Sealed, Submission
from gateway.store.bridge import LoopThread
from routing.ops import Op


def sealer(
    subs: Sequence[Submission], results: Sequence[OpsResult], seqs: Sequence[Mapping[str, int]]
) -> list[Sealed]:
    """Receipts carry random bytes, like SM2 signatures: equal receipts are the same one."""
    return [_seal(*args) for args in zip(subs, results, seqs, strict=True)]


def _seal(sub: Submission, result: OpsResult, seqs: Mapping[str, int]) -> Sealed:
    status, code = (sub.status, sub.code) if result.ok else ("rejected", result.code or "")
    tag = secrets.token_hex(8)
    receipt = f"{sub.sender}/{sub.doc_id}/{status}/{code}/{seqs[sub.sender]}/{tag}".encode()
    events = tuple((e, f"event {sub.doc_id} -> {e}/{seqs[e]}".encode()) for e in sub.notify)
    return Sealed(receipt=receipt, events=events, status=status, code=code)


def submission(
    sender: str,
    doc_id: str,
    body: bytes = b"{}",
    *,
    ops: tuple[Op, ...] = (),
    notify: tuple[str, ...] = (),
    received_at: datetime | None = None,
) -> Submission:
    return Submission(
        sender=sender,
        doc_id=doc_id,
        doc_type="test.doc",
        doc_bytes=body,
        doc_sm3=hashlib.sha256(body).digest(),  # any 32-byte digest will do here
        sig=b"s" * 64,
        cert="c0ffee",
        received_at=received_at or datetime.now(UTC),
        ops=ops,
        notify=notify,
        status="accepted",
        code="OK",
    )


def enterprise() -> str:
    """A fresh enterprise code, so tests sharing the session database never collide."""
    return secrets.token_hex(5)


class Sql:
    """Raw SQL on the test database, from trio, through the same kind of bridge."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._loop = LoopThread()

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        return await self.run(lambda conn: conn.fetch(query, *args))

    async def fetchval(self, query: str, *args: Any) -> Any:
        return await self.run(lambda conn: conn.fetchval(query, *args))

    async def execute(self, query: str, *args: Any) -> str:
        return await self.run(lambda conn: conn.execute(query, *args))

    async def run(self, fn: Callable[[asyncpg.Connection], Awaitable[Any]]) -> Any:
        """``fn(connection)`` on a fresh connection, on the helper's asyncio loop."""

        async def once() -> Any:
            conn = await asyncpg.connect(self.url)
            try:
                return await fn(conn)
            finally:
                await conn.close()

        return await self._loop.call(once)

    async def aclose(self) -> None:
        await self._loop.aclose()


@asynccontextmanager
async def fresh_database(sql: Sql) -> AsyncIterator[str]:
    """An empty database on the test server, dropped afterwards; yields its URL."""
    name = f"eport_test_{secrets.token_hex(6)}"
    await sql.execute(f"CREATE DATABASE {name}")
    try:
        yield with_database(sql.url, name)
    finally:
        await sql.execute(f"DROP DATABASE {name} WITH (FORCE)")


def with_database(url: str, name: str) -> str:
    """``url`` with its database replaced (also for pgserver's socket URLs)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def store_config(tmp_path: Path, url: str, **overrides: Any) -> Config:
    return Config.from_mapping(
        {"home": tmp_path, "database_url": url, "pool_size": 2, "store_timeout_s": 5.0, **overrides}
    )


def scaled(n: int) -> int:
    """Test sizes scale with EPORT_TEST_SCALE (default 1) for long local runs."""
    return n * int(os.environ.get("EPORT_TEST_SCALE", "1"))
