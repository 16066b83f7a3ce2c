"""The embedded PostgreSQL server, used when no database URL is configured.

``pgserver`` ships a real PostgreSQL in a wheel. The server's data directory is
``<home>/pgdata``; it listens on a Unix socket only and is stopped when the
store closes (or at interpreter exit, pgserver's own safety net).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Protocol

import trio


class _Server(Protocol):
    def get_uri(self, database: str | None = None) -> str: ...
    def cleanup(self) -> None: ...


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
    server: _Server = get_server(pgdata, cleanup_mode="stop")
    return server
