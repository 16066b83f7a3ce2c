"""Fixtures for the store tests: a Store on the session database, and raw SQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from functools import partial
from pathlib import Path

import pytest
import trio
from pgserver import PostgresServer, get_server
from pgserver._commands import pg_ctl  # type: ignore[attr-defined]

from gateway.store import Store

from .helpers import Sql, sealer, store_config


@pytest.fixture
async def sql(database_url: str) -> AsyncIterator[Sql]:
    handle = Sql(database_url)
    yield handle
    await handle.aclose()


@pytest.fixture
async def store(tmp_path: Path, database_url: str) -> AsyncIterator[Store]:
    opened = await Store.open(store_config(tmp_path, database_url), sealer)
    yield opened
    await opened.aclose()


@pytest.fixture
async def one_batch_store(tmp_path: Path, database_url: str) -> AsyncIterator[Store]:
    """One writer and a 200 ms batch window: submissions queued together share a batch."""
    config = store_config(tmp_path, database_url, pool_size=1, batch_max_wait_ms=200.0)
    opened = await Store.open(config, sealer)
    yield opened
    await opened.aclose()


class PrivateServer:
    """A pgserver of the test's own, which the test may stop, crash and restart."""

    def __init__(self, server: PostgresServer) -> None:
        self._server = server

    @property
    def url(self) -> str:
        return self._server.get_uri()

    async def crash_restart(self) -> None:
        """Immediate shutdown (no checkpoint, crash recovery on start), then start."""
        await self._pg_ctl("-w", "-m", "immediate", "restart")

    async def stop(self) -> None:
        await self._pg_ctl("-w", "-m", "fast", "stop")

    async def start(self) -> None:
        await trio.to_thread.run_sync(self._server.ensure_postgres_running)

    async def _pg_ctl(self, *args: str) -> None:
        await trio.to_thread.run_sync(
            partial(pg_ctl, list(args), pgdata=self._server.pgdata, user=self._server.system_user)
        )


@pytest.fixture
def private_server(pg_dir: Path) -> Iterator[PrivateServer]:
    server = get_server(pg_dir / "pgdata", cleanup_mode="delete")
    try:
        yield PrivateServer(server)
    finally:
        server.cleanup()
