"""With no database URL the store runs its own PostgreSQL under the home directory."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
import trio

from gateway.config import Config
from gateway.store import Store
from gateway.store.embedded import MIB, EmbeddedServer, memory_bytes, settings
from tests.databases import execute, fetchval

from .helpers import enterprise, sealer, submission

GIB = 1 << 30


async def test_embedded_server_starts_serves_and_stops(
        pg_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = await Store.open(Config(home=pg_dir / "home"), sealer)
    try:
        # A new cluster has the advised settings: nothing to tell the operator.
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert (await store.commit(submission(enterprise(), "E-1"))).kind == "new"
        assert await store.ping()
    finally:
        await store.aclose()
    assert (pg_dir / "home" / "pgdata" / "PG_VERSION").exists()
    assert not (pg_dir / "home" / "pgdata" / "postmaster.pid").exists()


@pytest.mark.parametrize(("memory", "shared_buffers"), [
    (256 * MIB, "128MB"), (2 * GIB, "512MB"), (24 * GIB, "4096MB"), (256 * GIB, "4096MB"),
])
def test_shared_buffers_are_a_quarter_of_memory_within_bounds(
        memory: int, shared_buffers: str) -> None:
    assert settings(memory) == {
        "shared_buffers": shared_buffers, "max_wal_size": "8GB", "checkpoint_timeout": "15min"}


def _bytes(server: EmbeddedServer, name: str) -> object:
    return asyncio.run(fetchval(server.url, f"SELECT pg_size_bytes(current_setting('{name}'))"))


async def _open_and_close(config: Config) -> None:
    store = await Store.open(config, sealer)
    await store.aclose()


def test_a_new_cluster_is_configured_once_and_keeps_the_operators_changes(
        pg_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    expected = settings(memory_bytes())
    server = trio.run(EmbeddedServer.start, pg_dir)
    try:
        # In effect at once: the first start restarted the new cluster.
        assert _bytes(server, "shared_buffers") == int(
            expected["shared_buffers"].removesuffix("MB")) * MIB
        assert _bytes(server, "max_wal_size") == 8 * GIB
        assert asyncio.run(fetchval(server.url, "SHOW checkpoint_timeout")) == "15min"
        asyncio.run(execute(server.url, "ALTER SYSTEM SET max_wal_size = '2GB'"))
    finally:
        trio.run(server.stop)
    server = trio.run(EmbeddedServer.start, pg_dir)
    try:
        assert _bytes(server, "max_wal_size") == 2 * GIB
        # The store serves it, and tells the operator of the one setting below advice.
        trio.run(_open_and_close, Config(home=pg_dir / "home", database_url=server.url))
        warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(warnings) == 1
        assert warnings[0].startswith("PostgreSQL runs with max_wal_size=2GB (advised 8GB): ")
    finally:
        trio.run(server.stop)
    assert not (pg_dir / "pgdata" / "postmaster.pid").exists()
