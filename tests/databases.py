"""Databases of their own on the session's PostgreSQL server (tests/conftest.py)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import asyncpg


async def execute(url: str, statement: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def fetchval(url: str, query: str) -> object:
    connection = await asyncpg.connect(url)
    try:
        return await connection.fetchval(query)
    finally:
        await connection.close()


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


@contextmanager
def scratch_database(server_url: str, prefix: str) -> Iterator[str]:
    """A fresh database ``<prefix>_<random>`` on the server of ``server_url``, dropped after."""
    name = f"{prefix}_{secrets.token_hex(6)}"
    asyncio.run(execute(server_url, f"CREATE DATABASE {name}"))
    try:
        yield with_database(server_url, name)
    finally:
        asyncio.run(execute(server_url, f"DROP DATABASE {name} WITH (FORCE)"))
