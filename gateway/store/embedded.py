"""The embedded PostgreSQL server, used when no database URL is configured.

``pgserver`` ships a real PostgreSQL in a wheel. The server's data directory is
``<home>/pgdata``; it listens on a Unix socket only and is stopped when the
store closes (or at interpreter exit, pgserver's own safety net).

A data directory this module creates gets ``settings()`` (``ALTER SYSTEM``, then one
restart, on its first start only: later changes of the operator's are kept).
initdb sizes a cluster for a small shared machine, 128 MB of shared buffers and
a checkpoint every 1 GB of WAL; at the gateway's write rate that is a checkpoint
every minute or less and a working set that soon leaves the buffers
(docs/store.md, "Server settings").
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Protocol

import trio

MIB = 1 << 20
# Shared buffers: a quarter of the memory, within these bounds.
SHARED_BUFFERS_MIN = 128 * MIB
SHARED_BUFFERS_MAX = 4096 * MIB


class _Server(Protocol):
    pgdata: Path
    system_user: str | None

    def get_uri(self, database: str | None = None) -> str: ...
    def psql(self, command: str) -> str: ...
    def ensure_postgres_running(self) -> None: ...
    def cleanup(self) -> None: ...


def settings(memory_bytes: int) -> dict[str, str]:
    """What a new embedded cluster is given, for a machine with ``memory_bytes``."""
    shared = min(max(memory_bytes // 4, SHARED_BUFFERS_MIN), SHARED_BUFFERS_MAX)
    return {
        "shared_buffers": f"{shared // MIB}MB",
        "max_wal_size": "8GB",
        "checkpoint_timeout": "15min",
    }


def memory_bytes() -> int:
    """Physical memory, or the cgroup's limit where that is lower."""
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
    except OSError:
        return physical
    return min(physical, int(limit)) if limit.isdigit() else physical


class EmbeddedServer:
    def __init__(self, server: _Server) -> None:
        self._server = server

    @classmethod
    async def start(cls, home: Path) -> EmbeddedServer:
        home.mkdir(parents=True, exist_ok=True)
        # initdb and pg_ctl block for a second or two: keep them off the trio thread.
        server = await trio.to_thread.run_sync(_get_server, home / "pgdata")
        return cls(server)

    @property
    def url(self) -> str:
        return self._server.get_uri()

    async def stop(self) -> None:
        await trio.to_thread.run_sync(self._server.cleanup)


def _get_server(pgdata: Path) -> _Server:
    # Imported here: only an embedded start needs it, and its import warns when
    # XDG_RUNTIME_DIR is unset (it then uses /tmp), which every CLI call would print.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgserver.postgres_server import get_server
    new = not (pgdata / "PG_VERSION").exists()
    server: _Server = get_server(pgdata, cleanup_mode="stop")
    if new:
        _configure(server, settings(memory_bytes()))
    return server


def _configure(server: _Server, values: dict[str, str]) -> None:
    """Write ``values`` to the cluster's postgresql.auto.conf and restart it."""
    from pgserver._commands import pg_ctl  # type: ignore[attr-defined]

    server.psql("".join(f"ALTER SYSTEM SET {name} = '{value}';\n"
                        for name, value in values.items()))
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)
    server.ensure_postgres_running()
