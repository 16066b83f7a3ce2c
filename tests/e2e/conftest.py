"""A session gateway on its own database (on the session's PostgreSQL server)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from tests.e2e.gateway import Gateway, start_gateway, stop_gateway


async def _execute(url: str, statement: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def gateway_database(database_url: str) -> Iterator[str]:
    name = f"eport_e2e_{secrets.token_hex(6)}"
    asyncio.run(_execute(database_url, f"CREATE DATABASE {name}"))
    try:
        yield urlunsplit(urlsplit(database_url)._replace(path=f"/{name}"))
    finally:
        asyncio.run(_execute(database_url, f"DROP DATABASE {name} WITH (FORCE)"))


@pytest.fixture(scope="session")
def gateway(tmp_path_factory: pytest.TempPathFactory, gateway_database: str) -> Iterator[Gateway]:
    running = start_gateway(tmp_path_factory.mktemp("gateway"), gateway_database)
    try:
        yield running
    finally:
        stop_gateway(running)
