"""The database server's processes, so that a run can sample their CPU beside the
gateway's: the postmaster of the backend a connection to ``--database-url`` gets
(its children are the backends and the server's own processes). Only a server on
this machine has processes here: a server reached over a non-loopback address, or
a backend that is not a ``postgres`` process of this machine, gives none.
"""

from __future__ import annotations

import asyncio

import asyncpg

from loadtest.procstat import parent_named

SERVER = "postgres"


def server_pids(database_url: str) -> list[int]:
    return asyncio.run(_server_pids(database_url))


async def _server_pids(database_url: str) -> list[int]:
    connection = await asyncpg.connect(database_url)
    try:  # the backend is looked up while it lives: it ends with the connection
        backend, address = await connection.fetchrow(
            "SELECT pg_backend_pid(), inet_server_addr()")
        local = address is None or address.is_loopback  # NULL over a Unix socket
        postmaster = parent_named(backend, SERVER) if local else None
    finally:
        await connection.close()
    return [postmaster] if postmaster is not None else []
