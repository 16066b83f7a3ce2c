"""A fresh, throw-away database for the store benchmark.

On the server at `server_url` when one is given, else on an embedded pgserver started
in a temporary directory (gateway.store.embedded, as `eport serve` does without a
database URL). Either way the benchmark works in a database of its own, dropped at
the end, so it never touches existing data and leaves nothing behind.
"""

import asyncio
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import trio

from gateway.store.embedded import EmbeddedServer


@contextmanager
def fresh_database(server_url: str | None) -> Iterator[str]:
    """The URL of a new database on `server_url` (None: an embedded server)."""
    with tempfile.TemporaryDirectory(prefix="eport-bench-") as home:
        server = None
        if server_url is None:
            server = trio.run(EmbeddedServer.start, Path(home))
            server_url = server.url
        name = f"eport_bench_{secrets.token_hex(4)}"
        asyncio.run(_admin(server_url, f"CREATE DATABASE {name}"))
        try:
            yield urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))
        finally:
            asyncio.run(_admin(server_url, f"DROP DATABASE {name} WITH (FORCE)"))
            if server is not None:
                trio.run(server.stop)


async def _admin(url: str, statement: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()
