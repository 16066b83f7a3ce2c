"""Session-wide PostgreSQL for the tests.

With ``EPORT_TEST_DATABASE_URL`` set (a server you run), the session creates a
fresh database ``eport_test_<random>`` there and drops it at the end. Without
it, the session starts one embedded pgserver in a temporary directory.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def _admin(url: str, statement: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server_url = os.environ.get("EPORT_TEST_DATABASE_URL")
    if server_url:
        name = f"eport_test_{secrets.token_hex(6)}"
        asyncio.run(_admin(server_url, f"CREATE DATABASE {name}"))
        try:
            yield with_database(server_url, name)
        finally:
            asyncio.run(_admin(server_url, f"DROP DATABASE {name} WITH (FORCE)"))
    else:
        from pgserver import get_server

        pgdata: Path = tmp_path_factory.mktemp("pg") / "pgdata"
        server = get_server(pgdata, cleanup_mode="delete")
        try:
            yield server.get_uri()
        finally:
            server.cleanup()
